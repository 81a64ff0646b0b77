// The phones' HTTP(S) port in this process, on port 0, with real sockets and
// real TLS (mbedTLS as the client), in front of a fake pipeline: pipelining
// over both, the connection limit, and deadlines on a fake clock.

#include <catch2/catch.hpp>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "provisioner/core/sockets.h"
#include "provisioner/http/loop_server.h"
#include "provisioner/tls/certificate.h"
#include "temp_dir.h"

using namespace prov;
using namespace prov::http;

namespace {

class EchoFetcher final : public Fetcher {
public:
    // Answers every file with its own name; remembers what it was asked.
    FetchResponse fetch(const FetchRequest& request) override {
        std::lock_guard lock(mutex);
        files.push_back(request.file);
        protocols.push_back(request.protocol);
        FetchResponse r;
        r.outcome = Outcome::kServed;
        r.body = "file " + request.file + "\n";
        r.content_type = "text/plain";
        return r;
    }
    std::mutex mutex;
    std::vector<std::string> files;
    std::vector<Protocol> protocols;
};

int connectTo(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    timeval tv{10, 0};  // a hung server fails the test instead of hanging it
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

// A connection from `source` (an address of 127.0.0.0/8).
int connectFrom(int port, const char* source) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    REQUIRE(inet_pton(AF_INET, source, &from.sin_addr) == 1);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) == 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    timeval tv{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

// Waits (at most 5 s) until the server counts `n` connections open.
bool openCount(const LoopServer& server, int n) {
    for (int i = 0; i < 500; ++i) {
        if (server.connections() == n) return true;
        ::usleep(10'000);
    }
    return false;
}

// Reads until `count` complete answers (by Content-Length) or the end.
std::vector<std::string> readAnswers(const std::function<int(char*, int)>& recv_some, size_t count) {
    std::string in;
    std::vector<std::string> answers;
    char buf[4096];
    while (answers.size() < count) {
        const size_t end = in.find("\r\n\r\n");
        if (end != std::string::npos) {
            const size_t cl = in.find("Content-Length: ");
            const size_t len = std::stoul(in.substr(cl + 16));
            if (in.size() >= end + 4 + len) {
                answers.push_back(in.substr(0, end + 4 + len));
                in.erase(0, end + 4 + len);
                continue;
            }
        }
        const int n = recv_some(buf, sizeof buf);
        if (n <= 0) break;
        in.append(buf, static_cast<size_t>(n));
    }
    return answers;
}

std::string pipelined(int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += "GET /f" + std::to_string(i) + ".cfg HTTP/1.1\r\nHost: p\r\n\r\n";
    return out;
}

void checkInOrder(const std::vector<std::string>& answers, int n) {
    REQUIRE(answers.size() == static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
        const std::string body = "file f" + std::to_string(i) + ".cfg\n";
        CHECK(answers[static_cast<size_t>(i)].rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
        CHECK(answers[static_cast<size_t>(i)].substr(answers[static_cast<size_t>(i)].size() - body.size()) == body);
    }
}

// Waits (at most 10 s, on the real clock) for the server to close `fd`.
bool closedByServer(int fd) {
    char buf[256];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 10000) <= 0) return false;
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n == 0) return true;
        if (n < 0) return errno == ECONNRESET;
    }
}

struct TlsClient {
    mbedtls_net_context net;
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    explicit TlsClient(int fd) {
        mbedtls_net_init(&net);
        net.fd = fd;
        mbedtls_ssl_init(&ssl);
        mbedtls_ssl_config_init(&conf);
        mbedtls_entropy_init(&entropy);
        mbedtls_ctr_drbg_init(&drbg);
        REQUIRE(mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, nullptr, 0) == 0);
        REQUIRE(mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                            MBEDTLS_SSL_PRESET_DEFAULT) == 0);
        mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_NONE);
        mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
        REQUIRE(mbedtls_ssl_setup(&ssl, &conf) == 0);
        mbedtls_ssl_set_bio(&ssl, &net, mbedtls_net_send, mbedtls_net_recv, nullptr);
    }
    ~TlsClient() {
        mbedtls_ssl_free(&ssl);
        mbedtls_ssl_config_free(&conf);
        mbedtls_ctr_drbg_free(&drbg);
        mbedtls_entropy_free(&entropy);
        mbedtls_net_free(&net);  // closes the socket
    }
    bool handshake() { return mbedtls_ssl_handshake(&ssl) == 0; }
    void send(const std::string& s) {
        size_t off = 0;
        while (off < s.size()) {
            const int n = mbedtls_ssl_write(&ssl, reinterpret_cast<const unsigned char*>(s.data() + off), s.size() - off);
            REQUIRE(n > 0);
            off += static_cast<size_t>(n);
        }
    }
    int recvSome(char* buf, int len) {
        return mbedtls_ssl_read(&ssl, reinterpret_cast<unsigned char*>(buf), static_cast<size_t>(len));
    }
};

LoopOptions local(int loops = 1) {
    LoopOptions o;
    o.bind = "127.0.0.1";
    o.port = 0;
    o.loops = loops;
    return o;
}

}  // namespace

TEST_CASE("loop server: twenty pipelined requests over plain HTTP, answered in order") {
    SystemClock clock;
    EchoFetcher fetcher;
    LoopServer server(fetcher, clock, local(2));
    REQUIRE(server.start());
    REQUIRE(server.port() > 0);
    const int fd = connectTo(server.port());
    const std::string requests = pipelined(20);
    REQUIRE(::send(fd, requests.data(), requests.size(), 0) == static_cast<ssize_t>(requests.size()));
    checkInOrder(readAnswers([&](char* b, int n) { return static_cast<int>(::recv(fd, b, static_cast<size_t>(n), 0)); }, 20), 20);
    ::close(fd);
    server.stop();
    CHECK(fetcher.files.size() == 20);
}

TEST_CASE("loop server: twenty pipelined requests over HTTPS, answered in order") {
    prov::testing::TempDir dir;
    REQUIRE(tls::generateSelfSigned({"localhost"}, 30, dir.path() + "/s.crt", dir.path() + "/s.key"));
    tls::TlsOptions t;
    t.cert_path = dir.path() + "/s.crt";
    t.key_path = dir.path() + "/s.key";
    t.client_cert = tls::ClientCertMode::kNone;
    auto ctx = tls::TlsServerContext::create(t);
    REQUIRE(ctx);
    SystemClock clock;
    EchoFetcher fetcher;
    LoopOptions o = local();
    o.tls = [c = ctx.value()] { return c; };
    LoopServer server(fetcher, clock, o);
    REQUIRE(server.start());
    {
        TlsClient client(connectTo(server.port()));
        REQUIRE(client.handshake());
        client.send(pipelined(20));
        checkInOrder(readAnswers([&](char* b, int n) { return client.recvSome(b, n); }, 20), 20);
    }
    server.stop();
    std::lock_guard lock(fetcher.mutex);
    REQUIRE(fetcher.protocols.size() == 20);
    CHECK(fetcher.protocols[0] == Protocol::kHttps);
}

TEST_CASE("loop server: past max_connections a connection is answered 503 and closed") {
    SystemClock clock;
    EchoFetcher fetcher;
    LoopOptions o = local();
    o.max_connections = 2;
    LoopServer server(fetcher, clock, o);
    REQUIRE(server.start());
    const int a = connectTo(server.port());
    const int b = connectTo(server.port());
    const int c = connectTo(server.port());
    const std::string get = "GET /x.cfg HTTP/1.1\r\n\r\n";
    REQUIRE(::send(c, get.data(), get.size(), 0) > 0);
    auto answers = readAnswers([&](char* buf, int n) { return static_cast<int>(::recv(c, buf, static_cast<size_t>(n), 0)); }, 1);
    REQUIRE(answers.size() == 1);
    CHECK(answers[0].rfind("HTTP/1.1 503 Service Unavailable\r\n", 0) == 0);
    CHECK(answers[0].find("Retry-After: 5\r\n") != std::string::npos);
    CHECK(closedByServer(c));
    // The two within the limit are served.
    REQUIRE(::send(a, get.data(), get.size(), 0) > 0);
    answers = readAnswers([&](char* buf, int n) { return static_cast<int>(::recv(a, buf, static_cast<size_t>(n), 0)); }, 1);
    REQUIRE(answers.size() == 1);
    CHECK(answers[0].rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    ::close(a);
    ::close(b);
    ::close(c);
}

TEST_CASE("loop server: deadlines come from its clock") {
    FakeClock clock;
    EchoFetcher fetcher;
    LoopServer server(fetcher, clock, local());
    REQUIRE(server.start());
    const int fd = connectTo(server.port());
    const std::string get = "GET /x.cfg HTTP/1.1\r\n\r\n";
    REQUIRE(::send(fd, get.data(), get.size(), 0) > 0);
    auto answers = readAnswers([&](char* buf, int n) { return static_cast<int>(::recv(fd, buf, static_cast<size_t>(n), 0)); }, 1);
    REQUIRE(answers.size() == 1);
    // Idle now, with the keep-alive timeout (2 s) to run on the fake clock:
    // nothing closes it until the clock passes it.
    pollfd p{fd, POLLIN, 0};
    CHECK(::poll(&p, 1, 500) == 0);
    clock.advance(3);
    CHECK(closedByServer(fd));  // within the loop's next wake-up (at most a second)
    ::close(fd);
}

TEST_CASE("loop server: its loops share one socket, and a second server on the port is refused in_use") {
    SystemClock clock;
    EchoFetcher fetcher;
    LoopServer server(fetcher, clock, local(3));
    REQUIRE(server.start());
    LoopOptions same = local(2);
    same.port = server.port();
    LoopServer second(fetcher, clock, same);
    auto st = second.start();
    REQUIRE_FALSE(st);
    CHECK(st.error().reason == "in_use");
    // Thirty connections open at once, each answered, whichever loop took it.
    std::vector<int> fds;
    for (int i = 0; i < 30; ++i) fds.push_back(connectTo(server.port()));
    const std::string get = "GET /x.cfg HTTP/1.1\r\n\r\n";
    for (int fd : fds) REQUIRE(::send(fd, get.data(), get.size(), 0) > 0);
    for (int fd : fds) {
        auto answers = readAnswers([&](char* b, int n) { return static_cast<int>(::recv(fd, b, static_cast<size_t>(n), 0)); }, 1);
        REQUIRE(answers.size() == 1);
        CHECK(answers[0].rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
        ::close(fd);
    }
}

TEST_CASE("loop server: a socket bound beforehand is taken over and closed by the server") {
    SystemClock clock;
    EchoFetcher fetcher;
    auto fd = net::bindSocket("http", "127.0.0.1", 0, SOCK_STREAM, false);
    REQUIRE(fd);
    const int port = net::boundPort(fd.value());
    {
        LoopOptions o = local(2);
        o.port = 12345;  // ignored: the socket given is the port
        o.listen_fd = fd.value();
        LoopServer server(fetcher, clock, o);
        REQUIRE(server.start());
        CHECK(server.port() == port);
        const int c = connectTo(port);
        const std::string get = "GET /x.cfg HTTP/1.1\r\n\r\n";
        REQUIRE(::send(c, get.data(), get.size(), 0) > 0);
        CHECK(readAnswers([&](char* b, int n) { return static_cast<int>(::recv(c, b, static_cast<size_t>(n), 0)); }, 1).size() == 1);
        ::close(c);
    }
    // Every descriptor of it closed: the port can be bound again.
    auto again = net::bindSocket("http", "127.0.0.1", port, SOCK_STREAM, false);
    REQUIRE(again);
    ::close(again.value());
    // Given but never started: closed all the same.
    auto unused = net::bindSocket("http", "127.0.0.1", 0, SOCK_STREAM, false);
    REQUIRE(unused);
    const int unused_port = net::boundPort(unused.value());
    {
        LoopOptions o = local();
        o.listen_fd = unused.value();
        LoopServer never(fetcher, clock, o);
    }
    auto rebound = net::bindSocket("http", "127.0.0.1", unused_port, SOCK_STREAM, false);
    REQUIRE(rebound);
    ::close(rebound.value());
}

namespace {

// Closed (or reset) by the server within `ms`.
bool closedWithin(int fd, int ms) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, ms) <= 0) return false;
    char buf[256];
    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno == ECONNRESET);
}

std::string getOne(int fd, const std::string& path) {
    const std::string get = "GET " + path + " HTTP/1.1\r\n\r\n";
    REQUIRE(::send(fd, get.data(), get.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(get.size()));
    auto answers = readAnswers([&](char* b, int n) { return static_cast<int>(::recv(fd, b, static_cast<size_t>(n), 0)); }, 1);
    return answers.empty() ? "" : answers[0].substr(0, answers[0].find("\r\n"));
}

}  // namespace

TEST_CASE("loop server: past max_per_address an address's new connections are reset, counted over all loops") {
    SystemClock clock;
    EchoFetcher fetcher;
    LoopOptions o = local(2);  // new connections spread over two loops; the count is one
    o.max_per_address = 3;
    LoopServer server(fetcher, clock, o);
    REQUIRE(server.start());
    std::vector<int> from2;
    for (int i = 0; i < 8; ++i) {
        from2.push_back(connectFrom(server.port(), "127.0.0.2"));
        const std::string partial = "GET /slow.cfg HTTP/1.1\r\n";
        (void)::send(from2.back(), partial.data(), partial.size(), MSG_NOSIGNAL);
    }
    REQUIRE(openCount(server, 3));
    int reset = 0;
    for (int fd : from2) reset += closedWithin(fd, 300) ? 1 : 0;
    CHECK(reset == 5);
    CHECK(server.connections() == 3);
    // Another address is served at once.
    const int other = connectFrom(server.port(), "127.0.0.3");
    CHECK(getOne(other, "/a.cfg") == "HTTP/1.1 200 OK");
    ::close(other);
    for (int fd : from2) ::close(fd);
    REQUIRE(openCount(server, 0));
    // Its connections closed, the address may connect again.
    const int again = connectFrom(server.port(), "127.0.0.2");
    CHECK(getOne(again, "/b.cfg") == "HTTP/1.1 200 OK");
    ::close(again);
}

TEST_CASE("loop server: HTTPS past max_open is reset before any handshake") {
    prov::testing::TempDir dir;
    REQUIRE(tls::generateSelfSigned({"localhost"}, 30, dir.path() + "/s.crt", dir.path() + "/s.key"));
    tls::TlsOptions t;
    t.cert_path = dir.path() + "/s.crt";
    t.key_path = dir.path() + "/s.key";
    t.client_cert = tls::ClientCertMode::kNone;
    auto ctx = tls::TlsServerContext::create(t);
    REQUIRE(ctx);
    SystemClock clock;
    EchoFetcher fetcher;
    LoopOptions o = local();
    o.max_open = 2;
    o.tls = [c = ctx.value()] { return c; };
    LoopServer server(fetcher, clock, o);
    REQUIRE(server.start());
    const int a = connectTo(server.port());
    const int b = connectTo(server.port());
    REQUIRE(openCount(server, 2));
    const int c = connectTo(server.port());
    CHECK(closedByServer(c));
    ::close(c);
    ::close(a);
    REQUIRE(openCount(server, 1));
    {
        TlsClient client(connectTo(server.port()));
        REQUIRE(client.handshake());
        client.send("GET /t.cfg HTTP/1.1\r\n\r\n");
        auto answers = readAnswers([&](char* buf, int n) { return client.recvSome(buf, n); }, 1);
        REQUIRE(answers.size() == 1);
        CHECK(answers[0].rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    }
    ::close(b);
}

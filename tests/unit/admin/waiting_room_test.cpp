// The admin API's waiting room, in front of a real Poco HTTPServer in this
// process (two worker threads, port 0): idle and half-sent connections hold
// no thread and are dropped at the head timeout, while a whole request is
// answered at once; a head that trickles in within the timeout is served; a
// kept-alive connection's next head has the same timeout; the oldest waiter
// makes room when the room is full; TLS heads are read ahead the same way.

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/ThreadPool.h>

#include <catch2/catch.hpp>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <istream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "provisioner/admin/waiting_room.h"
#include "provisioner/tls/certificate.h"
#include "temp_dir.h"

using namespace prov;

namespace {

// Answers "<method> <uri> <body bytes>".
class EchoHandler final : public Poco::Net::HTTPRequestHandler {
public:
    void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
        std::string body((std::istreambuf_iterator<char>(request.stream())), std::istreambuf_iterator<char>());
        const std::string text = request.getMethod() + " " + request.getURI() + " " + std::to_string(body.size());
        response.setContentLength(static_cast<std::streamsize>(text.size()));
        response.send() << text;
    }
};

class EchoFactory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new EchoHandler;
    }
};

constexpr int kHeadMs = 600;

struct AdminServer {
    Poco::ThreadPool pool{1, 2};
    std::unique_ptr<Poco::Net::HTTPServer> server;
    int port = 0;

    explicit AdminServer(admin::TlsContextSource tls = nullptr, size_t max_waiting = 512) {
        admin::WaitingRoomOptions room;
        room.head_timeout_ms = kHeadMs;
        room.max_waiting = max_waiting;
        Poco::Net::ServerSocket socket = admin::WaitingRoomSocket(std::move(tls), room);
        socket.bind(Poco::Net::SocketAddress("127.0.0.1", 0), true);
        socket.listen(256);
        Poco::AutoPtr<Poco::Net::HTTPServerParams> params = new Poco::Net::HTTPServerParams();
        params->setMaxThreads(2);
        params->setMaxQueued(64);
        params->setKeepAliveTimeout(Poco::Timespan(2, 0));
        params->setTimeout(Poco::Timespan(10, 0));
        server = std::make_unique<Poco::Net::HTTPServer>(new admin::HeadDeadlineFactory(new EchoFactory, kHeadMs),
                                                         pool, socket, params);
        server->start();
        port = socket.address().port();
    }
    ~AdminServer() { server->stopAll(true); }
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

void sendAll(int fd, const std::string& s) {
    REQUIRE(::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size()));
}

// One answer's body (by Content-Length), or "" when the connection closed first.
std::string readAnswer(int fd) {
    std::string in;
    char buf[4096];
    for (;;) {
        const size_t end = in.find("\r\n\r\n");
        if (end != std::string::npos) {
            const size_t cl = in.find("Content-Length: ");
            const size_t len = cl == std::string::npos ? 0 : std::stoul(in.substr(cl + 16));
            if (in.size() >= end + 4 + len) return in.substr(end + 4, len);
        }
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return "";
        in.append(buf, static_cast<size_t>(n));
    }
}

int64_t nowMs() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// Milliseconds until the server closed `fd` (reading whatever comes), or -1
// if it is still open after `limit_ms`.
int64_t closedAfter(int fd, int64_t limit_ms) {
    const int64_t t0 = nowMs();
    char buf[4096];
    while (nowMs() - t0 < limit_ms) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN)) return nowMs() - t0;
    }
    return -1;
}

}  // namespace

TEST_CASE("waiting room: a hundred idle and half-sent connections hold no thread, and a whole request is answered at once") {
    AdminServer admin;
    std::vector<int> idle;
    for (int i = 0; i < 100; ++i) {
        idle.push_back(connectTo(admin.port));
        if (i % 2) sendAll(idle.back(), "GET /api/v1/license HTTP/1.1\r\nHost: x\r\n");
    }
    const int64_t t0 = nowMs();
    const int fd = connectTo(admin.port);
    sendAll(fd, "GET /api/v1/license HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(readAnswer(fd) == "GET /api/v1/license 0");
    CHECK(nowMs() - t0 < 300);  // two threads, a hundred waiters: no queue behind them
    ::close(fd);
    // Each is dropped at the head timeout, the last within a moment of it.
    for (int s : idle) {
        const int64_t ms = closedAfter(s, kHeadMs + 1500);
        CHECK(ms >= 0);
        ::close(s);
    }
}

TEST_CASE("waiting room: a head that arrives a few bytes at a time within the timeout is served, body and all") {
    AdminServer admin;
    const std::string request = "POST /api/v1/imports HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
    const int fd = connectTo(admin.port);
    for (size_t i = 0; i < request.size(); i += 9) {
        sendAll(fd, request.substr(i, 9));
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    CHECK(readAnswer(fd) == "POST /api/v1/imports 5");
    ::close(fd);
}

TEST_CASE("waiting room: blank lines alone are no head") {
    AdminServer admin;
    const int fd = connectTo(admin.port);
    sendAll(fd, "\r\n\r\n\r\n");
    const int64_t ms = closedAfter(fd, kHeadMs + 1500);
    CHECK(ms >= kHeadMs - 100);  // dropped at the head timeout, not handed to a thread
    ::close(fd);
}

TEST_CASE("waiting room: a kept-alive connection's next head has the head timeout from its answer") {
    AdminServer admin;
    const int fd = connectTo(admin.port);
    sendAll(fd, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(readAnswer(fd) == "GET /one 0");
    // The next request is served on the same connection...
    sendAll(fd, "GET /two HTTP/1.1\r\nHost: x\r\n\r\n");
    REQUIRE(readAnswer(fd) == "GET /two 0");
    // ... but one that stops half-way is dropped at the head timeout, not
    // after Poco's ten-second receive timeout, however it trickles.
    sendAll(fd, "GET /three HTTP/1.1\r\n");
    const int64_t t0 = nowMs();
    int64_t closed = -1;
    while (closed < 0 && nowMs() - t0 < 5000) {
        (void)::send(fd, "X", 1, MSG_NOSIGNAL);
        closed = closedAfter(fd, 200);
    }
    CHECK(closed >= 0);
    CHECK(nowMs() - t0 < kHeadMs + 1000);
    ::close(fd);
}

TEST_CASE("waiting room: when full, the oldest waiter makes room") {
    AdminServer admin(nullptr, 8);
    std::vector<int> idle;
    for (int i = 0; i < 20; ++i) idle.push_back(connectTo(admin.port));
    const int fd = connectTo(admin.port);
    sendAll(fd, "GET /x HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(readAnswer(fd) == "GET /x 0");
    ::close(fd);
    // The first twelve (and the newest waiter) were dropped as others came in.
    int dropped = 0;
    for (int i = 0; i < 12; ++i) dropped += closedAfter(idle[static_cast<size_t>(i)], 200) >= 0 ? 1 : 0;
    CHECK(dropped == 12);
    for (int s : idle) ::close(s);
}

namespace {

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
    void send(const std::string& s) {
        REQUIRE(mbedtls_ssl_write(&ssl, reinterpret_cast<const unsigned char*>(s.data()), s.size()) ==
                static_cast<int>(s.size()));
    }
    std::string readAll() {
        std::string in;
        unsigned char buf[4096];
        for (;;) {
            const int n = mbedtls_ssl_read(&ssl, buf, sizeof buf);
            if (n <= 0) return in;
            in.append(reinterpret_cast<char*>(buf), static_cast<size_t>(n));
        }
    }
};

}  // namespace

TEST_CASE("waiting room: over TLS, silent and half-shaken clients wait apart, and a request is read ahead and answered") {
    prov::testing::TempDir dir;
    REQUIRE(tls::generateSelfSigned({"localhost"}, 30, dir.path() + "/s.crt", dir.path() + "/s.key"));
    tls::TlsOptions t;
    t.cert_path = dir.path() + "/s.crt";
    t.key_path = dir.path() + "/s.key";
    t.client_cert = tls::ClientCertMode::kNone;
    auto ctx = tls::TlsServerContext::create(t);
    REQUIRE(ctx);
    AdminServer admin([c = ctx.value()] { return c; });
    std::vector<int> idle;
    for (int i = 0; i < 20; ++i) {
        idle.push_back(connectTo(admin.port));
        if (i % 2) sendAll(idle.back(), std::string("\x16\x03\x01\x02\x00\x01", 6));  // half a ClientHello
    }
    const int64_t t0 = nowMs();
    {
        TlsClient client(connectTo(admin.port));
        // The head in two records, the body in a third.
        client.send("POST /api/v1/devices HTTP/1.1\r\nHost: x\r\n");
        client.send("Content-Length: 3\r\nConnection: close\r\n\r\n");
        client.send("abc");
        const std::string answer = client.readAll();
        CHECK(answer.find("\r\n\r\nPOST /api/v1/devices 3") != std::string::npos);
    }
    CHECK(nowMs() - t0 < 1000);
    for (int s : idle) {
        CHECK(closedAfter(s, kHeadMs + 1500) >= 0);
        ::close(s);
    }
}

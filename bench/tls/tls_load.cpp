// tls_load: many TLS 1.2 handshakes at once against one server, as a boot
// storm of phones makes them, where openssl s_time makes one at a time.
// One thread, epoll, CONCURRENCY connections in flight, each a new TCP
// connection; mbedTLS as the client (ECDHE-ECDSA-AES128-GCM-SHA256, no
// certificate check, like s_time), offering P-256 alone, or with
// TLS_LOAD_CURVES=x25519 X25519 then P-256 (as OpenSSL 3 and browsers do).
//
//   tls_load HOST PORT new|resume SECONDS [CONCURRENCY] [PATH]
//
// new: every connection a full handshake. resume: one full handshake first,
// then every connection offers its session ticket; a handshake counts as
// resumed when the server sent no certificate (its flight is under half the
// size of the full one). With PATH, each connection then GETs PATH and reads
// the whole answer. Prints one line: handshakes/s, how many resumed, failures,
// and this process's CPU seconds.

#include <arpa/inet.h>
#include <fcntl.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>

namespace {

const int kSuites[] = {MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, 0};
const mbedtls_ecp_group_id kCurvesP256[] = {MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_NONE};
const mbedtls_ecp_group_id kCurvesX25519[] = {MBEDTLS_ECP_DP_CURVE25519, MBEDTLS_ECP_DP_SECP256R1,
                                              MBEDTLS_ECP_DP_NONE};

[[noreturn]] void die(const char* what, int rc) {
    char buf[200] = {0};
    if (rc) mbedtls_strerror(rc, buf, sizeof buf);
    std::fprintf(stderr, "tls_load: %s %s\n", what, buf);
    std::exit(2);
}

double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Conn {
    int fd = -1;
    mbedtls_ssl_context ssl;
    bool connected = false;
    bool handshaken = false;
    size_t received = 0;  // bytes from the server during the handshake
    std::string request;
    size_t sent = 0;
    std::string response;
    Conn() { mbedtls_ssl_init(&ssl); }
    ~Conn() { mbedtls_ssl_free(&ssl); }
};

int sendCb(void* p, const unsigned char* buf, size_t len) {
    auto* c = static_cast<Conn*>(p);
    const ssize_t n = ::send(c->fd, buf, len, MSG_NOSIGNAL);
    if (n >= 0) return static_cast<int>(n);
    return errno == EAGAIN || errno == EWOULDBLOCK ? MBEDTLS_ERR_SSL_WANT_WRITE : MBEDTLS_ERR_NET_SEND_FAILED;
}

int recvCb(void* p, unsigned char* buf, size_t len) {
    auto* c = static_cast<Conn*>(p);
    const ssize_t n = ::recv(c->fd, buf, len, 0);
    if (n > 0 && !c->handshaken) c->received += static_cast<size_t>(n);
    if (n >= 0) return static_cast<int>(n);
    return errno == EAGAIN || errno == EWOULDBLOCK ? MBEDTLS_ERR_SSL_WANT_READ : MBEDTLS_ERR_NET_RECV_FAILED;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 5) {
        std::fprintf(stderr, "usage: tls_load HOST PORT new|resume SECONDS [CONCURRENCY] [PATH]\n");
        return 2;
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[2])));
    if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) die("HOST must be an IPv4 address", 0);
    const bool resume = std::string(argv[3]) == "resume";
    const double seconds = std::atof(argv[4]);
    const int concurrency = argc > 5 ? std::atoi(argv[5]) : 16;
    const std::string path = argc > 6 ? argv[6] : "";

    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    const char* pers = "tls_load";
    if (int rc = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy,
                                       reinterpret_cast<const unsigned char*>(pers), std::strlen(pers)))
        die("seed", rc);
    mbedtls_ssl_config conf;
    mbedtls_ssl_config_init(&conf);
    if (int rc = mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                             MBEDTLS_SSL_PRESET_DEFAULT))
        die("config", rc);
    mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
    mbedtls_ssl_conf_min_version(&conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_max_version(&conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_ciphersuites(&conf, kSuites);
    const char* curves = std::getenv("TLS_LOAD_CURVES");
    const bool x25519 = curves && std::string(curves) == "x25519";
    if (curves && !x25519 && std::string(curves) != "p256") die("TLS_LOAD_CURVES must be p256 or x25519", 0);
    mbedtls_ssl_conf_curves(&conf, x25519 ? kCurvesX25519 : kCurvesP256);
    mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_NONE);
    mbedtls_ssl_conf_session_tickets(&conf, MBEDTLS_SSL_SESSION_TICKETS_ENABLED);

    const int ep = epoll_create1(0);
    std::unordered_map<int, std::unique_ptr<Conn>> conns;
    mbedtls_ssl_session saved;
    mbedtls_ssl_session_init(&saved);
    bool have_session = false;
    size_t full_flight = 0;  // server bytes of the first (full) handshake
    long done = 0, resumed = 0, failed = 0;

    auto open = [&] {
        auto c = std::make_unique<Conn>();
        c->fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        const int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (::connect(c->fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS)
            die("connect", 0);
        if (int rc = mbedtls_ssl_setup(&c->ssl, &conf)) die("ssl_setup", rc);
        mbedtls_ssl_set_bio(&c->ssl, c.get(), sendCb, recvCb, nullptr);
        if (resume && have_session) mbedtls_ssl_set_session(&c->ssl, &saved);
        c->request = path.empty() ? "" : "GET " + path + " HTTP/1.1\r\nHost: load\r\nConnection: close\r\n\r\n";
        epoll_event ev{};
        ev.events = EPOLLOUT | EPOLLIN;
        ev.data.fd = c->fd;
        epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
        conns[c->fd] = std::move(c);
    };
    auto finish = [&](int fd, bool ok) {
        auto it = conns.find(fd);
        Conn& c = *it->second;
        if (ok) {
            ++done;
            if (!have_session) {
                // The first full handshake: keep its session (and ticket) and its size.
                full_flight = c.received;
                if (resume && mbedtls_ssl_get_session(&c.ssl, &saved) == 0) have_session = true;
            } else if (resume && c.received * 2 < full_flight) {
                ++resumed;
            }
        } else {
            ++failed;
        }
        epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
        ::close(fd);
        conns.erase(it);
    };
    // Step a connection as far as it goes; true when it is finished.
    auto step = [&](Conn& c) -> int {  // 0 pending, 1 done, -1 failed
        if (!c.handshaken) {
            const int rc = mbedtls_ssl_handshake(&c.ssl);
            if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) return 0;
            if (rc != 0) return -1;
            c.handshaken = true;
            if (c.request.empty()) return 1;
        }
        while (c.sent < c.request.size()) {
            const int rc = mbedtls_ssl_write(&c.ssl, reinterpret_cast<const unsigned char*>(c.request.data()) + c.sent,
                                             c.request.size() - c.sent);
            if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) return 0;
            if (rc < 0) return -1;
            c.sent += static_cast<size_t>(rc);
        }
        unsigned char buf[16384];
        for (;;) {
            const int rc = mbedtls_ssl_read(&c.ssl, buf, sizeof buf);
            if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) return 0;
            if (rc == 0 || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || rc == MBEDTLS_ERR_SSL_CONN_EOF)
                return c.response.rfind("HTTP/1.1 200", 0) == 0 ? 1 : -1;
            if (rc < 0) return -1;
            c.response.append(reinterpret_cast<char*>(buf), static_cast<size_t>(rc));
        }
    };

    // The first handshake alone, so that resumptions have a ticket to offer.
    open();
    while (done + failed == 0) {
        epoll_event evs[4];
        const int n = epoll_wait(ep, evs, 4, 5000);
        if (n <= 0) die("the first handshake timed out", 0);
        for (int i = 0; i < n; ++i) {
            auto it = conns.find(evs[i].data.fd);
            if (it == conns.end()) continue;
            const int r = step(*it->second);
            if (r) finish(evs[i].data.fd, r > 0);
        }
    }
    if (failed) die("the first handshake failed", 0);
    done = 0;

    rusage ru0{};
    getrusage(RUSAGE_SELF, &ru0);
    const double start = now();
    const double end = start + seconds;
    for (int i = 0; i < concurrency; ++i) open();
    epoll_event evs[256];
    while (now() < end) {
        const int n = epoll_wait(ep, evs, 256, 100);
        for (int i = 0; i < n; ++i) {
            const int fd = evs[i].data.fd;
            auto it = conns.find(fd);
            if (it == conns.end()) continue;
            const int r = step(*it->second);
            if (r) {
                finish(fd, r > 0);
                if (now() < end) open();
            }
        }
    }
    const double elapsed = now() - start;
    rusage ru1{};
    getrusage(RUSAGE_SELF, &ru1);
    auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    const double cpu = secs(ru1.ru_utime) - secs(ru0.ru_utime) + secs(ru1.ru_stime) - secs(ru0.ru_stime);
    std::printf("handshakes %ld in %.2f s: %.0f/s resumed %ld failed %ld client_cpu %.2f\n", done, elapsed,
                static_cast<double>(done) / elapsed, resumed, failed, cpu);
    for (auto& [fd, c] : conns) ::close(fd);
    conns.clear();
    mbedtls_ssl_session_free(&saved);
    mbedtls_ssl_config_free(&conf);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
    return failed ? 1 : 0;
}

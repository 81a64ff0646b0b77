#include "provisioner/http/loop_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <utility>
#include <unordered_map>

#include "provisioner/core/event_loop.h"
#include "provisioner/core/server_metrics.h"
#include "provisioner/core/sockets.h"

namespace prov::http {

namespace {

// Every loop polls the port's one listening socket (net::bindShared);
// EPOLLEXCLUSIVE wakes one idle loop per new connection, not all of them.
constexpr uint32_t kListenEvents = EPOLLIN | EPOLLEXCLUSIVE;

}  // namespace

class LoopServer::Loop final : public net::LoopHandler {
public:
    Loop(LoopServer& server, int listen_fd) : server_(server), listen_fd_(listen_fd), loop_(server.clock_) {}
    ~Loop() override {
        loop_.stop();
        for (auto& [fd, entry] : conns_) {
            entry.conn.reset();
            ::close(fd);
        }
        ::close(listen_fd_);
    }

    Status start() {
        TRY(loop_.open());
        loop_.add(listen_fd_, kListenEvents);
        return loop_.start(*this);
    }
    void stop() { loop_.stop(); }

    void onReady(int fd, uint32_t events) override {
        if (fd == listen_fd_) {
            acceptAll();
            return;
        }
        auto it = conns_.find(fd);
        if (it == conns_.end()) return;
        if (events & (EPOLLERR | EPOLLHUP) && !(events & EPOLLIN)) {
            closeConn(fd);
            return;
        }
        drive(fd, it->second);
    }

    void onTimer(int fd) override {
        if (fd == listen_fd_) {
            loop_.add(listen_fd_, kListenEvents);  // out of descriptors a moment ago: try again
            return;
        }
        closeConn(fd);  // its deadline passed
    }

    void onDeferred(int fd) override {
        auto it = conns_.find(fd);
        if (it != conns_.end()) drive(fd, it->second);
    }

private:
    struct Entry {
        std::unique_ptr<Connection> conn;
        uint32_t events = EPOLLIN;
        net::AddressKey key;  // counted in the server's per-address counter
    };

    void acceptAll() {
        for (;;) {
            net::SockAddr peer{};
            socklen_t len = sizeof peer;
            const int fd = ::accept4(listen_fd_, &peer.sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                    // Out of descriptors: stop listening for a moment rather
                    // than spin on a socket that stays readable.
                    loop_.forget(listen_fd_);
                    loop_.arm(listen_fd_, loop_.now() + 250'000);
                }
                // EAGAIN (drained, or another loop took it), or a
                // connection that went away.
                return;
            }
            const net::AddressKey key = net::AddressKey::of(peer);
            // One address past its share is closed before it costs anything:
            // answering it would mean reading its request (a slow client
            // holds that for the request time) or, over HTTPS, a handshake
            // and its TLS state, which is what the cap is there to deny.
            if (!server_.per_address_.acquire(key)) {
                refuse(fd);
                server_.noteRefusal(Refusal::kPerAddress, net::hostOf(peer));
                continue;
            }
            const int open = server_.connections_.fetch_add(1);
            if (open >= server_.max_open_) {
                refuse(fd);  // far past the limit: not even an answer
                server_.connections_.fetch_sub(1);
                server_.per_address_.release(key);
                server_.noteRefusal(Refusal::kFull, net::hostOf(peer));
                continue;
            }
            const int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            // Past the limit its request is read and answered 503 with
            // Retry-After (a short answer phones retry after, never a hang).
            const bool over_limit = open >= server_.options_.max_connections;
            auto transport = server_.options_.tls ? tlsTransport(fd, server_.options_.tls()) : plainTransport(fd);
            Entry& e = conns_[fd];
            e.conn = std::make_unique<Connection>(std::move(transport), net::hostOf(peer), server_.fetcher_, server_.limits_,
                                                  loop_.now(), over_limit);
            e.events = EPOLLIN;
            e.key = key;
            loop_.add(fd, EPOLLIN);
            loop_.arm(fd, e.conn->deadline());
        }
    }

    // Closed with a reset: no FIN_WAIT or TIME_WAIT kept for a connection
    // refused at accept, and the peer learns at once.
    static void refuse(int fd) {
        const linger reset{1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        ::close(fd);
    }

    void drive(int fd, Entry& e) {
        e.conn->drive(loop_.now(), dateLine());
        Connection& c = *e.conn;
        if (c.phase() == Phase::kClosed) {
            if (!c.handshakeFailure().empty()) {
                SecurityEvent line("tls_refused", c.peerIp());
                line.word("proto", "https").text("reason", c.handshakeFailure());
                SecurityLog& log = server_.options_.security_log ? *server_.options_.security_log
                                                                 : SecurityLog::discard();
                log.refusal(LogPriority::kInformation, line);
            }
            closeConn(fd);
            return;
        }
        const uint32_t want = c.wait() == Wait::kWrite ? EPOLLOUT : EPOLLIN;
        if (want != e.events) {
            loop_.modify(fd, want);
            e.events = want;
        }
        loop_.arm(fd, c.deadline());
        if (c.again()) loop_.defer(fd);
    }

    void closeConn(int fd) {
        auto it = conns_.find(fd);
        if (it == conns_.end()) return;
        loop_.forget(fd);
        const net::AddressKey key = it->second.key;
        conns_.erase(it);  // the connection (and its TLS state) before its socket
        ::close(fd);
        server_.connections_.fetch_sub(1);
        server_.per_address_.release(key);
    }

    // "Date: ...\r\n" for this second, made once a second.
    const std::string& dateLine() {
        const int64_t now = server_.clock_.nowSeconds();
        if (now != date_second_) {
            date_second_ = now;
            date_line_ = http::dateLine(now);
        }
        return date_line_;
    }

    LoopServer& server_;
    int listen_fd_;
    net::EventLoop loop_;
    std::unordered_map<int, Entry> conns_;
    int64_t date_second_ = -1;
    std::string date_line_;
};

LoopServer::LoopServer(ProvisioningService& service, const Clock& clock, LoopOptions options)
    : owned_fetcher_(std::make_unique<PipelineFetcher>(service, options.tls ? options.page_prefix : std::string(),
                                                       options.tls ? options.pages : nullptr)),
      fetcher_(*owned_fetcher_), clock_(clock),
      options_(std::move(options)), per_address_(options_.max_per_address) {
    if (!options_.security_log) options_.security_log = &service.securityLog();
    setLimits();
}

LoopServer::LoopServer(Fetcher& fetcher, const Clock& clock, LoopOptions options)
    : fetcher_(fetcher), clock_(clock), options_(std::move(options)), per_address_(options_.max_per_address) {
    setLimits();
}

void LoopServer::noteRefusal(Refusal why, const std::string& peer) {
    const bool tls = static_cast<bool>(options_.tls);
    metrics::serverMetrics().connectionRefused(tls, why == Refusal::kPerAddress
                                                        ? metrics::ServerMetrics::ConnectionRefusal::kPerAddress
                                                        : metrics::ServerMetrics::ConnectionRefusal::kFull);
    SecurityEvent line("conn_refused", peer);
    line.word("proto", tls ? "https" : "http")
        .word("reason", why == Refusal::kPerAddress ? "per_address" : "full")
        .word("limit", why == Refusal::kPerAddress ? "http.max_per_address"
                       : tls                      ? "https.max_connections"
                                                  : "http.max_connections");
    SecurityLog& log = options_.security_log ? *options_.security_log : SecurityLog::discard();
    // A flood from one address must not use up the lines that say the whole
    // port is full: each reason is throttled on its own.
    log.refusal(LogPriority::kInformation, line,
                why == Refusal::kPerAddress ? "conn_refused/per_address" : "conn_refused/full");
}

void LoopServer::setLimits() {
    max_open_ = options_.max_open > 0 ? options_.max_open : 2 * options_.max_connections;
    limits_.max_head_bytes = options_.max_head_bytes;
    limits_.max_upload_bytes = options_.max_upload_bytes;
    limits_.keep_alive_us = int64_t{options_.keep_alive_ms} * 1000;
    limits_.request_us = int64_t{options_.request_ms} * 1000;
    limits_.max_requests = options_.max_requests;
    if (options_.tls) {
        if (auto ctx = options_.tls()) limits_.handshake_us = int64_t{ctx->handshakeTimeoutMs()} * 1000;
    }
}

LoopServer::~LoopServer() {
    stop();
    if (options_.listen_fd >= 0) ::close(options_.listen_fd);  // given, never started
}

Status LoopServer::start() {
    const std::vector<int> fds = TRY(net::loopSockets("http", std::exchange(options_.listen_fd, -1), options_.bind,
                                                      options_.port, SOCK_STREAM, options_.loops));
    port_ = net::boundPort(fds.front());
    // Every descriptor owned by its loop before any loop starts: none left
    // open when a start fails.
    for (int fd : fds) loops_.push_back(std::make_unique<Loop>(*this, fd));
    for (auto& loop : loops_) TRY(loop->start());
    return okStatus();
}

void LoopServer::stop() {
    for (auto& l : loops_) l->stop();
    loops_.clear();
}

}  // namespace prov::http

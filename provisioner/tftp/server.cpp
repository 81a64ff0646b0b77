#include "provisioner/tftp/server.h"

#include <Poco/Logger.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <queue>
#include <unordered_map>

#include "provisioner/core/sockets.h"

namespace prov::tftp {

namespace {

Poco::Logger& log() { return Poco::Logger::get("tftp"); }

using net::addrLen;
using net::boundPort;
using net::hostOf;
using net::SockAddr;

bool sameAddress(const SockAddr& a, const SockAddr& b) {
    if (a.sa.sa_family != b.sa.sa_family) return false;
    if (a.sa.sa_family == AF_INET)
        return a.v4.sin_port == b.v4.sin_port && a.v4.sin_addr.s_addr == b.v4.sin_addr.s_addr;
    return a.v6.sin6_port == b.v6.sin6_port && std::memcmp(&a.v6.sin6_addr, &b.v6.sin6_addr, 16) == 0;
}

// A UDP socket bound to `bind`:`port` (0: any free port), with room to send
// a window of blocks at once.
Result<int> udpSocket(const std::string& bind, int port, bool reuseport) {
    auto fd = net::bindSocket("tftp", bind, port, SOCK_DGRAM, reuseport);
    if (!fd) return fd;
    const int sndbuf = 4 << 20;
    setsockopt(fd.value(), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    return fd;
}

void sendTo(int fd, const std::string& bytes, const SockAddr& to) {
    // A full send buffer drops the datagram; the retransmit timer covers it.
    (void)::sendto(fd, bytes.data(), bytes.size(), MSG_DONTWAIT, &to.sa, addrLen(to));
}

}  // namespace

class Server::Loop {
public:
    Loop(Server& server, int listen_fd) : server_(server), listen_fd_(listen_fd) {}
    ~Loop() {
        for (auto& [fd, s] : sessions_) ::close(fd);
        if (epoll_fd_ >= 0) ::close(epoll_fd_);
        if (wake_fd_ >= 0) ::close(wake_fd_);
        ::close(listen_fd_);
    }

    Status start() {
        epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
        wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (epoll_fd_ < 0 || wake_fd_ < 0) return Error::internal("tftp: epoll/eventfd failed");
        watch(listen_fd_);
        watch(wake_fd_);
        thread_ = std::thread([this] { run(); });
        return okStatus();
    }

    void stop() {
        stopping_ = true;
        const uint64_t one = 1;
        (void)::write(wake_fd_, &one, sizeof one);
        if (thread_.joinable()) thread_.join();
    }

private:
    struct Session {
        SockAddr peer{};
        std::string peer_ip;
        std::unique_ptr<Transfer> transfer;
        Event event;
        int64_t started_us = 0;
        int64_t queued_deadline = 0;  // the deadline this session has in timers_, 0 if none
    };

    void watch(int fd) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    }

    void run() {
        std::vector<epoll_event> events(256);
        std::vector<std::string> out;
        while (!stopping_) {
            const int64_t now = server_.clock_.monotonicMicros();
            int timeout_ms = 1000;
            if (!timers_.empty()) {
                const int64_t wait = timers_.top().first - now;
                timeout_ms = wait <= 0 ? 0 : static_cast<int>(std::min<int64_t>(wait / 1000 + 1, 1000));
            }
            const int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout_ms);
            for (int i = 0; i < n; ++i) {
                const int fd = events[static_cast<size_t>(i)].data.fd;
                if (fd == wake_fd_) continue;
                if (fd == listen_fd_) {
                    onListenReadable();
                } else {
                    onSessionReadable(fd, out);
                }
            }
            expireTimers(out);
        }
    }

    void expireTimers(std::vector<std::string>& out) {
        const int64_t now = server_.clock_.monotonicMicros();
        while (!timers_.empty() && timers_.top().first <= now) {
            const auto [deadline, fd] = timers_.top();
            timers_.pop();
            auto it = sessions_.find(fd);
            if (it == sessions_.end() || it->second.queued_deadline != deadline) continue;  // stale
            it->second.queued_deadline = 0;
            Transfer& t = *it->second.transfer;
            // Every ACK moves the deadline on without touching the heap; the
            // entry is moved when it comes due.
            if (t.deadline() > now) {
                schedule(fd, it->second);
                continue;
            }
            out.clear();
            t.onTimer(now, out);
            flush(fd, it->second, out);
        }
    }

    // Sends what the transfer produced, then re-arms or finishes it.
    void flush(int fd, Session& s, const std::vector<std::string>& out) {
        for (const auto& d : out) sendTo(fd, d, s.peer);
        const Transfer& t = *s.transfer;
        if (t.state() == Transfer::State::kRunning) {
            if (s.queued_deadline == 0 || t.deadline() < s.queued_deadline) schedule(fd, s);
            return;
        }
        finish(fd, t.state() == Transfer::State::kDone ? "" : t.failure());
    }

    void schedule(int fd, Session& s) {
        s.queued_deadline = s.transfer->deadline();
        timers_.emplace(s.queued_deadline, fd);
    }

    void finish(int fd, const std::string& failure) {
        auto it = sessions_.find(fd);
        if (it == sessions_.end()) return;
        Session& s = it->second;
        Event e = std::move(s.event);
        e.bytes = static_cast<int64_t>(s.transfer->bytesAcked());
        e.duration_us = server_.clock_.monotonicMicros() - s.started_us;
        if (!failure.empty()) {
            e.outcome = "error";
            log().information("tftp %s to %s stopped: %s", e.path, s.peer_ip, failure);
        }
        server_.service_.record(std::move(e));
        releaseSource(s.peer_ip);
        epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
        ::close(fd);
        sessions_.erase(it);
    }

    void releaseSource(const std::string& ip) {
        --server_.in_flight_;
        std::lock_guard lock(sources_mutex());
        auto it = per_source().find(ip);
        if (it != per_source().end() && --it->second <= 0) per_source().erase(it);
    }

    bool claimSource(const std::string& ip) {
        if (server_.in_flight_.fetch_add(1) >= server_.options_.max_transfers) {
            --server_.in_flight_;
            return false;
        }
        std::lock_guard lock(sources_mutex());
        int& n = per_source()[ip];
        if (n >= server_.options_.max_per_source) {
            --server_.in_flight_;
            return false;
        }
        ++n;
        return true;
    }

    // Shared by every loop: transfers in flight per source address.
    static std::mutex& sources_mutex() {
        static std::mutex m;
        return m;
    }
    static std::unordered_map<std::string, int>& per_source() {
        static std::unordered_map<std::string, int> m;
        return m;
    }

    void onListenReadable() {
        char buf[65536];
        for (int budget = 0; budget < 64; ++budget) {
            SockAddr from{};
            socklen_t len = sizeof from;
            const ssize_t n = ::recvfrom(listen_fd_, buf, sizeof buf, 0, &from.sa, &len);
            if (n < 0) return;  // EAGAIN: drained
            handleRequest(std::string_view(buf, static_cast<size_t>(n)), from);
        }
    }

    void refuse(const SockAddr& to, ErrorCode code, const std::string& message, const std::string& why) {
        log().information("tftp request from %s refused: %s", hostOf(to), why);
        sendTo(listen_fd_, encodeError(code, message), to);
    }

    void handleRequest(std::string_view bytes, const SockAddr& from) {
        const ParseResult parsed = parse(bytes);
        if (!parsed.packet) {
            refuse(from, ErrorCode::kIllegalOperation, "Illegal TFTP operation", parsed.problem);
            return;
        }
        if (const auto* err = std::get_if<ErrorPacket>(&*parsed.packet)) {
            (void)err;  // never answer an error with an error
            return;
        }
        const auto* req = std::get_if<Request>(&*parsed.packet);
        if (!req) {
            refuse(from, ErrorCode::kIllegalOperation, "Illegal TFTP operation", "DATA or ACK without a transfer");
            return;
        }
        if (req->op == Opcode::kWrq) {
            refuse(from, ErrorCode::kAccessViolation, "Writes are not accepted", "WRQ " + req->file);
            return;
        }
        if (req->mode != "octet" && req->mode != "netascii") {
            refuse(from, ErrorCode::kIllegalOperation, "Mode must be octet or netascii", "mode " + req->mode);
            return;
        }
        const std::string peer_ip = hostOf(from);
        if (!claimSource(peer_ip)) {
            refuse(from, ErrorCode::kNotDefined, "Server busy, try again", "too many transfers");
            return;
        }
        startTransfer(*req, from, peer_ip);
    }

    void startTransfer(const Request& req, const SockAddr& from, const std::string& peer_ip) {
        const int64_t started = server_.clock_.monotonicMicros();
        FetchRequest fetch;
        fetch.protocol = Protocol::kTftp;
        fetch.method = Method::kGet;
        // Some phones ask for "/name": the root is the only folder there is.
        fetch.file = req.file.size() > 1 && req.file[0] == '/' ? req.file.substr(1) : req.file;
        fetch.peer_ip = peer_ip;
        // The event is recorded when the transfer ends, with the bytes acked.
        Fetched fetched = server_.service_.fetch(fetch);
        FetchResponse& r = fetched.response;
        Event& event = fetched.event;
        auto fail = [&](ErrorCode code, const std::string& message) {
            event.bytes = 0;
            // A refusal after the pipeline said yes (netascii limit, a file
            // gone, no socket) is not a served file.
            if (event.outcome == "served") event.outcome = code == ErrorCode::kFileNotFound ? "not_found" : "error";
            server_.service_.record(std::move(event));
            releaseSource(peer_ip);
            sendTo(listen_fd_, encodeError(code, message), from);
        };
        if (r.outcome != Outcome::kServed) {
            // Unknown and denied are the same answer.
            if (r.outcome == Outcome::kError) {
                fail(ErrorCode::kNotDefined, "Internal error");
            } else {
                fail(ErrorCode::kFileNotFound, "File not found");
            }
            return;
        }
        std::unique_ptr<Source> source;
        if (!r.file_path.empty()) {
            auto file = FileSource::open(r.file_path);
            if (!file) {
                fail(ErrorCode::kFileNotFound, "File not found");
                return;
            }
            source = std::move(file).value();
        } else {
            source = std::make_unique<MemorySource>(std::move(r.body));
        }
        if (req.mode == "netascii") {
            if (source->size() > server_.options_.max_netascii_bytes) {
                fail(ErrorCode::kNotDefined, "File too large for netascii; use octet");
                return;
            }
            std::string all;
            if (!source->read(0, source->size(), all)) {
                fail(ErrorCode::kNotDefined, "Read error");
                return;
            }
            source = std::make_unique<MemorySource>(toNetascii(all));
        }
        auto negotiated = negotiate(req.options, source->size(), server_.options_.limits);
        if (!negotiated) {
            fail(ErrorCode::kOptionRefused, negotiated.error().message);
            return;
        }
        auto sock = udpSocket(server_.options_.bind, 0, false);
        if (!sock) {
            fail(ErrorCode::kNotDefined, "Server busy, try again");
            return;
        }
        const int fd = sock.value();
        Session& s = sessions_[fd];
        s.peer = from;
        s.peer_ip = peer_ip;
        s.event = std::move(event);
        s.started_us = started;
        s.transfer = std::make_unique<Transfer>(std::move(source), std::move(negotiated).value(),
                                                server_.options_.limits);
        watch(fd);
        std::vector<std::string> out;
        s.transfer->start(server_.clock_.monotonicMicros(), out);
        flush(fd, s, out);
    }

    void onSessionReadable(int fd, std::vector<std::string>& out) {
        char buf[2048];
        // One datagram per wake-up: a transfer socket rarely holds more than
        // one ACK, and epoll (level-triggered) reports it again if it does,
        // which saves the recvfrom that would only say EAGAIN.
        for (int budget = 0; budget < 1; ++budget) {
            auto it = sessions_.find(fd);
            if (it == sessions_.end()) return;
            Session& s = it->second;
            SockAddr from{};
            socklen_t len = sizeof from;
            const ssize_t n = ::recvfrom(fd, buf, sizeof buf, 0, &from.sa, &len);
            if (n < 0) return;
            if (!sameAddress(from, s.peer)) {
                // Another TID: tell it, and leave the transfer alone (RFC 1350).
                sendTo(fd, encodeError(ErrorCode::kUnknownTid, "Unknown transfer ID"), from);
                continue;
            }
            const ParseResult parsed = parse(std::string_view(buf, static_cast<size_t>(n)));
            out.clear();
            if (parsed.packet) {
                if (const auto* ack = std::get_if<Ack>(&*parsed.packet)) {
                    s.transfer->onAck(ack->block, server_.clock_.monotonicMicros(), out);
                    flush(fd, s, out);
                    continue;
                }
                if (const auto* err = std::get_if<ErrorPacket>(&*parsed.packet)) {
                    s.transfer->abort();
                    finish(fd, "peer sent error " + std::to_string(static_cast<int>(err->code)) + ": " +
                                   err->message.substr(0, 80));
                    return;
                }
            }
            sendTo(fd, encodeError(ErrorCode::kIllegalOperation, "Illegal TFTP operation"), s.peer);
            s.transfer->abort();
            finish(fd, "illegal packet in a transfer");
            return;
        }
    }

    Server& server_;
    int listen_fd_;
    int epoll_fd_ = -1;
    int wake_fd_ = -1;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
    std::unordered_map<int, Session> sessions_;
    using Timer = std::pair<int64_t, int>;
    std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
};

Server::Server(ProvisioningService& service, const Clock& clock, ServerOptions options)
    : service_(service), clock_(clock), options_(std::move(options)) {}

Server::~Server() { stop(); }

Status Server::start() {
    auto fds = net::bindShared("tftp", options_.bind, options_.port, SOCK_DGRAM, options_.loops);
    if (!fds) return fds.error();
    port_ = boundPort(fds.value().front());
    for (int fd : fds.value()) {
        const int sndbuf = 4 << 20;
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
        loops_.push_back(std::make_unique<Loop>(*this, fd));
        if (auto st = loops_.back()->start(); !st) return st;
    }
    return okStatus();
}

void Server::stop() {
    for (auto& l : loops_) l->stop();
    loops_.clear();
}

}  // namespace prov::tftp

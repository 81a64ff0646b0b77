#include "provisioner/tftp/server.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <unordered_map>
#include <variant>
#include <utility>

#include "provisioner/core/event_loop.h"
#include "provisioner/core/sockets.h"
#include "provisioner/core/security_log.h"
#include "provisioner/core/server_metrics.h"
#include "provisioner/tftp/file_name.h"

namespace prov::tftp {

namespace {

using net::SockAddr;

bool sameAddress(const SockAddr& a, const SockAddr& b) {
    if (a.sa.sa_family != b.sa.sa_family) return false;
    if (a.sa.sa_family == AF_INET)
        return a.v4.sin_port == b.v4.sin_port && a.v4.sin_addr.s_addr == b.v4.sin_addr.s_addr;
    return a.v6.sin6_port == b.v6.sin6_port && std::memcmp(&a.v6.sin6_addr, &b.v6.sin6_addr, 16) == 0;
}

// Room to send a window of blocks at once.
void widenSendBuffer(int fd) {
    const int sndbuf = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
}

// The listening socket: room to send, and to queue a boot storm's
// requests while the loops are busy: the kernel's default receive buffer
// (about 200 KB) holds some 300 requests and drops the rest. The FORCE
// options pass net.core.[rw]mem_max when we have CAP_NET_ADMIN; without it the
// plain ones are capped there.
void widenListenBuffers(int fd) {
    const int size = 4 << 20;
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

void sendTo(int fd, const std::string& bytes, const SockAddr& to) {
    // A full send buffer drops the datagram; the retransmit timer covers it.
    (void)::sendto(fd, bytes.data(), bytes.size(), MSG_DONTWAIT, &to.sa, net::addrLen(to));
}

// Why a transfer the pipeline said yes to cannot start.
struct Refusal {
    ErrorCode code;
    std::string message;
};

// What is sent for a served file: the file, read a block at a time, or the
// rendered bytes. Either way as octets: netascii is converted block by block
// as it is sent (block_reader.h), never as a whole copy.
std::variant<std::unique_ptr<Source>, Refusal> sourceFor(FetchResponse& r) {
    if (r.file_path.empty()) return std::unique_ptr<Source>(std::make_unique<MemorySource>(std::move(r.body)));
    auto file = FileSource::open(r.file_path, r.file_check);
    if (!file) return Refusal{ErrorCode::kFileNotFound, "File not found"};
    return std::unique_ptr<Source>(std::move(file).value());
}

// What a transfer costs the memory budget besides a rendered file: its
// session, transfer, event and timer. 1,000 transfers that never ACKed grew
// the RSS by about 1.2 KiB each; 4 KiB leaves room for longer names and
// events.
constexpr uint64_t kTransferBookkeeping = 4096;

}  // namespace

class Server::Loop final : public net::LoopHandler {
public:
    Loop(Server& server, int listen_fd) : server_(server), listen_fd_(listen_fd), loop_(server.clock_) {}
    ~Loop() override {
        loop_.stop();
        for (auto& [fd, s] : sessions_) ::close(fd);
        ::close(listen_fd_);
    }

    Status start() {
        TRY(loop_.open());
        // The port's one socket, polled by every loop (net::bindShared):
        // EPOLLEXCLUSIVE wakes one idle loop per datagram, and a loop woken
        // for a datagram another took reads EAGAIN.
        loop_.add(listen_fd_, EPOLLIN | EPOLLEXCLUSIVE);
        return loop_.start(*this);
    }
    void stop() { loop_.stop(); }

    void onReady(int fd, uint32_t) override {
        if (fd == listen_fd_) {
            onListenReadable();
        } else {
            onSessionReadable(fd);
        }
    }

    void onTimer(int fd) override {
        auto it = sessions_.find(fd);
        if (it == sessions_.end()) return;
        out_.clear();
        it->second.transfer->onTimer(loop_.now(), out_);
        flush(fd, it->second);
    }

    void onDeferred(int) override {}

private:
    struct Session {
        SockAddr peer{};
        std::string peer_ip;
        std::unique_ptr<Transfer> transfer;
        Event event;
        int64_t started_us = 0;
        bool verified = false;  // holds a verified slot (source_slots.h)
        uint64_t charge = 0;    // taken from the memory budget
        uint64_t resent_counted = 0;  // of the transfer's datagramsResent(), in the metrics
    };

    // Sends what the transfer produced, then re-arms or finishes it.
    void flush(int fd, Session& s) {
        for (const auto& d : out_) sendTo(fd, d, s.peer);
        const Transfer& t = *s.transfer;
        if (t.datagramsResent() != s.resent_counted) {
            metrics::serverMetrics().tftpRetransmits(t.datagramsResent() - s.resent_counted);
            s.resent_counted = t.datagramsResent();
        }
        if (t.state() == Transfer::State::kRunning) {
            loop_.arm(fd, t.deadline());
            return;
        }
        finish(fd, t.state() == Transfer::State::kDone ? "" : t.failure());
    }

    void finish(int fd, const std::string& failure) {
        auto it = sessions_.find(fd);
        if (it == sessions_.end()) return;
        Session& s = it->second;
        Event e = std::move(s.event);
        e.bytes = static_cast<int64_t>(s.transfer->bytesAcked());
        e.duration_us = loop_.now() - s.started_us;
        metrics::serverMetrics().tftpTransfer(failure.empty() ? metrics::ServerMetrics::TftpEnd::kCompleted
                                                              : metrics::ServerMetrics::TftpEnd::kFailed);
        if (!failure.empty()) {
            e.outcome = "error";
            SecurityEvent line("tftp_stopped", s.peer_ip);
            line.text("path", e.path).text("reason", failure);
            server_.service_.securityLog().refusal(LogPriority::kInformation, line);
        }
        server_.service_.record(std::move(e));
        server_.slots_.release(s.peer_ip, s.verified);
        server_.memory_.give(s.charge);
        loop_.forget(fd);
        ::close(fd);
        sessions_.erase(it);
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
        metrics::serverMetrics().tftpRefused(code == ErrorCode::kNotDefined ? metrics::ServerMetrics::TftpRefusal::kBusy
                                                                            : metrics::ServerMetrics::TftpRefusal::kInvalid);
        SecurityEvent line("tftp_refused", net::hostOf(to));
        line.text("reason", why);
        server_.service_.securityLog().refusal(LogPriority::kInformation, line);
        sendTo(listen_fd_, encodeError(code, message), to);
    }

    void handleRequest(std::string_view bytes, const SockAddr& from) {
        const ParseResult parsed = parse(bytes);
        if (!parsed.packet) {
            refuse(from, ErrorCode::kIllegalOperation, "Illegal TFTP operation", parsed.problem);
            return;
        }
        if (std::holds_alternative<ErrorPacket>(*parsed.packet)) return;  // never answer an error with an error
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
        const std::string peer_ip = net::hostOf(from);
        if (!server_.slots_.claim(peer_ip)) {
            refuse(from, ErrorCode::kNotDefined, "Server busy, try again", "too many transfers");
            return;
        }
        startTransfer(*req, from, peer_ip);
    }

    // The pipeline (identify, authorize, resolve, render, as for HTTP) runs
    // here on the loop, as on the HTTP loops: rendered files mostly come from
    // the render cache, and a render is bounded by its template. No file is
    // read here: the transfer reads the one block it sends.
    void startTransfer(const Request& req, const SockAddr& from, const std::string& peer_ip) {
        const int64_t started = loop_.now();
        FetchRequest fetch;
        fetch.protocol = Protocol::kTftp;
        fetch.method = Method::kGet;
        fetch.file = fileFromName(req.file);
        fetch.peer_ip = peer_ip;
        // The event is recorded when the transfer ends, with the bytes acked.
        Fetched fetched = server_.service_.fetch(fetch);
        FetchResponse& r = fetched.response;
        Event& event = fetched.event;
        auto failWith = [&](ErrorCode code, const std::string& packet) {
            event.bytes = 0;
            // A refusal after the pipeline said yes (netascii limit, a file
            // gone, no socket) is not a served file.
            if (event.outcome == "served") event.outcome = code == ErrorCode::kFileNotFound ? "not_found" : "error";
            server_.service_.record(std::move(event));
            server_.slots_.release(peer_ip, false);
            sendTo(listen_fd_, packet, from);
        };
        auto fail = [&](ErrorCode code, const std::string& message) { failWith(code, encodeError(code, message)); };
        // Unknown and denied are the same answer (refusalFor).
        if (r.outcome != Outcome::kServed) return failWith(ErrorCode::kNotDefined, refusalFor(r.outcome));
        auto source = sourceFor(r);
        if (auto* no = std::get_if<Refusal>(&source)) return fail(no->code, no->message);
        auto& src = std::get<std::unique_ptr<Source>>(source);
        const Mode mode = req.mode == "netascii" ? Mode::kNetascii : Mode::kOctet;
        const std::optional<uint64_t> wire_size =
            mode == Mode::kOctet ? std::optional<uint64_t>(src->size()) : std::nullopt;
        auto negotiated = negotiate(req.options, wire_size, server_.options_.limits);
        if (!negotiated) return fail(ErrorCode::kOptionRefused, negotiated.error().message);
        const uint64_t charge = kTransferBookkeeping + (r.file_path.empty() ? src->size() : 0);
        if (!server_.memory_.take(charge)) {
            SecurityEvent line("tftp_refused", peer_ip);
            line.word("reason", "memory_budget").number("bytes_in_use", static_cast<int64_t>(server_.memory_.used()));
            server_.service_.securityLog().refusal(LogPriority::kInformation, line);
            metrics::serverMetrics().tftpRefused(metrics::ServerMetrics::TftpRefusal::kBusy);
            return fail(ErrorCode::kNotDefined, "Server busy, try again");
        }
        auto sock = net::bindSocket("tftp", server_.options_.bind, 0, SOCK_DGRAM, false);
        if (!sock) {
            server_.memory_.give(charge);
            metrics::serverMetrics().tftpRefused(metrics::ServerMetrics::TftpRefusal::kBusy);
            return fail(ErrorCode::kNotDefined, "Server busy, try again");
        }
        const int fd = sock.value();
        widenSendBuffer(fd);
        Session& s = sessions_[fd];
        s.peer = from;
        s.peer_ip = peer_ip;
        s.event = std::move(event);
        s.started_us = started;
        s.charge = charge;
        s.transfer = std::make_unique<Transfer>(std::move(src), mode, std::move(negotiated).value(),
                                                server_.options_.limits);
        loop_.add(fd, EPOLLIN);
        out_.clear();
        s.transfer->start(loop_.now(), out_);
        flush(fd, s);
    }

    // The peer's first ACK: its slot becomes a verified one, or, when its
    // source has as many transfers under way as it may, the transfer ends
    // "busy" before anything past the first packet is sent.
    bool verify(int fd, Session& s) {
        if (server_.slots_.verify(s.peer_ip)) {
            s.verified = true;
            return true;
        }
        out_.clear();
        sendTo(fd, encodeError(ErrorCode::kNotDefined, "Server busy, try again"), s.peer);
        s.transfer->abort();
        finish(fd, "too many transfers under way from its address");
        return false;
    }

    // One datagram per wake-up: a transfer socket rarely holds more than one
    // ACK, and epoll (level-triggered) reports it again if it does, which
    // saves the recvfrom that would only say EAGAIN.
    void onSessionReadable(int fd) {
        auto it = sessions_.find(fd);
        if (it == sessions_.end()) return;
        Session& s = it->second;
        char buf[2048];
        SockAddr from{};
        socklen_t len = sizeof from;
        const ssize_t n = ::recvfrom(fd, buf, sizeof buf, 0, &from.sa, &len);
        if (n < 0) return;
        if (!sameAddress(from, s.peer)) {
            // Another TID: tell it, and leave the transfer alone (RFC 1350).
            sendTo(fd, encodeError(ErrorCode::kUnknownTid, "Unknown transfer ID"), from);
            return;
        }
        const ParseResult parsed = parse(std::string_view(buf, static_cast<size_t>(n)));
        out_.clear();
        if (parsed.packet) {
            if (const auto* ack = std::get_if<Ack>(&*parsed.packet)) {
                s.transfer->onAck(ack->block, loop_.now(), out_);
                const bool first_ack = !s.verified && s.transfer->verified();
                // (A file of one block is done at its first ACK: it needs no verified slot.)
                if (first_ack && s.transfer->state() == Transfer::State::kRunning && !verify(fd, s)) return;
                flush(fd, s);
                return;
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
    }

    Server& server_;
    int listen_fd_;
    net::EventLoop loop_;
    std::unordered_map<int, Session> sessions_;
    Datagrams out_;  // what the transfer just produced (buffers reused)
};

Server::Server(ProvisioningService& service, const Clock& clock, ServerOptions options)
    : service_(service), clock_(clock), options_(std::move(options)),
      slots_(options_.slots), memory_(options_.max_memory_bytes) {}

Server::~Server() {
    stop();
    if (options_.listen_fd >= 0) ::close(options_.listen_fd);  // given, never started
}

Status Server::start() {
    const std::vector<int> fds = TRY(net::loopSockets("tftp", std::exchange(options_.listen_fd, -1), options_.bind,
                                                      options_.port, SOCK_DGRAM, options_.loops));
    port_ = net::boundPort(fds.front());
    widenListenBuffers(fds.front());  // one socket: its descriptors share the buffers
    for (int fd : fds) loops_.push_back(std::make_unique<Loop>(*this, fd));
    for (auto& loop : loops_) TRY(loop->start());
    return okStatus();
}

void Server::stop() {
    for (auto& l : loops_) l->stop();
    loops_.clear();
}

}  // namespace prov::tftp

#include "provisioner/http/loop_server.h"

#include <Poco/Logger.h>
#include <Poco/Net/HTTPResponse.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <thread>
#include <unordered_map>

#include "provisioner/core/sockets.h"
#include "provisioner/http/phone_handler.h"
#include "provisioner/http/request_head.h"
#include "provisioner/http/status_mapping.h"

namespace prov::http {

namespace {

int64_t nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

using net::boundPort;
using net::hostOf;
using net::SockAddr;

// "Date: ..." for this second, as Poco writes it (RFC 1123).
const std::string& dateHeader() {
    thread_local time_t cached = 0;
    thread_local std::string line;
    const time_t now = ::time(nullptr);
    if (now != cached) {
        cached = now;
        tm t{};
        gmtime_r(&now, &t);
        char buf[64];
        strftime(buf, sizeof buf, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &t);
        line = buf;
    }
    return line;
}

}  // namespace

class LoopServer::Loop {
public:
    Loop(LoopServer& server, int listen_fd) : server_(server), listen_fd_(listen_fd) {
        if (server_.options_.tls) {
            if (auto ctx = server_.options_.tls()) tls_handshake_ms_ = ctx->handshakeTimeoutMs();
        }
    }
    ~Loop() {
        stop();
        for (auto& [fd, c] : conns_) closeFiles(c);
        for (auto& [fd, c] : conns_) ::close(fd);
        if (listen_fd_ >= 0) ::close(listen_fd_);
        if (epoll_fd_ >= 0) ::close(epoll_fd_);
        if (wake_fd_ >= 0) ::close(wake_fd_);
    }

    Status start() {
        epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
        wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (epoll_fd_ < 0 || wake_fd_ < 0) return Error::internal("http: epoll/eventfd failed");
        watch(listen_fd_, EPOLLIN, EPOLL_CTL_ADD);
        watch(wake_fd_, EPOLLIN, EPOLL_CTL_ADD);
        thread_ = std::thread([this] { run(); });
        return okStatus();
    }

    void stop() {
        if (!thread_.joinable()) return;
        stopping_ = true;
        const uint64_t one = 1;
        (void)!::write(wake_fd_, &one, sizeof one);
        thread_.join();
    }

private:
    enum class Phase { kHead, kBody };

    struct Conn {
        std::string peer_ip;
        std::string in;
        std::string out;
        size_t out_off = 0;
        int file_fd = -1;
        off_t file_off = 0;
        size_t file_left = 0;
        Phase phase = Phase::kHead;
        RequestHead head;
        bool keep_alive = true;
        bool close_after = false;  // once everything queued is written
        int requests = 0;
        int64_t deadline = 0;
        bool writing = false;  // waiting for EPOLLOUT
        bool over_limit = false;
        // HTTPS: the session, and whether the handshake is still running.
        std::unique_ptr<tls::TlsConnection> tls;
        bool handshaking = false;
        std::string file_chunk;  // a piece of a file on its way through TLS
        size_t chunk_off = 0;
        std::string body;        // an upload's body so far
        size_t chunk_used = 0;   // chunked: bytes of c.in decoded into body
        int64_t request_deadline = 0;  // set at a request's first byte
        bool peer_eof = false;   // the phone shut its side
        bool lingering = false;  // answered and shut: draining its input before the close
        int last_status = 0;
    };

    // The connection's bytes in and out: the socket, or TLS over it.
    // >0 bytes, 0 end of stream, kAgainRead / kAgainWrite, kFailed.
    static constexpr int kAgainRead = -2;
    static constexpr int kAgainWrite = -3;
    static constexpr int kFailed = -1;
    static ssize_t recvSome(int fd, Conn& c, char* buf, size_t len) {
        if (c.tls) {
            const int n = c.tls->readSome(buf, static_cast<int>(std::min<size_t>(len, 1 << 30)));
            if (n >= 0) return n;
            return n == tls::TlsConnection::kWantRead ? kAgainRead : n == tls::TlsConnection::kWantWrite ? kAgainWrite : kFailed;
        }
        const ssize_t n = ::recv(fd, buf, len, 0);
        if (n >= 0) return n;
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? kAgainRead : kFailed;
    }
    static ssize_t sendSome(int fd, Conn& c, const char* buf, size_t len) {
        if (c.tls) {
            const int n = c.tls->writeSome(buf, static_cast<int>(std::min<size_t>(len, 1 << 20)));
            if (n > 0) return n;
            return n == tls::TlsConnection::kWantRead ? kAgainRead : n == tls::TlsConnection::kWantWrite ? kAgainWrite : kFailed;
        }
        const ssize_t n = ::send(fd, buf, len, MSG_NOSIGNAL);
        if (n >= 0) return n;
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? kAgainWrite : kFailed;
    }

    void watch(int fd, uint32_t events, int op) {
        epoll_event ev{};
        ev.events = events;
        ev.data.fd = fd;
        epoll_ctl(epoll_fd_, op, fd, &ev);
    }

    void run() {
        epoll_event events[256];
        int64_t next_sweep = nowMs() + 250;
        while (!stopping_) {
            const int n = epoll_wait(epoll_fd_, events, 256, ready_.empty() ? 250 : 0);
            for (int i = 0; i < n; ++i) {
                const int fd = events[i].data.fd;
                if (fd == wake_fd_) continue;
                if (fd == listen_fd_) {
                    acceptAll();
                    continue;
                }
                auto it = conns_.find(fd);
                if (it == conns_.end()) continue;
                if (events[i].events & (EPOLLERR | EPOLLHUP) && !(events[i].events & EPOLLIN)) {
                    closeConn(fd);
                    continue;
                }
                if (it->second.lingering) {
                    drain(fd);
                    continue;
                }
                if (it->second.handshaking) {
                    handshake(fd, it->second);
                    continue;
                }
                if (events[i].events & EPOLLOUT || (it->second.writing && events[i].events & EPOLLIN)) {
                    if (!flush(fd, it->second)) continue;
                    if (it->second.writing) continue;
                }
                if (events[i].events & EPOLLIN) onReadable(fd, it->second);
            }
            // Connections with TLS records read but not yet handled.
            std::vector<int> ready;
            ready.swap(ready_);
            for (int fd : ready) {
                auto it = conns_.find(fd);
                if (it != conns_.end() && !it->second.writing && !it->second.handshaking && !it->second.lingering)
                    onReadable(fd, it->second);
            }
            const int64_t now = nowMs();
            if (now >= next_sweep) {
                next_sweep = now + 250;
                sweep(now);
            }
        }
    }

    void acceptAll() {
        for (;;) {
            SockAddr peer{};
            socklen_t len = sizeof peer;
            const int fd = ::accept4(listen_fd_, &peer.sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                    // Out of descriptors: stop listening until the next sweep
                    // rather than spin on a socket that stays readable.
                    listening_ = false;
                    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
                }
                return;  // EAGAIN, or a connection that went away
            }
            const int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            const int open = server_.connections_.fetch_add(1);
            if (open >= 2 * server_.options_.max_connections) {
                ::close(fd);  // far past the limit: not even an answer
                server_.connections_.fetch_sub(1);
                continue;
            }
            Conn& c = conns_[fd];
            // Past the limit: its request is read and answered 503 with
            // Retry-After (a short answer phones retry after, never a hang).
            c.over_limit = open >= server_.options_.max_connections;
            c.peer_ip = hostOf(peer);
            c.deadline = nowMs() + server_.options_.request_ms;
            if (server_.options_.tls) {
                c.tls = std::make_unique<tls::TlsConnection>(server_.options_.tls(), fd);
                c.tls->setNonBlocking();
                c.handshaking = true;
                c.deadline = nowMs() + tls_handshake_ms_;
            }
            watch(fd, EPOLLIN, EPOLL_CTL_ADD);
        }
    }

    void closeFiles(Conn& c) {
        if (c.file_fd >= 0) ::close(c.file_fd);
        c.file_fd = -1;
    }

    void closeConn(int fd) {
        auto it = conns_.find(fd);
        if (it == conns_.end()) return;
        closeFiles(it->second);
        conns_.erase(it);
        ::close(fd);
        server_.connections_.fetch_sub(1);
    }

    // The last answer is out: close, but first let the phone's unread input
    // drain (up to a second), so the close is a FIN and not a reset that
    // could destroy the answer before the phone reads it.
    void finishConn(int fd, Conn& c) {
        if (c.tls) c.tls->closeNotify();
        // A phone that had its answer to a complete request has nothing
        // unread: only refusals (the body or the rest left unread) linger.
        if (c.peer_eof || c.lingering || (c.in.empty() && c.last_status < 400)) {
            closeConn(fd);
            return;
        }
        ::shutdown(fd, SHUT_WR);
        c.lingering = true;
        c.writing = false;
        c.in.clear();
        c.deadline = nowMs() + 1000;
        watch(fd, EPOLLIN, EPOLL_CTL_MOD);
    }

    void drain(int fd) {
        char buf[16384];
        for (int i = 0; i < 16; ++i) {
            const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n > 0) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
            break;  // the phone closed too (or the socket broke)
        }
        closeConn(fd);
    }

    void sweep(int64_t now) {
        if (!listening_) {
            listening_ = true;  // out of descriptors a moment ago: try again
            watch(listen_fd_, EPOLLIN, EPOLL_CTL_ADD);
        }
        std::vector<int> expired;
        for (auto& [fd, c] : conns_) {
            if (now >= c.deadline) expired.push_back(fd);
        }
        for (int fd : expired) closeConn(fd);
    }

    void handshake(int fd, Conn& c) {
        const int rc = c.tls->handshakeStep();
        if (rc == tls::TlsConnection::kWantRead || rc == tls::TlsConnection::kWantWrite) {
            watch(fd, rc == tls::TlsConnection::kWantRead ? EPOLLIN : EPOLLOUT, EPOLL_CTL_MOD);
            return;
        }
        if (rc != 0) {
            Poco::Logger::get("https").information("TLS from %s refused: %s", c.peer_ip, c.tls->lastError());
            closeConn(fd);
            return;
        }
        c.handshaking = false;
        c.deadline = nowMs() + server_.options_.request_ms;
        watch(fd, EPOLLIN, EPOLL_CTL_MOD);
        // The first request may already sit decrypted-to-be in the record buffer.
        onReadable(fd, c);
    }

    void onReadable(int fd, Conn& c) {
        char buf[65536];
        // Up to 256 KiB per wake-up, so one busy phone cannot hold the loop.
        for (int reads = 0; reads < 4; ++reads) {
            const ssize_t n = recvSome(fd, c, buf, sizeof buf);
            if (n > 0) {
                c.in.append(buf, static_cast<size_t>(n));
                if (!c.tls && static_cast<size_t>(n) < sizeof buf) break;
                continue;
            }
            if (n == kAgainRead || n == kAgainWrite) break;
            if (n == 0 && !c.in.empty()) {
                // The phone sent its requests and shut its side: answer every
                // complete one, then close.
                c.peer_eof = true;
                process(fd, c);
                return;
            }
            closeConn(fd);  // end of stream, or a broken one
            return;
        }
        process(fd, c);
        // TLS may hold records it read from the socket, which epoll will not
        // signal again: come back to them on the next turn of the loop.
        auto it = conns_.find(fd);
        if (it != conns_.end() && it->second.tls && !it->second.writing && !it->second.close_after &&
            it->second.tls->buffered())
            ready_.push_back(fd);
    }

    // Handles every complete request buffered, in order, while nothing is
    // waiting to be written.
    // Handles the complete requests buffered, in order, while nothing is
    // waiting to be written and the answers queued stay small.
    void process(int fd, Conn& c) {
        const LoopOptions& o = server_.options_;
        constexpr size_t kMaxQueued = 256 * 1024;
        // A file being streamed goes out before the next answer's headers.
        while (!c.writing && !c.close_after && c.file_left == 0 && c.out.size() < kMaxQueued &&
               (!c.in.empty() || c.phase == Phase::kBody)) {
            if (c.phase == Phase::kHead) {
                const HeadResult r = parseHead(c.in, o.max_head_bytes, c.head);
                if (r == HeadResult::kIncomplete) break;
                if (r != HeadResult::kComplete) {
                    const Poco::Net::HTTPResponse::HTTPStatus status =
                        r == HeadResult::kTooLarge  ? Poco::Net::HTTPResponse::HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE
                        : r == HeadResult::kVersion ? Poco::Net::HTTPResponse::HTTP_VERSION_NOT_SUPPORTED
                        : r == HeadResult::kNotImplemented ? Poco::Net::HTTPResponse::HTTP_NOT_IMPLEMENTED
                                                           : Poco::Net::HTTPResponse::HTTP_BAD_REQUEST;
                    c.keep_alive = false;
                    c.in.clear();
                    respondPlain(c, status, Poco::Net::HTTPResponse::getReasonForStatus(status) + "\n", "");
                    break;
                }
                c.in.erase(0, c.head.size);
                c.keep_alive = c.head.minor == 1 ? !c.head.connection_close : c.head.connection_keep_alive;
                if (c.over_limit) {
                    c.keep_alive = false;
                    c.in.clear();
                    respondPlain(c, Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE, "Service Unavailable\n",
                                 "Retry-After: 5\r\n");
                    break;
                }
                if (c.head.method != "GET" && c.head.method != "HEAD" && c.head.method != "PUT") {
                    c.keep_alive = false;
                    respondOutcome(c, Outcome::kMethodNotAllowed, "Allow: GET, HEAD, PUT\r\n");
                    break;
                }
                const bool has_body = c.head.chunked || c.head.content_length.value_or(0) > 0;
                if (c.head.method != "PUT") {
                    // A fetch carries no body; one that does would be read as
                    // the next request (request smuggling): refuse and close.
                    if (has_body) {
                        c.keep_alive = false;
                        c.in.clear();
                        respondOutcome(c, Outcome::kBadRequest, "");
                        break;
                    }
                    dispatch(c, "");
                    continue;
                }
                if (c.head.content_length && *c.head.content_length > o.max_upload_bytes) {
                    c.keep_alive = false;  // the body is never read
                    c.in.clear();
                    respondOutcome(c, Outcome::kTooLarge, "");
                    break;
                }
                if (c.head.expect_continue && has_body) c.out += "HTTP/1.1 100 Continue\r\n\r\n";
                c.phase = Phase::kBody;
                c.body.clear();
                c.chunk_used = 0;
                continue;
            }
            // PUT body: Content-Length, chunked, or none.
            if (c.head.chunked) {
                const HeadResult r = decodeChunked(c.in, o.max_upload_bytes, c.body, c.chunk_used);
                // What is decoded leaves the buffer, so each byte is looked at once.
                c.in.erase(0, c.chunk_used);
                c.chunk_used = 0;
                if (r == HeadResult::kIncomplete) break;
                if (r != HeadResult::kComplete) {
                    c.keep_alive = false;
                    c.in.clear();
                    respondOutcome(c, r == HeadResult::kTooLarge ? Outcome::kTooLarge : Outcome::kBadRequest, "");
                    break;
                }
            } else {
                const size_t need = static_cast<size_t>(c.head.content_length.value_or(0));
                if (c.in.size() < need) break;
                c.body = c.in.substr(0, need);
                c.in.erase(0, need);
            }
            dispatch(c, std::move(c.body));
            c.body.clear();
        }
        if (!c.out.empty() || c.file_left || c.chunk_off < c.file_chunk.size()) {
            flush(fd, c);
            return;
        }
        if (c.close_after || c.peer_eof) {
            // Done, or the phone shut its side and nothing complete is left.
            finishConn(fd, c);
            return;
        }
        // Waiting for (more of) a request: an idle keep-alive connection gets
        // the short timeout; a request gets request_ms from its first byte,
        // however slowly the rest trickles in.
        const bool idle = c.in.empty() && c.phase == Phase::kHead;
        if (idle) {
            c.request_deadline = 0;
            // An upload's megabyte is not kept for an idle connection.
            if (c.in.capacity() > 65536) std::string().swap(c.in);
            if (c.out.capacity() > 65536) std::string().swap(c.out);
            c.deadline = nowMs() + (c.requests ? o.keep_alive_ms : o.request_ms);
        } else {
            if (!c.request_deadline) c.request_deadline = nowMs() + o.request_ms;
            c.deadline = c.request_deadline;
        }
    }

    void dispatch(Conn& c, std::string body) {
        FetchRequest fetch;
        fetch.protocol = c.tls ? Protocol::kHttps : Protocol::kHttp;
        if (c.tls) {
            fetch.client_cert = c.tls->peer().verified;
            fetch.cert_mac = c.tls->peer().mac;
        }
        fetch.peer_ip = c.peer_ip;
        fetch.user_agent = c.head.user_agent;
        fetch.if_none_match = c.head.if_none_match;
        fetch.method = c.head.method == "GET" ? Method::kGet : c.head.method == "HEAD" ? Method::kHead : Method::kPut;
        fetch.file = fileFromTarget(c.head.target);
        fetch.body = std::move(body);
        c.phase = Phase::kHead;
        c.request_deadline = 0;
        auto [r, event] = server_.service_.fetch(fetch);
        server_.service_.record(std::move(event));
        if (r.outcome != Outcome::kServed && r.outcome != Outcome::kNotModified) {
            respondOutcome(c, r.outcome, "");
            return;
        }
        const bool head_only = fetch.method == Method::kHead;
        std::string extra;
        if (!r.etag.empty()) extra += "ETag: " + r.etag + "\r\n";
        extra += "Cache-Control: no-cache\r\n";
        if (r.outcome == Outcome::kNotModified) {
            startResponse(c, Poco::Net::HTTPResponse::HTTP_NOT_MODIFIED, extra, "", 0);
            return;
        }
        if (!r.file_path.empty()) {
            const int ffd = ::open(r.file_path.c_str(), O_RDONLY | O_CLOEXEC);
            if (ffd < 0) {
                respondOutcome(c, Outcome::kNotFound, "");
                return;
            }
            startResponse(c, Poco::Net::HTTPResponse::HTTP_OK, extra, r.content_type, static_cast<size_t>(r.file_size));
            if (head_only || r.file_size == 0) {
                ::close(ffd);
            } else {
                c.file_fd = ffd;
                c.file_off = 0;
                c.file_left = static_cast<size_t>(r.file_size);
            }
            return;
        }
        startResponse(c, Poco::Net::HTTPResponse::HTTP_OK, extra, r.content_type, r.body.size());
        if (!head_only) c.out += r.body;
    }

    // Status line and headers, in the order the Poco front end writes them.
    void startResponse(Conn& c, Poco::Net::HTTPResponse::HTTPStatus status, const std::string& extra,
                       const std::string& content_type, size_t length) {
        ++c.requests;
        c.last_status = static_cast<int>(status);
        if (c.requests >= server_.options_.max_requests) c.keep_alive = false;
        c.out += c.head.minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ";
        c.out += std::to_string(static_cast<int>(status));
        c.out += ' ';
        c.out += Poco::Net::HTTPResponse::getReasonForStatus(status);
        c.out += "\r\n";
        c.out += dateHeader();
        c.out += c.keep_alive ? "Connection: Keep-Alive\r\n" : "Connection: Close\r\n";
        c.out += extra;
        if (!content_type.empty()) c.out += "Content-Type: " + content_type + "\r\n";
        c.out += "Content-Length: " + std::to_string(length) + "\r\n\r\n";
        if (!c.keep_alive) c.close_after = true;
    }

    void respondPlain(Conn& c, Poco::Net::HTTPResponse::HTTPStatus status, const std::string& body,
                      const std::string& extra) {
        startResponse(c, status, extra, body.empty() ? "" : "text/plain", body.size());
        if (c.head.method != "HEAD") c.out += body;
    }

    void respondOutcome(Conn& c, Outcome outcome, const std::string& extra) {
        c.phase = Phase::kHead;
        respondPlain(c, httpStatus(outcome), refusalBody(outcome), extra);
    }

    // Writes what is queued; false when the connection was closed.
    bool flush(int fd, Conn& c) {
        while (c.out_off < c.out.size()) {
            const ssize_t n = sendSome(fd, c, c.out.data() + c.out_off, c.out.size() - c.out_off);
            if (n > 0) {
                c.out_off += static_cast<size_t>(n);
                continue;
            }
            if (n == kAgainRead || n == kAgainWrite) return waitWritable(fd, c, n == kAgainRead);
            closeConn(fd);
            return false;
        }
        c.out.clear();
        c.out_off = 0;
        while (c.tls && (c.file_left || c.chunk_off < c.file_chunk.size())) {
            // No sendfile through TLS: a piece at a time.
            if (c.chunk_off == c.file_chunk.size()) {
                c.file_chunk.resize(std::min<size_t>(c.file_left, 64 * 1024));
                const ssize_t got = ::pread(c.file_fd, c.file_chunk.data(), c.file_chunk.size(), c.file_off);
                if (got <= 0) {
                    closeConn(fd);  // the file shrank
                    return false;
                }
                c.file_chunk.resize(static_cast<size_t>(got));
                c.chunk_off = 0;
                c.file_off += got;
                c.file_left -= static_cast<size_t>(got);
            }
            const ssize_t n = sendSome(fd, c, c.file_chunk.data() + c.chunk_off, c.file_chunk.size() - c.chunk_off);
            if (n > 0) {
                c.chunk_off += static_cast<size_t>(n);
                continue;
            }
            if (n == kAgainRead || n == kAgainWrite) return waitWritable(fd, c, n == kAgainRead);
            closeConn(fd);
            return false;
        }
        c.file_chunk.clear();
        c.chunk_off = 0;
        while (c.file_left) {
            const ssize_t n = ::sendfile(fd, c.file_fd, &c.file_off, std::min<size_t>(c.file_left, 1 << 20));
            if (n > 0) {
                c.file_left -= static_cast<size_t>(n);
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return waitWritable(fd, c, false);
            closeConn(fd);  // the file shrank or the peer went away
            return false;
        }
        closeFiles(c);
        if (c.writing) {
            c.writing = false;
            watch(fd, EPOLLIN, EPOLL_CTL_MOD);
        }
        // TLS may have read more requests than the socket will signal.
        if (c.tls && c.tls->buffered() && !c.close_after) ready_.push_back(fd);
        if (c.close_after) {
            finishConn(fd, c);
            return false;
        }
        // Pipelined requests read while writing.
        if (!c.in.empty() || c.peer_eof) {
            process(fd, c);
            return conns_.count(fd) > 0;
        }
        c.deadline = nowMs() + server_.options_.keep_alive_ms;
        return true;
    }

    // Output is pending: wait for the socket (writable, or for TLS now and
    // then readable) and stop taking requests until it is out.
    bool waitWritable(int fd, Conn& c, bool for_read) {
        c.deadline = nowMs() + server_.options_.request_ms;  // progress resets the clock
        c.writing = true;
        watch(fd, for_read ? EPOLLIN : EPOLLOUT, EPOLL_CTL_MOD);
        return true;
    }

    LoopServer& server_;
    int tls_handshake_ms_ = 5000;
    int listen_fd_;
    int epoll_fd_ = -1;
    int wake_fd_ = -1;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
    std::unordered_map<int, Conn> conns_;
    std::vector<int> ready_;  // TLS connections with buffered records
    bool listening_ = true;
};

LoopServer::LoopServer(ProvisioningService& service, LoopOptions options)
    : service_(service), options_(std::move(options)) {}

LoopServer::~LoopServer() { stop(); }

Status LoopServer::start() {
    auto fds = net::bindShared("http", options_.bind, options_.port, SOCK_STREAM, options_.loops);
    if (!fds) return fds.error();
    port_ = boundPort(fds.value().front());
    for (int fd : fds.value()) {
        loops_.push_back(std::make_unique<Loop>(*this, fd));
        if (auto st = loops_.back()->start(); !st) return st;
    }
    return okStatus();
}

void LoopServer::stop() {
    for (auto& l : loops_) l->stop();
    loops_.clear();
}

}  // namespace prov::http

#include "provisioner/admin/waiting_room.h"

#include <Poco/Logger.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/NetException.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "provisioner/admin/tls_socket.h"

namespace prov::admin {

int64_t steadyMs() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// --- ReadAheadSocketImpl -------------------------------------------------

bool ReadAheadSocketImpl::headComplete() {
    const size_t seen = scanned_;
    scanned_ = ahead_.size();
    // Blank lines before the request line do not end a head (RFC 9112 lets
    // a server skip them; Poco 1.11 answers them 400).
    if (head_start_ == std::string::npos) {
        head_start_ = ahead_.find_first_not_of("\r\n", seen);
        if (head_start_ == std::string::npos) return false;
    }
    // Only what is new is looked at, with the two bytes before it that a
    // blank line may start in.
    const size_t from = std::max(head_start_, seen > 2 ? seen - 2 : 0);
    for (size_t i = ahead_.find('\n', from); i != std::string::npos; i = ahead_.find('\n', i + 1)) {
        if (i + 1 < ahead_.size() && ahead_[i + 1] == '\n') return true;
        if (i + 2 < ahead_.size() && ahead_[i + 1] == '\r' && ahead_[i + 2] == '\n') return true;
    }
    return false;
}

int ReadAheadSocketImpl::takeAhead(void* buffer, int length) {
    const size_t n = std::min(aheadLeft(), static_cast<size_t>(length));
    ahead_.copy(static_cast<char*>(buffer), n, ahead_off_);
    ahead_off_ += n;
    if (ahead_off_ == ahead_.size()) {
        std::string().swap(ahead_);
        ahead_off_ = 0;
    }
    return static_cast<int>(n);
}

int64_t ReadAheadSocketImpl::readDeadline() {
    // Poco's HTTPServer sets the receive timeout (HTTPServerParams) on the socket.
    const Poco::Timespan t = getReceiveTimeout();
    int64_t deadline = steadyMs() + (t.totalMilliseconds() > 0 ? t.totalMilliseconds() : 60000);
    if (head_deadline_ms_ != 0) deadline = std::min(deadline, head_deadline_ms_);
    return deadline;
}

// --- PlainSocketImpl ------------------------------------------------------

ReadAheadSocketImpl::Progress PlainSocketImpl::readAhead(size_t max_bytes) {
    for (;;) {
        if (ahead_.size() >= max_bytes) return Progress::kTooLong;
        char buf[4096];
        const ssize_t n = ::recv(sockfd(), buf, std::min(sizeof buf, max_bytes - ahead_.size()), 0);
        if (n > 0) {
            ahead_.append(buf, static_cast<size_t>(n));
            if (headComplete()) break;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Progress::kWaiting;
        return Progress::kGone;  // closed before its head was complete, or broken
    }
    // Poco reads with blocking calls and the socket's receive timeout.
    const int flags = ::fcntl(sockfd(), F_GETFL);
    if (flags < 0 || ::fcntl(sockfd(), F_SETFL, flags & ~O_NONBLOCK) < 0) return Progress::kGone;
    return Progress::kReady;
}

void PlainSocketImpl::refuseHead() {
    (void)::send(sockfd(), kHeadTooLong.data(), kHeadTooLong.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
}

int PlainSocketImpl::receiveBytes(void* buffer, int length, int flags) {
    if (aheadLeft() > 0) return takeAhead(buffer, length);
    // A kept-alive connection's next head: at most until its deadline,
    // however the bytes trickle in.
    const int64_t deadline = readDeadline();
    for (;;) {
        const int64_t left = deadline - steadyMs();
        if (left <= 0) throw Poco::TimeoutException("request head");
        pollfd p{sockfd(), POLLIN, 0};
        const int r = ::poll(&p, 1, static_cast<int>(left));
        if (r > 0) break;
        if (r < 0 && errno != EINTR) throw Poco::Net::NetException("poll failed");
    }
    return Poco::Net::StreamSocketImpl::receiveBytes(buffer, length, flags);
}

int PlainSocketImpl::available() { return static_cast<int>(aheadLeft()) + Poco::Net::StreamSocketImpl::available(); }

bool PlainSocketImpl::poll(const Poco::Timespan& timeout, int mode) {
    if ((mode & Poco::Net::Socket::SELECT_READ) && aheadLeft() > 0) return true;
    return Poco::Net::StreamSocketImpl::poll(timeout, mode);
}

// --- WaitingRoomSocketImpl -----------------------------------------------

WaitingRoomSocketImpl::WaitingRoomSocketImpl(TlsContextSource tls, WaitingRoomOptions options)
    : tls_(std::move(tls)), options_(options) {}

WaitingRoomSocketImpl::~WaitingRoomSocketImpl() { clear(); }

void WaitingRoomSocketImpl::close() {
    clear();
    Poco::Net::ServerSocketImpl::close();
}

void WaitingRoomSocketImpl::clear() {
    waiting_.clear();  // each socket closes with its last reference
    by_fd_.clear();
    ready_.clear();
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
    epoll_fd_ = -1;
}

// The epoll set is made on the first poll, once the socket is bound and
// listening; the listening socket is made non-blocking for accept4 loops.
bool WaitingRoomSocketImpl::openRoom() {
    if (epoll_fd_ >= 0) return true;
    const int flags = ::fcntl(sockfd(), F_GETFL);
    if (flags < 0 || ::fcntl(sockfd(), F_SETFL, flags | O_NONBLOCK) < 0) return false;
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) return false;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = sockfd();
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, sockfd(), &ev) == 0) return true;
    ::close(epoll_fd_);
    epoll_fd_ = -1;
    return false;
}

bool WaitingRoomSocketImpl::poll(const Poco::Timespan& timeout, int mode) {
    if (!(mode & Poco::Net::Socket::SELECT_READ)) return Poco::Net::ServerSocketImpl::poll(timeout, mode);
    if (!ready_.empty()) return true;
    if (!openRoom()) throw Poco::Net::NetException("admin: cannot watch the listening socket");
    const int64_t end = steadyMs() + timeout.totalMilliseconds();
    for (;;) {
        const int64_t now = steadyMs();
        expire(now);
        if (!ready_.empty()) return true;
        if (now >= end) return false;
        int64_t wait = end - now;
        if (!waiting_.empty()) wait = std::min(wait, waiting_.begin()->second.deadline_ms - now + 1);
        epoll_event events[64];
        const int n = ::epoll_wait(epoll_fd_, events, 64, static_cast<int>(std::max<int64_t>(wait, 0)));
        if (n < 0 && errno != EINTR) throw Poco::Net::NetException("admin: epoll_wait failed");
        for (int i = 0; i < n; ++i) {
            if (events[i].data.fd == sockfd()) {
                acceptAll(steadyMs());
            } else {
                advance(events[i].data.fd);
            }
        }
        if (!ready_.empty()) return true;
    }
}

void WaitingRoomSocketImpl::acceptAll(int64_t now) {
    // At most a batch per wake-up: under a connection flood the room still
    // reads the heads that arrived and hands them over (the listening socket
    // is level-triggered: what is left wakes the next epoll_wait).
    for (int accepted = 0; accepted < 64; ++accepted) {
        Poco::Net::SocketAddress peer;
        sockaddr_storage addr{};
        socklen_t len = sizeof addr;
        const int fd = ::accept4(sockfd(), reinterpret_cast<sockaddr*>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            // Out of descriptors: the oldest waiter makes room, else wait a
            // moment rather than spin on a listening socket that stays readable.
            if ((errno == EMFILE || errno == ENFILE) && !waiting_.empty()) {
                drop(waiting_.begin());
                continue;
            }
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) ::poll(nullptr, 0, 50);
            return;
        }
        if (waiting_.size() >= options_.max_waiting) drop(waiting_.begin());
        Poco::AutoPtr<ReadAheadSocketImpl> socket;
        if (tls_) {
            socket = new TlsStreamSocketImpl(fd, tls_());
        } else {
            socket = new PlainSocketImpl(fd);
        }
        const uint64_t id = ++arrivals_;
        Waiting& w = waiting_[id];
        w.socket = socket;
        w.peer = Poco::Net::SocketAddress(reinterpret_cast<sockaddr*>(&addr), len);
        w.deadline_ms = now + options_.head_timeout_ms;
        by_fd_[fd] = id;
        // Edge-triggered: readAhead() takes everything there is each time,
        // and a head that is still partial does not wake the room again
        // until more of it comes.
        epoll_event ev{};
        // Readable only: a handshake's first flight never fills a fresh
        // socket's send buffer (and if it did, the peer's next bytes wake it).
        // Not writable, which would start a silent connection's TLS state.
        ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
        ev.data.fd = fd;
        if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
            drop(waiting_.find(id));
            continue;
        }
    }
}

void WaitingRoomSocketImpl::advance(int fd) {
    auto at = by_fd_.find(fd);
    if (at == by_fd_.end()) return;
    auto it = waiting_.find(at->second);
    // Whatever one connection does (a reset, a socket call Poco turns into an
    // exception) ends that connection, never the acceptor's batch of events.
    ReadAheadSocketImpl::Progress p = ReadAheadSocketImpl::Progress::kGone;
    try {
        p = it->second.socket->readAhead(options_.max_head_bytes);
    } catch (const Poco::Exception&) {
    } catch (const std::exception&) {
    }
    if (p == ReadAheadSocketImpl::Progress::kWaiting) return;
    if (p == ReadAheadSocketImpl::Progress::kTooLong) {
        Poco::Logger::get("admin").debug("admin: %s sent a request head over %z bytes: refused 431",
                                         it->second.peer.host().toString(), options_.max_head_bytes);
        it->second.socket->refuseHead();
        drop(it);
        return;
    }
    if (p == ReadAheadSocketImpl::Progress::kReady) {
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
        // The deadline is lifted when its handler is made.
        it->second.socket->setHeadDeadline(it->second.deadline_ms);
        ready_.push_back(std::move(it->second));
        by_fd_.erase(at);
        waiting_.erase(it);
        return;
    }
    drop(it);
}

void WaitingRoomSocketImpl::expire(int64_t now) {
    while (!waiting_.empty() && waiting_.begin()->second.deadline_ms <= now) {
        Poco::Logger::get("admin").debug("admin: %s sent no whole request head within %d ms: dropped",
                                         waiting_.begin()->second.peer.host().toString(), options_.head_timeout_ms);
        drop(waiting_.begin());
    }
}

void WaitingRoomSocketImpl::drop(std::map<uint64_t, Waiting>::iterator it) {
    const int fd = it->second.socket->sockfd();
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    by_fd_.erase(fd);
    waiting_.erase(it);  // the last reference: the socket closes
}

Poco::Net::SocketImpl* WaitingRoomSocketImpl::acceptConnection(Poco::Net::SocketAddress& client) {
    if (ready_.empty()) throw Poco::Net::NetException("admin: no connection ready");
    Waiting w = std::move(ready_.front());
    ready_.pop_front();
    client = w.peer;
    return w.socket.duplicate();  // the reference Poco's StreamSocket takes over
}

// --- HeadDeadlineFactory --------------------------------------------------

ReadAheadSocketImpl* readAheadSocketOf(const Poco::Net::HTTPServerRequest& request) {
    auto* impl = dynamic_cast<const Poco::Net::HTTPServerRequestImpl*>(&request);
    if (!impl) return nullptr;
    return dynamic_cast<ReadAheadSocketImpl*>(const_cast<Poco::Net::HTTPServerRequestImpl*>(impl)->socket().impl());
}

namespace {

class HeadDeadlineHandler final : public Poco::Net::HTTPRequestHandler {
public:
    HeadDeadlineHandler(Poco::Net::HTTPRequestHandler* inner, ReadAheadSocketImpl* socket, int head_timeout_ms)
        : inner_(inner), socket_(socket), head_timeout_ms_(head_timeout_ms) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
        inner_->handleRequest(request, response);
        socket_->setHeadDeadline(steadyMs() + head_timeout_ms_);
    }

private:
    std::unique_ptr<Poco::Net::HTTPRequestHandler> inner_;
    ReadAheadSocketImpl* socket_;
    int head_timeout_ms_;
};

}  // namespace

Poco::Net::HTTPRequestHandler* HeadDeadlineFactory::createRequestHandler(const Poco::Net::HTTPServerRequest& request) {
    Poco::Net::HTTPRequestHandler* handler = inner_->createRequestHandler(request);
    ReadAheadSocketImpl* socket = readAheadSocketOf(request);
    if (!socket || !handler) return handler;
    socket->setHeadDeadline(0);  // the head is in; the body has the receive timeout
    return new HeadDeadlineHandler(handler, socket, head_timeout_ms_);
}

}  // namespace prov::admin

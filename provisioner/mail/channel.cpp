#include "provisioner/mail/channel.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace prov::mail {

namespace {

Error unavailable(std::string message) {
    return Error{Code::kUnavailable, "unavailable", std::move(message), {}, {}};
}

// False on timeout or past `deadline` ({}: none).
bool waitFor(int fd, short events, int timeout_ms,
             std::chrono::steady_clock::time_point deadline = {}) {
    const int ms = tls::waitMs(timeout_ms, deadline);
    if (ms <= 0) return false;
    pollfd p{fd, events, 0};
    return ::poll(&p, 1, ms) > 0;
}

// One address: a non-blocking connect bounded by `timeout_ms`.
int connectOne(const addrinfo* ai, int timeout_ms, std::chrono::steady_clock::time_point deadline,
               std::string& why) {
    const int fd =
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) {
        why = std::strerror(errno);
        return -1;
    }
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) return fd;
    if (errno == EINPROGRESS && waitFor(fd, POLLOUT, timeout_ms, deadline)) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err == 0) return fd;
        why = std::strerror(err);
    } else {
        why = errno == EINPROGRESS ? "timed out" : std::strerror(errno);
    }
    ::close(fd);
    return -1;
}

}  // namespace

bool Interrupter::attach(int fd) {
    std::lock_guard lock(mutex_);
    if (interrupted_) return false;
    fd_ = fd;
    return true;
}

void Interrupter::detach() {
    std::lock_guard lock(mutex_);
    fd_ = -1;
}

void Interrupter::interrupt() {
    std::lock_guard lock(mutex_);
    interrupted_ = true;
    // Under the lock: the owner cannot close (and the kernel reuse) the
    // number between our look and the shutdown.
    if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

bool Interrupter::interrupted() const {
    std::lock_guard lock(mutex_);
    return interrupted_;
}

SocketChannel::SocketChannel(int fd, tls::ClientOptions tls) : fd_(fd), tls_(std::move(tls)) {
    // Every wait is a poll with the timeout: the socket itself never blocks.
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
}

SocketChannel::~SocketChannel() {
    session_.reset();
    if (fd_ >= 0) ::close(fd_);
}

Result<std::unique_ptr<SocketChannel>> SocketChannel::connect(const std::string& host, int port,
                                                              tls::ClientOptions tls) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const std::string service = std::to_string(port);
    if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0)
        return unavailable("cannot resolve " + host + ": " + gai_strerror(rc));
    std::string why = "no address";
    int fd = -1;
    int tried = 0;
    for (const addrinfo* ai = found; ai && fd < 0 && tried < 8; ai = ai->ai_next, ++tried)
        fd = connectOne(ai, tls.timeout_ms, tls.deadline, why);
    ::freeaddrinfo(found);
    if (fd < 0) return unavailable("cannot connect to " + host + ":" + service + ": " + why);
    return std::make_unique<SocketChannel>(fd, std::move(tls));
}

Status SocketChannel::write(std::string_view data) {
    if (session_) return session_->writeAll(data);
    size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
        if (n > 0) {
            done += static_cast<size_t>(n);
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (!waitFor(fd_, POLLOUT, tls_.timeout_ms, tls_.deadline))
                return unavailable("write timed out");
        } else {
            return unavailable(std::string("write: ") + std::strerror(errno));
        }
    }
    return okStatus();
}

Result<size_t> SocketChannel::read(char* buf, size_t size) {
    if (session_) return session_->read(buf, size);
    for (int rounds = 0; rounds < 100; ++rounds) {
        const ssize_t n = ::recv(fd_, buf, size, 0);
        if (n >= 0) return static_cast<size_t>(n);
        if (errno != EAGAIN && errno != EINTR)
            return unavailable(std::string("read: ") + std::strerror(errno));
        if (!waitFor(fd_, POLLIN, tls_.timeout_ms, tls_.deadline))
            return unavailable(tls::waitMs(tls_.timeout_ms, tls_.deadline) == 0
                                   ? "timed out: the conversation's deadline passed"
                                   : "timed out waiting for the server");
    }
    return unavailable("read: no progress");
}

Status SocketChannel::startTls() {
    session_ = TRY(tls::ClientSession::handshake(fd_, tls_));
    return okStatus();
}

}  // namespace prov::mail

#include "provisioner/admin/tls_socket.h"

#include <Poco/Logger.h>
#include <Poco/Net/NetException.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "provisioner/core/text.h"

namespace prov::admin {

TlsStreamSocketImpl::TlsStreamSocketImpl(poco_socket_t fd, std::shared_ptr<tls::TlsServerContext> context)
    : ReadAheadSocketImpl(fd), handshake_ms_(context->handshakeTimeoutMs()) {
    conn_ = std::make_unique<tls::TlsConnection>(std::move(context), fd);
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

TlsStreamSocketImpl::~TlsStreamSocketImpl() = default;

bool TlsStreamSocketImpl::waitFor(int want, int64_t deadline_ms) {
    for (;;) {
        const int64_t left = deadline_ms - steadyMs();
        if (left <= 0) return false;
        pollfd p{sockfd(), static_cast<short>(want == tls::TlsConnection::kWantWrite ? POLLOUT : POLLIN), 0};
        const int r = ::poll(&p, 1, static_cast<int>(left));
        if (r > 0) return true;
        if (r < 0 && errno != EINTR) return false;
    }
}

void TlsStreamSocketImpl::logFailure(const std::string& why) {
    failed_ = true;
    // getpeername fails (and Poco throws) on a connection already reset.
    std::string peer = "-";
    try {
        peer = peerAddress().host().toString();
    } catch (const Poco::Exception&) {
    }
    Poco::Logger::get("admin").debug("admin TLS from %s: %s", peer, text::forLog(why));
}

// In the waiting room: the handshake and then the head, as far as the bytes
// that have arrived allow, never waiting.
ReadAheadSocketImpl::Progress TlsStreamSocketImpl::readAhead(size_t max_bytes) {
    if (failed_) return Progress::kGone;
    if (!conn_->handshakeDone()) {
        const int rc = conn_->handshakeStep();
        if (rc == tls::TlsConnection::kWantRead || rc == tls::TlsConnection::kWantWrite) return Progress::kWaiting;
        if (rc != 0) {
            logFailure(conn_->lastError());
            return Progress::kGone;
        }
    }
    while (ahead_.size() < max_bytes) {
        char buf[4096];
        const int n = conn_->readSome(buf, static_cast<int>(std::min(sizeof buf, max_bytes - ahead_.size())));
        if (n > 0) {
            ahead_.append(buf, static_cast<size_t>(n));
            if (headComplete()) return Progress::kReady;
            continue;
        }
        if (n == tls::TlsConnection::kWantRead || n == tls::TlsConnection::kWantWrite) return Progress::kWaiting;
        return Progress::kGone;  // closed before its head was complete, or broken
    }
    return Progress::kTooLong;
}

void TlsStreamSocketImpl::refuseHead() {
    // The socket is still non-blocking here: one try.
    (void)conn_->writeSome(kHeadTooLong.data(), static_cast<int>(kHeadTooLong.size()));
}

bool TlsStreamSocketImpl::ensureHandshake() {
    if (failed_) return false;
    if (conn_->handshakeDone()) return true;
    // A silent or dripping client gets the handshake timeout, no more.
    const int64_t deadline = steadyMs() + handshake_ms_;
    for (;;) {
        const int rc = conn_->handshakeStep();
        if (rc == 0) return true;
        if ((rc == tls::TlsConnection::kWantRead || rc == tls::TlsConnection::kWantWrite) && waitFor(rc, deadline))
            continue;
        logFailure(rc < 0 && rc != tls::TlsConnection::kError ? std::string("handshake timed out")
                                                               : conn_->lastError());
        return false;
    }
}

int TlsStreamSocketImpl::receiveBytes(void* buffer, int length, int) {
    if (aheadLeft() > 0) return takeAhead(buffer, length);
    // A failed handshake reads as the end of the stream: Poco then closes the
    // connection quietly, as for a client that went away.
    if (!ensureHandshake()) return 0;
    // A kept-alive connection's next head: at most until its deadline,
    // however the bytes trickle in.
    const int64_t deadline = readDeadline();
    for (;;) {
        const int n = conn_->readSome(buffer, length);
        if (n >= 0) return n;
        if (n == tls::TlsConnection::kError) throw Poco::Net::NetException("TLS read failed");
        if (!waitFor(n, deadline)) throw Poco::TimeoutException(headOverdue() ? "request head" : "TLS read");
    }
}

int TlsStreamSocketImpl::sendBytes(const void* buffer, int length, int) {
    if (!ensureHandshake()) throw Poco::Net::NetException("TLS handshake failed");
    const auto* p = static_cast<const char*>(buffer);
    const Poco::Timespan timeout = getReceiveTimeout();
    const int64_t deadline = steadyMs() + (timeout.totalMilliseconds() > 0 ? timeout.totalMilliseconds() : 60000);
    int done = 0;
    while (done < length) {
        const int n = conn_->writeSome(p + done, length - done);
        if (n > 0) {
            done += n;
            continue;
        }
        if (n == tls::TlsConnection::kError) throw Poco::Net::NetException("TLS write failed");
        if (!waitFor(n, deadline)) throw Poco::TimeoutException("TLS write");
    }
    return done;
}

int TlsStreamSocketImpl::available() { return static_cast<int>(aheadLeft()) + (conn_->buffered() ? 1 : 0); }

bool TlsStreamSocketImpl::poll(const Poco::Timespan& timeout, int mode) {
    // Bytes read ahead, or decrypted and buffered, count as readable.
    if ((mode & Poco::Net::Socket::SELECT_READ) && (aheadLeft() > 0 || conn_->buffered())) return true;
    return Poco::Net::StreamSocketImpl::poll(timeout, mode);
}

// Poco's stopAll() calls this from another thread while the connection's
// worker may be inside a TLS read: no TLS state is touched here (close()
// sends the close_notify from the worker).
void TlsStreamSocketImpl::shutdown() { Poco::Net::StreamSocketImpl::shutdown(); }

void TlsStreamSocketImpl::close() {
    if (sockfd() != POCO_INVALID_SOCKET && !failed_) conn_->closeNotify();
    Poco::Net::StreamSocketImpl::close();
}

}  // namespace prov::admin

#include "provisioner/admin/tls_socket.h"

#include <Poco/Logger.h>
#include <Poco/Net/NetException.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>

#include "provisioner/core/text.h"

namespace prov::admin {

namespace {

int64_t nowMs() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

TlsStreamSocketImpl::TlsStreamSocketImpl(poco_socket_t fd, std::shared_ptr<tls::TlsServerContext> context)
    : Poco::Net::StreamSocketImpl(fd), handshake_ms_(context->handshakeTimeoutMs()) {
    conn_ = std::make_unique<tls::TlsConnection>(std::move(context), fd);
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

TlsStreamSocketImpl::~TlsStreamSocketImpl() = default;

bool TlsStreamSocketImpl::waitFor(int want, int64_t deadline_ms) {
    for (;;) {
        const int64_t left = deadline_ms - nowMs();
        if (left <= 0) return false;
        pollfd p{sockfd(), static_cast<short>(want == tls::TlsConnection::kWantWrite ? POLLOUT : POLLIN), 0};
        const int r = ::poll(&p, 1, static_cast<int>(left));
        if (r > 0) return true;
        if (r < 0 && errno != EINTR) return false;
    }
}

int64_t TlsStreamSocketImpl::ioDeadline() {
    // Poco's HTTPServer sets the receive timeout (HTTPServerParams) on the socket.
    const Poco::Timespan t = getReceiveTimeout();
    return nowMs() + (t.totalMilliseconds() > 0 ? t.totalMilliseconds() : 60000);
}

bool TlsStreamSocketImpl::ensureHandshake() {
    if (failed_) return false;
    if (conn_->handshakeDone()) return true;
    // A silent or dripping client gets the handshake timeout, no more.
    const int64_t deadline = nowMs() + handshake_ms_;
    for (;;) {
        const int rc = conn_->handshakeStep();
        if (rc == 0) return true;
        if ((rc == tls::TlsConnection::kWantRead || rc == tls::TlsConnection::kWantWrite) && waitFor(rc, deadline))
            continue;
        failed_ = true;
        Poco::Logger::get("admin").debug("admin TLS from %s: %s", peerAddress().host().toString(),
                                         text::forLog(rc < 0 && rc != tls::TlsConnection::kError
                                                          ? std::string("handshake timed out")
                                                          : conn_->lastError()));
        return false;
    }
}

int TlsStreamSocketImpl::receiveBytes(void* buffer, int length, int) {
    // A failed handshake reads as the end of the stream: Poco then closes the
    // connection quietly, as for a client that went away.
    if (!ensureHandshake()) return 0;
    const int64_t deadline = ioDeadline();
    for (;;) {
        const int n = conn_->readSome(buffer, length);
        if (n >= 0) return n;
        if (n == tls::TlsConnection::kError) throw Poco::Net::NetException("TLS read failed");
        if (!waitFor(n, deadline)) throw Poco::TimeoutException("TLS read");
    }
}

int TlsStreamSocketImpl::sendBytes(const void* buffer, int length, int) {
    if (!ensureHandshake()) throw Poco::Net::NetException("TLS handshake failed");
    const auto* p = static_cast<const char*>(buffer);
    const int64_t deadline = ioDeadline();
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

int TlsStreamSocketImpl::available() { return conn_->buffered() ? 1 : 0; }

bool TlsStreamSocketImpl::poll(const Poco::Timespan& timeout, int mode) {
    // Decrypted bytes already buffered count as readable.
    if ((mode & Poco::Net::Socket::SELECT_READ) && conn_->buffered()) return true;
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

Poco::Net::SocketImpl* TlsServerSocketImpl::acceptConnection(Poco::Net::SocketAddress& client) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    int fd;
    do {
        fd = ::accept4(sockfd(), reinterpret_cast<sockaddr*>(&addr), &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) throw Poco::Net::NetException("accept failed");
    client = Poco::Net::SocketAddress(reinterpret_cast<sockaddr*>(&addr), len);
    return new TlsStreamSocketImpl(fd, contexts_());
}

}  // namespace prov::admin

#include "provisioner/https/tls_socket.h"

#include <Poco/Logger.h>
#include <Poco/Net/NetException.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>

namespace prov::https {

TlsStreamSocketImpl::TlsStreamSocketImpl(poco_socket_t fd, std::shared_ptr<tls::TlsServerContext> context)
    : Poco::Net::StreamSocketImpl(fd), conn_(std::make_unique<tls::TlsConnection>(std::move(context), fd)) {
    // Records are small and phones wait for each answer: no Nagle delay.
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

TlsStreamSocketImpl::~TlsStreamSocketImpl() = default;

bool TlsStreamSocketImpl::ensureHandshake() {
    if (failed_) return false;
    if (conn_->handshakeDone()) return true;
    if (auto st = conn_->handshake(); !st) {
        failed_ = true;
        Poco::Logger::get("https").debug("TLS from %s: %s", peerAddress().host().toString(), st.error().message);
        return false;
    }
    return true;
}

int TlsStreamSocketImpl::receiveBytes(void* buffer, int length, int) {
    // A failed handshake reads as the end of the stream: Poco then closes the
    // connection quietly, as for a client that went away.
    if (!ensureHandshake()) return 0;
    const int n = conn_->read(buffer, length);
    if (n == tls::TlsConnection::kTimeout) throw Poco::TimeoutException("TLS read");
    if (n < 0) throw Poco::Net::NetException("TLS read failed");
    return n;
}

int TlsStreamSocketImpl::sendBytes(const void* buffer, int length, int) {
    if (!ensureHandshake()) throw Poco::Net::NetException("TLS handshake failed");
    const int n = conn_->write(buffer, length);
    if (n == tls::TlsConnection::kTimeout) throw Poco::TimeoutException("TLS write");
    if (n < 0) throw Poco::Net::NetException("TLS write failed");
    return n;
}

int TlsStreamSocketImpl::available() { return static_cast<int>(conn_->pending()); }

bool TlsStreamSocketImpl::poll(const Poco::Timespan& timeout, int mode) {
    // Decrypted bytes already buffered count as readable.
    if ((mode & Poco::Net::Socket::SELECT_READ) && conn_->pending() > 0) return true;
    return Poco::Net::StreamSocketImpl::poll(timeout, mode);
}

void TlsStreamSocketImpl::shutdown() {
    if (!failed_) conn_->closeNotify();
    Poco::Net::StreamSocketImpl::shutdown();
}

void TlsStreamSocketImpl::close() {
    if (sockfd() != POCO_INVALID_SOCKET && !failed_) conn_->closeNotify();
    Poco::Net::StreamSocketImpl::close();
}

Poco::Net::SocketImpl* TlsServerSocketImpl::acceptConnection(Poco::Net::SocketAddress& client) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    int fd;
    do {
        fd = ::accept4(sockfd(), reinterpret_cast<sockaddr*>(&addr), &len, SOCK_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) throw Poco::Net::NetException("accept failed");
    client = Poco::Net::SocketAddress(reinterpret_cast<sockaddr*>(&addr), len);
    return new TlsStreamSocketImpl(fd, contexts_());
}

}  // namespace prov::https

#pragma once

// Poco's HTTPServer over TLS done by mbedTLS (tls/): a server socket whose
// accepted connections read and write through a tls::TlsConnection. The
// handshake runs on the connection's own worker thread at its first read or
// write, never on the accepting thread, and is bounded by the handshake
// timeout, so a silent client holds one thread for a few seconds at most.

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/ServerSocketImpl.h>
#include <Poco/Net/StreamSocketImpl.h>

#include <functional>
#include <memory>

#include "provisioner/tls/tls_server.h"

namespace prov::https {

// The context for new connections; swapped on SIGHUP (certificate reload)
// while established connections keep the one they started with.
using ContextSource = std::function<std::shared_ptr<tls::TlsServerContext>()>;

class TlsStreamSocketImpl final : public Poco::Net::StreamSocketImpl {
public:
    TlsStreamSocketImpl(poco_socket_t fd, std::shared_ptr<tls::TlsServerContext> context);
    int sendBytes(const void* buffer, int length, int flags = 0) override;
    int receiveBytes(void* buffer, int length, int flags = 0) override;
    int available() override;
    bool poll(const Poco::Timespan& timeout, int mode) override;
    void close() override;
    void shutdown() override;
    bool secure() const override { return true; }
    // Valid after the handshake (the first read).
    const tls::PeerIdentity& peer() const { return conn_->peer(); }

private:
    ~TlsStreamSocketImpl() override;
    bool ensureHandshake();
    std::unique_ptr<tls::TlsConnection> conn_;
    bool failed_ = false;
};

class TlsServerSocketImpl final : public Poco::Net::ServerSocketImpl {
public:
    explicit TlsServerSocketImpl(ContextSource contexts) : contexts_(std::move(contexts)) {}
    Poco::Net::SocketImpl* acceptConnection(Poco::Net::SocketAddress& client) override;
    bool secure() const override { return true; }

private:
    ContextSource contexts_;
};

class TlsServerSocket final : public Poco::Net::ServerSocket {
public:
    explicit TlsServerSocket(ContextSource contexts)
        : Poco::Net::ServerSocket(new TlsServerSocketImpl(std::move(contexts)), true) {}
};

}  // namespace prov::https

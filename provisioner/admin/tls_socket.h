#pragma once

// The admin API's port over TLS (admin.tls): Poco's HTTPServer reads and
// writes through a tls::TlsConnection instead of the plain socket. Phones
// never come here (their HTTPS runs on the event loops, http/); this adapter
// serves the admin API and the portal alone. The connection is non-blocking
// underneath; each call waits with poll(), within the handshake timeout or
// the socket's receive timeout, on the connection's own worker thread.

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/ServerSocketImpl.h>
#include <Poco/Net/StreamSocketImpl.h>

#include <functional>
#include <memory>

#include "provisioner/tls/tls_server.h"

namespace prov::admin {

// The context for new connections; swapped on SIGHUP (certificate reload)
// while established connections keep the one they started with.
using TlsContextSource = std::function<std::shared_ptr<tls::TlsServerContext>()>;

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

private:
    ~TlsStreamSocketImpl() override;
    bool ensureHandshake();
    // Waits until the socket is as `want` (kWantRead or kWantWrite) asks;
    // false once `deadline_ms` (steady clock) has passed.
    bool waitFor(int want, int64_t deadline_ms);
    int64_t ioDeadline();
    std::unique_ptr<tls::TlsConnection> conn_;
    int handshake_ms_;
    bool failed_ = false;
};

class TlsServerSocketImpl final : public Poco::Net::ServerSocketImpl {
public:
    explicit TlsServerSocketImpl(TlsContextSource contexts) : contexts_(std::move(contexts)) {}
    Poco::Net::SocketImpl* acceptConnection(Poco::Net::SocketAddress& client) override;
    bool secure() const override { return true; }

private:
    TlsContextSource contexts_;
};

class TlsServerSocket final : public Poco::Net::ServerSocket {
public:
    explicit TlsServerSocket(TlsContextSource contexts)
        : Poco::Net::ServerSocket(new TlsServerSocketImpl(std::move(contexts)), true) {}
};

}  // namespace prov::admin

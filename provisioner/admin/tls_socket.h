#pragma once

// The admin API's port over TLS (admin.tls): Poco's HTTPServer reads and
// writes through a tls::TlsConnection instead of the plain socket. Phones
// never come here (their HTTPS runs on the event loops, http/); this adapter
// serves the admin API and the portal alone. The waiting room
// (waiting_room.h) runs the handshake without blocking and reads the first
// request head ahead; after that each call waits with poll(), within the
// socket's receive timeout (and a kept-alive connection's head deadline), on
// the connection's own worker thread.

#include <Poco/Net/StreamSocketImpl.h>

#include <memory>

#include "provisioner/admin/waiting_room.h"
#include "provisioner/tls/tls_server.h"

namespace prov::admin {

class TlsStreamSocketImpl final : public ReadAheadSocketImpl {
public:
    // `fd` is non-blocking and stays so.
    TlsStreamSocketImpl(poco_socket_t fd, std::shared_ptr<tls::TlsServerContext> context);
    Progress readAhead(size_t max_bytes) override;
    void refuseHead() override;
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
    void logFailure(const std::string& why);
    std::unique_ptr<tls::TlsConnection> conn_;
    int handshake_ms_;
    bool failed_ = false;
};

}  // namespace prov::admin

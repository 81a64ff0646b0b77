#pragma once

// TLS for the phones' HTTPS front end, on mbedTLS. A TlsServerContext is the
// policy (TLS 1.2 only; ECDHE with AES-GCM or ChaCha20-Poly1305; no RSA key
// exchange and no CBC unless legacy_phones; curves X25519 and P-256), the
// certificate, session tickets with rotating keys (shared by the fleet when
// given: session_tickets.h) and a session cache (session_cache.h). A
// TlsConnection runs one connection over a connected socket.

#include <cstdint>
#include <memory>
#include <string>

#include <mbedtls/ecp.h>

#include "provisioner/core/clock.h"
#include "provisioner/core/result.h"
#include "provisioner/tls/session_tickets.h"

namespace prov::tls {

enum class ClientCertMode { kNone, kOptional, kRequired };

// The policy's suites and curves, zero-terminated as mbedTLS takes them
// (bench/tls/mbedtls_ceiling configures its in-process server with these too).
const int* serverCiphersuites(bool legacy_phones);
const mbedtls_ecp_group_id* serverCurves();

// Sessions the server keeps for resumption by session ID (session_cache.h),
// and for how long.
inline constexpr size_t kCachedSessions = 20000;
inline constexpr int64_t kSessionSeconds = 86400;

struct TlsOptions {
    std::string cert_path;  // PEM chain, leaf first
    std::string key_path;   // PEM key
    bool legacy_phones = false;
    int handshake_timeout_ms = 5000;
    // Phones' factory certificates: <vendor_ca_dir>/<vendor>/*.pem are the
    // CAs of each vendor.
    std::string vendor_ca_dir;
    ClientCertMode client_cert = ClientCertMode::kOptional;
    // The session cache's clock; null: the system's.
    const Clock* clock = nullptr;
    // Session tickets any node sharing the keys can open (session_tickets.h);
    // null: keys of this process's own, made at random.
    std::shared_ptr<SessionTickets> tickets;
};

// What a client certificate proved. A certificate that does not chain to
// its vendor's CA, or is expired or not yet valid, fails the handshake, so a
// connection only ever carries a verified identity or none.
struct PeerIdentity {
    bool verified = false;
    std::string vendor;  // vendor-ca folder whose CA signed it
    std::string mac;     // canonical; empty when the subject names none
};

class TlsServerContext {
public:
    static Result<std::shared_ptr<TlsServerContext>> create(const TlsOptions& options);
    ~TlsServerContext();
    TlsServerContext(const TlsServerContext&) = delete;
    TlsServerContext& operator=(const TlsServerContext&) = delete;
    int handshakeTimeoutMs() const { return handshake_timeout_ms_; }

private:
    TlsServerContext();
    friend class TlsConnection;
    struct State;
    std::unique_ptr<State> state_;
    int handshake_timeout_ms_ = 5000;
};

// One TLS connection over a connected non-blocking socket, for event loops:
// no call ever waits; kWantRead / kWantWrite say what the socket must become
// before the same call is made again (with the same bytes, for writes).
//
// Its memory: mbedTLS 2.28 gives each context an input and an output record
// buffer of about 16.6 KiB each. They are made at the first handshake step
// (when the peer has sent something, for an event loop), so a connection
// that never speaks costs none, and freed by release() or the destructor.
class TlsConnection {
public:
    static constexpr int kError = -1;
    static constexpr int kWantRead = -3;
    static constexpr int kWantWrite = -4;

    // Takes no ownership of `fd`; it must outlive the connection.
    TlsConnection(std::shared_ptr<TlsServerContext> context, int fd);
    ~TlsConnection();
    TlsConnection(const TlsConnection&) = delete;
    TlsConnection& operator=(const TlsConnection&) = delete;

    // 0 when the handshake (and the client certificate check) is done. The
    // caller bounds it in time (the context's handshakeTimeoutMs()).
    int handshakeStep();
    bool handshakeDone() const { return handshake_done_; }
    // The handshake resumed a session (a ticket, or the session cache)
    // rather than making a new one. Each handshake is also counted in
    // core/server_metrics.h: full, resumed or failed.
    bool resumed() const { return resumed_; }
    // Bytes read (>0), 0 at the end of the stream, kWantRead/kWantWrite, kError.
    int readSome(void* buffer, int length);
    // Bytes written (>0), kWantRead/kWantWrite, kError.
    int writeSome(const void* buffer, int length);
    // Bytes already read from the socket and not yet returned by readSome:
    // epoll will not signal them again.
    bool buffered() const;
    void closeNotify();
    // Frees the TLS state now (after closeNotify, before a lingering close);
    // every later call fails.
    void release();
    const PeerIdentity& peer() const { return peer_; }
    // Why the last call failed (the handshake's reason), for the log.
    const std::string& lastError() const { return last_error_; }

private:
    static int sendCallback(void* self, const unsigned char* buf, size_t len);
    static int recvCallback(void* self, unsigned char* buf, size_t len);

    std::shared_ptr<TlsServerContext> context_;
    int fd_;
    struct Ssl;
    std::unique_ptr<Ssl> ssl_;  // made at the first handshake step
    bool released_ = false;
    bool handshake_done_ = false;
    bool resumed_ = false;
    PeerIdentity peer_;
    Status checkPeer();
    bool setUp();
    std::string last_error_;
};

}  // namespace prov::tls

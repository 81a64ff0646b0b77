#pragma once

// A TLS client over a connected socket (the SMTP client's STARTTLS): the
// server's certificate checked against a CA bundle and its name, unless the
// caller explicitly turns checking off. Blocking, with a deadline on every
// call; one thread uses a session at a time.
//
//   ClientOptions o{.server_name = "mail.example.com", .ca_file = ""};
//   auto s = TRY(ClientSession::handshake(fd, o));
//   TRY(s->writeAll("EHLO me\r\n"));
//   size_t n = TRY(s->read(buf, sizeof buf));  // 0: the server closed

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "provisioner/core/result.h"

namespace prov::tls {

struct ClientOptions {
    std::string server_name;  // checked against the certificate; sent as SNI
    // PEM CA certificates; "" = the system bundle (kSystemCaFile).
    std::string ca_file;
    // false: any certificate is accepted (only when configured so).
    bool verify = true;
    int timeout_ms = 30000;  // each wait of a handshake, read or write
    // Every wait ends by then: a peer that trickles a byte per timeout_ms
    // cannot hold the caller past it. {}: no deadline but timeout_ms.
    std::chrono::steady_clock::time_point deadline{};
};

// How long one wait may last: `timeout_ms`, cut to what is left before
// `deadline` (0 once it has passed).
inline int waitMs(int timeout_ms, std::chrono::steady_clock::time_point deadline) {
    if (deadline == std::chrono::steady_clock::time_point{}) return timeout_ms;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    return static_cast<int>(std::clamp<int64_t>(left, 0, timeout_ms));
}

inline constexpr const char* kSystemCaFile = "/etc/ssl/certs/ca-certificates.crt";

class ClientSession {
  public:
    // Runs the handshake on `fd` (not owned: the caller closes it after the
    // session). An error says why: unreachable CA file, timeout, a
    // certificate that does not verify (with mbedTLS's reasons).
    static Result<std::unique_ptr<ClientSession>> handshake(int fd, const ClientOptions& options);
    ~ClientSession();
    ClientSession(const ClientSession&) = delete;
    ClientSession& operator=(const ClientSession&) = delete;

    // Up to `size` bytes; 0 when the server closed the connection.
    Result<size_t> read(char* buf, size_t size);
    Status writeAll(std::string_view data);

  private:
    ClientSession();
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace prov::tls

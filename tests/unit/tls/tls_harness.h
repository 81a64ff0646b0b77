#pragma once

// A phone's side of a TLS handshake for tests: an mbedTLS client over a
// socket pair with a TlsConnection on the other end, both stepped in one
// thread. Tells whether the server resumed and which curve its key
// exchange used.

#include <catch2/catch.hpp>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "provisioner/tls/certificate.h"
#include "provisioner/tls/tls_server.h"
#include "temp_dir.h"

namespace prov::testing {


inline const mbedtls_ecp_group_id kX25519ThenP256[] = {MBEDTLS_ECP_DP_CURVE25519, MBEDTLS_ECP_DP_SECP256R1,
                                                MBEDTLS_ECP_DP_NONE};
inline const mbedtls_ecp_group_id kP256ThenX25519[] = {MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_CURVE25519,
                                                MBEDTLS_ECP_DP_NONE};
inline const mbedtls_ecp_group_id kP256Only[] = {MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_NONE};

struct Certificate {
    testing::TempDir dir;
    tls::TlsOptions options;
    Certificate() {
        REQUIRE(tls::generateSelfSigned({"localhost"}, 30, dir.path() + "/s.crt", dir.path() + "/s.key"));
        options.cert_path = dir.path() + "/s.crt";
        options.key_path = dir.path() + "/s.key";
        options.client_cert = tls::ClientCertMode::kNone;
    }
};

// A phone: an mbedTLS client offering `curves`, with or without tickets,
// keeping every byte the server sent.
struct Phone {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_ssl_config conf;
    Phone(const mbedtls_ecp_group_id* curves, bool tickets) {
        mbedtls_entropy_init(&entropy);
        mbedtls_ctr_drbg_init(&drbg);
        mbedtls_ssl_config_init(&conf);
        REQUIRE(mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, nullptr, 0) == 0);
        REQUIRE(mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                            MBEDTLS_SSL_PRESET_DEFAULT) == 0);
        mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_NONE);
        mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
        mbedtls_ssl_conf_curves(&conf, curves);
        mbedtls_ssl_conf_session_tickets(&conf, tickets ? MBEDTLS_SSL_SESSION_TICKETS_ENABLED
                                                        : MBEDTLS_SSL_SESSION_TICKETS_DISABLED);
    }
    ~Phone() {
        mbedtls_ssl_config_free(&conf);
        mbedtls_ctr_drbg_free(&drbg);
        mbedtls_entropy_free(&entropy);
    }
};

struct Wire {
    int fd;
    std::vector<unsigned char> received;
};

inline int wireSend(void* w, const unsigned char* buf, size_t len) {
    const ssize_t n = ::send(static_cast<Wire*>(w)->fd, buf, len, MSG_NOSIGNAL);
    if (n >= 0) return static_cast<int>(n);
    return errno == EAGAIN ? MBEDTLS_ERR_SSL_WANT_WRITE : MBEDTLS_ERR_SSL_INTERNAL_ERROR;
}

inline int wireRecv(void* w, unsigned char* buf, size_t len) {
    auto* wire = static_cast<Wire*>(w);
    const ssize_t n = ::recv(wire->fd, buf, len, 0);
    if (n > 0) wire->received.insert(wire->received.end(), buf, buf + n);
    if (n >= 0) return static_cast<int>(n);
    return errno == EAGAIN ? MBEDTLS_ERR_SSL_WANT_READ : MBEDTLS_ERR_SSL_INTERNAL_ERROR;
}

// The named curve of the ServerKeyExchange among the server's plaintext
// handshake records; "" when there was none (a resumed session).
inline std::string keyExchangeCurve(const std::vector<unsigned char>& b) {
    for (size_t r = 0; r + 5 <= b.size();) {
        const size_t rlen = static_cast<size_t>(b[r + 3]) << 8 | b[r + 4];
        if (b[r] == 22) {
            for (size_t m = r + 5; m + 7 <= r + 5 + rlen && m + 7 <= b.size();) {
                const size_t mlen = static_cast<size_t>(b[m + 1]) << 16 | static_cast<size_t>(b[m + 2]) << 8 | b[m + 3];
                if (b[m] == 12 && b[m + 4] == 3) {
                    const int id = b[m + 5] << 8 | b[m + 6];
                    return id == 23 ? "P-256" : id == 29 ? "X25519" : "curve " + std::to_string(id);
                }
                m += 4 + mlen;
            }
        }
        r += 5 + rlen;
    }
    return "";
}

struct Outcome {
    bool done = false;
    bool resumed = false;
    std::string curve;
};

// One connection: `phone` offers `resume` when it has one, and keeps the
// session it ends with in `save`.
inline Outcome handshake(const std::shared_ptr<tls::TlsServerContext>& server, Phone& phone,
                const mbedtls_ssl_session* resume = nullptr, mbedtls_ssl_session* save = nullptr) {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) == 0);
    Outcome out;
    {
        tls::TlsConnection conn(server, fds[0]);
        Wire wire{fds[1], {}};
        mbedtls_ssl_context ssl;
        mbedtls_ssl_init(&ssl);
        REQUIRE(mbedtls_ssl_setup(&ssl, &phone.conf) == 0);
        mbedtls_ssl_set_bio(&ssl, &wire, wireSend, wireRecv, nullptr);
        if (resume) REQUIRE(mbedtls_ssl_set_session(&ssl, resume) == 0);
        bool client_done = false;
        bool server_done = false;
        for (int step = 0; step < 100 && !(client_done && server_done); ++step) {
            if (!client_done) {
                const int rc = mbedtls_ssl_handshake(&ssl);
                client_done = rc == 0;
                if (rc != 0 && rc != MBEDTLS_ERR_SSL_WANT_READ && rc != MBEDTLS_ERR_SSL_WANT_WRITE) break;
            }
            if (!server_done) {
                const int rc = conn.handshakeStep();
                server_done = rc == 0;
                if (rc == tls::TlsConnection::kError) break;
            }
        }
        out.done = client_done && server_done;
        out.resumed = conn.resumed();
        out.curve = keyExchangeCurve(wire.received);
        if (out.done && save) REQUIRE(mbedtls_ssl_get_session(&ssl, save) == 0);
        mbedtls_ssl_free(&ssl);
    }
    ::close(fds[0]);
    ::close(fds[1]);
    return out;
}

struct SavedSession {
    mbedtls_ssl_session s;
    SavedSession() { mbedtls_ssl_session_init(&s); }
    ~SavedSession() { mbedtls_ssl_session_free(&s); }
};

}  // namespace prov::testing

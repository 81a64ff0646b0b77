#include "provisioner/tls/tls_client.h"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <poll.h>

#include "provisioner/tls/mbed_error.h"

namespace prov::tls {

struct ClientSession::State {
    mbedtls_net_context net;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_x509_crt ca;
    mbedtls_ssl_config conf;
    mbedtls_ssl_context ssl;
    int timeout_ms = 30000;
    std::chrono::steady_clock::time_point deadline{};

    State() {
        mbedtls_net_init(&net);
        mbedtls_entropy_init(&entropy);
        mbedtls_ctr_drbg_init(&drbg);
        mbedtls_x509_crt_init(&ca);
        mbedtls_ssl_config_init(&conf);
        mbedtls_ssl_init(&ssl);
    }
    ~State() {
        mbedtls_ssl_free(&ssl);
        mbedtls_ssl_config_free(&conf);
        mbedtls_x509_crt_free(&ca);
        mbedtls_ctr_drbg_free(&drbg);
        mbedtls_entropy_free(&entropy);
        // net.fd is the caller's: not closed here.
    }
};

namespace {

Error unavailable(std::string message) {
    return Error{Code::kUnavailable, "unavailable", std::move(message), {}, {}};
}

// Waits until `fd` is ready for what mbedTLS asked (WANT_READ/WANT_WRITE);
// false on timeout or past the session's deadline.
bool waitFor(int fd, int want, int timeout_ms, std::chrono::steady_clock::time_point deadline) {
    const int ms = waitMs(timeout_ms, deadline);
    if (ms <= 0) return false;
    pollfd p{fd, static_cast<short>(want == MBEDTLS_ERR_SSL_WANT_WRITE ? POLLOUT : POLLIN), 0};
    return ::poll(&p, 1, ms) > 0;
}

}  // namespace

ClientSession::ClientSession() : state_(std::make_unique<State>()) {}
ClientSession::~ClientSession() = default;

Result<std::unique_ptr<ClientSession>> ClientSession::handshake(int fd, const ClientOptions& o) {
    std::unique_ptr<ClientSession> session(new ClientSession());
    State& s = *session->state_;
    s.timeout_ms = o.timeout_ms;
    s.deadline = o.deadline;
    s.net.fd = fd;
    if (int rc = mbedtls_ctr_drbg_seed(&s.drbg, mbedtls_entropy_func, &s.entropy, nullptr, 0);
        rc != 0)
        return Error::internal("TLS: cannot seed the random generator: " + mbedError(rc));
    if (o.verify) {
        const std::string file = o.ca_file.empty() ? kSystemCaFile : o.ca_file;
        if (int rc = mbedtls_x509_crt_parse_file(&s.ca, file.c_str()); rc < 0)
            return unavailable("TLS: cannot read the CA certificates in " + file + ": " +
                               mbedError(rc));
    }
    if (int rc =
            mbedtls_ssl_config_defaults(&s.conf, MBEDTLS_SSL_IS_CLIENT,
                                        MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
        rc != 0)
        return Error::internal("TLS: " + mbedError(rc));
    mbedtls_ssl_conf_min_version(&s.conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_rng(&s.conf, mbedtls_ctr_drbg_random, &s.drbg);
    mbedtls_ssl_conf_authmode(&s.conf,
                              o.verify ? MBEDTLS_SSL_VERIFY_REQUIRED : MBEDTLS_SSL_VERIFY_NONE);
    if (o.verify) mbedtls_ssl_conf_ca_chain(&s.conf, &s.ca, nullptr);
    if (int rc = mbedtls_ssl_setup(&s.ssl, &s.conf); rc != 0)
        return Error::internal("TLS: " + mbedError(rc));
    if (int rc = mbedtls_ssl_set_hostname(&s.ssl, o.server_name.c_str()); rc != 0)
        return Error::internal("TLS: " + mbedError(rc));
    // Non-blocking calls, each wait bounded by poll: a server that stalls
    // mid-handshake costs one timeout, not a thread.
    mbedtls_ssl_set_bio(&s.ssl, &s.net, mbedtls_net_send, mbedtls_net_recv, nullptr);
    for (int rounds = 0;; ++rounds) {
        const int rc = mbedtls_ssl_handshake(&s.ssl);
        if (rc == 0) break;
        if ((rc != MBEDTLS_ERR_SSL_WANT_READ && rc != MBEDTLS_ERR_SSL_WANT_WRITE) ||
            rounds > 1000) {
            std::string why = "TLS handshake with " + o.server_name + " failed: " + mbedError(rc);
            if (const uint32_t flags = mbedtls_ssl_get_verify_result(&s.ssl);
                flags != 0 && o.verify) {
                char buf[512];
                mbedtls_x509_crt_verify_info(buf, sizeof buf, "", flags);
                std::string info(buf);
                while (!info.empty() && info.back() == '\n') info.pop_back();
                for (char& c : info) c = c == '\n' ? ';' : c;
                why += " (" + info + ")";
            }
            return unavailable(why);
        }
        if (!waitFor(fd, rc, s.timeout_ms, s.deadline))
            return unavailable("TLS handshake with " + o.server_name + " timed out");
    }
    return session;
}

Result<size_t> ClientSession::read(char* buf, size_t size) {
    State& s = *state_;
    for (int rounds = 0; rounds < 1000; ++rounds) {
        const int rc = mbedtls_ssl_read(&s.ssl, reinterpret_cast<unsigned char*>(buf), size);
        if (rc > 0) return static_cast<size_t>(rc);
        if (rc == 0 || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) return size_t{0};
        if (rc != MBEDTLS_ERR_SSL_WANT_READ && rc != MBEDTLS_ERR_SSL_WANT_WRITE)
            return unavailable("TLS read: " + mbedError(rc));
        if (!waitFor(s.net.fd, rc, s.timeout_ms, s.deadline))
            return unavailable("TLS read timed out");
    }
    return unavailable("TLS read: no progress");
}

Status ClientSession::writeAll(std::string_view data) {
    State& s = *state_;
    size_t done = 0;
    for (int rounds = 0; done < data.size(); ++rounds) {
        if (rounds > 100000) return unavailable("TLS write: no progress");
        const int rc = mbedtls_ssl_write(
            &s.ssl, reinterpret_cast<const unsigned char*>(data.data() + done), data.size() - done);
        if (rc > 0) {
            done += static_cast<size_t>(rc);
            continue;
        }
        if (rc != MBEDTLS_ERR_SSL_WANT_READ && rc != MBEDTLS_ERR_SSL_WANT_WRITE)
            return unavailable("TLS write: " + mbedError(rc));
        if (!waitFor(s.net.fd, rc, s.timeout_ms, s.deadline))
            return unavailable("TLS write timed out");
    }
    return okStatus();
}

}  // namespace prov::tls

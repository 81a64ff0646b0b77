#include "provisioner/tls/tls_server.h"
#include "provisioner/tls/mbed_error.h"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ciphersuites.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/x509_crt.h>
#include <dirent.h>
#include <mbedtls/oid.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "provisioner/core/mac_address.h"
#include "provisioner/core/server_metrics.h"
#include "provisioner/tls/session_cache.h"

namespace prov::tls {

namespace {

// Modern phones: forward secrecy and AEAD only.
const int kModernSuites[] = {
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    0,
};

// tls.legacy_phones adds what older desk phones still need: CBC suites and
// plain RSA key exchange (still TLS 1.2).
const int kLegacySuites[] = {
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    MBEDTLS_TLS_RSA_WITH_AES_128_GCM_SHA256,
    MBEDTLS_TLS_RSA_WITH_AES_128_CBC_SHA256,
    MBEDTLS_TLS_RSA_WITH_AES_128_CBC_SHA,
    0,
};

// X25519 and P-256 only: the default list makes every handshake try more.
// mbedTLS picks the key exchange's curve in this order among those the
// client offers, so X25519 goes first: it is the cheaper of the two here
// (bench/README.md) and what modern clients offer first. P-256 stays for
// clients that offer nothing else; in TLS 1.2 it also bounds the ECDSA
// certificate, which is P-256, so a client offering X25519 alone gets no
// ECDSA suite.
const mbedtls_ecp_group_id kCurves[] = {MBEDTLS_ECP_DP_CURVE25519, MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_NONE};

// Whether the handshake step running on this thread resumed a session.
// mbedTLS 2.28 says so only in its internal handshake state, freed when the
// handshake ends; the server resumes exactly when its cache finds the
// session ID or a ticket opens, so the two callbacks are wrapped to tell.
// A handshake step runs on one thread from start to end (an event loop).
thread_local bool t_resumed = false;

int cacheGet(void* cache, mbedtls_ssl_session* session) {
    const int rc = SessionCache::get(cache, session);
    if (rc == 0) t_resumed = true;
    return rc;
}

int ticketParse(void* tickets, mbedtls_ssl_session* session, unsigned char* buf, size_t len) {
    const int rc = mbedtls_ssl_ticket_parse(tickets, session, buf, len);
    if (rc == 0) t_resumed = true;
    return rc;
}

int sharedTicketParse(void* tickets, mbedtls_ssl_session* session, unsigned char* buf, size_t len) {
    const int rc = SessionTickets::parse(tickets, session, buf, len);
    if (rc == 0) t_resumed = true;
    return rc;
}

const Clock& systemClock() {
    static const SystemClock clock;
    return clock;
}

}  // namespace

const int* serverCiphersuites(bool legacy_phones) { return legacy_phones ? kLegacySuites : kModernSuites; }
const mbedtls_ecp_group_id* serverCurves() { return kCurves; }

struct VendorCa {
    std::string vendor;
    mbedtls_x509_crt chain;
    VendorCa() { mbedtls_x509_crt_init(&chain); }
    ~VendorCa() { mbedtls_x509_crt_free(&chain); }
};

struct TlsServerContext::State {
    std::vector<std::unique_ptr<VendorCa>> vendor_cas;
    mbedtls_x509_crt all_cas;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_x509_crt chain;
    mbedtls_pk_context key;
    mbedtls_ssl_ticket_context tickets;
    std::shared_ptr<SessionTickets> shared_tickets;
    std::unique_ptr<SessionCache> cache;
    mbedtls_ssl_config conf;
    State() {
        mbedtls_x509_crt_init(&all_cas);
        mbedtls_entropy_init(&entropy);
        mbedtls_ctr_drbg_init(&drbg);
        mbedtls_x509_crt_init(&chain);
        mbedtls_pk_init(&key);
        mbedtls_ssl_ticket_init(&tickets);
        mbedtls_ssl_config_init(&conf);
    }
    ~State() {
        mbedtls_ssl_config_free(&conf);
        cache.reset();
        mbedtls_ssl_ticket_free(&tickets);
        mbedtls_pk_free(&key);
        mbedtls_x509_crt_free(&chain);
        mbedtls_ctr_drbg_free(&drbg);
        mbedtls_entropy_free(&entropy);
        mbedtls_x509_crt_free(&all_cas);
    }
};

namespace {

// Reads <dir>/<vendor>/*.pem; a file that does not parse is an error naming it.
Status loadVendorCas(const std::string& dir, std::vector<std::unique_ptr<VendorCa>>& out, mbedtls_x509_crt& all) {
    DIR* d = opendir(dir.c_str());
    if (!d) return okStatus();  // no vendor CAs: no client certificates can be verified
    std::vector<std::string> vendors;
    while (dirent* e = readdir(d)) {
        if (e->d_name[0] != '.') vendors.emplace_back(e->d_name);
    }
    closedir(d);
    std::sort(vendors.begin(), vendors.end());
    for (const std::string& v : vendors) {
        const std::string vdir = dir + "/" + v;
        DIR* vd = opendir(vdir.c_str());
        if (!vd) continue;
        auto ca = std::make_unique<VendorCa>();
        ca->vendor = v;
        while (dirent* e = readdir(vd)) {
            const std::string name = e->d_name;
            if (name.size() < 5 || name.compare(name.size() - 4, 4, ".pem") != 0) continue;
            const std::string path = vdir + "/" + name;
            int rc = mbedtls_x509_crt_parse_file(&ca->chain, path.c_str());
            if (rc == 0) rc = mbedtls_x509_crt_parse_file(&all, path.c_str());
            if (rc != 0) {
                closedir(vd);
                return Error::invalid("tls: vendor CA " + path + ": " + mbedError(rc));
            }
        }
        closedir(vd);
        if (ca->chain.version != 0) out.push_back(std::move(ca));
    }
    return okStatus();
}

// The MAC a factory certificate names: Cisco puts it in the subject's ST
// field; Polycom and most others make it the CN.
std::string macFromSubject(const mbedtls_x509_crt& crt, const std::string& vendor) {
    const bool cisco = vendor == "cisco";
    for (const mbedtls_x509_name* n = &crt.subject; n; n = n->next) {
        const bool is_cn = MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0;
        const bool is_st = MBEDTLS_OID_CMP(MBEDTLS_OID_AT_STATE, &n->oid) == 0;
        if (!(cisco ? is_st : is_cn)) continue;
        const std::string value(reinterpret_cast<const char*>(n->val.p), n->val.len);
        if (auto mac = MacAddress::parse(value)) return mac->canonical();
    }
    return "";
}

}  // namespace

TlsServerContext::TlsServerContext() : state_(std::make_unique<State>()) {}
TlsServerContext::~TlsServerContext() = default;

Result<std::shared_ptr<TlsServerContext>> TlsServerContext::create(const TlsOptions& options) {
    std::shared_ptr<TlsServerContext> ctx(new TlsServerContext());
    ctx->handshake_timeout_ms_ = options.handshake_timeout_ms;
    State& s = *ctx->state_;
    int rc = mbedtls_ctr_drbg_seed(&s.drbg, mbedtls_entropy_func, &s.entropy,
                                   reinterpret_cast<const unsigned char*>("provisioner-tls"), 15);
    if (rc) return Error::internal("tls: cannot seed the random generator: " + mbedError(rc));
    if ((rc = mbedtls_x509_crt_parse_file(&s.chain, options.cert_path.c_str())))
        return Error::invalid("tls: cannot read the certificate " + options.cert_path + ": " + mbedError(rc));
    if ((rc = mbedtls_pk_parse_keyfile(&s.key, options.key_path.c_str(), nullptr)))
        return Error::invalid("tls: cannot read the key " + options.key_path + ": " + mbedError(rc));
    if ((rc = mbedtls_pk_check_pair(&s.chain.pk, &s.key)))
        return Error::invalid("tls: the key " + options.key_path + " does not match the certificate " +
                              options.cert_path);
    if ((rc = mbedtls_ssl_config_defaults(&s.conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                          MBEDTLS_SSL_PRESET_DEFAULT)))
        return Error::internal("tls: " + mbedError(rc));
    mbedtls_ssl_conf_rng(&s.conf, mbedtls_ctr_drbg_random, &s.drbg);
    mbedtls_ssl_conf_min_version(&s.conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_max_version(&s.conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_ciphersuites(&s.conf, serverCiphersuites(options.legacy_phones));
    mbedtls_ssl_conf_curves(&s.conf, serverCurves());
    if (auto st = loadVendorCas(options.vendor_ca_dir, s.vendor_cas, s.all_cas); !st) return st.error();
    if (options.client_cert == ClientCertMode::kNone || s.vendor_cas.empty()) {
        if (options.client_cert == ClientCertMode::kRequired)
            return Error::invalid("tls: https.client_cert=required but " + options.vendor_ca_dir +
                                  " holds no vendor CA (<vendor>/*.pem)");
        mbedtls_ssl_conf_authmode(&s.conf, MBEDTLS_SSL_VERIFY_NONE);
    } else {
        mbedtls_ssl_conf_ca_chain(&s.conf, &s.all_cas, nullptr);
        mbedtls_ssl_conf_authmode(&s.conf, options.client_cert == ClientCertMode::kRequired
                                               ? MBEDTLS_SSL_VERIFY_REQUIRED
                                               : MBEDTLS_SSL_VERIFY_OPTIONAL);
    }
    if ((rc = mbedtls_ssl_conf_own_cert(&s.conf, &s.chain, &s.key)))
        return Error::invalid("tls: the key does not match the certificate: " + mbedError(rc));
    // Tickets: with shared keys (session_tickets.h) any node of the fleet
    // opens them; without, mbedTLS's module makes AES-256-GCM keys of its
    // own that rotate every lifetime (keeping the previous one), and only
    // this process opens them. The cache serves phones that resume by
    // session ID.
    s.shared_tickets = options.tickets;
    if (s.shared_tickets) {
        mbedtls_ssl_conf_session_tickets_cb(&s.conf, SessionTickets::write, sharedTicketParse, s.shared_tickets.get());
    } else {
        if ((rc = mbedtls_ssl_ticket_setup(&s.tickets, mbedtls_ctr_drbg_random, &s.drbg, MBEDTLS_CIPHER_AES_256_GCM,
                                           kSessionSeconds)))
            return Error::internal("tls: session tickets: " + mbedError(rc));
        mbedtls_ssl_conf_session_tickets_cb(&s.conf, mbedtls_ssl_ticket_write, ticketParse, &s.tickets);
    }
    s.cache = std::make_unique<SessionCache>(options.clock ? *options.clock : systemClock(),
                                             SessionCacheOptions{kCachedSessions, kSessionSeconds, {}});
    mbedtls_ssl_conf_session_cache(&s.conf, s.cache.get(), cacheGet, SessionCache::set);
    return ctx;
}

struct TlsConnection::Ssl {
    mbedtls_ssl_context ssl;
    Ssl() { mbedtls_ssl_init(&ssl); }
    ~Ssl() { mbedtls_ssl_free(&ssl); }
};

TlsConnection::TlsConnection(std::shared_ptr<TlsServerContext> context, int fd)
    : context_(std::move(context)), fd_(fd) {}

TlsConnection::~TlsConnection() = default;

// mbedtls_ssl_setup allocates the record buffers: only once the peer speaks.
bool TlsConnection::setUp() {
    ssl_ = std::make_unique<Ssl>();
    const int rc = mbedtls_ssl_setup(&ssl_->ssl, &context_->state_->conf);
    if (rc != 0) {
        last_error_ = "cannot set up TLS: " + mbedError(rc);
        release();
        return false;
    }
    mbedtls_ssl_set_bio(&ssl_->ssl, this, &TlsConnection::sendCallback, &TlsConnection::recvCallback, nullptr);
    return true;
}

void TlsConnection::release() {
    ssl_.reset();
    released_ = true;
}

int TlsConnection::sendCallback(void* self, const unsigned char* buf, size_t len) {
    auto* c = static_cast<TlsConnection*>(self);
    for (;;) {
        const ssize_t n = ::send(c->fd_, buf, len, MSG_NOSIGNAL);
        if (n >= 0) return static_cast<int>(n);
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return MBEDTLS_ERR_SSL_WANT_WRITE;
        return MBEDTLS_ERR_NET_SEND_FAILED;
    }
}

int TlsConnection::recvCallback(void* self, unsigned char* buf, size_t len) {
    auto* c = static_cast<TlsConnection*>(self);
    for (;;) {
        const ssize_t n = ::recv(c->fd_, buf, len, 0);
        if (n >= 0) return static_cast<int>(n);
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return MBEDTLS_ERR_SSL_WANT_READ;
        return MBEDTLS_ERR_NET_RECV_FAILED;
    }
}

Status TlsConnection::checkPeer() {
    const mbedtls_x509_crt* peer = mbedtls_ssl_get_peer_cert(&ssl_->ssl);
    if (!peer) return okStatus();  // no certificate: the request stands on its network alone
    // With an optional certificate mbedTLS finishes the handshake whatever
    // the verification said; a certificate that was sent must be good.
    if (mbedtls_ssl_get_verify_result(&ssl_->ssl) != 0) {
        char why[256];
        mbedtls_x509_crt_verify_info(why, sizeof why, "", mbedtls_ssl_get_verify_result(&ssl_->ssl));
        return Error::invalid(std::string("client certificate refused: ") + why);
    }
    // Which vendor's CA signed it decides where the MAC is read from.
    for (const auto& ca : context_->state_->vendor_cas) {
        uint32_t flags = 0;
        if (mbedtls_x509_crt_verify(const_cast<mbedtls_x509_crt*>(peer), &ca->chain, nullptr, nullptr, &flags,
                                    nullptr, nullptr) == 0 &&
            flags == 0) {
            peer_.verified = true;
            peer_.vendor = ca->vendor;
            peer_.mac = macFromSubject(*peer, ca->vendor);
            return okStatus();
        }
    }
    return Error::invalid("client certificate refused: it chains to no vendor CA");
}

int TlsConnection::handshakeStep() {
    if (released_) return kError;
    if (handshake_done_) return 0;
    using Handshake = metrics::ServerMetrics::Handshake;
    if (!ssl_ && !setUp()) {
        metrics::serverMetrics().tlsHandshake(Handshake::kFailed);
        return kError;
    }
    t_resumed = false;
    const int rc = mbedtls_ssl_handshake(&ssl_->ssl);
    if (t_resumed) resumed_ = true;
    if (rc == MBEDTLS_ERR_SSL_WANT_READ) return kWantRead;
    if (rc == MBEDTLS_ERR_SSL_WANT_WRITE) return kWantWrite;
    if (rc != 0) {
        last_error_ = "handshake failed: " + mbedError(rc);
        metrics::serverMetrics().tlsHandshake(Handshake::kFailed);
        return kError;
    }
    if (auto st = checkPeer(); !st) {
        last_error_ = st.error().message;
        metrics::serverMetrics().tlsHandshake(Handshake::kFailed);
        return kError;
    }
    handshake_done_ = true;
    metrics::serverMetrics().tlsHandshake(resumed_ ? Handshake::kResumed : Handshake::kFull);
    return 0;
}

int TlsConnection::readSome(void* buffer, int length) {
    if (!ssl_) return kError;
    const int rc = mbedtls_ssl_read(&ssl_->ssl, static_cast<unsigned char*>(buffer), static_cast<size_t>(length));
    if (rc >= 0) return rc;
    if (rc == MBEDTLS_ERR_SSL_WANT_READ) return kWantRead;
    if (rc == MBEDTLS_ERR_SSL_WANT_WRITE) return kWantWrite;
    if (rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || rc == MBEDTLS_ERR_SSL_CONN_EOF) return 0;
    return kError;
}

int TlsConnection::writeSome(const void* buffer, int length) {
    if (!ssl_) return kError;
    const int rc = mbedtls_ssl_write(&ssl_->ssl, static_cast<const unsigned char*>(buffer), static_cast<size_t>(length));
    if (rc > 0) return rc;
    if (rc == MBEDTLS_ERR_SSL_WANT_READ) return kWantRead;
    if (rc == MBEDTLS_ERR_SSL_WANT_WRITE) return kWantWrite;
    return kError;
}

bool TlsConnection::buffered() const {
    if (!ssl_) return false;
    return mbedtls_ssl_get_bytes_avail(&ssl_->ssl) > 0 || mbedtls_ssl_check_pending(&ssl_->ssl) != 0;
}


void TlsConnection::closeNotify() {
    if (handshake_done_ && ssl_) (void)mbedtls_ssl_close_notify(&ssl_->ssl);
}


}  // namespace prov::tls

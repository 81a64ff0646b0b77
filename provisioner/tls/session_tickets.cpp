#include "provisioner/tls/session_tickets.h"

#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>

#include <vector>

#include "provisioner/tls/mbed_error.h"

namespace prov::tls {

namespace {

constexpr size_t kPeriodBytes = 8;
constexpr size_t kNonceBytes = 12;
constexpr size_t kLengthBytes = 2;
constexpr size_t kHeaderBytes = kPeriodBytes + kNonceBytes + kLengthBytes;
constexpr size_t kTagBytes = 16;

void putBig(unsigned char* p, uint64_t v, size_t bytes) {
    for (size_t i = 0; i < bytes; ++i) p[i] = static_cast<unsigned char>(v >> (8 * (bytes - 1 - i)));
}

uint64_t getBig(const unsigned char* p, size_t bytes) {
    uint64_t v = 0;
    for (size_t i = 0; i < bytes; ++i) v = v << 8 | p[i];
    return v;
}

}  // namespace

struct SessionTickets::Key {
    mbedtls_gcm_context gcm;
    Key() { mbedtls_gcm_init(&gcm); }
    ~Key() { mbedtls_gcm_free(&gcm); }  // zeroes the expanded key
    Key(const Key&) = delete;
    Key& operator=(const Key&) = delete;
};

SessionTickets::SessionTickets(std::unique_ptr<TicketKeySource> keys, const Clock& clock, int64_t rotation_seconds)
    : source_(std::move(keys)), clock_(clock), rotation_seconds_(rotation_seconds < 60 ? 60 : rotation_seconds) {
    mbedtls_entropy_init(&entropy_);
    mbedtls_ctr_drbg_init(&drbg_);
    static const char kPersonal[] = "provisioner-tls-tickets";
    seeded_ = mbedtls_ctr_drbg_seed(&drbg_, mbedtls_entropy_func, &entropy_,
                                    reinterpret_cast<const unsigned char*>(kPersonal), sizeof kPersonal - 1) == 0;
}

SessionTickets::~SessionTickets() {
    keys_.clear();
    mbedtls_ctr_drbg_free(&drbg_);
    mbedtls_entropy_free(&entropy_);
}

int64_t SessionTickets::currentPeriod() const {
    const int64_t now = clock_.nowSeconds();
    return now >= 0 ? now / rotation_seconds_ : (now - rotation_seconds_ + 1) / rotation_seconds_;
}

// The source is asked without the lock held: it may be a store transaction,
// and the phones' handshakes keep using the keys already loaded meanwhile.
Status SessionTickets::refresh() {
    const int64_t current = currentPeriod();
    std::vector<int64_t> missing;
    bool forgot = false;
    {
        std::lock_guard lock(mutex_);
        while (!keys_.empty() && keys_.begin()->first < current - 1) {
            keys_.erase(keys_.begin());
            forgot = true;
        }
        for (int64_t p = current - 1; p <= current + 1; ++p)
            if (!keys_.count(p)) missing.push_back(p);
    }
    std::string problems;
    for (const int64_t period : missing) {
        Result<std::string> secret = source_->secret(period);
        if (!secret) {
            problems += (problems.empty() ? "" : "; ") + secret.error().message;
            continue;
        }
        // A short secret (a store edited by hand, a bad restore) would make a
        // key anyone could compute from the public label: refused.
        if (secret.value().size() < 32) {
            mbedtls_platform_zeroize(secret.value().data(), secret.value().size());
            problems += (problems.empty() ? "" : "; ") + ("ticket key of period " + std::to_string(period) +
                                                          ": the stored secret is shorter than 32 characters");
            continue;
        }
        // The key: SHA-256 of a label and the secret, which is high-entropy
        // text; the label keeps it apart from any other use of the secret.
        std::string input = "provisioner session ticket key v1";
        input.push_back('\0');
        input += secret.value();
        unsigned char key[32];
        int rc = mbedtls_sha256_ret(reinterpret_cast<const unsigned char*>(input.data()), input.size(), key, 0);
        auto made = std::make_unique<Key>();
        if (rc == 0) rc = mbedtls_gcm_setkey(&made->gcm, MBEDTLS_CIPHER_ID_AES, key, 256);
        mbedtls_platform_zeroize(key, sizeof key);
        mbedtls_platform_zeroize(input.data(), input.size());
        mbedtls_platform_zeroize(secret.value().data(), secret.value().size());
        if (rc != 0) {
            problems += (problems.empty() ? "" : "; ") + ("ticket key: " + mbedError(rc));
            continue;
        }
        std::lock_guard lock(mutex_);
        keys_[period] = std::move(made);
    }
    // Once a period (and at start): the secrets no node needs any more go
    // from the source too, so that they cannot open an old ticket later.
    if (forgot || missing.size() == 3) {
        if (auto st = source_->forgetBefore(current - 1); !st)
            problems += (problems.empty() ? "" : "; ") + st.error().message;
    }
    if (!problems.empty()) return Error{Code::kUnavailable, "session_tickets", "session tickets: " + problems, {}, {}};
    return okStatus();
}

int SessionTickets::write(void* tickets, const mbedtls_ssl_session* session, unsigned char* start,
                          const unsigned char* end, size_t* length, uint32_t* lifetime) {
    auto* self = static_cast<SessionTickets*>(tickets);
    *length = 0;
    *lifetime = static_cast<uint32_t>(self->rotation_seconds_);
    return self->seal(*session, start, end, *length);
}

int SessionTickets::parse(void* tickets, mbedtls_ssl_session* session, unsigned char* buffer, size_t length) {
    return static_cast<SessionTickets*>(tickets)->open(*session, buffer, length);
}

int SessionTickets::seal(const mbedtls_ssl_session& session, unsigned char* start, const unsigned char* end,
                         size_t& length) {
    size_t plain = 0;
    (void)mbedtls_ssl_session_save(&session, nullptr, 0, &plain);
    if (plain == 0 || plain > 0xFFFF) return MBEDTLS_ERR_SSL_INTERNAL_ERROR;
    if (end < start || static_cast<size_t>(end - start) < kHeaderBytes + plain + kTagBytes)
        return MBEDTLS_ERR_SSL_BUFFER_TOO_SMALL;
    std::lock_guard lock(mutex_);
    const int64_t period = currentPeriod();
    const auto key = keys_.find(period);
    if (key == keys_.end() || !seeded_) return MBEDTLS_ERR_SSL_INTERNAL_ERROR;
    unsigned char* nonce = start + kPeriodBytes;
    unsigned char* body = start + kHeaderBytes;
    putBig(start, static_cast<uint64_t>(period), kPeriodBytes);
    int rc = mbedtls_ctr_drbg_random(&drbg_, nonce, kNonceBytes);
    if (rc != 0) return rc;
    putBig(nonce + kNonceBytes, plain, kLengthBytes);
    size_t saved = 0;
    if ((rc = mbedtls_ssl_session_save(&session, body, plain, &saved)) != 0 || saved != plain) {
        mbedtls_platform_zeroize(body, plain);
        return rc != 0 ? rc : MBEDTLS_ERR_SSL_INTERNAL_ERROR;
    }
    rc = mbedtls_gcm_crypt_and_tag(&key->second->gcm, MBEDTLS_GCM_ENCRYPT, plain, nonce, kNonceBytes, start,
                                   kHeaderBytes, body, body, kTagBytes, body + plain);
    if (rc != 0) {
        mbedtls_platform_zeroize(body, plain);
        return rc;
    }
    length = kHeaderBytes + plain + kTagBytes;
    return 0;
}

int SessionTickets::open(mbedtls_ssl_session& session, unsigned char* buffer, size_t length) {
    if (length < kHeaderBytes + kTagBytes) return MBEDTLS_ERR_SSL_BAD_INPUT_DATA;
    const size_t plain = static_cast<size_t>(getBig(buffer + kPeriodBytes + kNonceBytes, kLengthBytes));
    if (length != kHeaderBytes + plain + kTagBytes) return MBEDTLS_ERR_SSL_BAD_INPUT_DATA;
    const int64_t period = static_cast<int64_t>(getBig(buffer, kPeriodBytes));
    unsigned char* body = buffer + kHeaderBytes;
    {
        std::lock_guard lock(mutex_);
        const int64_t current = currentPeriod();
        if (period != current && period != current - 1) return MBEDTLS_ERR_SSL_SESSION_TICKET_EXPIRED;
        const auto key = keys_.find(period);
        if (key == keys_.end()) return MBEDTLS_ERR_SSL_SESSION_TICKET_EXPIRED;
        const int rc = mbedtls_gcm_auth_decrypt(&key->second->gcm, plain, buffer + kPeriodBytes, kNonceBytes, buffer,
                                                kHeaderBytes, body + plain, kTagBytes, body, body);
        if (rc != 0) return MBEDTLS_ERR_SSL_INVALID_MAC;
    }
    // mbedTLS 2.28 sends no new ticket on a resumption, so the session's
    // life is the ticket's: at most two periods.
    const int rc = mbedtls_ssl_session_load(&session, body, plain);
    mbedtls_platform_zeroize(body, plain);
    return rc;
}

}  // namespace prov::tls

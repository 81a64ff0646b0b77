#include "provisioner/tls/crypto.h"

#include <mbedtls/aes.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/md.h>
#include <mbedtls/md5.h>
#include <mbedtls/sha256.h>

#include <stdexcept>

namespace prov::tls {

struct CtrDrbgRandom::State {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
};

CtrDrbgRandom::CtrDrbgRandom() : state_(std::make_unique<State>()) {
    mbedtls_entropy_init(&state_->entropy);
    mbedtls_ctr_drbg_init(&state_->drbg);
    static const unsigned char kPersonalization[] = "provisioner-ctr-drbg";
    if (mbedtls_ctr_drbg_seed(&state_->drbg, mbedtls_entropy_func, &state_->entropy,
                              kPersonalization, sizeof kPersonalization - 1) != 0) {
        // Without entropy no secret we hand out would be safe: stop here.
        throw std::runtime_error("cannot seed the random generator from the platform entropy");
    }
    mbedtls_ctr_drbg_set_prediction_resistance(&state_->drbg, MBEDTLS_CTR_DRBG_PR_OFF);
}

CtrDrbgRandom::~CtrDrbgRandom() {
    mbedtls_ctr_drbg_free(&state_->drbg);
    mbedtls_entropy_free(&state_->entropy);
}

void CtrDrbgRandom::bytes(unsigned char* out, size_t length) {
    std::lock_guard lock(mutex_);
    while (length > 0) {
        const size_t chunk = length < MBEDTLS_CTR_DRBG_MAX_REQUEST ? length : MBEDTLS_CTR_DRBG_MAX_REQUEST;
        if (mbedtls_ctr_drbg_random(&state_->drbg, out, chunk) != 0)
            throw std::runtime_error("random generator failed");
        out += chunk;
        length -= chunk;
    }
}

std::string CtrDrbgRandom::alnum(size_t length) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    constexpr unsigned kSize = sizeof kAlphabet - 1;    // 62
    constexpr unsigned kLimit = 256 - (256 % kSize);    // 248: rejection keeps it uniform
    std::string out;
    out.reserve(length);
    unsigned char buf[64];
    while (out.size() < length) {
        bytes(buf, sizeof buf);
        for (unsigned char b : buf) {
            if (b < kLimit && out.size() < length) out.push_back(kAlphabet[b % kSize]);
        }
    }
    return out;
}

namespace {

std::string toHex(const unsigned char* bytes, size_t length) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(length * 2);
    for (size_t i = 0; i < length; ++i) {
        out.push_back(kHex[bytes[i] >> 4]);
        out.push_back(kHex[bytes[i] & 15]);
    }
    return out;
}

const unsigned char* bytesOf(const std::string& s) {
    return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

std::string Sha256Hasher::sha256Hex(const std::string& data) const {
    unsigned char digest[32];
    mbedtls_sha256_ret(bytesOf(data), data.size(), digest, 0);
    return toHex(digest, sizeof digest);
}

struct Sha256Stream::State {
    mbedtls_sha256_context ctx;
};

Sha256Stream::Sha256Stream() : state_(std::make_unique<State>()) {
    mbedtls_sha256_init(&state_->ctx);
    mbedtls_sha256_starts_ret(&state_->ctx, 0);
}

Sha256Stream::~Sha256Stream() { mbedtls_sha256_free(&state_->ctx); }

void Sha256Stream::update(const void* data, size_t length) {
    mbedtls_sha256_update_ret(&state_->ctx, static_cast<const unsigned char*>(data), length);
    bytes_ += length;
}

std::string Sha256Stream::hexDigest() {
    unsigned char digest[32];
    mbedtls_sha256_finish_ret(&state_->ctx, digest);
    return toHex(digest, sizeof digest);
}

std::string Sha256Hasher::md5Hex(const std::string& data) const {
    unsigned char digest[16];
    mbedtls_md5_ret(bytesOf(data), data.size(), digest);
    return toHex(digest, sizeof digest);
}

std::string Sha256Hasher::hmacSha256Hex(const std::string& key, const std::string& data) const {
    unsigned char mac[32];
    const mbedtls_md_info_t* info = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    // Fails only on a missing SHA-256 or bad arguments, neither of which a
    // caller can cause: a MAC of zeros would verify anything, so stop instead.
    if (info == nullptr ||
        mbedtls_md_hmac(info, bytesOf(key), key.size(), bytesOf(data), data.size(), mac) != 0)
        throw std::runtime_error("HMAC-SHA256 failed");
    return toHex(mac, sizeof mac);
}

std::string AesCipher::aes128Ecb(const std::string& key, const std::string& plain) const {
    if (key.size() != 16 || plain.size() % 16 != 0) throw std::invalid_argument("AES-128-ECB: bad key or length");
    mbedtls_aes_context aes;
    mbedtls_aes_init(&aes);
    std::string out(plain.size(), '\0');
    const bool ok = mbedtls_aes_setkey_enc(&aes, bytesOf(key), 128) == 0;
    for (size_t i = 0; ok && i < plain.size(); i += 16) {
        mbedtls_aes_crypt_ecb(&aes, MBEDTLS_AES_ENCRYPT, bytesOf(plain) + i,
                              reinterpret_cast<unsigned char*>(out.data()) + i);
    }
    mbedtls_aes_free(&aes);
    if (!ok) throw std::runtime_error("AES-128 key setup failed");
    return out;
}

}  // namespace prov::tls

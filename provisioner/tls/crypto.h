#pragma once

// mbedTLS-backed randomness and hashing. The only place above which nothing
// needs to know mbedTLS exists.

#include <memory>
#include <mutex>
#include <cstdint>
#include <string>

#include "provisioner/core/random_source.h"

namespace prov::tls {

// CTR_DRBG seeded from the platform entropy source. Thread-safe.
class CtrDrbgRandom final : public RandomSource {
public:
    CtrDrbgRandom();
    ~CtrDrbgRandom() override;
    CtrDrbgRandom(const CtrDrbgRandom&) = delete;
    CtrDrbgRandom& operator=(const CtrDrbgRandom&) = delete;

    std::string alnum(size_t length) override;
    void bytes(unsigned char* out, size_t length);

private:
    struct State;
    std::unique_ptr<State> state_;
    std::mutex mutex_;
};

// The Hasher of every layer above tls/. Named for its first digest; it now
// also gives MD5 and HMAC-SHA256 (HTTP Digest authentication needs both).
class Sha256Hasher final : public Hasher {
public:
    std::string sha256Hex(const std::string& data) const override;
    std::string md5Hex(const std::string& data) const override;
    std::string hmacSha256Hex(const std::string& key, const std::string& data) const override;
};

// SHA-256 over data given in pieces (a firmware image is hashed as it is
// read or received, never held whole).
//
//   Sha256Stream h;
//   while (n = read(...)) h.update(buf, n);
//   std::string hex = h.hexDigest();  // once; the stream is spent after
class Sha256Stream {
public:
    Sha256Stream();
    ~Sha256Stream();
    Sha256Stream(const Sha256Stream&) = delete;
    Sha256Stream& operator=(const Sha256Stream&) = delete;

    void update(const void* data, size_t length);
    // Lowercase hex of everything given so far.
    std::string hexDigest();
    uint64_t bytes() const { return bytes_; }

private:
    struct State;
    std::unique_ptr<State> state_;
    uint64_t bytes_ = 0;
};

class AesCipher final : public Cipher {
public:
    std::string aes128Ecb(const std::string& key, const std::string& plain) const override;
};

}  // namespace prov::tls

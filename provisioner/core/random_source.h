#pragma once

// Cryptographically strong randomness as a dependency (tls/ implements it
// with mbedTLS CTR_DRBG), so layers above core need not link mbedTLS.

#include <string>

namespace prov {

class RandomSource {
public:
    virtual ~RandomSource() = default;
    // `length` characters drawn uniformly from [A-Za-z0-9].
    virtual std::string alnum(size_t length) = 0;
};

// AES for the configs a vendor's phones decrypt themselves (Yealink's
// MAC-oriented key: AES-128-ECB, no IV).
class Cipher {
public:
    virtual ~Cipher() = default;
    // `plain` encrypted with the 16-byte `key`; plain.size() must be a
    // multiple of 16 (the caller pads as the vendor expects).
    virtual std::string aes128Ecb(const std::string& key, const std::string& plain) const = 0;
};

class Hasher {
public:
    virtual ~Hasher() = default;
    // Lowercase hex SHA-256 of `data`.
    virtual std::string sha256Hex(const std::string& data) const = 0;
    // Lowercase hex MD5 of `data`. Only for protocols that mandate it (HTTP
    // Digest's MD5 algorithm, which most desk phones still send); never for
    // anything this server invents.
    virtual std::string md5Hex(const std::string& data) const = 0;
    // Lowercase hex HMAC-SHA256 (RFC 2104) of `data` under `key`.
    virtual std::string hmacSha256Hex(const std::string& key, const std::string& data) const = 0;
};

}  // namespace prov

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

class Hasher {
public:
    virtual ~Hasher() = default;
    // Lowercase hex SHA-256 of `data`.
    virtual std::string sha256Hex(const std::string& data) const = 0;
};

}  // namespace prov

#pragma once

// Portal passwords: Argon2id (RFC 9106) in its encoded string form, which
// carries its own parameters and salt, so that stored hashes keep verifying
// after the defaults change.

#include <cstdint>
#include <string>

#include "provisioner/core/random_source.h"
#include "provisioner/core/result.h"

namespace prov {

struct PasswordParams {
    uint32_t passes = 3;             // t
    uint32_t memory_kib = 64 * 1024;  // m: 64 MiB
    uint32_t lanes = 1;              // p
};

// The shortest password a user may be given.
inline constexpr size_t kMinPasswordLength = 10;

// The encoded Argon2id hash of `password` with a fresh 16-byte salt drawn
// from `random`. At most two hashes run at once (each holds memory_kib).
Result<std::string> hashPassword(const std::string& password, const PasswordParams& params, RandomSource& random);

// Whether `password` matches `encoded` (constant-time compare). A malformed
// or empty `encoded` matches nothing, after the same work as a real check.
bool verifyPassword(const std::string& password, const std::string& encoded, const PasswordParams& params);

}  // namespace prov

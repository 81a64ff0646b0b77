#pragma once

// Portal passwords: Argon2id (RFC 9106) in its encoded string form, which
// carries its own parameters and salt, so that stored hashes keep verifying
// after the defaults change.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>

#include "provisioner/core/random_source.h"
#include "provisioner/core/result.h"

namespace prov {

// OWASP's first Argon2id setting (46 MiB, one pass, one lane): as costly to
// guess on a GPU as its 19 MiB x 2 or our earlier 64 MiB x 3, at about a
// quarter of the earlier time, so a sign-in stays near 100 ms and a burst
// of them holds the hash slots for less.
struct PasswordParams {
    uint32_t passes = 1;              // t
    uint32_t memory_kib = 46 * 1024;  // m: 46 MiB
    uint32_t lanes = 1;              // p
    // Not part of the hash: how long a hash waits for a free slot
    // (HashSlots) before it gives up as busy.
    uint32_t slot_wait_ms = 3000;
};

// The shortest password a user may be given.
inline constexpr size_t kMinPasswordLength = 10;

// Places for hashes to run in. Each hash holds memory_kib while it runs:
// bounding how many run at once bounds the memory a burst of sign-ins can
// take; bounding the wait for a place bounds how long such a burst holds
// the threads that wait (the admin server has 8), so that the rest of the
// API keeps answering.
class HashSlots {
public:
    explicit HashSlots(int slots) : slots_(slots) {}
    // Takes a place, waiting at most `wait` for one; false: none came free.
    [[nodiscard]] bool acquire(std::chrono::milliseconds wait);
    void release();

private:
    const int slots_;
    std::mutex mutex_;
    std::condition_variable free_;
    int busy_ = 0;
};

// The process's places for password hashes: two.
HashSlots& passwordHashSlots();

// The encoded Argon2id hash of `password` with a fresh 16-byte salt drawn
// from `random`. Unavailable ("busy") when no hash place came free within
// params.slot_wait_ms.
Result<std::string> hashPassword(const std::string& password, const PasswordParams& params, RandomSource& random);

enum class PasswordCheck { kMatch, kMismatch, kBusy };

// Whether `password` matches `encoded` (constant-time compare). A malformed
// or empty `encoded` matches nothing, after the same work as a real check.
// kBusy: no hash place came free within params.slot_wait_ms; nothing was checked.
PasswordCheck verifyPassword(const std::string& password, const std::string& encoded, const PasswordParams& params);

}  // namespace prov

#include "provisioner/inventory/password.h"

#include <argon2.h>

#include <condition_variable>
#include <mutex>

namespace prov {

namespace {

constexpr size_t kSaltLength = 16;
constexpr size_t kHashLength = 32;

// Each hash holds `memory_kib` for its run: bounding how many run at once
// bounds the memory a burst of sign-ins can take.
class HashSlots {
public:
    void acquire() {
        std::unique_lock<std::mutex> lock(mutex_);
        free_.wait(lock, [this] { return busy_ < kSlots; });
        ++busy_;
    }
    void release() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            --busy_;
        }
        free_.notify_one();
    }

private:
    static constexpr int kSlots = 2;
    std::mutex mutex_;
    std::condition_variable free_;
    int busy_ = 0;
};

HashSlots& slots() {
    static HashSlots s;
    return s;
}

struct SlotHeld {
    SlotHeld() { slots().acquire(); }
    ~SlotHeld() { slots().release(); }
    SlotHeld(const SlotHeld&) = delete;
    SlotHeld& operator=(const SlotHeld&) = delete;
};

// 16 bytes of salt: the random source gives [A-Za-z0-9], so 16 of them carry
// about 95 bits, ample for a salt, whose job is only to be unique.
Result<std::string> encode(const std::string& password, const std::string& salt, const PasswordParams& p) {
    const size_t length = argon2_encodedlen(p.passes, p.memory_kib, p.lanes, static_cast<uint32_t>(salt.size()),
                                            kHashLength, Argon2_id);
    std::string encoded(length, '\0');
    int rc = 0;
    {
        SlotHeld held;
        rc = argon2id_hash_encoded(p.passes, p.memory_kib, p.lanes, password.data(), password.size(), salt.data(),
                                   salt.size(), kHashLength, encoded.data(), encoded.size());
    }
    if (rc != ARGON2_OK) return Error::internal(std::string("password hashing failed: ") + argon2_error_message(rc));
    encoded.resize(encoded.find('\0') == std::string::npos ? encoded.size() : encoded.find('\0'));
    return encoded;
}

}  // namespace

Result<std::string> hashPassword(const std::string& password, const PasswordParams& params, RandomSource& random) {
    return encode(password, random.alnum(kSaltLength), params);
}

bool verifyPassword(const std::string& password, const std::string& encoded, const PasswordParams& params) {
    if (encoded.rfind("$argon2id$", 0) != 0) {
        // No hash to check (an unknown user, one without a password): the
        // same work as a check, so that the answer's time tells nothing.
        (void)encode(password, "no-such-user-salt", params);
        return false;
    }
    SlotHeld held;
    return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

}  // namespace prov

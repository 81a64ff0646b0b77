#include "provisioner/inventory/password.h"

#include <argon2.h>

#include <optional>

namespace prov {

namespace {

constexpr size_t kSaltLength = 16;
constexpr size_t kHashLength = 32;

// A place held for one hash; `held()` false when none came free in time.
class SlotHeld {
public:
    explicit SlotHeld(const PasswordParams& p)
        : held_(passwordHashSlots().acquire(std::chrono::milliseconds(p.slot_wait_ms))) {}
    ~SlotHeld() {
        if (held_) passwordHashSlots().release();
    }
    SlotHeld(const SlotHeld&) = delete;
    SlotHeld& operator=(const SlotHeld&) = delete;
    bool held() const { return held_; }

private:
    bool held_;
};

Error busy() {
    return Error{Code::kUnavailable, "busy", "the server is busy checking other passwords; try again shortly", {}, {}};
}

// 16 bytes of salt: the random source gives [A-Za-z0-9], so 16 of them carry
// about 95 bits, ample for a salt, whose job is only to be unique.
Result<std::string> encode(const std::string& password, const std::string& salt, const PasswordParams& p) {
    const size_t length = argon2_encodedlen(p.passes, p.memory_kib, p.lanes, static_cast<uint32_t>(salt.size()),
                                            kHashLength, Argon2_id);
    std::string encoded(length, '\0');
    int rc = 0;
    {
        SlotHeld slot(p);
        if (!slot.held()) return busy();
        rc = argon2id_hash_encoded(p.passes, p.memory_kib, p.lanes, password.data(), password.size(), salt.data(),
                                   salt.size(), kHashLength, encoded.data(), encoded.size());
    }
    if (rc != ARGON2_OK) return Error::internal(std::string("password hashing failed: ") + argon2_error_message(rc));
    encoded.resize(encoded.find('\0') == std::string::npos ? encoded.size() : encoded.find('\0'));
    return encoded;
}

}  // namespace

bool HashSlots::acquire(std::chrono::milliseconds wait) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!free_.wait_for(lock, wait, [this] { return busy_ < slots_; })) return false;
    ++busy_;
    return true;
}

void HashSlots::release() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        --busy_;
    }
    free_.notify_one();
}

HashSlots& passwordHashSlots() {
    static HashSlots s(2);
    return s;
}

Result<std::string> hashPassword(const std::string& password, const PasswordParams& params, RandomSource& random) {
    return encode(password, random.alnum(kSaltLength), params);
}

PasswordCheck verifyPassword(const std::string& password, const std::string& encoded, const PasswordParams& params) {
    if (encoded.rfind("$argon2id$", 0) != 0) {
        // No hash to check (an unknown user, one without a password): the
        // same work as a check, so that the answer's time tells nothing.
        const Result<std::string> same_work = encode(password, "no-such-user-salt", params);
        if (!same_work && same_work.error().reason == "busy") return PasswordCheck::kBusy;
        return PasswordCheck::kMismatch;
    }
    SlotHeld slot(params);
    if (!slot.held()) return PasswordCheck::kBusy;
    return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK ? PasswordCheck::kMatch
                                                                                           : PasswordCheck::kMismatch;
}

}  // namespace prov

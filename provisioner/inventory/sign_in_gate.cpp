#include "provisioner/inventory/sign_in_gate.h"

#include <algorithm>

namespace prov {

SignInGate::Pass::Pass(Pass&& other) noexcept : gate_(other.gate_), keys_(std::move(other.keys_)) {
    other.gate_ = nullptr;
}

SignInGate::Pass& SignInGate::Pass::operator=(Pass&& other) noexcept {
    if (this != &other) {
        if (gate_) gate_->leave(keys_);
        gate_ = other.gate_;
        keys_ = std::move(other.keys_);
        other.gate_ = nullptr;
    }
    return *this;
}

SignInGate::Pass::~Pass() {
    if (gate_) gate_->leave(keys_);
}

SignInGate::Pass SignInGate::enter(std::vector<std::string> keys) {
    // One attempt names a key once (a name spelled like an address is a
    // different key: "user:" or "source:" comes first).
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    std::lock_guard<std::mutex> lock(mutex_);
    for (const std::string& k : keys) {
        if (held_.count(k)) return Pass();
    }
    held_.insert(keys.begin(), keys.end());
    return Pass(this, std::move(keys));
}

size_t SignInGate::held() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return held_.size();
}

void SignInGate::leave(const std::vector<std::string>& keys) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const std::string& k : keys) held_.erase(k);
}

}  // namespace prov

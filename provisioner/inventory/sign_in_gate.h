#pragma once

// Sign-ins in flight on this node, by throttle key (sign_in_throttle.h).
//
// An attempt checks its keys' throttle rows, then spends a while on the
// password, then writes its failure: were several attempts on one key let
// through at once, each would pass the check before any wrote its failure,
// and far more than `failures` guesses would get in before the block. So an
// attempt holds every key it counts on for its whole run, and an attempt
// that finds one of them held is turned away at once (not counted: no
// password was looked at). That holds guesses to `failures` per block on one
// node. Several nodes sharing a store do not see each other's attempts under
// way: there the store's rows are what bound it, each other node having at
// most one attempt past the check when a block is written (`failures` plus
// one per further node).
//
//   SignInGate::Pass pass = gate.enter({"source:192.0.2.1", "user:ann"});
//   if (!pass) return busy;  // another attempt holds one of the keys

#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace prov {

class SignInGate {
public:
    // Holds its keys until it is destroyed; empty when they were not all free.
    class Pass {
    public:
        Pass() = default;
        Pass(Pass&& other) noexcept;
        Pass& operator=(Pass&& other) noexcept;
        Pass(const Pass&) = delete;
        Pass& operator=(const Pass&) = delete;
        ~Pass();
        explicit operator bool() const { return gate_ != nullptr; }

    private:
        friend class SignInGate;
        Pass(SignInGate* gate, std::vector<std::string> keys) : gate_(gate), keys_(std::move(keys)) {}
        SignInGate* gate_ = nullptr;
        std::vector<std::string> keys_;
    };

    // Every key of `keys`, or none of them.
    Pass enter(std::vector<std::string> keys);
    // How many keys are held (for tests).
    size_t held() const;

private:
    void leave(const std::vector<std::string>& keys);

    mutable std::mutex mutex_;
    std::set<std::string> held_;
};

}  // namespace prov

#pragma once

// Transfers in flight, in all and per source address, shared by every loop
// of the TFTP port. A transfer holds an unverified slot from its request
// until its peer's first ACK (UDP needs no handshake, so until then the
// source may be forged), then a verified one: a source gets a few slots
// held seconds for requests nobody has shown it made, and many for
// transfers under way (a NAT of phones fetching firmware). A request past a
// cap is refused "busy".

#include <atomic>
#include <mutex>
#include <string>
#include <unordered_map>

namespace prov::tftp {

struct SlotCaps {
    int max_total = 4096;                // both kinds, all sources
    int max_unverified_per_source = 8;
    int max_verified_per_source = 64;
};

class SourceSlots {
public:
    explicit SourceSlots(SlotCaps caps) : caps_(caps) {}
    // Takes an unverified slot for `ip`; false (nothing taken) when the
    // total, the source's unverified slots or its verified ones are full (a
    // source with no room for one more transfer under way is not sent a
    // packet it could not go on from).
    bool claim(const std::string& ip);
    // Turns one of `ip`'s unverified slots into a verified one; false (it
    // stays unverified) when the source's verified slots are full.
    bool verify(const std::string& ip);
    void release(const std::string& ip, bool verified);
    // Slots held now, both kinds, all sources.
    int total() const { return total_.load(std::memory_order_relaxed); }

private:
    struct Held {
        int unverified = 0;
        int verified = 0;
    };
    const SlotCaps caps_;
    std::atomic<int> total_{0};
    std::mutex mutex_;
    std::unordered_map<std::string, Held> per_source_;
};

}  // namespace prov::tftp

#pragma once

// Connections open at once from each peer address, for a cap per address
// (http.max_per_address): one counter per port, shared by all of the port's
// event loops, so a source cannot dodge the cap by landing on another loop.
// The address is the whole address (IPv4, or IPv6 with an IPv4-mapped one
// counted as its IPv4 address), as nginx's limit_conn counts it: phones
// behind one NAT share an address, so the cap is sized for a NAT of phones.
//
//   AddressCounter per_address(64);
//   const AddressKey key = AddressKey::of(peer);
//   if (!per_address.acquire(key)) { close(fd); return; }   // 64 open already
//   ...
//   per_address.release(key);                                // when it closes
//
// Thread-safe. Memory follows the addresses with a connection open: an
// address whose count falls to zero is forgotten.

#include <array>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include "provisioner/core/sockets.h"

namespace prov::net {

struct AddressKey {
    std::array<uint8_t, 16> bytes{};  // IPv6, or ::ffff:a.b.c.d for IPv4

    static AddressKey of(const SockAddr& peer);
    bool operator==(const AddressKey& other) const { return bytes == other.bytes; }
};

class AddressCounter {
public:
    explicit AddressCounter(int max_per_address) : max_(max_per_address) {}
    AddressCounter(const AddressCounter&) = delete;
    AddressCounter& operator=(const AddressCounter&) = delete;

    // Counts one more connection from `key`, unless it has the cap already
    // (then false, and nothing is counted).
    [[nodiscard]] bool acquire(const AddressKey& key);
    // One connection counted by acquire() has closed.
    void release(const AddressKey& key);

    int count(const AddressKey& key) const;
    // Addresses with a connection open.
    size_t addresses() const;
    int maxPerAddress() const { return max_; }

private:
    struct Hash {
        size_t operator()(const AddressKey& k) const {
            uint64_t a, b;
            std::memcpy(&a, k.bytes.data(), 8);
            std::memcpy(&b, k.bytes.data() + 8, 8);
            // Both halves mixed and the high bits folded down: an IPv4 key
            // has a == 0 and b's low bytes zero, and shardOf() takes % 16.
            const uint64_t h = (a * 0x9E3779B97F4A7C15ull) ^ (b * 0xC2B2AE3D27D4EB4Full);
            return static_cast<size_t>(h ^ (h >> 32));
        }
    };
    // A few locks rather than one: the loops accept and close at once.
    static constexpr size_t kShards = 16;
    struct Shard {
        mutable std::mutex mutex;
        std::unordered_map<AddressKey, int, Hash> counts;
    };
    Shard& shardOf(const AddressKey& key) { return shards_[Hash{}(key) % kShards]; }
    const Shard& shardOf(const AddressKey& key) const { return shards_[Hash{}(key) % kShards]; }

    const int max_;
    std::array<Shard, kShards> shards_;
};

}  // namespace prov::net

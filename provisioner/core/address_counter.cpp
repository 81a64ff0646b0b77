#include "provisioner/core/address_counter.h"

namespace prov::net {

AddressKey AddressKey::of(const SockAddr& peer) {
    AddressKey key;
    if (peer.sa.sa_family == AF_INET6) {
        std::memcpy(key.bytes.data(), &peer.v6.sin6_addr, 16);
    } else if (peer.sa.sa_family == AF_INET) {
        // The IPv4-mapped form, so that a dual-stack socket's ::ffff:a.b.c.d
        // and a plain IPv4 socket's a.b.c.d are one address.
        key.bytes[10] = 0xff;
        key.bytes[11] = 0xff;
        std::memcpy(key.bytes.data() + 12, &peer.v4.sin_addr, 4);
    }
    return key;
}

bool AddressCounter::acquire(const AddressKey& key) {
    Shard& shard = shardOf(key);
    std::lock_guard lock(shard.mutex);
    int& n = shard.counts[key];
    if (n >= max_) {
        if (n == 0) shard.counts.erase(key);  // a cap of 0 admits nobody and keeps nothing
        return false;
    }
    ++n;
    return true;
}

void AddressCounter::release(const AddressKey& key) {
    Shard& shard = shardOf(key);
    std::lock_guard lock(shard.mutex);
    auto it = shard.counts.find(key);
    if (it == shard.counts.end()) return;
    if (--it->second <= 0) shard.counts.erase(it);
}

int AddressCounter::count(const AddressKey& key) const {
    const Shard& shard = shardOf(key);
    std::lock_guard lock(shard.mutex);
    auto it = shard.counts.find(key);
    return it == shard.counts.end() ? 0 : it->second;
}

size_t AddressCounter::addresses() const {
    size_t n = 0;
    for (const Shard& shard : shards_) {
        std::lock_guard lock(shard.mutex);
        n += shard.counts.size();
    }
    return n;
}

}  // namespace prov::net

#pragma once

// Rendered files, kept until the config they came from changes. A file is
// keyed by everything its bytes depend on besides the store (vendor, route,
// file, MAC, model and firmware the phone reported); the store's part is the
// config generation, which moves on every change to extensions, devices,
// buttons or settings, and on template reloads. Bounded; sharded locks.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace prov {

struct CachedFile {
    std::string body;
    std::string etag;
    std::string hash;
    uint64_t generation = 0;
};

class ConfigGeneration {
public:
    uint64_t current() const { return value_.load(std::memory_order_acquire); }
    void bump() { value_.fetch_add(1, std::memory_order_acq_rel); }

private:
    std::atomic<uint64_t> value_{1};
};

class RenderCache {
public:
    explicit RenderCache(size_t max_entries = 50000) : max_per_shard_(max_entries / kShards + 1) {}

    // The entry for `key` if it was rendered at `generation`.
    std::shared_ptr<const CachedFile> get(const std::string& key, uint64_t generation) const;
    void put(const std::string& key, std::shared_ptr<const CachedFile> file);

private:
    static constexpr size_t kShards = 16;
    struct Shard {
        mutable std::mutex mutex;
        std::unordered_map<std::string, std::shared_ptr<const CachedFile>> map;
    };
    Shard& shardFor(const std::string& key) const;
    size_t max_per_shard_;
    mutable std::array<Shard, kShards> shards_;
};

}  // namespace prov

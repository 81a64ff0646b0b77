#pragma once

// Rendered files, kept until the config they came from changes. A file is
// keyed by everything its bytes depend on that the phone says (vendor, route,
// file, MAC, model and firmware it reported); the rest (the store and the
// templates) is the config generation. Bounded; sharded locks.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "provisioner/render/bundle.h"
#include "provisioner/store/store.h"

namespace prov {

struct CachedFile {
    std::string body;
    std::string etag;
    std::string hash;
    uint64_t generation = 0;
    // The firmware it carries (issue 14): the target ("" none), and whether it tells the phone to upgrade.
    std::string fw_target;
    bool fw_told = false;
};

// The version of what a rendered file depends on besides its key: the
// store's config_generation counter (moved by SQL triggers on every change to
// extensions, devices, buttons or settings, made by this process or another,
// such as the CLI) and the template bundle in use. refresh() is the one way
// it moves: it reads both and moves on when either differs from what it saw
// last. Call it after this process writes the store or reloads templates (to
// be seen at once) and every second or so (for other processes' writes).
class ConfigGeneration {
public:
    ConfigGeneration(Store& store, const BundleSource& bundles) : store_(store), bundles_(bundles) {}

    uint64_t current() const { return value_.load(std::memory_order_acquire); }
    // A store that cannot be read moves it too: a needless re-render is
    // cheaper than a stale file. Thread-safe.
    void refresh();
    // Moves it whatever the store says: for a change this process holds in
    // memory alone (a firmware image verified, or found changed).
    void bump() { value_.fetch_add(1, std::memory_order_acq_rel); }
    // How often the store's counter was read changed from the last value
    // read (a store that cannot be read in between changes nothing): a
    // config change somewhere, which the store fallback's memory must not
    // outlive (store_fallback.h).
    uint64_t storeChanges() const { return store_changes_.load(std::memory_order_acquire); }

private:
    Store& store_;
    const BundleSource& bundles_;
    std::atomic<uint64_t> value_{1};
    std::mutex mutex_;  // one refresh at a time, so what was seen only moves forward
    std::optional<int64_t> seen_counter_;
    std::optional<int64_t> last_read_counter_;  // seen_counter_ but across a failed read
    std::atomic<uint64_t> store_changes_{0};
    // Held, not just compared: while it lives a new bundle cannot reuse its address.
    std::shared_ptr<const Bundle> seen_bundle_;
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

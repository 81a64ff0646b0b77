#include "provisioner/service/render_cache.h"

#include <functional>

namespace prov {

RenderCache::Shard& RenderCache::shardFor(const std::string& key) const {
    return shards_[std::hash<std::string>{}(key) % kShards];
}

std::shared_ptr<const CachedFile> RenderCache::get(const std::string& key, uint64_t generation) const {
    Shard& s = shardFor(key);
    std::lock_guard lock(s.mutex);
    auto it = s.map.find(key);
    if (it == s.map.end() || it->second->generation != generation) return nullptr;
    return it->second;
}

void RenderCache::put(const std::string& key, std::shared_ptr<const CachedFile> file) {
    Shard& s = shardFor(key);
    std::lock_guard lock(s.mutex);
    // Past the bound, start the shard afresh: stale entries go with it, and
    // the phones that come back re-render once.
    if (s.map.size() >= max_per_shard_ && !s.map.count(key)) s.map.clear();
    s.map[key] = std::move(file);
}

void ConfigGeneration::refresh() {
    std::lock_guard lock(mutex_);
    std::optional<int64_t> counter;
    const Status read = store_.read([&](StoreTx& tx) -> Status {
        counter = TRY(tx.configGeneration());
        return okStatus();
    });
    if (read) {
        if (last_read_counter_ && *last_read_counter_ != *counter)
            store_changes_.fetch_add(1, std::memory_order_acq_rel);
        last_read_counter_ = counter;
    }
    std::shared_ptr<const Bundle> bundle = bundles_.current();
    if (read && counter == seen_counter_ && bundle == seen_bundle_) return;
    seen_counter_ = read ? counter : std::nullopt;
    seen_bundle_ = std::move(bundle);
    value_.fetch_add(1, std::memory_order_acq_rel);
}

}  // namespace prov

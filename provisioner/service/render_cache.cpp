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

}  // namespace prov

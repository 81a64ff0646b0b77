#include "provisioner/service/store_fallback.h"

namespace prov {

namespace {

// The pair and key a config carries: when they differ, files rendered
// with the old ones must not go out.
bool samePairAndKey(const std::optional<DeviceCredentials>& a, const std::optional<DeviceCredentials>& b) {
    if (!a || !b) return !a && !b;
    return a->user == b->user && a->password == b->password && a->aes_key == b->aes_key;
}

bool sameCredentials(const std::optional<DeviceCredentials>& a, const std::optional<DeviceCredentials>& b) {
    if (!samePairAndKey(a, b)) return false;
    if (!a) return true;
    return a->prev_user == b->prev_user && a->prev_password == b->prev_password &&
           a->prev_aes_key == b->prev_aes_key && a->used_at == b->used_at && a->delivered_at == b->delivered_at &&
           a->key_sent_at == b->key_sent_at;
}

}  // namespace

uint64_t StoreFallback::ticket() const {
    std::lock_guard lock(mutex_);
    return sequence_;
}

void StoreFallback::keepFile(const std::string& group, const std::string& key,
                             std::shared_ptr<const CachedFile> file) {
    std::lock_guard lock(mutex_);
    // Past the bound, one group goes (whichever the map holds first): the
    // phones that fetch it again keep it again.
    if (files_.size() >= max_entries_ && !files_.count(group)) files_.erase(files_.begin());
    auto& variants = files_[group];
    for (auto& v : variants) {
        if (v.first == key) {
            v.second = std::move(file);
            return;
        }
    }
    // The oldest variant goes: a User-Agent anyone can write claims them.
    if (variants.size() >= kVariants) variants.erase(variants.begin());
    variants.emplace_back(key, std::move(file));
}

std::shared_ptr<const CachedFile> StoreFallback::file(const std::string& group, const std::string& key) const {
    std::lock_guard lock(mutex_);
    auto it = files_.find(group);
    if (it == files_.end()) return nullptr;
    for (const auto& v : it->second) {
        if (v.first == key) return v.second;
    }
    return nullptr;
}

bool StoreFallback::staleLocked(uint64_t ticket, const std::string& mac) const {
    if (ticket < floor_) return true;
    auto it = forgotten_.find(mac);
    return it != forgotten_.end() && ticket < it->second;
}

void StoreFallback::forgetLocked(const std::string& mac) {
    phones_.erase(mac);
    // Bounded: past it the marks fold into the floor, which ignores every
    // keep in flight (those phones are kept again at their next fetch).
    if (forgotten_.size() >= max_entries_) {
        forgotten_.clear();
        floor_ = sequence_ + 1;
    }
    forgotten_[mac] = ++sequence_;
}

void StoreFallback::keepPhone(uint64_t ticket, const std::string& mac, Served served) {
    std::lock_guard lock(mutex_);
    if (staleLocked(ticket, mac)) return;
    auto it = phones_.find(mac);
    if (it == phones_.end()) {
        // Past the bound, one phone goes (whichever the map holds first).
        if (phones_.size() >= max_entries_ && !phones_.empty()) phones_.erase(phones_.begin());
        it = phones_.emplace(mac, Kept{}).first;
    }
    Kept& kept = it->second;
    if (!served.vendor.empty()) kept.phone.vendor = std::move(served.vendor);
    if (served.credentials_read) {
        if (!samePairAndKey(kept.phone.credentials, served.credentials)) kept.files.clear();
        kept.phone.credentials = std::move(served.credentials);
    }
    if (served.file && !served.file_key.empty()) {
        if (kept.files.size() >= kFilesPerPhone && !kept.files.count(served.file_key))
            kept.files.erase(kept.files.begin());
        kept.files[served.file_key] = std::move(served.file);
    }
}

void StoreFallback::syncPhone(uint64_t ticket, const std::string& mac, bool gone,
                              const std::optional<DeviceCredentials>& credentials) {
    std::lock_guard lock(mutex_);
    auto it = phones_.find(mac);
    if (it == phones_.end() || staleLocked(ticket, mac)) return;
    if (gone) {
        forgetLocked(mac);
        return;
    }
    Kept& kept = it->second;
    if (sameCredentials(kept.phone.credentials, credentials)) return;
    if (!samePairAndKey(kept.phone.credentials, credentials)) kept.files.clear();
    kept.phone.credentials = credentials;
}

std::optional<StoreFallback::Phone> StoreFallback::phone(const std::string& mac) const {
    std::lock_guard lock(mutex_);
    auto it = phones_.find(mac);
    if (it == phones_.end()) return std::nullopt;
    return it->second.phone;
}

std::shared_ptr<const CachedFile> StoreFallback::phoneFile(const std::string& mac, const std::string& key) const {
    std::lock_guard lock(mutex_);
    auto it = phones_.find(mac);
    if (it == phones_.end()) return nullptr;
    auto f = it->second.files.find(key);
    return f == it->second.files.end() ? nullptr : f->second;
}

void StoreFallback::forgetPhone(const std::string& mac) {
    std::lock_guard lock(mutex_);
    forgetLocked(mac);
}

void StoreFallback::storeChanged(uint64_t changes) {
    std::lock_guard lock(mutex_);
    if (changes == store_changes_) return;
    store_changes_ = changes;
    phones_.clear();
    forgotten_.clear();
    floor_ = ++sequence_;
}

std::string StoreFallback::vendorOf(const std::string& mac) const {
    std::lock_guard lock(mutex_);
    auto it = phones_.find(mac);
    return it == phones_.end() ? std::string() : it->second.phone.vendor;
}

void StoreFallback::keepSettings(uint64_t generation, const SettingsMap& without_secrets) {
    std::lock_guard lock(mutex_);
    // Once per config generation: files without secrets are rendered on
    // every fetch, and a copy each time would cost a boot storm.
    if (settings_ && settings_generation_ == generation) return;
    settings_ = std::make_shared<const SettingsMap>(without_secrets);
    settings_generation_ = generation;
}

std::shared_ptr<const SettingsMap> StoreFallback::settings() const {
    std::lock_guard lock(mutex_);
    return settings_;
}

}  // namespace prov

#include "provisioner/service/store_fallback.h"

namespace prov {

void StoreFallback::keepPhone(const std::string& mac, const std::string& vendor,
                              std::optional<DeviceCredentials> credentials) {
    std::lock_guard lock(mutex_);
    // Past the bound, start afresh (as the render cache does): the phones
    // that fetch again are kept again.
    if (phones_.size() >= max_phones_ && !phones_.count(mac)) phones_.clear();
    Phone& phone = phones_[mac];
    if (!vendor.empty()) phone.vendor = vendor;
    if (credentials) phone.credentials = std::move(credentials);
}

std::optional<StoreFallback::Phone> StoreFallback::phone(const std::string& mac) const {
    std::lock_guard lock(mutex_);
    auto it = phones_.find(mac);
    if (it == phones_.end()) return std::nullopt;
    return it->second;
}

void StoreFallback::forgetPhone(const std::string& mac) {
    std::lock_guard lock(mutex_);
    phones_.erase(mac);
}

std::string StoreFallback::vendorOf(const std::string& mac) const {
    std::lock_guard lock(mutex_);
    auto it = phones_.find(mac);
    return it == phones_.end() ? std::string() : it->second.vendor;
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

#include "provisioner/tftp/source_slots.h"

namespace prov::tftp {

bool SourceSlots::claim(const std::string& ip) {
    if (total_.fetch_add(1) >= caps_.max_total) {
        --total_;
        return false;
    }
    std::lock_guard lock(mutex_);
    auto [it, added] = per_source_.try_emplace(ip);
    Held& h = it->second;
    if (h.unverified >= caps_.max_unverified_per_source || h.verified >= caps_.max_verified_per_source) {
        if (added) per_source_.erase(it);
        --total_;
        return false;
    }
    ++h.unverified;
    return true;
}

bool SourceSlots::verify(const std::string& ip) {
    std::lock_guard lock(mutex_);
    auto it = per_source_.find(ip);
    if (it == per_source_.end() || it->second.unverified <= 0) return false;
    Held& h = it->second;
    if (h.verified >= caps_.max_verified_per_source) return false;
    --h.unverified;
    ++h.verified;
    return true;
}

void SourceSlots::release(const std::string& ip, bool verified) {
    --total_;
    std::lock_guard lock(mutex_);
    auto it = per_source_.find(ip);
    if (it == per_source_.end()) return;
    Held& h = it->second;
    --(verified ? h.verified : h.unverified);
    if (h.unverified <= 0 && h.verified <= 0) per_source_.erase(it);
}

}  // namespace prov::tftp

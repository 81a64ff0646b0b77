#include "provisioner/tftp/source_slots.h"

namespace prov::tftp {

bool SourceSlots::claim(const std::string& ip) {
    if (total_.fetch_add(1) >= max_total_) {
        --total_;
        return false;
    }
    std::lock_guard lock(mutex_);
    int& n = per_source_[ip];
    if (n >= max_per_source_) {
        if (n == 0) per_source_.erase(ip);
        --total_;
        return false;
    }
    ++n;
    return true;
}

void SourceSlots::release(const std::string& ip) {
    --total_;
    std::lock_guard lock(mutex_);
    auto it = per_source_.find(ip);
    if (it != per_source_.end() && --it->second <= 0) per_source_.erase(it);
}

}  // namespace prov::tftp

#pragma once

// Transfers in flight, in all and per source address, shared by every loop
// of the TFTP port: a request past either cap is refused "busy".

#include <atomic>
#include <mutex>
#include <string>
#include <unordered_map>

namespace prov::tftp {

class SourceSlots {
public:
    SourceSlots(int max_total, int max_per_source) : max_total_(max_total), max_per_source_(max_per_source) {}
    // Takes a slot for `ip`; false (nothing taken) when a cap is reached.
    bool claim(const std::string& ip);
    void release(const std::string& ip);

private:
    const int max_total_;
    const int max_per_source_;
    std::atomic<int> total_{0};
    std::mutex mutex_;
    std::unordered_map<std::string, int> per_source_;
};

}  // namespace prov::tftp

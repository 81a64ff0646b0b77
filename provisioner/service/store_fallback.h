#pragma once

// What a node keeps in memory to go on serving phones while its store does
// not answer (PostgreSQL restarting or out of reach, SQLite busy past its
// timeout). ProvisioningService answers from it only a fetch that the store
// failed with kUnavailable, and tries the store first on every fetch: when
// the store answers again, normal handling resumes at once.
//
// Kept, each bounded, nothing of it written anywhere:
//  - the last good rendering of each common file and each file with
//    secrets, by its render key without the hour, whatever its generation;
//  - per MAC this node served a file with secrets to: the vendor it was
//    served as (a TFTP name several vendors share is then identified without
//    the store's make), and the device's credentials as the store had them
//    for that fetch (a Digest answer is checked against them; the AES key a
//    sealed file needs is among them);
//  - the global settings without secrets it last read: a device file
//    without secrets is rendered again from them for any MAC, known or not,
//    as the store would render it (no per-MAC copy, whose presence would
//    tell a sweep which MACs this node served).
//
//   StoreFallback memory;
//   memory.keepFile(key, file);              // after a render from the store
//   memory.keepPhone(mac, "yealink", creds); // after a served fetch
//   auto file = memory.file(key);            // the store away: the last good bytes

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "provisioner/model/records.h"
#include "provisioner/model/settings.h"
#include "provisioner/service/render_cache.h"

namespace prov {

class StoreFallback {
public:
    // At most `max_entries` files and as many phones (the render cache's bound).
    explicit StoreFallback(size_t max_entries = 50000) : files_(max_entries), max_phones_(max_entries) {}

    void keepFile(const std::string& key, std::shared_ptr<const CachedFile> file) { files_.put(key, std::move(file)); }
    // The last file kept for `key`; null when none.
    std::shared_ptr<const CachedFile> file(const std::string& key) const { return files_.latest(key); }

    struct Phone {
        std::string vendor;  // the vendor id its files were served as
        std::optional<DeviceCredentials> credentials;
    };
    // `vendor` "" (a guess) or `credentials` none (a fetch from an allowed
    // network reads none): what was kept before stays.
    void keepPhone(const std::string& mac, const std::string& vendor, std::optional<DeviceCredentials> credentials);
    std::optional<Phone> phone(const std::string& mac) const;
    // The store says `mac` is gone or waits for its wipe: no file with
    // secrets of it goes out from memory any more.
    void forgetPhone(const std::string& mac);
    // The vendor id kept for `mac`; "" when none (identify()'s MakeLookup).
    std::string vendorOf(const std::string& mac) const;

    // Copies `without_secrets` unless it was kept at `generation` already.
    void keepSettings(uint64_t generation, const SettingsMap& without_secrets);
    // Null when none was kept.
    std::shared_ptr<const SettingsMap> settings() const;

private:
    RenderCache files_;
    size_t max_phones_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Phone> phones_;
    uint64_t settings_generation_ = 0;
    std::shared_ptr<const SettingsMap> settings_;
};

}  // namespace prov

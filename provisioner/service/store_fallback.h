#pragma once

// What a node keeps in memory to go on serving phones while its store does
// not answer (PostgreSQL restarting or out of reach, SQLite busy past its
// timeout). ProvisioningService answers from it only a fetch that the store
// failed as away (store_unreachable, or store_busy twice), and tries the
// store first on every fetch: when the store answers again, normal handling
// resumes at once.
//
// Kept, each bounded, nothing of it written anywhere:
//  - the last good rendering of each common file (no proof needed), by its
//    render key without the hour, whatever its generation: at most
//    kVariants (the model and firmware a User-Agent claims) per vendor,
//    route and file, so that requests anyone can make do not fill it;
//  - per MAC this node served a file with secrets to: the vendor it was
//    served as (a TFTP name several vendors share is then identified without
//    the store's make), the device's credentials as the store had them
//    after that fetch (a Digest answer is checked against them; the AES key
//    a sealed file needs is among them), and the files with secrets served
//    to it, which go with it;
//  - the global settings without secrets it last read: a device file
//    without secrets is rendered again from them for any MAC, known or not,
//    as the store would render it (no per-MAC copy, whose presence would
//    tell a sweep which MACs this node served).
//
// What it keeps of a phone must never outlive what the store says of it.
// Every fetch takes a ticket before its first store read; a forget (the
// store found the device gone, its credentials changed, or any config
// change anywhere: storeChanged()) makes every keep with an older ticket a
// no-op, so a fetch that read the store before a change cannot put back
// what the change took away.
//
//   StoreFallback memory;
//   const uint64_t ticket = memory.ticket();  // before the fetch's store reads
//   memory.keepFile(key, file);               // a common file, after a render
//   memory.keepPhone(ticket, mac, kept);      // after a served fetch
//   auto file = memory.phoneFile(mac, key);   // the store away: the last good bytes

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "provisioner/model/records.h"
#include "provisioner/model/settings.h"
#include "provisioner/service/render_cache.h"

namespace prov {

class StoreFallback {
public:
    // Renderings of one common file kept at once (by the model and firmware claimed).
    static constexpr size_t kVariants = 4;

    // At most `max_entries` common files (groups of variants) and as many phones.
    explicit StoreFallback(size_t max_entries = 50000) : max_entries_(max_entries) {}

    uint64_t ticket() const;
    // A common file: `group` is its key without what the User-Agent claims.
    void keepFile(const std::string& group, const std::string& key, std::shared_ptr<const CachedFile> file);
    // The last file kept for `key`; null when none.
    std::shared_ptr<const CachedFile> file(const std::string& group, const std::string& key) const;

    // What a fetch served from the store says of its phone.
    struct Served {
        std::string vendor;  // "" (a guess): the vendor kept before stays
        // Whether the fetch read the credentials (the trusted network's path
        // reads none: what was kept stays), and what it read (none: nothing
        // kept opens anything any more).
        bool credentials_read = false;
        std::optional<DeviceCredentials> credentials;
        std::string file_key;  // the file with secrets served, "" none
        std::shared_ptr<const CachedFile> file;
    };
    // Ignored when a forget came after `ticket`.
    void keepPhone(uint64_t ticket, const std::string& mac, Served served);
    // A store read of `mac`'s proofs (gather()): a device gone or waiting for
    // its wipe is forgotten; other credentials than those kept replace them
    // (and its files go when the pair or key differs). Nothing new is kept.
    void syncPhone(uint64_t ticket, const std::string& mac, bool gone,
                   const std::optional<DeviceCredentials>& credentials);

    struct Phone {
        std::string vendor;  // the vendor id its files were served as
        std::optional<DeviceCredentials> credentials;
    };
    std::optional<Phone> phone(const std::string& mac) const;
    // The file with secrets kept for `mac` under `key`; null when none.
    std::shared_ptr<const CachedFile> phoneFile(const std::string& mac, const std::string& key) const;
    // Nothing of `mac` goes out from memory any more, its files included.
    void forgetPhone(const std::string& mac);
    // `changes` is ConfigGeneration::storeChanges(): when it moved, a change
    // was made somewhere (this node, another, the CLI) to a device or its
    // credentials, perhaps: every phone is forgotten, as the store cannot say
    // cheaply which.
    void storeChanged(uint64_t changes);
    // The vendor id kept for `mac`; "" when none (identify()'s MakeLookup).
    std::string vendorOf(const std::string& mac) const;

    // Copies `without_secrets` unless it was kept at `generation` already.
    void keepSettings(uint64_t generation, const SettingsMap& without_secrets);
    // Null when none was kept.
    std::shared_ptr<const SettingsMap> settings() const;

private:
    struct Kept {
        Phone phone;
        std::unordered_map<std::string, std::shared_ptr<const CachedFile>> files;  // by file key
    };
    // Per MAC, at most this many files (routes, and the models a phone claimed).
    static constexpr size_t kFilesPerPhone = 16;
    bool staleLocked(uint64_t ticket, const std::string& mac) const;
    void forgetLocked(const std::string& mac);

    size_t max_entries_;
    mutable std::mutex mutex_;
    uint64_t sequence_ = 0;
    uint64_t floor_ = 0;  // a keep with a ticket below it is ignored
    std::unordered_map<std::string, uint64_t> forgotten_;  // MAC -> when; bounded, then folded into floor_
    uint64_t store_changes_ = 0;
    std::unordered_map<std::string, Kept> phones_;
    std::unordered_map<std::string, std::vector<std::pair<std::string, std::shared_ptr<const CachedFile>>>> files_;
    uint64_t settings_generation_ = 0;
    std::shared_ptr<const SettingsMap> settings_;
};

}  // namespace prov

#pragma once

// What a phone's fetch proves about its MAC, gathered from the store for
// policy::authorize (design.md "Defaults that keep secrets safe"): the
// device's own Digest credentials, and an open staging window that covers it.
// Also the device's credentials themselves, created at its first
// secret-bearing render, and the Digest challenges of a refusal.
//
//   PhoneProofs proofs(store, hasher, random, clock, keys);
//   Proofs p = TRY(proofs.gather(request, "0015654aa937"));
//   // p.digest: the Authorization header holds this device's credentials
//   // p.staging_window: a window lets it in now; proofs.use(mac, p) records it
//
// Every MAC-shaped name costs the same store reads, known or not, so the time
// of a refusal does not tell a sweep which MACs exist.

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "provisioner/core/clock.h"
#include "provisioner/core/random_source.h"
#include "provisioner/core/result.h"
#include "provisioner/fetch/fetch.h"
#include "provisioner/store/store.h"

namespace prov {

struct ProofKeys {
    std::string nonce_secret;  // Digest nonces (server_keys "nonce")
    std::string realm = "provisioner";
    int64_t nonce_lifetime = 300;  // seconds; an older nonce is answered stale=true
    // A device that used a staging window keeps it this long, for the other
    // files of the same boot; after that the window is used up for it.
    int64_t window_grace = 600;
};

struct Proofs {
    bool known = false;           // the store knows the MAC
    bool unassigned = false;      // ...only as a phone discovered by its fetches
    bool wipe = false;            // a deleted device waiting for its wipe config
    bool digest = false;          // valid credentials for this MAC
    bool stale = false;           // right credentials, expired nonce
    bool first_use_of_credentials = false;  // the current pair, for the first time
    std::string proven_user;                // the pair's user that proved it
    bool staging_window = false;  // an open window lets the device in now
    int64_t window_id = 0;
    bool window_first_use = false;  // the device has not used that window yet
    // The device's own AES key, and whether a config carrying it went out
    // (its encrypted files then go out encrypted with it).
    std::string aes_key;  // the key the phone holds: the previous one until it used its new pair
    bool key_sent = false;
    bool delivered = false;  // a config carrying the current pair went out
    // The device's credentials as gather() read them (none for a deleted
    // device's wipe): what the store fallback keeps of a served phone.
    // `credentials_read`: gather() ran (none read then means none).
    bool credentials_read = false;
    std::optional<DeviceCredentials> credentials;
};

class PhoneProofs {
public:
    PhoneProofs(Store& store, const Hasher& hasher, RandomSource& random, const Clock& clock, ProofKeys keys)
        : store_(store), hasher_(hasher), random_(random), clock_(clock), keys_(std::move(keys)) {}

    // The proofs `request` carries for `mac` (canonical). Windows count over
    // HTTP and HTTPS only.
    Result<Proofs> gather(const FetchRequest& request, const std::string& mac);
    // The part of gather() that reads no store: the Digest (or, over HTTPS,
    // Basic) proof `request` carries for `creds` (none: checked against
    // stand-ins, so a known and an unknown MAC cost the same), a stale
    // nonce, and the AES key the phone holds. The store fallback runs it on
    // the credentials it kept in memory.
    void checkCredentials(const FetchRequest& request, const std::optional<DeviceCredentials>& creds,
                          Proofs& p) const;
    // Records what an allowed fetch used: the window's use (re-checked in the
    // write: false when the window filled up meanwhile), the credentials'
    // first use (the previous pair stops working).
    Result<bool> use(const std::string& mac, const Proofs& proofs);
    // The device's credentials, created (random user, password and AES key)
    // when it has none. nullopt for an unknown MAC.
    Result<std::optional<DeviceCredentials>> credentials(const std::string& mac);
    // A secret-bearing config went out to it (and with it, for an
    // encrypted route, its AES key).
    Status delivered(const std::string& mac, bool key_too);
    // delivered(), once per MAC and config generation (a rotation moves the
    // generation): the trusted network's hot path does no store write.
    Status deliveredOnce(const std::string& mac, bool key_too, uint64_t generation);
    // Whether `authorization` holds valid credentials of any device: what a
    // source blocked for sweeping must show to be served anything.
    Result<bool> anyDevice(const FetchRequest& request);
    // WWW-Authenticate values for a refusal.
    std::vector<std::string> challenges(bool stale) const;

private:
    std::mutex delivered_mutex_;
    std::unordered_map<std::string, uint64_t> delivered_at_generation_;  // bounded: cleared when large
    Store& store_;
    const Hasher& hasher_;
    RandomSource& random_;
    const Clock& clock_;
    ProofKeys keys_;
};

}  // namespace prov

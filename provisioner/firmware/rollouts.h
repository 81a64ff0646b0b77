#pragma once

// Staged firmware rollouts (issue 14). A rollout moves the target of
// (vendor, model[, site]) to a version in two rings:
//   canary    the canaries (listed MACs, or a share of the model's devices
//             chosen by a hash of each MAC) get a device target of the new
//             version; the rest keep theirs;
//   complete  once every canary reports the new version, the model's (or
//             site's) target becomes it and the canaries' own rows go;
//   halted    by itself when a canary is `failed` (firmware_status.h) or the
//             window ends before every canary is on the version, or by one
//             call: canaries not on it lose their row (they stop being told
//             to upgrade), the rest never hear of the version;
//   rolled_back  one call, from any state: every row the rollout wrote goes
//             and the scope's target is what it was before.
// Every transition is one transaction with its audit entry, and marks the
// devices whose config it changes stale, so they are pushed to re-fetch.
// The server's poll() moves rollouts (Catalog::tickRollouts); the CLI and
// the API only write rows, so either may start one.

#include <string>
#include <vector>

#include "provisioner/model/records.h"

namespace prov::firmware {

struct RolloutSpec {
    std::string vendor;
    std::string model;
    std::string site;                  // a device label; "" every site
    std::string version;               // a catalog version of the model
    std::vector<std::string> canaries;  // MACs, any spelling; or
    int percent = 0;                   // 1-100: this share of the devices, at least one
    int64_t window_s = 0;              // 60 s to 7 days
    std::string actor = "cli";
    std::string actor_source;
};

// A rollout with where each member stands.
struct RolloutView {
    Rollout rollout;
    struct Member {
        std::string mac;
        int ring = 0;               // 0 canary, 1 the rest
        std::string fw_status;      // firmware_status.h
        std::string fw_target;
        std::string last_firmware;  // what it last reported
    };
    std::vector<Member> members;
};

// Canaries chosen for `percent`: the first ceil(n * percent / 100) (at
// least one) of `macs` ordered by SHA-256 of `seed` + MAC; the same for the
// same seed and devices, spread over the fleet rather than the first MACs.
std::vector<std::string> pickCanaries(std::vector<std::string> macs, int percent, const std::string& seed);

// Parses a window such as "90", "30m", "2h", "1d" (seconds when no unit); -1 when bad.
int64_t parseWindow(const std::string& text);

}  // namespace prov::firmware

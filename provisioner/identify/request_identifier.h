#pragma once

// (file name, User-Agent) -> DeviceIdentity: which vendor, model, firmware and
// MAC is asking, and which of the vendor's files it wants. The vendor comes from the
// User-Agent; without one (TFTP, Polycom's shared names) from the device's
// make in the store, else from the MAC's prefix (vendor.json `ouis`), else
// from the file name alone.

#include <functional>
#include <optional>
#include <string>

#include "provisioner/catalog/vendor_catalog.h"
#include "provisioner/core/result.h"

namespace prov {

struct DeviceIdentity {
    const VendorSpec* vendor = nullptr;
    const FileRoute* route = nullptr;
    PathCaptures captures;
    std::string mac;       // canonical, from the path; empty for common files
    std::string model;     // from the User-Agent or the path
    std::string firmware;  // from the User-Agent
    std::string file;
    // Several vendors use this name and neither the User-Agent nor the store
    // said which: the route is the most specific match, the vendor a guess.
    bool vendor_guessed = false;
};

// Looks up the make recorded for a canonical MAC ("" when unknown).
using MakeLookup = std::function<std::string(const std::string& mac)>;

// `file` is the name asked for, without a leading '/'; `user_agent` is empty
// where the protocol has none (TFTP). NotFound when no vendor serves `file`;
// PermissionDenied when the User-Agent's MAC is not the one in the path.
Result<DeviceIdentity> identify(const VendorCatalog& catalog, const std::string& file,
                                const std::string& user_agent, const MakeLookup& make_of);

}  // namespace prov

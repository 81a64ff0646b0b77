#pragma once

// Firmware targets (issue 14): which version the phones of a model should
// run, overridable per site (device label) and per device, and what a
// device's config is told. Resolution: the device's row, else its site's,
// else its model's; "none" at any of them means "leave what the phone has",
// even where a wider scope names a version. Setting or clearing a target
// marks the devices it reaches stale (Catalog::setTarget, targets.cpp).

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "provisioner/core/result.h"
#include "provisioner/model/records.h"
#include "provisioner/store/store.h"

namespace prov::firmware {

enum class TargetKind { kUnset, kNone, kVersion };

struct ResolvedTarget {
    TargetKind kind = TargetKind::kUnset;
    std::string version;  // kVersion only
    std::string scope;    // the row that decided: model, site, device; "" when unset
};

// `rows`: the targets of the device's vendor; `model` uppercase, `mac` canonical.
ResolvedTarget resolveTarget(const std::vector<FirmwareTarget>& rows, const std::string& model,
                             const std::string& label, const std::string& mac);

// Whether the image of file `file` would be served now (Catalog::servable);
// empty: its stored state decides alone.
using ServableCheck = std::function<bool(const std::string& file)>;

// The image phones of (vendor, model) get for `version`: a verified one that
// lists the model, before one for every model ("*"); nullopt when none.
// `servable`, when given, must also hold for it.
std::optional<FirmwareImage> imageFor(const std::vector<FirmwareImage>& images,
                                      const std::string& vendor, const std::string& model,
                                      const std::string& version,
                                      const ServableCheck& servable = {});

// What a device's config is told: the target version and the file holding it.
struct FirmwareDirective {
    std::string version;
    std::string file;
};

// The directive for a device of vendor `vendor` (folder name) and `model`
// (any case), at site `label`, with MAC `mac`; nullopt when it has no
// target, its target is "none", or no verified image holds the version
// (with `servable`: none the serve gate would pass now, so that a config
// never offers an image its phone would get a 404 for).
Result<std::optional<FirmwareDirective>> directiveFor(StoreTx& tx, const std::string& vendor,
                                                      const std::string& model,
                                                      const std::string& label,
                                                      const std::string& mac,
                                                      const ServableCheck& servable = {});

// The directive for a file served to any MAC-shaped name without a proof
// (a device route with "secrets": false, such as Polycom's {mac}.cfg master):
// its bytes must be the same for every MAC, so it can carry only what every
// phone of (vendor, model) is told. That is the model's target, and only
// while no site or device target of the model exists; with one, nothing
// (a phone there may be told "none" or another version).
Result<std::optional<FirmwareDirective>> modelWideDirectiveFor(StoreTx& tx,
                                                               const std::string& vendor,
                                                               const std::string& model,
                                                               const ServableCheck& servable = {});

// A target as the admin sets it (API body, CLI flags).
struct TargetSpec {
    std::string vendor;
    std::string model;
    std::string scope = "model";  // model, site, device
    std::string key;              // site: the label; device: a MAC (any spelling)
    std::string version;          // a catalog version of (vendor, model), or "none"
    std::string actor = "cli";
    std::string actor_source;
};

}  // namespace prov::firmware

#pragma once

// Compiled templates for every route of a catalog, and rendering with the
// format's escaping. Loaded whole (a template that fails to compile fails the
// load, naming it) and immutable afterwards.

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "provisioner/catalog/vendor_catalog.h"
#include "provisioner/core/result.h"
#include "provisioner/model/profile.h"

namespace prov {

// The firmware a device's config tells it to run (its target, resolved by
// the firmware catalog): the version and the file of firmware.dir holding it.
struct FirmwareOffer {
    std::string version;
    std::string file;
};

struct RenderInput {
    const VendorSpec* vendor = nullptr;
    const FileRoute* route = nullptr;
    PathCaptures captures;
    std::string file;
    std::string model;
    std::string firmware;
    std::string mac;                        // canonical; empty for common files
    const DeviceProfile* profile = nullptr;  // device files only
    SettingsMap settings;                   // merged settings
    // The time (Unix seconds) the time zone's offset is taken at: the
    // service passes its Clock's; unset, the system's.
    std::optional<int64_t> utc_now;
    // The CA certificate phones are given to trust (render/trust_source.h);
    // null: none is delivered.
    std::shared_ptr<const std::string> trust_pem;
    // Device files only: the firmware target (none: no upgrade is offered).
    std::optional<FirmwareOffer> firmware_target;
};

class TemplateSet {
public:
    static Result<std::shared_ptr<const TemplateSet>> load(const VendorCatalog& catalog);
    ~TemplateSet();

    // The bytes for `input`; XML output is checked well-formed.
    Result<std::string> render(const RenderInput& input) const;

private:
    TemplateSet() = default;
    struct Compiled;
    std::map<std::string, std::unique_ptr<Compiled>> templates_;  // "vendor/template"
};

}  // namespace prov

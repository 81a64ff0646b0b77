#include "provisioner/firmware/targets.h"

#include <Poco/JSON/Object.h>
#include <Poco/Logger.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "provisioner/core/mac_address.h"
#include "provisioner/firmware/catalog.h"
#include "provisioner/model/validation.h"

namespace prov::firmware {

namespace {

std::string upper(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
    return s;
}

ResolvedTarget fromRow(const FirmwareTarget& t) {
    if (t.version == kFirmwareNone) return ResolvedTarget{TargetKind::kNone, "", t.scope};
    return ResolvedTarget{TargetKind::kVersion, t.version, t.scope};
}

std::string targetJsonText(const FirmwareTarget& t) {
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    o.set("vendor", t.vendor);
    o.set("model", t.model);
    o.set("scope", t.scope);
    o.set("key", t.scope_key);
    o.set("version", t.version);
    std::ostringstream out;
    o.stringify(out);
    return out.str();
}

}  // namespace

ResolvedTarget resolveTarget(const std::vector<FirmwareTarget>& rows, const std::string& model,
                             const std::string& label, const std::string& mac) {
    const std::string m = upper(model);
    const FirmwareTarget* by_model = nullptr;
    const FirmwareTarget* by_site = nullptr;
    const FirmwareTarget* by_device = nullptr;
    for (const FirmwareTarget& t : rows) {
        if (t.model != m) continue;
        if (t.scope == "device" && !mac.empty() && t.scope_key == mac) by_device = &t;
        if (t.scope == "site" && !label.empty() && t.scope_key == label) by_site = &t;
        if (t.scope == "model") by_model = &t;
    }
    for (const FirmwareTarget* t : {by_device, by_site, by_model}) {
        if (t) return fromRow(*t);
    }
    return ResolvedTarget{};
}

std::optional<FirmwareImage> imageFor(const std::vector<FirmwareImage>& images,
                                      const std::string& vendor, const std::string& model,
                                      const std::string& version, const ServableCheck& servable) {
    const std::string m = upper(model);
    const FirmwareImage* any_model = nullptr;
    for (const FirmwareImage& i : images) {
        if (i.vendor != vendor || i.version != version || i.state != "ok") continue;
        if (servable && !servable(i.file)) continue;
        if (std::find(i.models.begin(), i.models.end(), m) != i.models.end()) return i;
        if (!any_model && i.forModel(m)) any_model = &i;
    }
    if (any_model) return *any_model;
    return std::nullopt;
}

Result<std::optional<FirmwareDirective>> directiveFor(StoreTx& tx, const std::string& vendor,
                                                      const std::string& model,
                                                      const std::string& label,
                                                      const std::string& mac,
                                                      const ServableCheck& servable) {
    if (vendor.empty() || model.empty()) return std::optional<FirmwareDirective>();
    const std::vector<FirmwareTarget> rows = TRY(tx.listFirmwareTargets(vendor));
    if (rows.empty()) return std::optional<FirmwareDirective>();
    const ResolvedTarget target = resolveTarget(rows, model, label, mac);
    if (target.kind != TargetKind::kVersion) return std::optional<FirmwareDirective>();
    const auto image =
        imageFor(TRY(tx.listFirmwareImages()), vendor, model, target.version, servable);
    if (!image) return std::optional<FirmwareDirective>();
    return std::optional<FirmwareDirective>(FirmwareDirective{target.version, image->file});
}

Result<std::optional<FirmwareDirective>> modelWideDirectiveFor(StoreTx& tx,
                                                               const std::string& vendor,
                                                               const std::string& model,
                                                               const ServableCheck& servable) {
    if (vendor.empty() || model.empty()) return std::optional<FirmwareDirective>();
    const std::string m = upper(model);
    for (const FirmwareTarget& t : TRY(tx.listFirmwareTargets(vendor))) {
        if (t.model == m && t.scope != "model") return std::optional<FirmwareDirective>();
    }
    return directiveFor(tx, vendor, model, "", "", servable);
}

// One transaction: the row, the devices it reaches marked stale (so they
// are pushed and re-fetch), and the audit entry.
Result<FirmwareTarget> Catalog::setTarget(const TargetSpec& spec) {
    FirmwareTarget t = TRY(checkTarget(spec, true));
    VendorModels vendor = vendors_(spec.vendor).value();
    TRY(store_.write([&](StoreTx& tx) -> Status {
        TRY(tx.putFirmwareTarget(t));
        TRY(markReached(tx, vendor, t));
        AuditEntry a;
        a.actor = spec.actor;
        a.action = "update";
        a.entity = "firmware_target";
        a.entity_id = t.vendor + "/" + t.model + "/" + t.scope +
                      (t.scope_key.empty() ? "" : "/" + t.scope_key);
        a.after = targetJsonText(t);
        a.source = spec.actor_source;
        return tx.insertAudit(a);
    }));
    Poco::Logger::get("provisioner")
        .information("firmware: target %s %s %s%s -> %s by %s", t.vendor, t.model, t.scope,
                     t.scope_key.empty() ? std::string() : " " + t.scope_key, t.version,
                     spec.actor);
    changed();
    return t;
}

Result<bool> Catalog::clearTarget(const TargetSpec& spec) {
    const FirmwareTarget t = TRY(checkTarget(spec, false));
    VendorModels vendor = vendors_(spec.vendor).value();
    bool removed = false;
    TRY(store_.write([&](StoreTx& tx) -> Status {
        removed = TRY(tx.deleteFirmwareTarget(t.vendor, t.model, t.scope, t.scope_key));
        if (!removed) return okStatus();
        TRY(markReached(tx, vendor, t));
        AuditEntry a;
        a.actor = spec.actor;
        a.action = "delete";
        a.entity = "firmware_target";
        a.entity_id = t.vendor + "/" + t.model + "/" + t.scope +
                      (t.scope_key.empty() ? "" : "/" + t.scope_key);
        a.before = targetJsonText(t);
        a.source = spec.actor_source;
        return tx.insertAudit(a);
    }));
    if (removed) changed();
    return removed;
}

Result<std::vector<FirmwareTarget>> Catalog::listTargets(const std::string& vendor) const {
    std::string id;
    if (!vendor.empty()) {
        auto v = vendors_ ? vendors_(vendor) : std::nullopt;
        if (!v)
            return Error::invalid("unknown vendor", {{"vendor", "no vendor named '" + vendor +
                                                                    "' in vendor-templates"}});
        id = v->id;
    }
    std::vector<FirmwareTarget> out;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        out = TRY(tx.listFirmwareTargets(id));
        return okStatus();
    }));
    return out;
}

Status Catalog::markReached(StoreTx& tx, const VendorModels& vendor, const FirmwareTarget& t) {
    if (t.scope == "device") return tx.markStale(t.scope_key);
    return tx.markStaleModel(vendor.name, t.model, t.scope == "site" ? t.scope_key : "");
}

// Every bad field named; `with_version`: the version is checked too (a set, not a clear).
Result<FirmwareTarget> Catalog::checkTarget(const TargetSpec& spec, bool with_version) const {
    std::map<std::string, std::string> errors;
    FirmwareTarget t;
    std::optional<VendorModels> vendor;
    if (spec.vendor.empty()) {
        errors["vendor"] = "required: a vendor of vendor-templates";
    } else if (vendor = vendors_ ? vendors_(spec.vendor) : std::nullopt; !vendor) {
        errors["vendor"] = "no vendor named '" + spec.vendor + "' in vendor-templates";
    }
    t.model = upper(spec.model);
    if (t.model.empty()) {
        errors["model"] = "required: a model of the vendor";
    } else if (vendor && std::find(vendor->models.begin(), vendor->models.end(), t.model) ==
                             vendor->models.end()) {
        errors["model"] = "not a " + vendor->name + " model in vendor-templates";
    }
    t.scope = spec.scope.empty() ? "model" : spec.scope;
    if (t.scope == "model") {
        if (!spec.key.empty()) errors["key"] = "a model target takes no key";
    } else if (t.scope == "site") {
        if (spec.key.empty() || spec.key.size() > kMaxNameLength)
            errors["key"] =
                "the site: a device label, 1 to " + std::to_string(kMaxNameLength) + " characters";
        t.scope_key = spec.key;
    } else if (t.scope == "device") {
        const auto mac = MacAddress::parse(spec.key);
        if (!mac) {
            errors["key"] = "the device: a MAC address";
        } else {
            t.scope_key = mac->canonical();
            // A device of another model would never read it: said, not kept.
            std::optional<Device> device;
            TRY(store_.read([&](StoreTx& tx) -> Status {
                device = TRY(tx.getDevice(t.scope_key));
                return okStatus();
            }));
            if (device && !t.model.empty() && !device->model.empty() &&
                upper(device->model) != t.model)
                errors["key"] =
                    "device " + t.scope_key + " is a " + device->model + ", not a " + t.model;
        }
    } else {
        errors["scope"] = "model, site or device";
    }
    if (with_version && vendor && vendor->model_wide_only && t.scope != "model" && !errors.count("scope"))
        errors["scope"] = vendor->name + " phones read their firmware from a file every MAC gets alike: only a "
                          "model target reaches them";
    t.version = spec.version;
    if (with_version && spec.version.empty()) {
        errors["version"] = "required: a catalog version, or 'none' (leave what the phone has)";
    } else if (with_version && spec.version != kFirmwareNone && !isVersion(spec.version)) {
        errors["version"] = "a catalog version (letters, digits and . _ - + ( )), or 'none'";
    }
    const bool version_checked =
        with_version && !errors.count("version") && t.version != kFirmwareNone;
    if (version_checked && vendor && !errors.count("model")) {
        std::vector<FirmwareImage> images;
        TRY(store_.read([&](StoreTx& tx) -> Status {
            images = TRY(tx.listFirmwareImages());
            return okStatus();
        }));
        const bool known = std::any_of(images.begin(), images.end(), [&](const FirmwareImage& i) {
            return i.vendor == vendor->id && i.version == t.version && i.forModel(t.model);
        });
        if (!known)
            errors["version"] = "no image of version " + t.version + " for " + vendor->name + " " +
                                t.model + " in the catalog (or 'none')";
    }
    if (!errors.empty())
        return Error::invalid("the firmware target is not valid", std::move(errors));
    t.vendor = vendor->id;
    t.updated_by = spec.actor;
    return t;
}

}  // namespace prov::firmware

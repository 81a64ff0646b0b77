#include "provisioner/inventory/inventory.h"

#include "provisioner/model/json_encode.h"

namespace prov {

Inventory::Inventory(Store& store, RandomSource& random, const Hasher& hasher, const Clock& clock,
                     const ModelCatalog& models, InventoryOptions options)
    : store_(store), random_(random), clock_(clock), models_(models), hasher_(hasher), options_(options) {}

Status Inventory::writeTx(const Store::Work& work) {
    Status st = store_.write(work);
    if (st && on_change_) on_change_();
    return st;
}

Status Inventory::writeBulkTx(const Store::Work& work) {
    Status st = store_.writeBulk(work);
    if (st && on_change_) on_change_();
    return st;
}

Status Inventory::configChanged(StoreTx& tx, const std::string& mac) {
    return mac.empty() ? okStatus() : tx.markStale(mac);
}

Status Inventory::audit(StoreTx& tx, const Actor& actor, const char* action, const char* entity,
                        const std::string& id, const std::string& before, const std::string& after) {
    AuditEntry entry{0, 0, actor.name, action, entity, id, before, after, actor.source};
    return tx.insertAudit(entry);
}

Result<SettingsMap> Inventory::getSettings(const std::string& scope) {
    SettingsMap out = scope.empty() ? defaultSettings() : SettingsMap{};
    TRY(store_.read([&](StoreTx& tx) -> Status {
        if (!scope.empty() && !TRY(tx.getDevice(scope))) return Error::notFound("no device with MAC " + scope);
        for (auto& [k, v] : TRY(tx.getSettings(scope))) out[k] = v;
        return okStatus();
    }));
    return out;
}

Result<SettingsMap> Inventory::putSettings(const std::string& scope, const SettingsMap& values,
                                           const Actor& actor, const std::vector<std::string>& removals) {
    FieldErrors errors;
    for (const auto& [k, v] : values) {
        if (auto problem = checkSetting(k, v)) errors[k] = *problem;
    }
    if (!errors.empty()) return Error::invalid("some settings are not valid", errors);
    SettingsMap result;
    TRY(writeTx([&](StoreTx& tx) -> Status {
        if (!scope.empty() && !TRY(tx.getDevice(scope))) return Error::notFound("no device with MAC " + scope);
        const SettingsMap before = TRY(tx.getSettings(scope));
        // Only what this call changes: a GET, edit, PUT round trip sends back
        // values already in force (the defaults among them), which phones
        // that cannot express them already leave out.
        SettingsMap changed;
        const SettingsMap defaults = scope.empty() ? defaultSettings() : SettingsMap{};
        for (const auto& [k, v] : values) {
            const auto was = before.find(k);
            const auto fallback = defaults.find(k);
            const bool same = was != before.end() ? was->second == v
                                                  : fallback != defaults.end() && fallback->second == v;
            if (!same) changed[k] = v;
        }
        TRY(checkVendors(tx, scope, changed));
        TRY(tx.putSettings(scope, values));
        // Global settings reach every phone: "" marks them all (staging::next
        // with kConfigEdited, applied by the store to every device at once).
        TRY(tx.markStale(scope));
        for (const auto& key : removals) TRY(tx.deleteSetting(scope, key));
        const SettingsMap after = TRY(tx.getSettings(scope));
        result = scope.empty() ? defaultSettings() : SettingsMap{};
        for (const auto& [k, v] : after) result[k] = v;
        const auto redact = [](const SettingsMap& m) {
            return json::stringify(json::settingsToJson(m, json::Masking::kSecrets));
        };
        return audit(tx, actor, "update", scope.empty() ? "settings" : "device_settings",
                     scope.empty() ? "global" : scope, redact(before), redact(after));
    }));
    return result;
}

// A value a phone's vendor cannot express is refused, naming the field and
// the vendor: for a device's own settings, its make's; for global ones, the
// make of every device that would inherit them (one without its own value
// for that key), so a mixed fleet gets its exceptions first.
Status Inventory::checkVendors(StoreTx& tx, const std::string& scope, const SettingsMap& values) {
    FieldErrors errors;
    if (!scope.empty()) {
        const auto device = TRY(tx.getDevice(scope));
        for (const auto& [k, v] : values) {
            if (auto problem = models_.settingProblem(device->make, device->model, k, v)) errors[k] = *problem;
        }
    } else {
        Page page{500, 0};
        while (true) {  // bounded: each turn moves on by a page, or ends
            const auto listing = TRY(tx.listDevices(DeviceFilter{}, page));
            for (const Device& d : listing.items) {
                // A phone that asked on its own (unassigned) inherits
                // nothing, and anyone on the phone network can add one.
                if (d.state == DeviceState::kUnassigned) continue;
                const SettingsMap own = TRY(tx.getSettings(d.mac));
                for (const auto& [k, v] : values) {
                    if (own.count(k) || errors.count(k)) continue;
                    if (auto problem = models_.settingProblem(d.make, d.model, k, v))
                        errors[k] = *problem + " (device " + d.mac + " inherits it: give it a " + k +
                                    " of its own, \"\" for the phone's default, first)";
                }
            }
            page.offset += static_cast<int64_t>(listing.items.size());
            if (listing.items.empty() || page.offset >= listing.total) break;
        }
    }
    if (!errors.empty()) return Error::invalid("some settings cannot be expressed by the phones they reach", errors);
    return okStatus();
}

Result<LicenceUsage> Inventory::licence() {
    LicenceUsage usage{options_.licence_limit, 0};
    TRY(store_.read([&](StoreTx& tx) -> Status {
        usage.used = TRY(tx.countLicensed());
        return okStatus();
    }));
    return usage;
}

Result<Listing<AuditEntry>> Inventory::listAudit(const AuditFilter& filter, Page page) {
    Listing<AuditEntry> out;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        out = TRY(tx.listAudit(filter, page));
        return okStatus();
    }));
    return out;
}

Result<Listing<Event>> Inventory::listEvents(const EventFilter& filter, Page page) {
    Listing<Event> out;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        out = TRY(tx.listEvents(filter, page));
        return okStatus();
    }));
    return out;
}

Result<int64_t> Inventory::purgeWipes() {
    int64_t purged = 0;
    // Not writeTx: a wipe out of force renders nothing either way.
    TRY(store_.write([&](StoreTx& tx) -> Status {
        purged = TRY(tx.purgeWipes());
        return okStatus();
    }));
    return purged;
}

Result<int64_t> Inventory::pruneEvents(int64_t keep_days, int64_t limit) {
    int64_t pruned = 0;
    const int64_t before = clock_.nowSeconds() - keep_days * 86400;
    // Not writeTx: events are not config, nothing to invalidate.
    TRY(store_.write([&](StoreTx& tx) -> Status {
        pruned = TRY(tx.pruneEvents(before, limit));
        return okStatus();
    }));
    return pruned;
}

}  // namespace prov

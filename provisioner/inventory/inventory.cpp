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
    AuditEntry entry{0, 0, actor.name, action, entity, id, before, after};
    return tx.insertAudit(entry);
}

Result<SettingsMap> Inventory::getSettings(const std::string& scope) {
    SettingsMap out = scope.empty() ? defaultSettings() : SettingsMap{};
    Status st = store_.read([&](StoreTx& tx) -> Status {
        if (!scope.empty()) {
            auto d = tx.getDevice(scope);
            if (!d) return d.error();
            if (!d.value()) return Error::notFound("no device with MAC " + scope);
        }
        auto stored = tx.getSettings(scope);
        if (!stored) return stored.error();
        for (auto& [k, v] : stored.value()) out[k] = v;
        return okStatus();
    });
    if (!st) return st.error();
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
    Status st = writeTx([&](StoreTx& tx) -> Status {
        if (!scope.empty()) {
            auto d = tx.getDevice(scope);
            if (!d) return d.error();
            if (!d.value()) return Error::notFound("no device with MAC " + scope);
        }
        auto before = tx.getSettings(scope);
        if (!before) return before.error();
        if (auto put = tx.putSettings(scope, values); !put) return put;
        // Global settings reach every phone: "" marks them all (staging::next
        // with kConfigEdited, applied by the store to every device at once).
        if (auto stale = tx.markStale(scope); !stale) return stale;
        for (const auto& key : removals) {
            if (auto del = tx.deleteSetting(scope, key); !del) return del;
        }
        auto after = tx.getSettings(scope);
        if (!after) return after.error();
        result = scope.empty() ? defaultSettings() : SettingsMap{};
        for (auto& [k, v] : after.value()) result[k] = v;
        const auto redact = [](const SettingsMap& m) {
            return json::stringify(json::settingsToJson(m, json::Masking::kSecrets));
        };
        return audit(tx, actor, "update", scope.empty() ? "settings" : "device_settings",
                     scope.empty() ? "global" : scope, redact(before.value()), redact(after.value()));
    });
    if (!st) return st.error();
    return result;
}

Result<LicenceUsage> Inventory::licence() {
    LicenceUsage usage{options_.licence_limit, 0};
    Status st = store_.read([&](StoreTx& tx) -> Status {
        auto n = tx.countLicensed();
        if (!n) return n.error();
        usage.used = n.value();
        return okStatus();
    });
    if (!st) return st.error();
    return usage;
}

Result<std::string> Inventory::createToken(Role role, const std::string& name) {
    const std::string token = "prov_" + random_.alnum(40);
    ApiToken record{0, name, role, hasher_.sha256Hex(token), 0};
    Status st = writeTx([&](StoreTx& tx) { return tx.insertToken(record); });
    if (!st) return st.error();
    return token;
}

Result<std::optional<ApiToken>> Inventory::authenticate(const std::string& token) {
    std::optional<ApiToken> found;
    const std::string hash = hasher_.sha256Hex(token);
    Status st = store_.read([&](StoreTx& tx) -> Status {
        auto t = tx.findToken(hash);
        if (!t) return t.error();
        found = t.value();
        return okStatus();
    });
    if (!st) return st.error();
    return found;
}

Result<int64_t> Inventory::tokenCount() {
    int64_t n = 0;
    Status st = store_.read([&](StoreTx& tx) -> Status {
        auto c = tx.countTokens();
        if (!c) return c.error();
        n = c.value();
        return okStatus();
    });
    if (!st) return st.error();
    return n;
}

Result<Listing<AuditEntry>> Inventory::listAudit(const AuditFilter& filter, Page page) {
    Listing<AuditEntry> out;
    Status st = store_.read([&](StoreTx& tx) -> Status {
        auto l = tx.listAudit(filter, page);
        if (!l) return l.error();
        out = std::move(l).value();
        return okStatus();
    });
    if (!st) return st.error();
    return out;
}

Result<Listing<Event>> Inventory::listEvents(const EventFilter& filter, Page page) {
    Listing<Event> out;
    Status st = store_.read([&](StoreTx& tx) -> Status {
        auto l = tx.listEvents(filter, page);
        if (!l) return l.error();
        out = std::move(l).value();
        return okStatus();
    });
    if (!st) return st.error();
    return out;
}

Result<int64_t> Inventory::pruneEvents(int64_t keep_days, int64_t limit) {
    int64_t pruned = 0;
    const int64_t before = clock_.nowSeconds() - keep_days * 86400;
    // Not writeTx: events are not config, nothing to invalidate.
    Status st = store_.write([&](StoreTx& tx) -> Status {
        auto n = tx.pruneEvents(before, limit);
        if (!n) return n.error();
        pruned = n.value();
        return okStatus();
    });
    if (!st) return st.error();
    return pruned;
}

}  // namespace prov

// Catalog's rollouts (rollouts.h): start, tick, halt, roll back.

#include <Poco/JSON/Object.h>
#include <Poco/Logger.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <sstream>

#include "provisioner/core/mac_address.h"
#include "provisioner/core/text.h"
#include "provisioner/firmware/catalog.h"
#include "provisioner/tls/crypto.h"

namespace prov::firmware {

namespace {

Poco::Logger& log() { return Poco::Logger::get("provisioner"); }

// Every device the rollout reaches: of the vendor and model (and site), in the inventory.
Result<std::vector<Device>> population(StoreTx& tx, const std::string& make, const std::string& model,
                                       const std::string& site) {
    DeviceFilter f;
    f.make = make;
    f.model = model;
    f.label = site;
    std::vector<Device> out;
    for (Page page{1000, 0};; page.offset += page.limit) {
        const Listing<Device> l = TRY(tx.listDevices(f, page));
        for (const Device& d : l.items) {
            if (d.state != DeviceState::kUnassigned) out.push_back(d);
        }
        if (static_cast<int64_t>(l.items.size()) < page.limit) break;
    }
    return out;
}

std::string rolloutJsonText(const Rollout& r) {
    Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
    o.set("vendor", r.vendor);
    o.set("model", r.model);
    o.set("site", r.site);
    o.set("version", r.to_version);
    o.set("previous", r.previous);
    o.set("state", r.state);
    o.set("reason", r.reason);
    std::ostringstream out;
    o.stringify(out);
    return out.str();
}

Status audit(StoreTx& tx, const Rollout& r, const std::string& action, const std::string& actor,
             const std::string& source, const std::string& before) {
    AuditEntry a;
    a.actor = actor;
    a.action = action;
    a.entity = "firmware_rollout";
    a.entity_id = std::to_string(r.id);
    a.before = before;
    a.after = rolloutJsonText(r);
    a.source = source;
    return tx.insertAudit(a);
}

FirmwareTarget scopeTarget(const Rollout& r, const std::string& version) {
    FirmwareTarget t;
    t.vendor = r.vendor;
    t.model = r.model;
    t.scope = r.site.empty() ? "model" : "site";
    t.scope_key = r.site;
    t.version = version;
    return t;
}

}  // namespace

std::vector<std::string> pickCanaries(std::vector<std::string> macs, int percent, const std::string& seed) {
    if (macs.empty() || percent <= 0) return {};
    std::vector<std::pair<std::string, std::string>> keyed;
    for (std::string& m : macs) {
        tls::Sha256Stream h;
        h.update(seed.data(), seed.size());
        h.update(m.data(), m.size());
        keyed.emplace_back(h.hexDigest(), std::move(m));
    }
    std::sort(keyed.begin(), keyed.end());
    const size_t n = keyed.size();
    const size_t count = std::clamp<size_t>((n * static_cast<size_t>(std::min(percent, 100)) + 99) / 100, 1, n);
    std::vector<std::string> out;
    for (size_t i = 0; i < count; ++i) out.push_back(keyed[i].second);
    std::sort(out.begin(), out.end());
    return out;
}

int64_t parseWindow(const std::string& text) {
    if (text.empty() || text.size() > 12) return -1;
    size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
    if (digits == 0 || text.size() - digits > 1) return -1;
    const int64_t n = std::stoll(text.substr(0, digits));
    if (digits == text.size()) return n;
    switch (text.back()) {
        case 's': return n;
        case 'm': return n * 60;
        case 'h': return n * 3600;
        case 'd': return n * 86400;
        default: return -1;
    }
}

Result<Rollout> Catalog::startRollout(const RolloutSpec& spec) {
    TargetSpec as_target;
    as_target.vendor = spec.vendor;
    as_target.model = spec.model;
    as_target.scope = spec.site.empty() ? "model" : "site";
    as_target.key = spec.site;
    as_target.version = spec.version;
    as_target.actor = spec.actor;
    std::map<std::string, std::string> errors;
    std::optional<FirmwareTarget> checked;
    if (auto t = checkTarget(as_target, true); t) {
        checked = t.value();
    } else if (t.error().fields.empty()) {
        return t.error();
    } else {
        errors = t.error().fields;
        if (errors.count("key")) errors["site"] = errors["key"], errors.erase("key");
        errors.erase("scope");
    }
    if (const auto v = vendors_ ? vendors_(spec.vendor) : std::nullopt; v && v->model_wide_only)
        errors["vendor"] = v->name + " phones read their firmware from a file every MAC gets alike, so no "
                           "canary can be told alone: set the model's target instead";
    if (spec.version == kFirmwareNone) errors["version"] = "a catalog version to roll out ('none' is not one)";
    if (spec.canaries.empty() == (spec.percent == 0))
        errors["canaries"] = "give either canaries (MACs) or percent, one of the two";
    if (spec.percent < 0 || spec.percent > 100) errors["percent"] = "a share of the devices, 1 to 100";
    if (spec.window_s < 60 || spec.window_s > 604800)
        errors["window"] = "how long canaries have to come back on the version: 60 s to 7 days";
    std::vector<std::string> listed;
    for (const std::string& c : spec.canaries) {
        const auto mac = MacAddress::parse(c);
        if (!mac) {
            errors["canaries"] = "'" + c + "' is not a MAC address";
            break;
        }
        listed.push_back(mac->canonical());
    }
    if (!errors.empty()) return Error::invalid("the rollout is not valid", std::move(errors));
    const std::optional<VendorModels> found = vendors_ ? vendors_(spec.vendor) : std::nullopt;
    if (!found) return Error::invalid("the rollout is not valid", {{"vendor", "no vendor named '" + spec.vendor + "'"}});
    const VendorModels vendor = *found;
    Rollout r;
    r.vendor = checked->vendor;
    r.model = checked->model;
    r.site = spec.site;
    r.to_version = checked->version;
    r.canary_percent = spec.percent;
    r.window_s = spec.window_s;
    r.state = "canary";
    r.stage_started_at = clock_.nowSeconds();
    r.created_by = spec.actor;
    TRY(store_.write([&](StoreTx& tx) -> Status {
        for (const Rollout& other : TRY(tx.listRollouts("canary"))) {
            if (other.vendor == r.vendor && other.model == r.model && other.site == r.site)
                return Error::conflict("rollout_under_way", "rollout " + std::to_string(other.id) +
                                                                " is under way for " + vendor.name + " " + r.model +
                                                                (r.site.empty() ? "" : " at " + r.site) +
                                                                ": halt or roll it back first");
        }
        const std::vector<Device> devices = TRY(population(tx, vendor.name, r.model, r.site));
        const std::vector<FirmwareTarget> rows = TRY(tx.listFirmwareTargets(r.vendor));
        // Devices a narrower target than the rollout's scope decides for:
        // their own (device), or their site's when the rollout is the model's.
        std::map<std::string, std::string> own;  // MAC -> why
        std::set<std::string> sites;              // labels with a target of their own
        for (const FirmwareTarget& t : rows) {
            if (t.model != r.model) continue;
            if (t.scope == "device") own[t.scope_key] = "has a firmware target of its own: clear it first";
            if (t.scope == "site" && r.site.empty()) sites.insert(t.scope_key);
            if (t.scope == (r.site.empty() ? "model" : "site") && t.scope_key == r.site) r.previous = t.version;
        }
        std::set<std::string> reached;
        std::vector<std::string> eligible;
        for (const Device& d : devices) {
            reached.insert(d.mac);
            if (!own.count(d.mac) && sites.count(d.label))
                own[d.mac] = "is at site " + d.label + ", which has a firmware target of its own";
            if (!own.count(d.mac)) eligible.push_back(d.mac);
        }
        if (!r.previous.empty() && sameFirmware(r.previous, r.to_version))
            return Error::invalid("the rollout is not valid",
                                  {{"version", "the " + std::string(r.site.empty() ? "model's" : "site's") +
                                                   " target is already " + r.previous}});
        const std::string where = vendor.name + " " + r.model + (r.site.empty() ? "" : " at site " + r.site);
        if (devices.empty())
            return Error::invalid("the rollout is not valid", {{"model", "no " + where + " in the inventory"}});
        for (const std::string& mac : listed) {
            if (!reached.count(mac))
                return Error::invalid("the rollout is not valid",
                                      {{"canaries", mac + " is not a " + where + " in the inventory"}});
            if (own.count(mac)) return Error::invalid("the rollout is not valid", {{"canaries", mac + " " + own[mac]}});
        }
        if (r.canary_percent) {
            if (eligible.empty())
                return Error::invalid("the rollout is not valid",
                                      {{"percent", "every " + where + " has a firmware target of its own, or its site has"}});
            r.canaries = pickCanaries(eligible, r.canary_percent, r.vendor + "|" + r.model + "|" + r.site + "|" +
                                                                      r.to_version + "|");
        } else {
            std::sort(listed.begin(), listed.end());
            listed.erase(std::unique(listed.begin(), listed.end()), listed.end());
            r.canaries = listed;
        }
        TRY(tx.insertRollout(r));
        const std::set<std::string> canaries(r.canaries.begin(), r.canaries.end());
        for (const Device& d : devices) TRY(tx.insertRolloutMember(r.id, d.mac, canaries.count(d.mac) ? 0 : 1));
        for (const std::string& mac : r.canaries) {
            FirmwareTarget t;
            t.vendor = r.vendor;
            t.model = r.model;
            t.scope = "device";
            t.scope_key = mac;
            t.version = r.to_version;
            t.rollout_id = r.id;
            t.updated_by = spec.actor;
            TRY(tx.putFirmwareTarget(t));
            TRY(tx.markStale(mac));
        }
        return audit(tx, r, "create", spec.actor, spec.actor_source, "");
    }));
    log().information("firmware: rollout %s of %s %s%s to %s started by %s, %z canaries, window %s s",
                      std::to_string(r.id), r.vendor, r.model, r.site.empty() ? std::string() : " at " + r.site,
                      r.to_version, spec.actor, r.canaries.size(), std::to_string(r.window_s));
    changed();
    return r;
}

// In `tx`, with `r` read in it: the canary stage ends one way or the other.
Status Catalog::moveRollout(StoreTx& tx, Rollout& r, Move move, const std::string& reason, const std::string& actor,
                            const std::string& actor_source) {
    const std::string before = rolloutJsonText(r);
    const VendorModels vendor = vendors_ ? vendors_(r.vendor).value_or(VendorModels{r.vendor, r.vendor, {}, false})
                                         : VendorModels{r.vendor, r.vendor, {}, false};
    const int64_t now = clock_.nowSeconds();
    if (move == Move::kComplete) {
        FirmwareTarget t = scopeTarget(r, r.to_version);
        t.rollout_id = r.id;
        t.updated_by = actor;
        TRY(tx.deleteRolloutTargets(r.id, ""));  // the canaries' rows: they follow the scope's now
        TRY(tx.putFirmwareTarget(t));
        TRY(tx.markStaleModel(vendor.name, r.model, r.site));
        r.state = "complete";
    } else {
        // A canary on the version keeps it (taking it away would tell it to
        // go back); the others stop being told to upgrade.
        for (const std::string& mac : r.canaries) {
            const std::optional<Device> d = TRY(tx.getDevice(mac));
            const auto p = TRY(tx.getFirmwareProgress(mac));
            const bool on = d && p && p->status == "on_target" && p->target == r.to_version;
            if (on) continue;
            if (TRY(tx.deleteRolloutTargets(r.id, mac))) TRY(tx.markStale(mac));
        }
        r.state = "halted";
    }
    r.reason = reason;
    r.stage_started_at = now;
    TRY(tx.putRolloutState(r.id, r.state, r.reason, r.stage_started_at));
    return audit(tx, r, move == Move::kComplete ? "complete" : "halt", actor, actor_source, before);
}

Result<int> Catalog::tickRollouts() {
    int moved = 0;
    std::vector<Rollout> under_way;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        under_way = TRY(tx.listRollouts("canary"));
        return okStatus();
    }));
    for (const Rollout& seen : under_way) {
        std::string said;
        const Status st = store_.write([&](StoreTx& tx) -> Status {
            std::optional<Rollout> r = TRY(tx.getRollout(seen.id));
            if (!r || r->state != "canary") return okStatus();  // moved by a call meanwhile
            std::string failed, late;
            bool all_on = true;
            for (const std::string& mac : r->canaries) {
                const auto p = TRY(tx.getFirmwareProgress(mac));
                const std::optional<Device> d = TRY(tx.getDevice(mac));
                const bool ours = p && p->target == r->to_version;
                if (!p || !d) {
                    if (failed.empty()) failed = "canary " + mac + " left the inventory";
                    continue;
                }
                if (ours && p->status == "failed" && failed.empty())
                    failed = "canary " + mac + " failed: it still reports " +
                             (d->last_firmware.empty() ? std::string("no firmware") : text::forLog(d->last_firmware)) +
                             " after " +
                             std::to_string(p->misses) + " fetches told to upgrade to " + r->to_version;
                if (!(ours && p->status == "on_target")) {
                    all_on = false;
                    if (late.empty())
                        late = "canary " + mac + " not on " + r->to_version + " after " +
                               std::to_string(r->window_s) + " s (" + (p->status.empty() ? "not seen" : p->status) +
                               ")";
                }
            }
            const int64_t now = clock_.nowSeconds();
            if (!failed.empty()) {
                said = "halted: " + failed;
                return moveRollout(tx, *r, Move::kHalt, failed, "server", "");
            }
            if (all_on) {
                said = "complete: every canary runs " + r->to_version;
                return moveRollout(tx, *r, Move::kComplete, "", "server", "");
            }
            if (now - r->stage_started_at >= r->window_s) {
                said = "halted: " + late;
                return moveRollout(tx, *r, Move::kHalt, late, "server", "");
            }
            return okStatus();
        });
        if (!st) {
            // The others still move on; this one is tried again next time.
            log().error("firmware: cannot move rollout %s on: %s", std::to_string(seen.id), st.error().message);
            continue;
        }
        if (!said.empty()) {
            ++moved;
            (said.rfind("halted", 0) == 0 ? log().warning("firmware: rollout %s %s", std::to_string(seen.id), said)
                                          : log().information("firmware: rollout %s %s", std::to_string(seen.id),
                                                              said));
        }
    }
    if (moved) changed();
    return moved;
}

Result<Rollout> Catalog::haltRollout(int64_t id, const std::string& actor, const std::string& reason,
                                     const std::string& actor_source) {
    if (reason.size() > 500 || !text::isPrintable(reason))
        return Error::invalid("the halt is not valid", {{"reason", "at most 500 characters, no control characters"}});
    Rollout out;
    TRY(store_.write([&](StoreTx& tx) -> Status {
        std::optional<Rollout> r = TRY(tx.getRollout(id));
        if (!r) return Error::notFound("no rollout " + std::to_string(id));
        if (r->state != "canary")
            return Error::conflict("rollout_not_under_way", "rollout " + std::to_string(id) + " is " + r->state +
                                                                ": only one in its canary stage halts (roll back instead)");
        TRY(moveRollout(tx, *r, Move::kHalt, reason.empty() ? "halted by " + actor : reason, actor, actor_source));
        out = *r;
        return okStatus();
    }));
    log().warning("firmware: rollout %s halted by %s", std::to_string(id), actor);
    changed();
    return out;
}

Result<Rollout> Catalog::rollbackRollout(int64_t id, const std::string& actor, const std::string& actor_source) {
    Rollout out;
    TRY(store_.write([&](StoreTx& tx) -> Status {
        std::optional<Rollout> r = TRY(tx.getRollout(id));
        if (!r) return Error::notFound("no rollout " + std::to_string(id));
        if (r->state == "rolled_back")
            return Error::conflict("rollout_rolled_back", "rollout " + std::to_string(id) + " is already rolled back");
        const std::string before = rolloutJsonText(*r);
        // The scope's row is put back only while it is still the one this
        // rollout wrote: a later rollout's, or one an admin set since, stays.
        FirmwareTarget t = scopeTarget(*r, r->previous);
        bool scope_ours = false;
        for (const FirmwareTarget& row : TRY(tx.listFirmwareTargets(r->vendor))) {
            if (row.model == t.model && row.scope == t.scope && row.scope_key == t.scope_key)
                scope_ours = row.rollout_id == r->id;
        }
        TRY(tx.deleteRolloutTargets(r->id, ""));
        if (scope_ours && !r->previous.empty()) {
            t.updated_by = actor;
            TRY(tx.putFirmwareTarget(t));
        }
        if (scope_ours) {
            const VendorModels vendor = vendors_ ? vendors_(r->vendor).value_or(VendorModels{r->vendor, r->vendor, {}, false})
                                                 : VendorModels{r->vendor, r->vendor, {}, false};
            TRY(tx.markStaleModel(vendor.name, r->model, r->site));
        }
        for (const std::string& mac : r->canaries) TRY(tx.markStale(mac));
        r->state = "rolled_back";
        r->reason = "rolled back by " + actor;
        r->stage_started_at = clock_.nowSeconds();
        TRY(tx.putRolloutState(r->id, r->state, r->reason, r->stage_started_at));
        TRY(audit(tx, *r, "rollback", actor, actor_source, before));
        out = *r;
        return okStatus();
    }));
    log().warning("firmware: rollout %s rolled back by %s", std::to_string(id), actor);
    changed();
    return out;
}

Result<std::vector<Rollout>> Catalog::listRollouts() const {
    std::vector<Rollout> out;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        out = TRY(tx.listRollouts(""));
        return okStatus();
    }));
    return out;
}

Result<RolloutView> Catalog::viewRollout(int64_t id) const {
    RolloutView v;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        const std::optional<Rollout> r = TRY(tx.getRollout(id));
        if (!r) return Error::notFound("no rollout " + std::to_string(id));
        v.rollout = *r;
        for (const auto& [mac, ring] : TRY(tx.listRolloutMembers(id))) {
            RolloutView::Member m;
            m.mac = mac;
            m.ring = ring;
            if (const auto p = TRY(tx.getFirmwareProgress(mac))) {
                m.fw_status = p->status;
                m.fw_target = p->target;
            }
            if (const auto d = TRY(tx.getDevice(mac))) m.last_firmware = d->last_firmware;
            v.members.push_back(std::move(m));
        }
        return okStatus();
    }));
    return v;
}

}  // namespace prov::firmware

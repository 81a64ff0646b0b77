// /api/v1/devices and /devices/{mac}

#include <Poco/JSON/Array.h>

#include "provisioner/admin/api_request.h"
#include "provisioner/core/mac_address.h"
#include "provisioner/admin/json_decode.h"
#include "provisioner/model/fields.h"
#include "provisioner/model/json_encode.h"

namespace prov::admin {

namespace {

std::string queryValue(const ApiRequest& r, const char* key) {
    auto it = r.query.find(key);
    return it == r.query.end() ? "" : it->second;
}

// PUT replaces every editable field but the MAC and the staging state.
void resetEditable(Device& d) {
    const Device blank;
    for (const auto& f : deviceFields()) {
        if (f.access == Access::kEditable && f.json != "state") copyValue(f, blank, d);
    }
}

bool mayWriteDevices(const Actor& a) { return a.role == Role::kAdmin || a.role == Role::kInstaller; }

ApiResult createDevice(Inventory& inv, const ApiRequest& r) {
    if (!mayWriteDevices(r.actor)) return forbidden(r.actor, "add devices");
    const auto body = TRY(bodyObject(r));
    if (r.actor.role != Role::kAdmin && body->has("state"))
        return Error{Code::kPermissionDenied, "forbidden",
                     "the " + std::string(toString(r.actor.role)) + " role cannot set a device's state",
                     {{"state", "only an admin sets it"}}, {}};
    Device d;
    FieldErrors errors;
    std::optional<int64_t> version;
    json::applyDevice(*body, d, errors, version);
    if (version) errors["version"] = "is set by the server";
    if (!body->has("mac") && !errors.count("mac")) errors["mac"] = "is required";
    if (!errors.empty()) return Error::invalid("some fields are not valid", errors);
    const Device created = TRY(inv.createDevice(d, r.actor));
    ApiResponse resp = ok(json::toJson(created), 201);
    resp.headers["Location"] = "/api/v1/devices/" + created.mac;
    return resp;
}

ApiResult listDevices(Inventory& inv, const ApiRequest& r) {
    const Page page = TRY(readPage(r));
    DeviceFilter f;
    f.make = queryValue(r, "make");
    f.model = queryValue(r, "model");
    f.label = queryValue(r, "label");
    if (f.label.empty()) f.label = queryValue(r, "site");
    f.q = queryValue(r, "q");
    f.order = TRY(readOrder(r, deviceSortKeys()));
    if (const std::string s = queryValue(r, "state"); !s.empty()) {
        f.state = parseDeviceState(s);
        if (!f.state)
            return Error::invalid("bad filter",
                                  {{"state", "must be new, unassigned, staged, provisioned, applied or stale"}});
    }
    const Listing<Device> l = TRY(inv.listDevices(f, page));
    auto o = json::newObject();
    Poco::JSON::Array::Ptr items = new Poco::JSON::Array();
    for (const Device& d : l.items) items->add(json::toJson(d));
    o->set("items", items);
    o->set("total", l.total);
    o->set("limit", page.limit);
    o->set("offset", page.offset);
    return ok(o);
}

ApiResult oneDevice(Inventory& inv, const ApiRequest& r, const std::string& mac) {
    if (r.method == "GET") {
        return ok(json::toJson(TRY(inv.getDevice(mac))));
    }
    if (r.method == "PUT" || r.method == "PATCH") {
        if (!mayWriteDevices(r.actor)) return forbidden(r.actor, "change devices");
        const auto obj = TRY(bodyObject(r));
        // The staging state decides what an installer may bind and open
        // windows for: only an admin sets it by hand.
        if (r.actor.role != Role::kAdmin && obj->has("state"))
            return Error{Code::kPermissionDenied, "forbidden",
                         "the " + std::string(toString(r.actor.role)) + " role cannot set a device's state",
                         {{"state", "only an admin sets it"}}, {}};
        const bool replace = r.method == "PUT";
        const Device edited = TRY(inv.editDevice(
            mac,
            [&](Device& d, FieldErrors& errors, std::optional<int64_t>& version) {
                if (replace) resetEditable(d);
                json::applyDevice(*obj, d, errors, version);
            },
            r.actor));
        return ok(json::toJson(edited));
    }
    if (r.method == "DELETE") {
        if (r.actor.role != Role::kAdmin) return forbidden(r.actor, "delete devices");
        TRY(inv.deleteDevice(mac, wantsForce(r), r.actor));
        return ok(Poco::Dynamic::Var(), 204);
    }
    return methodNotAllowed("GET, PUT, PATCH, DELETE");
}

// Per-device overrides of the provisioning settings: GET shows the overrides
// and the effective values; PUT sets keys, and null removes an override.
ApiResult deviceSettings(Inventory& inv, const ApiRequest& r, const std::string& mac) {
    const auto mask = seesSecrets(r.actor) ? json::Masking::kNone : json::Masking::kSecrets;
    auto show = [&]() -> ApiResult {
        const SettingsMap overrides = TRY(inv.getSettings(mac));
        SettingsMap effective = TRY(inv.getSettings(""));
        for (const auto& [k, v] : overrides) effective[k] = v;
        auto o = json::newObject();
        auto ov = json::settingsToJson(overrides, mask);
        // settingsToJson fills every key; keep only the overridden ones.
        auto only = json::newObject();
        for (const auto& [k, v] : overrides) {
            (void)v;
            only->set(k, ov->get(k));
        }
        o->set("overrides", only);
        o->set("effective", json::settingsToJson(effective, mask));
        return ok(o);
    };
    if (r.method == "GET") return show();
    if (r.method == "PUT") {
        if (r.actor.role != Role::kAdmin) return forbidden(r.actor, "change settings");
        const auto body = TRY(bodyObject(r));
        FieldErrors errors;
        Poco::JSON::Object present(Poco::JSON_PRESERVE_KEY_ORDER);
        std::vector<std::string> removals;
        for (const auto& [k, v] : *body) {
            if (v.isEmpty() && findSetting(k)) {
                removals.push_back(k);
            } else {
                present.set(k, v);
            }
        }
        SettingsMap values = json::readSettings(present, errors);
        if (!errors.empty()) return Error::invalid("some settings are not valid", errors);
        TRY(inv.putSettings(mac, values, r.actor, removals));
        return show();
    }
    return methodNotAllowed("GET, PUT");
}

}  // namespace

ApiResult deviceRoutes(ApiContext& ctx, const ApiRequest& r) {
    Inventory& inv = ctx.inventory;
    const auto& s = r.segments;
    if (s.size() == 1) {
        if (r.method == "GET") return listDevices(inv, r);
        if (r.method == "POST") return createDevice(inv, r);
        return methodNotAllowed("GET, POST");
    }
    auto mac = MacAddress::parse(s[1]);
    if (!mac) return Error::notFound("'" + s[1] + "' is not a MAC address");
    if (s.size() == 2) return oneDevice(inv, r, mac->canonical());
    if (s.size() == 3 && s[2] == "settings") return deviceSettings(inv, r, mac->canonical());
    if (s.size() == 3 && s[2] == "credentials") return credentialRoutes(ctx, r, mac->canonical());
    if (s.size() == 4 && s[2] == "credentials" && s[3] == "reveal") return revealCredentials(ctx, r, mac->canonical());
    if (s.size() == 3 && s[2] == "resync") return deviceResyncRoute(inv, r, mac->canonical());
    if (s.size() == 4 && s[2] == "preview") {
        if (r.method != "GET") return methodNotAllowed("GET");
        if (r.actor.role != Role::kAdmin) return forbidden(r.actor, "preview configs (they carry secrets)");
        // A preview is asked for one file at a time, by an admin's explicit
        // click in the portal, and audited like a reveal (issue 15 item 3:
        // the exact file a phone would get, admin only).
        TRY(inv.getDevice(mac->canonical()));
        std::string bytes = TRY(ctx.preview(mac->canonical(), s[3]));
        // The file shows the device's secrets: audited before it leaves.
        auto what = json::newObject();
        what->set("file", s[3]);
        TRY(inv.auditAccess(r.actor, "preview", "device", mac->canonical(), json::stringify(what)));
        return ok(Poco::Dynamic::Var(std::move(bytes)));
    }
    return Error::notFound("no such path");
}

}  // namespace prov::admin

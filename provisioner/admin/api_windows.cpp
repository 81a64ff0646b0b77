// Staging windows (/api/v1/staging/windows) and device credentials
// (/api/v1/devices/{mac}/credentials): how a phone gets its secrets the first
// time, and what it proves itself with afterwards.

#include <Poco/JSON/Array.h>

#include <set>

#include "provisioner/admin/api_request.h"
#include "provisioner/admin/json_decode.h"
#include "provisioner/core/mac_address.h"
#include "provisioner/core/text.h"
#include "provisioner/model/json_encode.h"

namespace prov::admin {

namespace {

// A whole number in `o[key]`, or an error naming it.
std::optional<int64_t> integerField(const Poco::JSON::Object& o, const char* key, FieldErrors& errors) {
    if (!o.has(key)) return std::nullopt;
    std::string problem;
    auto n = json::integerOf(o.get(key), problem);
    if (!n) errors[key] = problem;
    return n;
}

Result<WindowSpec> readWindowSpec(const Poco::JSON::Object& o) {
    FieldErrors errors;
    static const std::set<std::string> kKnown = {"label", "macs", "minutes", "max_devices"};
    std::vector<std::string> names;
    o.getNames(names);
    for (const std::string& n : names)
        if (!kKnown.count(n)) errors[n] = "is not a field of a staging window (label, macs, minutes, max_devices)";
    WindowSpec spec;
    if (o.has("label")) {
        if (!o.get("label").isString()) errors["label"] = "must be a string";
        else spec.label = o.getValue<std::string>("label");
    }
    if (o.has("macs")) {
        Poco::JSON::Array::Ptr a = o.getArray("macs");
        if (!a) {
            errors["macs"] = "must be an array of MAC addresses";
        } else {
            for (size_t i = 0; i < a->size(); ++i) {
                if (!a->get(i).isString()) {
                    errors["macs"] = "item " + std::to_string(i + 1) + " is not a string";
                    break;
                }
                spec.macs.push_back(a->getElement<std::string>(i));
            }
        }
    }
    if (auto m = integerField(o, "minutes", errors)) spec.minutes = *m;
    if (auto m = integerField(o, "max_devices", errors)) spec.max_devices = *m;
    else if (!o.has("max_devices") && !spec.macs.empty()) spec.max_devices = static_cast<int64_t>(spec.macs.size());
    if (!errors.empty()) return Error::invalid("the staging window is not valid", errors);
    return spec;
}

ApiResult allWindows(Inventory& inv, const ApiRequest& r) {
    if (r.method == "GET") {
        const auto it = r.query.find("open");
        const bool open_only = it != r.query.end() && (it->second == "true" || it->second == "1");
        Poco::JSON::Array::Ptr items = new Poco::JSON::Array();
        for (const StagingWindow& w : TRY(inv.listWindows(open_only))) items->add(json::toJson(w));
        auto o = json::newObject();
        o->set("items", items);
        return ok(o);
    }
    if (r.method == "POST") {
        if (r.actor.role == Role::kViewer) return forbidden(r.actor, "open staging windows");
        const auto body = TRY(bodyObject(r));
        const WindowSpec spec = TRY(readWindowSpec(*body));
        return ok(json::toJson(TRY(inv.openWindow(spec, r.actor))), 201);
    }
    return methodNotAllowed("GET, POST");
}

ApiResult oneWindow(Inventory& inv, const ApiRequest& r, const std::string& id_text) {
    if (!text::isDigits(id_text) || id_text.size() > 15) return Error::notFound("no staging window " + id_text);
    const int64_t id = std::stoll(id_text);
    if (r.method == "GET") {
        for (const StagingWindow& w : TRY(inv.listWindows(false)))
            if (w.id == id) return ok(json::toJson(w));
        return Error::notFound("no staging window " + id_text);
    }
    if (r.method == "DELETE") return ok(json::toJson(TRY(inv.closeWindow(id, r.actor))));
    return methodNotAllowed("GET, DELETE");
}

}  // namespace

ApiResult windowRoutes(ApiContext& context, const ApiRequest& r) {
    const auto& s = r.segments;  // staging, windows[, id]
    if (s.size() == 2) return allWindows(context.inventory, r);
    if (s.size() == 3) return oneWindow(context.inventory, r, s[2]);
    return Error::notFound("no such path");
}

namespace {

json::ObjectPtr credentialsJson(const std::string& mac, const DeviceCredentials& c, bool show) {
    auto o = json::newObject();
    o->set("mac", MacAddress::parse(mac)->colons());
    o->set("user", c.user);
    o->set("password", show ? c.password : std::string(json::kMask));
    o->set("aes_key", show ? c.aes_key : std::string(json::kMask));
    o->set("previous_user_valid", !c.prev_user.empty());
    o->set("used", c.used_at != 0);
    return o;
}

Error noCredentials() {
    return Error::notFound("the device has no credentials yet: they are made with its first config that "
                           "carries secrets (or rotate them with POST)");
}

}  // namespace

// A portal session gets them masked, as every secret; POST .../reveal shows them.
ApiResult credentialRoutes(ApiContext& context, const ApiRequest& r, const std::string& mac) {
    if (r.actor.role != Role::kAdmin) return forbidden(r.actor, "see or rotate device credentials (they are secrets)");
    Inventory& inv = context.inventory;
    const bool show = seesSecrets(r.actor);
    DeviceCredentials c;
    if (r.method == "GET") {
        const std::optional<DeviceCredentials> found = TRY(inv.deviceCredentials(mac));
        if (!found) return noCredentials();
        c = *found;
        if (show) TRY(inv.auditAccess(r.actor, "read", "device_credentials", mac, ""));
    } else if (r.method == "POST") {
        c = TRY(inv.rotateCredentials(mac, r.actor));
    } else if (r.method == "DELETE") {
        TRY(inv.forgetCredentials(mac, r.actor));
        return ok(Poco::Dynamic::Var(), 204);
    } else {
        return methodNotAllowed("GET, POST, DELETE");
    }
    return ok(credentialsJson(mac, c, show), r.method == "POST" ? 201 : 200);
}

ApiResult revealCredentials(ApiContext& context, const ApiRequest& r, const std::string& mac) {
    if (r.method != "POST") return methodNotAllowed("POST");
    if (r.actor.role != Role::kAdmin) return forbidden(r.actor, "see device credentials (they are secrets)");
    Inventory& inv = context.inventory;
    const std::optional<DeviceCredentials> found = TRY(inv.deviceCredentials(mac));
    if (!found) return noCredentials();
    TRY(inv.auditAccess(r.actor, "reveal", "device_credentials", mac, ""));
    return ok(credentialsJson(mac, *found, true));
}

}  // namespace prov::admin

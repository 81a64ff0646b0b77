// /api/v1/devices and /devices/{mac}

#include <Poco/JSON/Array.h>

#include "provisioner/admin/api_request.h"
#include "provisioner/core/mac_address.h"
#include "provisioner/model/json_codec.h"

namespace prov::admin {

namespace {

std::string queryValue(const ApiRequest& r, const char* key) {
    auto it = r.query.find(key);
    return it == r.query.end() ? "" : it->second;
}

bool mayWriteDevices(const Actor& a) { return a.role == Role::kAdmin || a.role == Role::kInstaller; }

ApiResult createDevice(Inventory& inv, const ApiRequest& r) {
    if (!mayWriteDevices(r.actor)) return forbidden(r.actor, "add devices");
    auto body = bodyObject(r);
    if (!body) return body.error();
    Device d;
    FieldErrors errors;
    std::optional<int64_t> version;
    json::applyDevice(*body.value(), d, errors, version);
    if (version) errors["version"] = "is set by the server";
    if (!body.value()->has("mac") && !errors.count("mac")) errors["mac"] = "is required";
    if (!errors.empty()) return Error::invalid("some fields are not valid", errors);
    auto created = inv.createDevice(d, r.actor);
    if (!created) return created.error();
    ApiResponse resp = ok(json::toJson(created.value()), 201);
    resp.headers["Location"] = "/api/v1/devices/" + created.value().mac;
    return resp;
}

ApiResult listDevices(Inventory& inv, const ApiRequest& r) {
    auto page = readPage(r);
    if (!page) return page.error();
    DeviceFilter f;
    f.make = queryValue(r, "make");
    f.model = queryValue(r, "model");
    f.label = queryValue(r, "label");
    if (const std::string s = queryValue(r, "state"); !s.empty()) {
        f.state = parseDeviceState(s);
        if (!f.state)
            return Error::invalid("bad filter",
                                  {{"state", "must be new, unassigned, staged, provisioned, applied or stale"}});
    }
    auto l = inv.listDevices(f, page.value());
    if (!l) return l.error();
    auto o = json::newObject();
    Poco::JSON::Array::Ptr items = new Poco::JSON::Array();
    for (const Device& d : l.value().items) items->add(json::toJson(d));
    o->set("items", items);
    o->set("total", l.value().total);
    o->set("limit", page.value().limit);
    o->set("offset", page.value().offset);
    return ok(o);
}

ApiResult oneDevice(Inventory& inv, const ApiRequest& r, const std::string& mac) {
    if (r.method == "GET") {
        auto d = inv.getDevice(mac);
        if (!d) return d.error();
        return ok(json::toJson(d.value()));
    }
    if (r.method == "PUT" || r.method == "PATCH") {
        if (!mayWriteDevices(r.actor)) return forbidden(r.actor, "change devices");
        auto body = bodyObject(r);
        if (!body) return body.error();
        const bool replace = r.method == "PUT";
        const auto obj = body.value();
        auto edited = inv.editDevice(
            mac,
            [&](Device& d, FieldErrors& errors, std::optional<int64_t>& version) {
                if (replace) d.make = d.model = d.serial = d.label = "";
                json::applyDevice(*obj, d, errors, version);
            },
            r.actor);
        if (!edited) return edited.error();
        return ok(json::toJson(edited.value()));
    }
    if (r.method == "DELETE") {
        if (r.actor.role != Role::kAdmin) return forbidden(r.actor, "delete devices");
        auto st = inv.deleteDevice(mac, wantsForce(r), r.actor);
        if (!st) return st.error();
        return ok(Poco::Dynamic::Var(), 204);
    }
    return methodNotAllowed("GET, PUT, PATCH, DELETE");
}

}  // namespace

ApiResult deviceRoutes(Inventory& inv, const ApiRequest& r) {
    const auto& s = r.segments;
    if (s.size() == 1) {
        if (r.method == "GET") return listDevices(inv, r);
        if (r.method == "POST") return createDevice(inv, r);
        return methodNotAllowed("GET, POST");
    }
    auto mac = MacAddress::parse(s[1]);
    if (!mac) return Error::notFound("'" + s[1] + "' is not a MAC address");
    if (s.size() == 2) return oneDevice(inv, r, mac->canonical());
    return Error::notFound("no such path");
}

}  // namespace prov::admin

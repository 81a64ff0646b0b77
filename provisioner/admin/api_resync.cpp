// /api/v1/devices/{mac}/resync and /api/v1/resync: ask phones to fetch their
// config now. A POST only queues (202): the server's resync dispatcher sends
// the NOTIFY or runs the hook within seconds, at resync.rate.

#include <Poco/JSON/Array.h>

#include "provisioner/admin/api_request.h"
#include "provisioner/admin/json_decode.h"
#include "provisioner/core/text.h"
#include "provisioner/model/json_encode.h"

namespace prov::admin {

namespace {

constexpr int64_t kPushesShown = 20;

ApiResponse queued(int64_t n) {
    auto o = json::newObject();
    o->set("queued", n);
    return ok(o, 202);
}

Result<int64_t> readLimit(const ApiRequest& r) {
    if (!r.query.count("limit")) return kPushesShown;
    return TRY(readPage(r)).limit;
}

Poco::JSON::Array::Ptr pushList(const std::vector<ResyncPush>& pushes) {
    Poco::JSON::Array::Ptr a = new Poco::JSON::Array();
    for (const ResyncPush& p : pushes) a->add(json::toJson(p));
    return a;
}

// Reading pushes shows addresses and lines, no secret: admins and installers.
Status mayRead(const ApiRequest& r) {
    if (r.actor.role == Role::kViewer) return forbidden(r.actor, "read resync pushes");
    return okStatus();
}

// {"site": "S"} or {"all": true}: exactly one.
Result<ResyncTarget> readTarget(const ApiRequest& r) {
    const auto body = TRY(bodyObject(r));
    ResyncTarget t;
    FieldErrors errors;
    for (const auto& [key, value] : *body) {
        if (key == "site") {
            if (!value.isString() || value.extract<std::string>().empty())
                errors[key] = "must be a non-empty string (a device label)";
            else
                t.site = value.extract<std::string>();
        } else if (key == "all") {
            if (!value.isBoolean())
                errors[key] = "must be true or false";
            else
                t.all = value.extract<bool>();
        } else {
            errors[key] = "is not a known field (site, all)";
        }
    }
    if (errors.empty() && t.site.empty() && !t.all)
        errors["site"] = "give a site, or \"all\": true";
    if (errors.empty() && !t.site.empty() && t.all)
        errors["all"] = "give a site or \"all\": true, not both";
    if (!errors.empty()) return Error::invalid("the resync request is not valid", errors);
    return t;
}

}  // namespace

ApiResult deviceResyncRoute(Inventory& inv, const ApiRequest& r, const std::string& mac) {
    if (r.method == "POST") {
        if (r.actor.role != Role::kAdmin) return forbidden(r.actor, "push resyncs");
        return queued(TRY(inv.queueResync(ResyncTarget{mac, "", false}, r.actor)));
    }
    if (r.method != "GET") return methodNotAllowed("GET, POST");
    TRY(mayRead(r));
    const Device d = TRY(inv.getDevice(mac));
    auto o = json::newObject();
    o->set("mac", mac);
    o->set("resync", d.resync);
    o->set("pushes", pushList(TRY(inv.listPushes(mac, TRY(readLimit(r))))));
    return ok(o);
}

ApiResult resyncRoutes(Inventory& inv, const ApiRequest& r) {
    if (r.segments.size() != 1) return Error::notFound("no such path");
    if (r.method == "POST") {
        if (r.actor.role != Role::kAdmin) return forbidden(r.actor, "push resyncs");
        return queued(TRY(inv.queueResync(TRY(readTarget(r)), r.actor)));
    }
    if (r.method != "GET") return methodNotAllowed("GET, POST");
    TRY(mayRead(r));
    auto o = json::newObject();
    o->set("pushes", pushList(TRY(inv.listPushes("", TRY(readLimit(r))))));
    return ok(o);
}

}  // namespace prov::admin

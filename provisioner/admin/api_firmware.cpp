// /api/v1/firmware: the firmware catalog and targets (issue 14). Everyone
// reads; only admins change them.
//   GET     /firmware                    every image
//   POST    /firmware?vendor=&models=&version=&name=[&sha256=][&size=]
//                                        the body is the image, streamed to disk
//                                        (api_handler.cpp, firmware_upload.cpp) -> 201
//   GET     /firmware/{id}               one image
//   DELETE  /firmware/{id}               removes it and its file (409 while a target names it)
//   GET     /firmware/targets[?vendor=]  every target
//   PUT     /firmware/targets            {"vendor","model","scope"?,"key"?,"version"} -> the target
//   DELETE  /firmware/targets            the same without "version" -> 204

#include <Poco/JSON/Array.h>

#include <set>

#include "provisioner/admin/api_request.h"
#include "provisioner/firmware/manifest.h"
#include "provisioner/model/json_encode.h"

namespace prov::admin {

namespace {

Poco::JSON::Object::Ptr targetJson(const FirmwareTarget& t) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("vendor", t.vendor);
    o->set("model", t.model);
    o->set("scope", t.scope);
    o->set("key", t.scope_key);
    o->set("version", t.version);
    o->set("rollout_id", t.rollout_id ? Poco::Dynamic::Var(t.rollout_id) : Poco::Dynamic::Var());
    o->set("updated_by", t.updated_by);
    return o;
}

Result<firmware::TargetSpec> readTarget(const ApiRequest& r, bool with_version) {
    const auto o = TRY(bodyObject(r));
    FieldErrors errors;
    const std::set<std::string> known =
        with_version ? std::set<std::string>{"vendor", "model", "scope", "key", "version"}
                     : std::set<std::string>{"vendor", "model", "scope", "key"};
    std::vector<std::string> names;
    o->getNames(names);
    for (const std::string& n : names)
        if (!known.count(n))
            errors[n] = with_version
                            ? "is not a field of a target (vendor, model, scope, key, version)"
                            : "is not a field naming a target (vendor, model, scope, key)";
    firmware::TargetSpec spec;
    auto str = [&](const char* key, std::string& out) {
        if (!o->has(key)) return;
        if (!o->get(key).isString())
            errors[key] = "must be a string";
        else
            out = o->getValue<std::string>(key);
    };
    str("vendor", spec.vendor);
    str("model", spec.model);
    str("scope", spec.scope);
    str("key", spec.key);
    str("version", spec.version);
    if (!errors.empty()) return Error::invalid("the firmware target is not valid", errors);
    spec.actor = r.actor.name;
    spec.actor_source = r.actor.source;
    return spec;
}

ApiResult targetRoutes(firmware::Catalog& catalog, const ApiRequest& r) {
    if (r.method == "GET") {
        auto it = r.query.find("vendor");
        const auto targets = TRY(catalog.listTargets(it == r.query.end() ? "" : it->second));
        Poco::JSON::Array::Ptr items = new Poco::JSON::Array();
        for (const FirmwareTarget& t : targets) items->add(targetJson(t));
        auto o = json::newObject();
        o->set("items", items);
        o->set("total", static_cast<int64_t>(targets.size()));
        return ok(o);
    }
    if (r.method != "PUT" && r.method != "DELETE") return methodNotAllowed("GET, PUT, DELETE");
    if (r.actor.role != Role::kAdmin) return forbidden(r.actor, "change firmware targets");
    if (r.method == "PUT") return ok(targetJson(TRY(catalog.setTarget(TRY(readTarget(r, true))))));
    if (!TRY(catalog.clearTarget(TRY(readTarget(r, false)))))
        return Error::notFound("no such firmware target");
    return ok(Poco::Dynamic::Var(), 204);
}

Result<int64_t> imageId(const std::string& text) {
    int64_t id = 0;
    if (text.empty() || text.size() > 18) return Error::notFound("no firmware image " + text);
    for (char c : text) {
        if (c < '0' || c > '9') return Error::notFound("no firmware image " + text);
        id = id * 10 + (c - '0');
    }
    return id;
}

}  // namespace

ApiResult firmwareRoutes(ApiContext& context, const ApiRequest& r) {
    if (!context.firmware) return Error::notFound("no firmware catalog");
    firmware::Catalog& catalog = *context.firmware;
    const size_t n = r.segments.size();
    if (n == 2 && r.segments[1] == "targets") return targetRoutes(catalog, r);
    if (n == 1) {
        if (r.method == "POST")  // the handler streams uploads before here
            return Error::invalid("no image", {{"body", "the image's bytes are the request body"}});
        if (r.method != "GET") return methodNotAllowed("GET, POST");
        const auto images = TRY(catalog.list());
        Poco::JSON::Array::Ptr items = new Poco::JSON::Array();
        for (const FirmwareImage& i : images) items->add(firmware::imageJson(i));
        auto o = json::newObject();
        o->set("items", items);
        o->set("total", static_cast<int64_t>(images.size()));
        return ok(o);
    }
    if (n != 2) return Error::notFound("no such path");
    const int64_t id = TRY(imageId(r.segments[1]));
    if (r.method == "GET") return ok(firmware::imageJson(TRY(catalog.get(id))));
    if (r.method != "DELETE") return methodNotAllowed("GET, DELETE");
    if (r.actor.role != Role::kAdmin) return forbidden(r.actor, "remove firmware images");
    TRY(catalog.remove(id, r.actor.name, r.actor.source));
    return ok(Poco::Dynamic::Var(), 204);
}

}  // namespace prov::admin

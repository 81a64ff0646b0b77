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
//   GET     /firmware/rollouts           every rollout, newest first
//   POST    /firmware/rollouts           {"vendor","model","site"?,"version","canaries":[MAC..] | "percent":P,
//                                         "window":"30m"|seconds} -> 201 the rollout
//   GET     /firmware/rollouts/{id}      the rollout and where each member stands
//   POST    /firmware/rollouts/{id}/halt      {"reason"?} -> the rollout (409 unless in its canary stage)
//   POST    /firmware/rollouts/{id}/rollback  -> the rollout, its scope's target as before

#include <Poco/JSON/Array.h>

#include <set>

#include "provisioner/admin/api_request.h"
#include "provisioner/admin/json_decode.h"
#include "provisioner/firmware/manifest.h"
#include "provisioner/core/time_format.h"
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

// Every field of `o` not in `known` is named, with `message`.
void refuseUnknown(const Poco::JSON::Object& o, const std::set<std::string>& known, const std::string& message,
                   FieldErrors& errors) {
    std::vector<std::string> names;
    o.getNames(names);
    for (const std::string& n : names)
        if (!known.count(n)) errors[n] = message;
}

// `key`, when present, must be a string; it goes to `out`.
void readString(const Poco::JSON::Object& o, const char* key, std::string& out, FieldErrors& errors) {
    if (!o.has(key)) return;
    if (!o.get(key).isString())
        errors[key] = "must be a string";
    else
        out = o.getValue<std::string>(key);
}

Result<firmware::TargetSpec> readTarget(const ApiRequest& r, bool with_version) {
    const auto o = TRY(bodyObject(r));
    FieldErrors errors;
    const std::set<std::string> known =
        with_version ? std::set<std::string>{"vendor", "model", "scope", "key", "version"}
                     : std::set<std::string>{"vendor", "model", "scope", "key"};
    refuseUnknown(*o, known,
                  with_version ? "is not a field of a target (vendor, model, scope, key, version)"
                               : "is not a field naming a target (vendor, model, scope, key)",
                  errors);
    firmware::TargetSpec spec;
    readString(*o, "vendor", spec.vendor, errors);
    readString(*o, "model", spec.model, errors);
    readString(*o, "scope", spec.scope, errors);
    readString(*o, "key", spec.key, errors);
    readString(*o, "version", spec.version, errors);
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

Poco::JSON::Object::Ptr rolloutJson(const Rollout& r) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("id", r.id);
    o->set("vendor", r.vendor);
    o->set("model", r.model);
    o->set("site", r.site);
    o->set("version", r.to_version);
    o->set("previous", r.previous.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(r.previous));
    Poco::JSON::Array::Ptr canaries = new Poco::JSON::Array();
    for (const std::string& m : r.canaries) canaries->add(m);
    o->set("canaries", canaries);
    o->set("percent", r.canary_percent ? Poco::Dynamic::Var(r.canary_percent) : Poco::Dynamic::Var());
    o->set("window_s", r.window_s);
    o->set("state", r.state);
    o->set("stage_started_at", formatUtc(r.stage_started_at));
    o->set("reason", r.reason);
    o->set("created_at", formatUtc(r.created_at));
    o->set("created_by", r.created_by);
    return o;
}

Result<firmware::RolloutSpec> readRollout(const ApiRequest& r) {
    const auto o = TRY(bodyObject(r));
    FieldErrors errors;
    const std::set<std::string> known{"vendor", "model", "site", "version", "canaries", "percent", "window"};
    refuseUnknown(*o, known, "is not a field of a rollout (vendor, model, site, version, canaries, percent, window)",
                  errors);
    firmware::RolloutSpec spec;
    readString(*o, "vendor", spec.vendor, errors);
    readString(*o, "model", spec.model, errors);
    readString(*o, "site", spec.site, errors);
    readString(*o, "version", spec.version, errors);
    if (o->has("canaries")) {
        const auto list = o->getArray("canaries");
        if (!list) {
            errors["canaries"] = "must be a list of MAC addresses";
        } else {
            for (size_t i = 0; i < list->size(); ++i) {
                if (!list->get(static_cast<unsigned>(i)).isString()) {
                    errors["canaries"] = "must be a list of MAC addresses";
                    break;
                }
                spec.canaries.push_back(list->getElement<std::string>(static_cast<unsigned>(i)));
            }
        }
    }
    if (o->has("percent")) {
        std::string problem;
        const std::optional<int64_t> v = json::integerOf(o->get("percent"), problem);
        if (!v || *v < 1 || *v > 100)
            errors["percent"] = "a whole share of the devices, 1 to 100";
        else
            spec.percent = static_cast<int>(*v);
    }
    if (!o->has("window")) {
        errors["window"] = "required: how long canaries have to report the version (\"30m\", or seconds)";
    } else if (const Poco::Dynamic::Var v = o->get("window"); v.isString()) {
        spec.window_s = firmware::parseWindow(v.convert<std::string>());
        if (spec.window_s < 0) errors["window"] = "a time such as 90, \"30m\", \"2h\" or \"1d\"";
    } else if (std::string problem; const auto seconds = json::integerOf(v, problem)) {
        spec.window_s = *seconds;
    } else {
        errors["window"] = "a time such as 90, \"30m\", \"2h\" or \"1d\"";
    }
    if (!errors.empty()) return Error::invalid("the rollout is not valid", errors);
    spec.actor = r.actor.name;
    spec.actor_source = r.actor.source;
    return spec;
}

Result<int64_t> rolloutId(const std::string& text) {
    if (text.empty() || text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos)
        return Error::notFound("no rollout " + text);
    return std::stoll(text);
}

ApiResult rolloutRoutes(firmware::Catalog& catalog, const ApiRequest& r) {
    const size_t n = r.segments.size();
    if (n == 2) {
        if (r.method == "GET") {
            const auto rows = TRY(catalog.listRollouts());
            Poco::JSON::Array::Ptr items = new Poco::JSON::Array();
            for (const Rollout& x : rows) items->add(rolloutJson(x));
            auto o = json::newObject();
            o->set("items", items);
            o->set("total", static_cast<int64_t>(rows.size()));
            return ok(o);
        }
        if (r.method != "POST") return methodNotAllowed("GET, POST");
        if (r.actor.role != Role::kAdmin) return forbidden(r.actor, "start firmware rollouts");
        return ok(rolloutJson(TRY(catalog.startRollout(TRY(readRollout(r))))), 201);
    }
    const int64_t id = TRY(rolloutId(r.segments[2]));
    if (n == 3) {
        if (r.method != "GET") return methodNotAllowed("GET");
        const firmware::RolloutView v = TRY(catalog.viewRollout(id));
        auto o = rolloutJson(v.rollout);
        Poco::JSON::Array::Ptr members = new Poco::JSON::Array();
        for (const auto& m : v.members) {
            Poco::JSON::Object::Ptr x = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
            x->set("mac", m.mac);
            x->set("ring", m.ring == 0 ? "canary" : "rest");
            x->set("firmware_status", m.fw_status);
            x->set("firmware_target", m.fw_target);
            x->set("last_firmware", m.last_firmware);
            members->add(x);
        }
        o->set("members", members);
        return ok(o);
    }
    if (n != 4 || (r.segments[3] != "halt" && r.segments[3] != "rollback")) return Error::notFound("no such path");
    if (r.method != "POST") return methodNotAllowed("POST");
    if (r.actor.role != Role::kAdmin) return forbidden(r.actor, "halt or roll back firmware rollouts");
    if (r.segments[3] == "rollback") return ok(rolloutJson(TRY(catalog.rollbackRollout(id, r.actor.name, r.actor.source))));
    std::string reason;
    if (!r.body.isEmpty()) {
        const auto o = TRY(bodyObject(r));
        FieldErrors errors;
        refuseUnknown(*o, {"reason"}, "is not a field of a halt (reason)", errors);
        readString(*o, "reason", reason, errors);
        if (!errors.empty()) return Error::invalid("the halt is not valid", errors);
    }
    return ok(rolloutJson(TRY(catalog.haltRollout(id, r.actor.name, reason, r.actor.source))));
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
    if (n >= 2 && r.segments[1] == "rollouts") return rolloutRoutes(catalog, r);
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

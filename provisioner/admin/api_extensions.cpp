// /api/v1/extensions, /extensions/{ext}, .../buttons, .../registration

#include <Poco/JSON/Array.h>

#include <set>

#include "provisioner/admin/api_request.h"
#include "provisioner/core/mac_address.h"
#include "provisioner/admin/json_decode.h"
#include "provisioner/model/fields.h"
#include "provisioner/model/json_encode.h"

namespace prov::admin {

namespace {

json::Masking maskingFor(const Actor& a) { return seesSecrets(a) ? json::Masking::kNone : json::Masking::kSecrets; }

std::string queryValue(const ApiRequest& r, const char* key) {
    auto it = r.query.find(key);
    return it == r.query.end() ? "" : it->second;
}

// PUT replaces every editable field; the secret is kept unless one is sent,
// so a full update never breaks a phone's registration by accident.
void resetEditable(Extension& e) {
    const Extension blank;
    for (const auto& f : extensionFields()) {
        if (f.editable() && f.secrecy != Secrecy::kSecret && f.json != "extension") copyValue(f, blank, e);
    }
}

ApiResult createExtension(Inventory& inv, const ApiRequest& r) {
    if (r.actor.role != Role::kAdmin) return forbidden(r.actor, "create extensions");
    const auto body = TRY(bodyObject(r));
    Extension e;
    FieldErrors errors;
    std::optional<int64_t> version;
    json::applyExtension(*body, e, errors, version);
    if (version) errors["version"] = "is set by the server";
    if (!body->has("extension")) errors["extension"] = "is required";
    if (!body->has("callerid_name") && !errors.count("callerid_name"))
        errors["callerid_name"] = "is required";
    if (!errors.empty()) {
        // Report the value rules too, so the caller sees every bad field at once.
        FieldErrors more;
        validateExtension(e, more);
        errors.merge(more);
        return Error::invalid("some fields are not valid", errors);
    }
    const Extension created = TRY(inv.createExtension(e, r.actor));
    // A script that creates an extension gets its generated secret; the
    // portal reveals it when asked.
    const auto masking = r.actor.portal ? json::Masking::kSecrets : json::Masking::kNone;
    ApiResponse resp = ok(json::toJson(created, masking), 201);
    resp.headers["Location"] = "/api/v1/extensions/" + created.extension;
    return resp;
}

ApiResult listExtensions(Inventory& inv, const ApiRequest& r) {
    const Page page = TRY(readPage(r));
    ExtensionFilter f;
    f.q = queryValue(r, "q");
    f.phone_group = queryValue(r, "phone_group");
    f.order = TRY(readOrder(r, extensionSortKeys()));
    if (const std::string t = queryValue(r, "device_type"); !t.empty()) {
        f.device_type = parseDeviceType(t);
        if (!f.device_type)
            return Error::invalid("bad filter", {{"device_type", "must be SIP, IAX2, DAHDI, VIRTUAL or SIP-VIRTUAL"}});
    }
    if (const std::string mac = queryValue(r, "mac"); !mac.empty()) {
        auto m = MacAddress::parse(mac);
        if (!m) return Error::invalid("bad filter", {{"mac", "must be a MAC address"}});
        f.mac = m->canonical();
    }
    const Listing<Extension> l = TRY(inv.listExtensions(f, page));
    auto o = json::newObject();
    Poco::JSON::Array::Ptr items = new Poco::JSON::Array();
    for (const Extension& e : l.items) items->add(json::toJson(e, maskingFor(r.actor)));
    o->set("items", items);
    o->set("total", l.total);
    o->set("limit", page.limit);
    o->set("offset", page.offset);
    return ok(o);
}

ApiResult oneExtension(Inventory& inv, const ApiRequest& r, const std::string& ext) {
    if (r.method == "GET") {
        return ok(json::toJson(TRY(inv.getExtension(ext)), maskingFor(r.actor)));
    }
    if (r.method == "PUT" || r.method == "PATCH") {
        auto body = bodyObject(r);
        if (r.actor.role == Role::kInstaller && r.method == "PATCH" && body) {
            // An installer binds extensions to the phones they unbox, and nothing more.
            static const std::set<std::string> kBinding = {"mac", "phone_reg", "phone_make", "phone_model",
                                                           "version"};
            std::vector<std::string> names;
            body.value()->getNames(names);
            for (const auto& n : names) {
                if (!kBinding.count(n))
                    return forbidden(r.actor, "change " + n + " (an installer may set mac, phone_reg, "
                                                             "phone_make and phone_model: bind phones)");
            }
        } else if (r.actor.role != Role::kAdmin) {
            return forbidden(r.actor, "change extensions");
        }
        const auto obj = TRY(body);
        const bool replace = r.method == "PUT";
        const Extension edited = TRY(inv.editExtension(
            ext,
            [&](Extension& e, FieldErrors& errors, std::optional<int64_t>& version) {
                if (replace) resetEditable(e);
                json::applyExtension(*obj, e, errors, version);
                if (replace && !obj->has("callerid_name") && !errors.count("callerid_name"))
                    errors["callerid_name"] = "is required";
            },
            r.actor));
        return ok(json::toJson(edited, maskingFor(r.actor)));
    }
    if (r.method == "DELETE") {
        if (r.actor.role != Role::kAdmin) return forbidden(r.actor, "delete extensions");
        TRY(inv.deleteExtension(ext, wantsForce(r), r.actor));
        return ok(Poco::Dynamic::Var(), 204);
    }
    return methodNotAllowed("GET, PUT, PATCH, DELETE");
}

ApiResult buttons(Inventory& inv, const ApiRequest& r, const std::string& ext) {
    if (r.method == "GET") {
        return ok(json::toJson(TRY(inv.getButtons(ext))));
    }
    if (r.method == "PUT") {
        if (r.actor.role != Role::kAdmin) return forbidden(r.actor, "change buttons");
        if (!r.has_body || r.body.type() != typeid(Poco::JSON::Array::Ptr))
            return Error{Code::kInvalidArgument, "invalid_json",
                         "the body must be a JSON array of {index, type, value, label, line}", {}, {}};
        FieldErrors errors;
        auto list = json::readButtons(*r.body.extract<Poco::JSON::Array::Ptr>(), errors);
        if (!errors.empty()) return Error::invalid("some buttons are not valid", errors);
        return ok(json::toJson(TRY(inv.setButtons(ext, std::move(list), r.actor))));
    }
    return methodNotAllowed("GET, PUT");
}

ApiResult registration(Inventory& inv, const ApiRequest& r, const std::string& ext) {
    if (r.method != "PUT") return methodNotAllowed("PUT");
    if (r.actor.role != Role::kAdmin) return forbidden(r.actor, "set registration status");
    const auto body = TRY(bodyObject(r));
    const auto& o = *body;
    Registration reg;
    FieldErrors errors;
    for (const auto& [key, value] : o) {
        if (key == "status" || key == "ip" || key == "agent" || key == "transport") {
            if (value.isEmpty()) continue;
            if (!value.isString()) {
                errors[key] = "must be a string";
                continue;
            }
            (key == "status"      ? reg.status
             : key == "ip"        ? reg.ip
             : key == "transport" ? reg.transport
                                  : reg.agent) = value.extract<std::string>();
        } else if (key == "port") {
            if (value.isEmpty()) continue;
            std::string problem;
            if (auto p = json::integerOf(value, problem)) {
                reg.port = *p < 0 || *p > 65535 ? -1 : static_cast<int>(*p);
            } else {
                errors[key] = problem;
            }
        } else {
            errors[key] = "is not a known field (status, ip, port, agent, transport)";
        }
    }
    if (!o.has("status")) errors["status"] = "is required";
    if (!errors.empty()) return Error::invalid("some fields are not valid", errors);
    return ok(json::toJson(TRY(inv.setRegistration(ext, reg, r.actor)), maskingFor(r.actor)));
}

// The one way the portal shows a secret: asked for, by an admin, audited
// (never with the value).
ApiResult revealSecret(Inventory& inv, const ApiRequest& r, const std::string& ext) {
    if (r.method != "POST") return methodNotAllowed("POST");
    if (r.actor.role != Role::kAdmin) return forbidden(r.actor, "see SIP secrets");
    const Extension e = TRY(inv.getExtension(ext));
    TRY(inv.auditAccess(r.actor, "reveal", "extension", ext, ""));
    auto o = json::newObject();
    o->set("secret", e.secret);
    return ok(o);
}

ApiResult references(Inventory& inv, const ApiRequest& r, const std::string& ext) {
    if (r.method != "GET") return methodNotAllowed("GET");
    Poco::JSON::Array::Ptr refs = new Poco::JSON::Array();
    for (const std::string& ref : TRY(inv.extensionReferences(ext))) refs->add(ref);
    auto o = json::newObject();
    o->set("extension", ext);
    o->set("references", refs);
    return ok(o);
}

}  // namespace

ApiResult extensionRoutes(Inventory& inv, const ApiRequest& r) {
    const auto& s = r.segments;
    if (s.size() == 1) {
        if (r.method == "GET") return listExtensions(inv, r);
        if (r.method == "POST") return createExtension(inv, r);
        return methodNotAllowed("GET, POST");
    }
    const std::string& ext = s[1];
    if (s.size() == 2) return oneExtension(inv, r, ext);
    if (s.size() == 3 && s[2] == "buttons") return buttons(inv, r, ext);
    if (s.size() == 3 && s[2] == "registration") return registration(inv, r, ext);
    if (s.size() == 3 && s[2] == "references") return references(inv, r, ext);
    if (s.size() == 4 && s[2] == "secret" && s[3] == "reveal") return revealSecret(inv, r, ext);
    return Error::notFound("no such path");
}

}  // namespace prov::admin

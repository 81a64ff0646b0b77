// Routing and the small routes: settings, licence, events, audit.

#include <Poco/JSON/Array.h>

#include <algorithm>

#include "provisioner/admin/api_request.h"
#include "provisioner/admin/api_route_table.h"
#include "provisioner/core/mac_address.h"
#include "provisioner/core/text.h"
#include "provisioner/core/time_format.h"
#include "provisioner/admin/json_decode.h"
#include "provisioner/model/json_encode.h"

namespace prov::admin {

ApiResponse ok(Poco::Dynamic::Var body, int status) { return ApiResponse{status, std::move(body), {}}; }

Error forbidden(const Actor& actor, const std::string& what) {
    return Error{Code::kPermissionDenied, "forbidden",
                 "the " + std::string(toString(actor.role)) + " role cannot " + what, {}, {}};
}

Result<Page> readPage(const ApiRequest& request) {
    Page page;
    FieldErrors errors;
    auto read = [&](const char* key, int64_t min, int64_t max, int64_t& out) {
        auto it = request.query.find(key);
        if (it == request.query.end()) return;
        // At most 10 digits: every bound fits, and std::stoll cannot overflow.
        if (!text::isDigits(it->second) || it->second.size() > 10 || std::stoll(it->second) < min ||
            std::stoll(it->second) > max) {
            errors[key] = "must be an integer from " + std::to_string(min) + " to " + std::to_string(max);
        } else {
            out = std::stoll(it->second);
        }
    };
    read("limit", 1, 1000, page.limit);
    read("offset", 0, 1'000'000'000, page.offset);
    if (!errors.empty()) return Error::invalid("bad paging", errors);
    return page;
}

Result<Poco::JSON::Object::Ptr> bodyObject(const ApiRequest& request) {
    if (!request.has_body || request.body.type() != typeid(Poco::JSON::Object::Ptr))
        return Error{Code::kInvalidArgument, "invalid_json", "the body must be a JSON object", {}, {}};
    return request.body.extract<Poco::JSON::Object::Ptr>();
}

bool wantsForce(const ApiRequest& request) {
    auto it = request.query.find("force");
    return it != request.query.end() && (it->second == "true" || it->second == "1");
}

Error methodNotAllowed(const std::string& allow) {
    return Error{Code::kMethodNotAllowed, "method_not_allowed", "method not allowed; use " + allow, {}, {allow}};
}

Result<ListOrder> readOrder(const ApiRequest& request, const std::vector<std::string>& keys) {
    ListOrder order;
    FieldErrors errors;
    if (auto it = request.query.find("sort"); it != request.query.end() && !it->second.empty()) {
        if (std::find(keys.begin(), keys.end(), it->second) == keys.end()) {
            std::string list;
            for (const auto& k : keys) list += (list.empty() ? "" : ", ") + k;
            errors["sort"] = "must be one of " + list;
        } else {
            order.sort = it->second;
        }
    }
    if (auto it = request.query.find("order"); it != request.query.end() && !it->second.empty()) {
        if (it->second == "desc") {
            order.order = SortOrder::kDesc;
        } else if (it->second != "asc") {
            errors["order"] = "must be asc or desc";
        }
    }
    if (!errors.empty()) return Error::invalid("bad sort", errors);
    return order;
}

bool seesSecrets(const Actor& actor) { return actor.role == Role::kAdmin && !actor.portal; }

namespace {

template <typename T>
json::ObjectPtr listing(const Listing<T>& l, Page page, const std::function<json::ObjectPtr(const T&)>& f) {
    auto o = json::newObject();
    Poco::JSON::Array::Ptr items = new Poco::JSON::Array();
    for (const T& item : l.items) items->add(f(item));
    o->set("items", items);
    o->set("total", l.total);
    o->set("limit", page.limit);
    o->set("offset", page.offset);
    return o;
}

Result<int64_t> readSince(const ApiRequest& request) {
    auto it = request.query.find("since");
    if (it == request.query.end()) return int64_t{0};
    auto t = parseUtc(it->second);
    if (!t) return Error::invalid("bad filter", {{"since", "must be a time such as 2026-11-27T10:00:00Z"}});
    return *t;
}

std::string queryValue(const ApiRequest& r, const char* key) {
    auto it = r.query.find(key);
    return it == r.query.end() ? "" : it->second;
}

ApiResult settingsRoute(Inventory& inv, const ApiRequest& r) {
    if (r.method == "GET") {
        const SettingsMap s = TRY(inv.getSettings(""));
        return ok(json::settingsToJson(s, seesSecrets(r.actor) ? json::Masking::kNone : json::Masking::kSecrets));
    }
    if (r.method == "PUT") {
        if (r.actor.role != Role::kAdmin) return forbidden(r.actor, "change settings");
        const auto body = TRY(bodyObject(r));
        FieldErrors errors;
        SettingsMap values = json::readSettings(*body, errors);
        if (!errors.empty()) return Error::invalid("some settings are not valid", errors);
        return ok(json::settingsToJson(TRY(inv.putSettings("", values, r.actor)),
                                       seesSecrets(r.actor) ? json::Masking::kNone : json::Masking::kSecrets));
    }
    return methodNotAllowed("GET, PUT");
}

ApiResult licenceRoute(Inventory& inv, const ApiRequest& r) {
    if (r.method != "GET") return methodNotAllowed("GET");
    const LicenceUsage l = TRY(inv.licence());
    auto o = json::newObject();
    o->set("extensions_allowed", l.allowed);
    o->set("extensions_used", l.used);
    return ok(o);
}

ApiResult eventsRoute(Inventory& inv, const ApiRequest& r) {
    if (r.method != "GET") return methodNotAllowed("GET");
    const Page page = TRY(readPage(r));
    EventFilter f;
    f.since = TRY(readSince(r));
    f.outcome = queryValue(r, "outcome");
    if (!f.outcome.empty() && f.outcome != "served" && f.outcome != "not_found" && f.outcome != "denied" &&
        f.outcome != "error")
        return Error::invalid("bad filter", {{"outcome", "must be served, not_found, denied or error"}});
    if (const std::string mac = queryValue(r, "mac"); !mac.empty()) {
        auto m = MacAddress::parse(mac);
        if (!m) return Error::invalid("bad filter", {{"mac", "must be a MAC address"}});
        f.mac = m->canonical();
    }
    const Listing<Event> l = TRY(inv.listEvents(f, page));
    return ok(listing<Event>(l, page, [](const Event& e) { return json::toJson(e); }));
}

ApiResult auditRoute(Inventory& inv, const ApiRequest& r) {
    if (r.method != "GET") return methodNotAllowed("GET");
    if (r.actor.role == Role::kInstaller) return forbidden(r.actor, "read the audit log");
    const Page page = TRY(readPage(r));
    const int64_t since = TRY(readSince(r));
    AuditFilter f{queryValue(r, "entity"), queryValue(r, "entity_id"), since};
    const Listing<AuditEntry> l = TRY(inv.listAudit(f, page));
    return ok(listing<AuditEntry>(l, page, [](const AuditEntry& a) { return json::toJson(a); }));
}

}  // namespace

ApiResult route(ApiContext& context, const ApiRequest& r) {
    Inventory& inventory = context.inventory;
    // The table decides what exists (api_route_table.h): a path or method it
    // does not list never reaches a handler.
    const std::optional<RouteMatch> match = matchRoute(r.segments);
    if (!match) return Error::notFound("no such path");
    if (!match->allows(r.method)) return methodNotAllowed(match->allowHeader());
    const std::string& head = r.segments[0];
    const size_t n = r.segments.size();
    if (head == "extensions" && n == 3 && r.segments[2] == "invitations") return invitationRoutes(context, r);
    if (head == "extensions") return extensionRoutes(inventory, r);
    if (head == "devices") return deviceRoutes(context, r);
    if (head == "settings" && n == 1) return settingsRoute(inventory, r);
    if (head == "license" && n == 1) return licenceRoute(inventory, r);
    if (head == "events" && n == 1) return eventsRoute(inventory, r);
    if (head == "audit" && n == 1) return auditRoute(inventory, r);
    if (head == "imports" || head == "exports" || head == "staging") return bulkRoutes(context, r);
    if (head == "tokens") return tokenRoutes(context, r);
    if (head == "catalog" && n == 1 && context.catalog) return catalogRoutes(context, r);
    if (head == "users") return userRoutes(inventory, r);
    if (head == "firmware") return firmwareRoutes(context, r);
    if (head == "resync") return resyncRoutes(inventory, r);
    return Error::notFound("no such path");
}

}  // namespace prov::admin

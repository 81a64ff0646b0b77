// /api/v1/tokens: the API tokens, for admins only (the CLI's `token`
// command does the same on the server).
//   GET     /tokens             every token, revoked ones too; never a secret or hash
//   POST    /tokens             {"role", "name"?, "expires"?} -> 201, the token shown this once
//   DELETE  /tokens/{id|name}   revokes it

#include <Poco/JSON/Array.h>

#include <set>

#include "provisioner/admin/api_request.h"
#include "provisioner/model/json_encode.h"

namespace prov::admin {

namespace {

Result<TokenSpec> readTokenSpec(const Poco::JSON::Object& o) {
    FieldErrors errors;
    static const std::set<std::string> kKnown = {"role", "name", "expires"};
    std::vector<std::string> names;
    o.getNames(names);
    for (const std::string& n : names)
        if (!kKnown.count(n)) errors[n] = "is not a field of a token (role, name, expires)";
    TokenSpec spec;
    auto str = [&](const char* key, std::string& out) {
        if (!o.has(key)) return;
        if (!o.get(key).isString()) errors[key] = "must be a string";
        else out = o.getValue<std::string>(key);
    };
    std::string role;
    str("role", role);
    str("name", spec.name);
    str("expires", spec.expires);
    if (!errors.count("role")) {
        if (auto parsed = parseRole(role)) spec.role = *parsed;
        else errors["role"] = "must be admin, installer or viewer";
    }
    if (!errors.empty()) return Error::invalid("the token is not valid", errors);
    return spec;
}

}  // namespace

ApiResult tokenRoutes(ApiContext& context, const ApiRequest& r) {
    if (r.actor.role != Role::kAdmin) return forbidden(r.actor, "see or change API tokens");
    Inventory& inv = context.inventory;
    const int64_t now = context.clock.nowSeconds();
    if (r.segments.size() == 1) {
        if (r.method == "GET") {
            const std::vector<ApiToken> tokens = TRY(inv.listTokens());
            Poco::JSON::Array::Ptr items = new Poco::JSON::Array();
            for (const ApiToken& t : tokens) items->add(json::toJson(t, now));
            auto o = json::newObject();
            o->set("items", items);
            o->set("total", static_cast<int64_t>(tokens.size()));
            return ok(o);
        }
        if (r.method == "POST") {
            const auto body = TRY(bodyObject(r));
            const TokenSpec spec = TRY(readTokenSpec(*body));
            const NewToken made = TRY(inv.createToken(spec, r.actor));
            json::ObjectPtr o = json::toJson(made.record, now);
            o->set("token", made.secret);
            return ok(o, 201);
        }
        return methodNotAllowed("GET, POST");
    }
    if (r.segments.size() == 2) {
        if (r.method != "DELETE") return methodNotAllowed("DELETE");
        return ok(json::toJson(TRY(inv.revokeToken(r.segments[1], r.actor)), now));
    }
    return Error::notFound("no such path");
}

}  // namespace prov::admin

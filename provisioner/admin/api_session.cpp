// /api/v1/session: portal sign-in, and /api/v1/users: the portal's users.
//   POST    /session        {"name","password"} -> 200 the session, Set-Cookie prov_session and
//                           prov_device (device_cookie.h: a block on the name does not hold
//                           this browser next time); 401 bad name or password (one message
//                           for both); 429 + Retry-After throttled ("too_many_failures") or
//                           another sign-in on the same address or name under way
//                           ("sign_in_in_progress", 1 s); 503 + Retry-After "busy": no
//                           password check came free in time (neither counted as a failure)
//   GET     /session        the session of the cookie, else 401
//   DELETE  /session        204, the session cookie cleared (Max-Age=0); with a live
//                           session's cookie it needs its X-CSRF-Token (api_handler.h)
//   GET     /users          admins: every user
//   POST    /users          admins: {"name","role","password"} -> 201
//   GET     /users/{name}   admins
//   PATCH   /users/{name}   admins: {"role"?,"password"?,"disabled"?}
//   DELETE  /users/{name}   admins: 204
// Neither PATCH nor DELETE may take away the last enabled admin (409 "last_admin").
// Passwords never leave the request: not in answers, logs or the audit; nor
// does a name that is no user's (it may be a password typed in the wrong box).

#include <Poco/JSON/Array.h>

#include <set>

#include "provisioner/admin/api_request.h"
#include "provisioner/core/time_format.h"
#include "provisioner/model/json_encode.h"

namespace prov::admin {

namespace {

const char* const kBadSignIn = "the name or password is wrong";

std::string cookieHeader(const std::string& value, bool https, bool clear) {
    std::string c = std::string(kSessionCookie) + "=" + value + "; Path=/; HttpOnly; SameSite=Strict";
    if (https) c += "; Secure";
    if (clear) c += "; Max-Age=0";
    return c;
}

// Sent only back to /api/v1/session, where it is read; it outlives sign-out
// (it says the browser signed in before, not that it is signed in).
std::string deviceCookieHeader(const std::string& value, bool https, int64_t max_age) {
    std::string c = std::string(kDeviceCookie) + "=" + value + "; Path=/api/v1/session; Max-Age=" +
                    std::to_string(max_age) + "; HttpOnly; SameSite=Strict";
    if (https) c += "; Secure";
    return c;
}

// 429 or 503 with Retry-After `seconds` (api_handler.cpp sets the header by the reason).
Error retryLater(Code code, const char* reason, const std::string& message, int64_t seconds) {
    const std::string wait = std::to_string(seconds);
    return Error{code, reason, message + "; try again in " + wait + " s", {}, {wait}};
}

json::ObjectPtr sessionJson(const SessionView& s) {
    auto user = json::newObject();
    user->set("id", s.user.id);
    user->set("name", s.user.name);
    user->set("role", std::string(toString(s.user.role)));
    auto o = json::newObject();
    o->set("user", user);
    o->set("csrf_token", s.csrf_token);
    o->set("expires_at", formatUtc(s.expires_at));
    o->set("idle_expires_at", formatUtc(s.idle_expires_at));
    return o;
}

json::ObjectPtr userJson(const PortalUser& u) {
    auto o = json::newObject();
    o->set("id", u.id);
    o->set("name", u.name);
    o->set("role", std::string(toString(u.role)));
    o->set("disabled", u.disabled);
    o->set("created_at", formatUtc(u.created_at));
    if (u.last_sign_in_at) o->set("last_sign_in_at", formatUtc(u.last_sign_in_at));
    else o->set("last_sign_in_at", Poco::Dynamic::Var());
    return o;
}

// Every field of `o` must be one of `known`; each string field is read into
// `strings`, each bool into `bools`.
void readFields(const Poco::JSON::Object& o, const std::set<std::string>& known, const char* what,
                std::map<std::string, std::string>& strings, std::map<std::string, bool>& bools, FieldErrors& errors) {
    std::vector<std::string> names;
    o.getNames(names);
    for (const std::string& n : names) {
        if (!known.count(n)) {
            errors[n] = std::string("is not a field of ") + what;
        } else if (n == "disabled") {
            if (!o.get(n).isBoolean()) errors[n] = "must be true or false";
            else bools[n] = o.getValue<bool>(n);
        } else if (!o.get(n).isString()) {
            errors[n] = "must be a string";
        } else {
            strings[n] = o.getValue<std::string>(n);
        }
    }
}

ApiResult signIn(ApiContext& context, const ApiRequest& r, SecurityLog& log) {
    const auto body = TRY(bodyObject(r));
    std::map<std::string, std::string> fields;
    std::map<std::string, bool> unused;
    FieldErrors errors;
    readFields(*body, {"name", "password"}, "a sign-in (name, password)", fields, unused, errors);
    if (!fields.count("name") && !errors.count("name")) errors["name"] = "is required";
    if (!fields.count("password") && !errors.count("password")) errors["password"] = "is required";
    // No user has a longer name or password: refused before any of it is
    // stored as a throttle key or logged (the same rule for every name).
    if (fields["name"].size() > 64) errors["name"] = "must be at most 64 characters";
    if (fields["password"].size() > 1024) errors["password"] = "must be at most 1024 bytes";
    if (!errors.empty()) return Error::invalid("the sign-in is not valid", errors);
    const std::string& name = fields["name"];
    const std::string& source = r.actor.source;
    const SignInResult result = TRY(context.inventory.signIn(name, fields["password"], source, r.device));
    if (result.check == SignInCheck::kThrottled)
        return retryLater(Code::kUnavailable, "too_many_failures", "too many failed sign-ins", result.retry_after);
    if (result.check == SignInCheck::kInFlight)
        return retryLater(Code::kUnavailable, "sign_in_in_progress",
                          "another sign-in from this address or for this name is under way", result.retry_after);
    if (result.check == SignInCheck::kBusy)
        return retryLater(Code::kUnavailable, "busy", "the server is busy checking other passwords",
                          result.retry_after);
    if (result.check == SignInCheck::kRefused) {
        SecurityEvent line("signin_failure", source);
        line.word("reason", result.reason);
        if (!result.known_name.empty()) line.text("user", result.known_name);
        log.refusal(LogPriority::kWarning, line);
        for (const auto& [key, seconds] : result.blocked) {
            SecurityEvent b("signin_block", source);
            b.number("seconds", seconds).text("key", key);
            log.write(LogPriority::kWarning, b);
        }
        return Error{Code::kUnauthenticated, "unauthenticated", kBadSignIn, {}, {}};
    }
    ApiResponse response = ok(sessionJson(result.session));
    response.cookies.push_back(cookieHeader(result.session.cookie, context.https, false));
    if (!result.device_cookie.empty()) {
        response.cookies.push_back(deviceCookieHeader(result.device_cookie, context.https,
                                                      context.inventory.portalOptions().device_cookie_seconds));
    }
    return response;
}

Result<PortalUser> userChange(Inventory& inv, const ApiRequest& r, const std::string& name) {
    const auto body = TRY(bodyObject(r));
    std::map<std::string, std::string> fields;
    std::map<std::string, bool> bools;
    FieldErrors errors;
    readFields(*body, {"role", "password", "disabled"}, "a user (role, password, disabled)", fields, bools, errors);
    UserChange change;
    if (fields.count("role")) {
        change.role = parseRole(fields["role"]);
        if (!change.role) errors["role"] = "must be admin, installer or viewer";
    }
    if (fields.count("password")) change.password = fields["password"];
    if (bools.count("disabled")) change.disabled = bools["disabled"];
    if (!errors.empty()) return Error::invalid("the user is not valid", errors);
    return inv.changeUser(name, change, r.actor);
}

ApiResult createUser(Inventory& inv, const ApiRequest& r) {
    const auto body = TRY(bodyObject(r));
    std::map<std::string, std::string> fields;
    std::map<std::string, bool> unused;
    FieldErrors errors;
    readFields(*body, {"name", "role", "password"}, "a new user (name, role, password)", fields, unused, errors);
    UserSpec spec{fields["name"], Role::kViewer, fields["password"]};
    if (auto role = parseRole(fields["role"])) spec.role = *role;
    else if (!errors.count("role")) errors["role"] = "must be admin, installer or viewer";
    if (!errors.empty()) return Error::invalid("the user is not valid", errors);
    return ok(userJson(TRY(inv.createUser(spec, r.actor))), 201);
}

}  // namespace

ApiResult sessionRoutes(ApiContext& context, const ApiRequest& r, SecurityLog& log) {
    if (r.segments.size() != 1) return Error::notFound("no such path");
    if (r.method == "POST") return signIn(context, r, log);
    if (r.method == "GET") {
        const std::optional<SessionView> s = TRY(context.inventory.session(r.session));
        if (!s) return Error{Code::kUnauthenticated, "unauthenticated", "not signed in", {}, {}};
        return ok(sessionJson(*s));
    }
    if (r.method == "DELETE") {
        TRY(context.inventory.signOut(r.session, r.actor.source));
        ApiResponse response = ok(Poco::Dynamic::Var(), 204);
        response.cookies.push_back(cookieHeader("", context.https, true));
        return response;
    }
    return methodNotAllowed("GET, POST, DELETE");
}

ApiResult userRoutes(Inventory& inv, const ApiRequest& r) {
    if (r.actor.role != Role::kAdmin) return forbidden(r.actor, "see or change users");
    if (r.segments.size() == 1) {
        if (r.method == "POST") return createUser(inv, r);
        if (r.method != "GET") return methodNotAllowed("GET, POST");
        const Page page = TRY(readPage(r));
        const std::vector<PortalUser> users = TRY(inv.listUsers());
        Poco::JSON::Array::Ptr items = new Poco::JSON::Array();
        for (size_t i = static_cast<size_t>(page.offset);
             i < users.size() && items->size() < static_cast<size_t>(page.limit); ++i)
            items->add(userJson(users[i]));
        auto o = json::newObject();
        o->set("items", items);
        o->set("total", static_cast<int64_t>(users.size()));
        o->set("limit", page.limit);
        o->set("offset", page.offset);
        return ok(o);
    }
    if (r.segments.size() != 2) return Error::notFound("no such path");
    const std::string& name = r.segments[1];
    if (r.method == "GET") return ok(userJson(TRY(inv.getUser(name))));
    if (r.method == "PATCH") return ok(userJson(TRY(userChange(inv, r, name))));
    if (r.method == "DELETE") {
        TRY(inv.deleteUser(name, r.actor));
        return ok(Poco::Dynamic::Var(), 204);
    }
    return methodNotAllowed("GET, PATCH, DELETE");
}

}  // namespace prov::admin

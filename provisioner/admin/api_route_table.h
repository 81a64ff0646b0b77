#pragma once

// Every route of the admin API, as (method, path template below /api/v1):
// the one list the router, the description (docs/openapi.json, served at
// GET /api/v1/openapi.json) and their tests share.
//
// route() answers a path no template fits with 404, and a method its
// template does not list with 405 and an Allow header from this table,
// before any handler runs: a route added to the handlers but not here cannot
// be reached, and tests/unit/admin/route_table_test.cpp walks the table
// against the handlers (each entry reaches its handler) and against the
// description (the same paths and methods, no more, no fewer).
//
// A template's segments are fixed ("extensions") or a parameter in braces
// ("{mac}"), which matches any one segment; where two templates fit a path,
// the one with a fixed segment earlier wins (/firmware/targets over
// /firmware/{id}).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace prov::admin {

// Who may call a route.
enum class RouteAccess {
    kCredentials,  // an API token, or a portal session (with X-CSRF-Token for writes)
    kPublic,       // nobody needs credentials: signing in, and the description itself
};

struct ApiRoute {
    std::string_view method;  // GET, POST, PUT, PATCH or DELETE
    std::string_view path;    // "/extensions/{extension}/buttons"
    RouteAccess access = RouteAccess::kCredentials;
};

// Every route, grouped by path.
const std::vector<ApiRoute>& apiRoutes();

struct RouteMatch {
    std::string_view path;                  // the template that fits
    std::vector<std::string_view> methods;  // what it answers, in table order

    bool allows(std::string_view method) const;
    // "GET, PUT": the Allow header of a 405.
    std::string allowHeader() const;
};

// The template `segments` (the path below /api/v1, decoded) falls under, or
// none when no template fits.
std::optional<RouteMatch> matchRoute(const std::vector<std::string>& segments);

}  // namespace prov::admin

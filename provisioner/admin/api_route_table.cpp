#include "provisioner/admin/api_route_table.h"

#include <algorithm>

namespace prov::admin {

namespace {

constexpr RouteAccess kPublic = RouteAccess::kPublic;

// Split at '/', the leading one dropped: "/a/{b}" -> {"a", "{b}"}.
std::vector<std::string_view> segmentsOf(std::string_view path) {
    std::vector<std::string_view> out;
    while (!path.empty()) {
        path.remove_prefix(1);
        const size_t end = path.find('/');
        out.push_back(path.substr(0, end));
        path = end == std::string_view::npos ? std::string_view() : path.substr(end);
    }
    return out;
}

bool isParameter(std::string_view segment) { return segment.size() > 2 && segment.front() == '{'; }

// How well `tmpl` fits `segments`: none when it does not; else one flag per
// segment, true where the template's segment is fixed, so that comparing
// two fits prefers a fixed segment earlier.
std::optional<std::vector<bool>> fit(const std::vector<std::string_view>& tmpl,
                                     const std::vector<std::string>& segments) {
    if (tmpl.size() != segments.size()) return std::nullopt;
    std::vector<bool> fixed(tmpl.size());
    for (size_t i = 0; i < tmpl.size(); ++i) {
        fixed[i] = !isParameter(tmpl[i]);
        if (fixed[i] && tmpl[i] != segments[i]) return std::nullopt;
        if (!fixed[i] && segments[i].empty()) return std::nullopt;
    }
    return fixed;
}

}  // namespace

const std::vector<ApiRoute>& apiRoutes() {
    // Grouped by path, methods in the order GET, POST, PUT, PATCH, DELETE.
    static const std::vector<ApiRoute> kRoutes = {
        {"GET", "/openapi.json", kPublic},
        {"GET", "/session", kPublic},
        {"POST", "/session", kPublic},
        {"DELETE", "/session", kPublic},

        {"GET", "/extensions"},
        {"POST", "/extensions"},
        {"GET", "/extensions/{extension}"},
        {"PUT", "/extensions/{extension}"},
        {"PATCH", "/extensions/{extension}"},
        {"DELETE", "/extensions/{extension}"},
        {"GET", "/extensions/{extension}/buttons"},
        {"PUT", "/extensions/{extension}/buttons"},
        {"PUT", "/extensions/{extension}/registration"},
        {"GET", "/extensions/{extension}/references"},
        {"POST", "/extensions/{extension}/secret/reveal"},
        {"GET", "/extensions/{extension}/invitations"},
        {"POST", "/extensions/{extension}/invitations"},

        {"GET", "/devices"},
        {"POST", "/devices"},
        {"GET", "/devices/{mac}"},
        {"PUT", "/devices/{mac}"},
        {"PATCH", "/devices/{mac}"},
        {"DELETE", "/devices/{mac}"},
        {"GET", "/devices/{mac}/settings"},
        {"PUT", "/devices/{mac}/settings"},
        {"GET", "/devices/{mac}/credentials"},
        {"POST", "/devices/{mac}/credentials"},
        {"DELETE", "/devices/{mac}/credentials"},
        {"POST", "/devices/{mac}/credentials/reveal"},
        {"GET", "/devices/{mac}/resync"},
        {"POST", "/devices/{mac}/resync"},
        {"GET", "/devices/{mac}/preview/{file}"},

        {"GET", "/settings"},
        {"PUT", "/settings"},
        {"GET", "/license"},
        {"GET", "/events"},
        {"GET", "/audit"},

        {"POST", "/imports"},
        {"GET", "/imports/{id}"},
        {"GET", "/exports"},
        {"GET", "/staging"},
        {"GET", "/staging/stream"},
        {"GET", "/staging/windows"},
        {"POST", "/staging/windows"},
        {"GET", "/staging/windows/{id}"},
        {"DELETE", "/staging/windows/{id}"},

        {"GET", "/tokens"},
        {"POST", "/tokens"},
        {"DELETE", "/tokens/{token}"},
        {"GET", "/users"},
        {"POST", "/users"},
        {"GET", "/users/{name}"},
        {"PATCH", "/users/{name}"},
        {"DELETE", "/users/{name}"},
        {"GET", "/catalog"},

        {"GET", "/firmware"},
        {"POST", "/firmware"},
        {"GET", "/firmware/{id}"},
        {"DELETE", "/firmware/{id}"},
        {"GET", "/firmware/targets"},
        {"PUT", "/firmware/targets"},
        {"DELETE", "/firmware/targets"},
        {"GET", "/firmware/rollouts"},
        {"POST", "/firmware/rollouts"},
        {"GET", "/firmware/rollouts/{id}"},
        {"POST", "/firmware/rollouts/{id}/halt"},
        {"POST", "/firmware/rollouts/{id}/rollback"},

        {"GET", "/resync"},
        {"POST", "/resync"},
    };
    return kRoutes;
}

bool RouteMatch::allows(std::string_view method) const {
    return std::find(methods.begin(), methods.end(), method) != methods.end();
}

std::string RouteMatch::allowHeader() const {
    std::string out;
    for (std::string_view m : methods) {
        if (!out.empty()) out += ", ";
        out += m;
    }
    return out;
}

std::optional<RouteMatch> matchRoute(const std::vector<std::string>& segments) {
    std::optional<RouteMatch> best;
    std::vector<bool> best_fit;
    for (const ApiRoute& r : apiRoutes()) {
        if (best && r.path == best->path) {
            best->methods.push_back(r.method);
            continue;
        }
        const std::optional<std::vector<bool>> f = fit(segmentsOf(r.path), segments);
        // A path's methods are listed together, so a better fit starts afresh.
        if (f && (!best || *f > best_fit)) {
            best = RouteMatch{r.path, {r.method}};
            best_fit = *f;
        }
    }
    return best;
}

}  // namespace prov::admin

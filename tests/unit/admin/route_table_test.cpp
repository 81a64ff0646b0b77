// The route table (api_route_table.h) against the router: a route or a
// method on one side and not the other fails here.

#include <catch2/catch.hpp>
#include <set>

#include "fakes/inventory_fixture.h"
#include "provisioner/admin/api_request.h"
#include "provisioner/admin/api_route_table.h"
#include "provisioner/admin/import_jobs.h"

using namespace prov;
using namespace prov::admin;

namespace {

using Strings = std::set<std::string>;

// Served by the handler before route() runs (api_handler.cpp): signing in
// and the staging stream.
const Strings kServedByHandler = {"GET /session", "POST /session", "DELETE /session",
                                  "GET /staging/stream"};

// The path below /api/v1 a template names, each parameter given a value.
std::vector<std::string> sampleSegments(std::string_view path) {
    std::vector<std::string> out;
    size_t start = 1;
    while (start <= path.size()) {
        const size_t end = std::min(path.find('/', start), path.size());
        std::string s(path.substr(start, end - start));
        if (s == "{mac}")
            s = "001565000001";
        else if (s.front() == '{')
            s = "1";
        out.push_back(s);
        start = end + 1;
    }
    return out;
}

struct Fixture : testing::InventoryFixture {
    ImportJobs jobs{clock};
    ApiContext context{*inv,
                       [](const std::string&, const std::string&) -> Result<std::string> {
                           return std::string("cfg");
                       },
                       clock,
                       nullptr,
                       [] { return std::vector<CatalogVendor>{}; },
                       &jobs,
                       nullptr,
                       false};

    ApiResult call(const std::string& method, std::string_view path) {
        ApiRequest r;
        r.method = method;
        r.segments = sampleSegments(path);
        r.actor = admin;
        return route(context, r);
    }
};

bool isNoSuchPath(const ApiResult& r) {
    return !r && r.error().code == Code::kNotFound && r.error().message == "no such path";
}
bool isMethodNotAllowed(const ApiResult& r) {
    return !r && r.error().code == Code::kMethodNotAllowed;
}

// A template with its parameters' names left out: "/a/{}/b".
std::string shapeOf(std::string_view path) {
    std::string out;
    bool in_parameter = false;
    for (char c : path) {
        if (c == '}') in_parameter = false;
        if (!in_parameter) out.push_back(c);
        if (c == '{') in_parameter = true;
    }
    return out;
}

}  // namespace

TEST_CASE("route table: each path's methods are listed together, once") {
    std::vector<std::string_view> paths;
    Strings seen, shapes;
    for (const ApiRoute& r : apiRoutes()) {
        INFO(r.method << " " << r.path);
        CHECK(seen.insert(std::string(r.method) + " " + std::string(r.path)).second);
        if (paths.empty() || paths.back() != r.path) {
            CHECK(std::find(paths.begin(), paths.end(), r.path) == paths.end());
            // Two templates that differ only in parameter names would fit the same paths.
            CHECK(shapes.insert(shapeOf(r.path)).second);
            paths.push_back(r.path);
        }
        CHECK(Strings{"GET", "POST", "PUT", "PATCH", "DELETE"}.count(std::string(r.method)) == 1);
    }
}

TEST_CASE("route table: a path picks its template, fixed segments before parameters") {
    auto path = [](std::vector<std::string> segments) {
        const auto m = matchRoute(segments);
        return m ? std::string(m->path) : std::string("none");
    };
    CHECK(path({"firmware", "targets"}) == "/firmware/targets");
    CHECK(path({"firmware", "12"}) == "/firmware/{id}");
    CHECK(path({"firmware", "rollouts", "3", "halt"}) == "/firmware/rollouts/{id}/halt");
    CHECK(path({"staging", "windows"}) == "/staging/windows");
    CHECK(path({"staging", "stream"}) == "/staging/stream");
    CHECK(path({"extensions", "secret"}) == "/extensions/{extension}");
    CHECK(path({"extensions", "100", "secret", "reveal"}) ==
          "/extensions/{extension}/secret/reveal");
    CHECK(path({"devices", "00:15:65:00:00:01", "preview", "a.cfg"}) ==
          "/devices/{mac}/preview/{file}");
    CHECK(path({}) == "none");
    CHECK(path({"extensions", "100", "nope"}) == "none");
    CHECK(path({"firmware", "1", "2"}) == "none");
    CHECK(matchRoute({"devices", "x"})->allowHeader() == "GET, PUT, PATCH, DELETE");
}

TEST_CASE("route table: every route it lists reaches its handler, and nothing else does") {
    Fixture f;
    for (const ApiRoute& r : apiRoutes()) {
        const std::string name = std::string(r.method) + " " + std::string(r.path);
        INFO(name);
        const ApiResult result = f.call(std::string(r.method), r.path);
        if (kServedByHandler.count(name)) {
            CHECK(isNoSuchPath(result));
            continue;
        }
        // A handler answered: anything but the router's own refusals.
        CHECK_FALSE(isNoSuchPath(result));
        CHECK_FALSE(isMethodNotAllowed(result));
        // A method the table does not list for the path is refused before any handler, naming the
        // ones it does.
        for (const char* m : {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}) {
            const auto match = matchRoute(sampleSegments(r.path));
            REQUIRE(match);
            if (match->allows(m)) continue;
            const ApiResult refused = f.call(m, r.path);
            CHECK(isMethodNotAllowed(refused));
            if (!refused)
                CHECK(refused.error().details == std::vector<std::string>{match->allowHeader()});
        }
    }
    for (const char* path :
         {"/nope", "/extensions/1/nope", "/devices/001565000001/preview", "/users/a/b",
          "/firmware/rollouts/1/nope", "/imports/1/2", "/staging/windows/1/2", "/tokens/1/2"}) {
        INFO(path);
        CHECK(isNoSuchPath(f.call("GET", path)));
    }
}

// The route table (api_route_table.h) against the router and against the
// API's description (docs/openapi.json as compiled in): a route, a method or
// a record's field on one side and not the other fails here.

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>
#include <set>

#include "fakes/inventory_fixture.h"
#include "provisioner/admin/api_openapi.h"
#include "provisioner/admin/api_request.h"
#include "provisioner/admin/api_route_table.h"
#include "provisioner/admin/import_jobs.h"
#include "provisioner/model/fields.h"
#include "provisioner/model/settings.h"

using namespace prov;
using namespace prov::admin;

namespace {

using Strings = std::set<std::string>;
using Object = Poco::JSON::Object::Ptr;

// Served by the handler before route() runs (api_handler.cpp): signing in,
// the description, and the staging stream. The integration test
// (tests/integration/openapi_test.py) calls them on the real server.
const Strings kServedByHandler = {"GET /openapi.json", "GET /session", "POST /session",
                                  "DELETE /session", "GET /staging/stream"};

Object description() {
    static const Object kDoc =
        Poco::JSON::Parser().parse(std::string(openApiJson())).extract<Object>();
    return kDoc;
}

Strings namesOf(const Object& o) {
    std::vector<std::string> names;
    o->getNames(names);
    return Strings(names.begin(), names.end());
}

Object schema(const std::string& name) {
    return description()->getObject("components")->getObject("schemas")->getObject(name);
}

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

TEST_CASE(
    "description: the same routes as the table, no more, no fewer, public where the table says") {
    const Object doc = description();
    CHECK(doc->getValue<std::string>("openapi").rfind("3.1.", 0) == 0);
    CHECK(doc->getArray("servers")->getObject(0)->getValue<std::string>("url") == "/api/v1");
    Strings table, public_routes;
    for (const ApiRoute& r : apiRoutes()) {
        const std::string name = std::string(r.method) + " " + std::string(r.path);
        table.insert(name);
        if (r.access == RouteAccess::kPublic) public_routes.insert(name);
    }
    static const Strings kMethods = {"get",     "put",  "post",  "delete",
                                     "options", "head", "patch", "trace"};
    Strings described, described_public;
    const Object paths = doc->getObject("paths");
    for (const std::string& path : namesOf(paths)) {
        const Object item = paths->getObject(path);
        for (const std::string& key : namesOf(item)) {
            if (!kMethods.count(key)) continue;
            std::string method = key;
            for (char& c : method)
                c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            const std::string name = method + " " + path;
            INFO(name);
            described.insert(name);
            const Object op = item->getObject(key);
            if (op->has("security") && op->getArray("security")->size() == 0)
                described_public.insert(name);
            const Object responses = op->getObject("responses");
            // Every refusal an authenticated route can give, and one success.
            if (!public_routes.count(name)) CHECK(responses->has("401"));
            CHECK(responses->has("400"));
            bool success = false;
            for (const std::string& code : namesOf(responses)) success = success || code[0] == '2';
            CHECK(success);
        }
    }
    CHECK(described == table);
    CHECK(described_public == public_routes);
}

TEST_CASE("description: records list exactly the fields the code writes and takes") {
    auto check = [](const std::string& name, const Strings& fields) {
        INFO(name);
        const Object s = schema(name);
        CHECK(namesOf(s->getObject("properties")) == fields);
        CHECK(s->getValue<bool>("additionalProperties") == false);
    };
    auto shown = [](const auto& table) {
        Strings out;
        for (const auto& f : table)
            if (!f.json.empty() && !f.has(kNotShown)) out.insert(std::string(f.json));
        return out;
    };
    auto settable = [](const auto& table) {
        Strings out{"version"};
        for (const auto& f : table)
            if (!f.json.empty() && f.editable()) out.insert(std::string(f.json));
        return out;
    };
    check("Extension", shown(extensionFields()));
    check("ExtensionInput", settable(extensionFields()));
    check("Device", shown(deviceFields()));
    check("DeviceInput", settable(deviceFields()));
    // What the server writes is every field, always: each is required.
    for (const char* name : {"Extension", "Device", "Settings"}) {
        INFO(name);
        const Object s = schema(name);
        Strings required;
        const auto list = s->getArray("required");
        for (size_t i = 0; i < list->size(); ++i)
            required.insert(list->getElement<std::string>(static_cast<unsigned>(i)));
        CHECK(required == namesOf(s->getObject("properties")));
    }
}

TEST_CASE("description: the settings are the code's keys, each with its type") {
    Strings keys;
    for (const SettingSpec& spec : settingSpecs()) keys.insert(std::string(spec.key));
    for (const char* name : {"Settings", "SettingsInput", "SettingsOverrides"}) {
        INFO(name);
        const Object s = schema(name);
        CHECK(namesOf(s->getObject("properties")) == keys);
        CHECK(s->getValue<bool>("additionalProperties") == false);
    }
    const Object props = schema("Settings")->getObject("properties");
    for (const SettingSpec& spec : settingSpecs()) {
        INFO(spec.key);
        const Object p = props->getObject(std::string(spec.key));
        if (spec.type == SettingType::kInteger) {
            CHECK(p->getValue<std::string>("type") == "integer");
        } else if (spec.type == SettingType::kBoolean) {
            // true, false, or "" (the phone's own)
            REQUIRE(p->has("anyOf"));
            CHECK(p->getArray("anyOf")->getObject(0)->getValue<std::string>("type") == "boolean");
        } else {
            CHECK(p->getValue<std::string>("type") == "string");
        }
    }
}

TEST_CASE("description: every parameter of a path template is declared") {
    const Object paths = description()->getObject("paths");
    for (const std::string& path : namesOf(paths)) {
        INFO(path);
        Strings in_template, declared;
        for (size_t open = path.find('{'); open != std::string::npos;
             open = path.find('{', open + 1))
            in_template.insert(path.substr(open + 1, path.find('}', open) - open - 1));
        const Object item = paths->getObject(path);
        if (item->has("parameters")) {
            const auto list = item->getArray("parameters");
            for (size_t i = 0; i < list->size(); ++i) {
                const Object p = list->getObject(static_cast<unsigned>(i));
                if (p->has("in") && p->getValue<std::string>("in") == "path") {
                    declared.insert(p->getValue<std::string>("name"));
                    CHECK(p->getValue<bool>("required"));
                }
            }
        }
        CHECK(declared == in_template);
    }
}

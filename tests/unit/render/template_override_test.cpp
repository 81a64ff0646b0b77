// templates.override_dir: an admin's files in place of the packaged ones,
// file by file (VendorCatalog::load, loadBundle).

#include <catch2/catch.hpp>
#include <string>

#include "provisioner/render/bundle.h"
#include "temp_dir.h"

using namespace prov;
using prov::testing::TempDir;

namespace {

const char* const kAcmeJson = R"({
  "name": "Acme",
  "files": [ {"path": "acme.cfg", "template": "common.mustache"} ],
  "models": {"A1": {"lines": 1}}
})";

// The bytes `file` renders to with sip_server "pbx", from `bundle`.
std::string render(const Bundle& bundle, const std::string& file) {
    auto matches = bundle.catalog.matchFile(file);
    if (matches.size() != 1)
        FAIL("test bug: " << file << " matches " << matches.size() << " routes");
    RenderInput in;
    in.vendor = matches[0].vendor;
    in.route = matches[0].route;
    in.captures = matches[0].captures;
    in.file = file;
    in.settings = {{"sip_server", "pbx"}};
    auto out = bundle.templates->render(in);
    if (!out) FAIL("render failed: " << out.error().message);
    return out.value();
}

}  // namespace

TEST_CASE("an override folder's file takes the place of the packaged one, the others stay") {
    TempDir packaged;
    TempDir local;
    packaged.write("acme/vendor.json", kAcmeJson);
    packaged.write("acme/common.mustache", "packaged = {{sip_server}}\n");

    SECTION("no override folder, or one that does not exist: the packaged files") {
        for (const std::string& dir : {std::string(), local.path() + "/missing"}) {
            auto bundle = loadBundle(packaged.path(), dir);
            REQUIRE(bundle);
            CHECK(render(*bundle.value(), "acme.cfg") == "packaged = pbx\n");
        }
    }
    SECTION("a template there wins; vendor.json still comes from the package") {
        local.write("acme/common.mustache", "local = {{sip_server}}\n");
        auto bundle = loadBundle(packaged.path(), local.path());
        REQUIRE(bundle);
        CHECK(render(*bundle.value(), "acme.cfg") == "local = pbx\n");
        CHECK(bundle.value()->catalog.findMake("acme") == "Acme");
    }
    SECTION("a vendor.json there wins, and its routes may name templates of either folder") {
        local.write("acme/vendor.json", R"({
  "name": "Acme Local",
  "files": [ {"path": "acme.cfg", "template": "common.mustache"},
             {"path": "extra.cfg", "template": "extra.mustache"} ],
  "models": {"A1": {"lines": 1}}
})");
        local.write("acme/extra.mustache", "extra = {{sip_server}}\n");
        auto bundle = loadBundle(packaged.path(), local.path());
        REQUIRE(bundle);
        CHECK(bundle.value()->catalog.findMake("acme") == "Acme Local");
        CHECK(render(*bundle.value(), "acme.cfg") == "packaged = pbx\n");
        CHECK(render(*bundle.value(), "extra.cfg") == "extra = pbx\n");
    }
    SECTION("a vendor folder only in the overrides adds a vendor") {
        local.write("zeta/vendor.json", R"({
  "name": "Zeta",
  "files": [ {"path": "zeta.cfg", "template": "zeta.mustache"} ],
  "models": {"Z1": {"lines": 1}}
})");
        local.write("zeta/zeta.mustache", "zeta = {{sip_server}}\n");
        auto bundle = loadBundle(packaged.path(), local.path());
        REQUIRE(bundle);
        CHECK(render(*bundle.value(), "acme.cfg") == "packaged = pbx\n");
        CHECK(render(*bundle.value(), "zeta.cfg") == "zeta = pbx\n");
    }
    SECTION("a broken override is refused naming its own path, nothing half-loaded") {
        const std::string bad = local.write("acme/vendor.json", "{ not json");
        auto bundle = loadBundle(packaged.path(), local.path());
        REQUIRE_FALSE(bundle);
        CHECK(bundle.error().message.find(bad) == 0);
    }
}

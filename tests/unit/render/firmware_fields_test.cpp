// The firmware fields of the render context (issue 14): offered only with a
// target, a provisioning URL, and a reported firmware other than the target.

#include <catch2/catch.hpp>
#include <string>

#include "provisioner/model/settings.h"
#include "provisioner/render/template_set.h"
#include "temp_dir.h"

using namespace prov;
using prov::testing::TempDir;

namespace {

struct Acme {
    TempDir dir;
    Acme() {
        dir.write("acme/vendor.json", R"({
  "name": "Acme",
  "files": [{"path": "{mac}.cfg", "template": "mac.mustache", "kind": "device"}],
  "provisioning_protocols": {"http": "1", "https": "2", "tftp": "0"},
  "models": {"A1": {"lines": 1, "keys": 1}}
})");
        dir.write(
            "acme/mac.mustache",
            "{{#has_firmware_upgrade}}up|{{/has_firmware_upgrade}}{{^has_firmware_upgrade}}stay|"
            "{{/has_firmware_upgrade}}v={{firmware_version}}|f={{firmware_file}}|u={{firmware_url}}"
            "|s={{firmware_server}}|p={{firmware_prefix}}|c={{firmware_protocol_code}}");
    }
};

std::string render(const std::string& reported, std::optional<FirmwareOffer> offer,
                   const std::string& url) {
    Acme acme;
    auto catalog = VendorCatalog::load(acme.dir.path());
    REQUIRE(catalog);
    auto set = TemplateSet::load(catalog.value());
    REQUIRE(set);
    auto matches = catalog.value().matchFile("0015654aa937.cfg");
    REQUIRE(matches.size() == 1);
    DeviceProfile profile;
    RenderInput in;
    in.vendor = matches[0].vendor;
    in.route = matches[0].route;
    in.captures = matches[0].captures;
    in.file = "0015654aa937.cfg";
    in.mac = "0015654aa937";
    in.model = "A1";
    in.firmware = reported;
    in.profile = &profile;
    if (!url.empty()) in.settings["provisioning_url"] = url;
    in.firmware_target = std::move(offer);
    auto out = set.value()->render(in);
    REQUIRE(out);
    return out.value();
}

const FirmwareOffer kOffer{"2.0.1", "a1-2.0.1.rom"};

}  // namespace

TEST_CASE("a device off its target is told where its image is, in every shape") {
    CHECK(render("1.9.0", kOffer, "http://prov.example.com:8080/p") ==
          "up|v=2.0.1|f=a1-2.0.1.rom|u=http://prov.example.com:8080/p/a1-2.0.1.rom"
          "|s=prov.example.com:8080/p|p=v2.0.1-|c=1");
    CHECK(render("1.9.0", kOffer, "https://prov.example.com") ==
          "up|v=2.0.1|f=a1-2.0.1.rom|u=https://prov.example.com/"
          "a1-2.0.1.rom|s=prov.example.com|p=v2.0.1-|c=2");
    CHECK(render("1.9.0", kOffer, "tftp://10.0.0.5") ==
          "up|v=2.0.1|f=a1-2.0.1.rom|u=tftp://10.0.0.5/a1-2.0.1.rom|s=10.0.0.5|p=v2.0.1-|c=0");
}

TEST_CASE("a phone that reports no firmware is offered its target, since we cannot compare") {
    CHECK(render("", kOffer, "http://10.0.0.5").rfind("up|v=2.0.1|", 0) == 0);
}

TEST_CASE("no upgrade is offered on target, without a target, or without a provisioning URL") {
    const std::string none = "stay|v=|f=|u=|s=|p=|c=";
    CHECK(render("2.0.1", kOffer, "http://10.0.0.5") == none);
    CHECK(render("1.9.0", std::nullopt, "http://10.0.0.5") == none);
    CHECK(render("1.9.0", kOffer, "") == none);
}

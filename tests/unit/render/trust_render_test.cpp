// The trust certificate as templates see it: a line at a time, joined as
// the format needs, and the URL it is served at.

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "provisioner/render/template_set.h"
#include "temp_dir.h"

using namespace prov;
using prov::testing::TempDir;

namespace {

const std::string kPem =
    "-----BEGIN CERTIFICATE-----\nMIIBfz+/AB==\nCDEF\n-----END CERTIFICATE-----\n";

// An XML vendor whose device file carries the certificate as an attribute
// (lines joined with &#10;), as element text (joined with newlines) and by URL.
std::string render(std::shared_ptr<const std::string> pem, const std::string& provisioning_url) {
    TempDir dir;
    dir.write("acme/vendor.json", R"({
  "name": "Acme", "format": "xml",
  "files": [{"path": "{mac}.xml", "template": "mac.mustache", "kind": "device"}],
  "models": {"A1": {"lines": 1, "keys": 0}}
})");
    dir.write(
        "acme/mac.mustache",
        "<c{{#has_trust}} ca=\"{{#trust_ca_lines}}{{line}}&#10;{{/trust_ca_lines}}\"{{/has_trust}}>"
        "<e>{{#trust_ca_lines}}{{line}}\n{{/trust_ca_lines}}</e>"
        "<u>{{#has_trust_url}}{{trust_url}}{{/has_trust_url}}</u></c>");
    auto catalog = VendorCatalog::load(dir.path());
    REQUIRE(catalog);
    auto set = TemplateSet::load(catalog.value());
    REQUIRE(set);
    auto matches = catalog.value().matchFile("0015654aa937.xml");
    REQUIRE(matches.size() == 1);
    const DeviceProfile profile;
    RenderInput in;
    in.vendor = matches[0].vendor;
    in.route = matches[0].route;
    in.captures = matches[0].captures;
    in.file = "0015654aa937.xml";
    in.mac = "0015654aa937";
    in.model = "A1";
    in.profile = &profile;
    if (!provisioning_url.empty()) in.settings["provisioning_url"] = provisioning_url;
    in.trust_pem = std::move(pem);
    auto out = set.value()->render(in);
    REQUIRE(out);  // well-formed XML, the character references included
    return out.value();
}

}  // namespace

TEST_CASE("trust: the PEM a line at a time, and the URL beside the configs") {
    const std::string out =
        render(std::make_shared<const std::string>(kPem), "https://prov.example.net/p/");
    CHECK(out ==
          "<c ca=\"-----BEGIN CERTIFICATE-----&#10;MIIBfz+/AB==&#10;CDEF&#10;-----END "
          "CERTIFICATE-----&#10;\">"
          "<e>-----BEGIN CERTIFICATE-----\nMIIBfz+/AB==\nCDEF\n-----END CERTIFICATE-----\n</e>"
          "<u>https://prov.example.net/p/ca.pem</u></c>");
}

TEST_CASE("trust: no provisioning URL gives no URL, no certificate gives nothing") {
    CHECK(render(std::make_shared<const std::string>(kPem), "").find("<u></u>") !=
          std::string::npos);
    CHECK(render(nullptr, "https://prov.example.net/") == "<c><e></e><u></u></c>");
    CHECK(render(std::make_shared<const std::string>(""), "https://prov.example.net/") ==
          "<c><e></e><u></u></c>");
}

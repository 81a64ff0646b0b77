#include <catch2/catch.hpp>

#include <string>

#include "provisioner/render/template_set.h"
#include "temp_dir.h"

using namespace prov;
using prov::testing::TempDir;

namespace {

// A one-vendor templates dir: acme, with a kv route acme.cfg and an xml route
// acme.xml, each rendering the named template files.
struct Acme {
    TempDir dir;

    explicit Acme(const std::string& cfg_template = "k = {{sip_server}}\n",
                  const std::string& xml_template = "<cfg server=\"{{sip_server}}\">{{dial_plan}}</cfg>") {
        dir.write("acme/vendor.json", R"({
  "name": "Acme",
  "format": "kv",
  "files": [
    {"path": "acme.cfg", "template": "common.mustache"},
    {"path": "acme.xml", "template": "common.xml.mustache", "format": "xml", "content_type": "text/xml"}
  ],
  "models": {"A1": {"lines": 1}}
})");
        dir.write("acme/common.mustache", cfg_template);
        dir.write("acme/common.xml.mustache", xml_template);
    }
    std::string file(const std::string& name) const { return dir.path() + "/acme/" + name; }
};

VendorCatalog loadCatalog(const TempDir& dir) {
    auto c = VendorCatalog::load(dir.path());
    if (!c) FAIL("catalog does not load: " << c.error().message);
    return std::move(c).value();
}

RenderInput inputFor(const VendorCatalog& catalog, const std::string& file, SettingsMap settings) {
    auto matches = catalog.matchFile(file);
    if (matches.size() != 1) FAIL("test bug: " << file << " matches " << matches.size() << " routes");
    RenderInput in;
    in.vendor = matches[0].vendor;
    in.route = matches[0].route;
    in.captures = matches[0].captures;
    in.file = file;
    in.settings = std::move(settings);
    return in;
}

}  // namespace

TEST_CASE("templates render with their route's escaping") {
    Acme acme;
    const VendorCatalog catalog = loadCatalog(acme.dir);
    auto set = TemplateSet::load(catalog);
    REQUIRE(set);
    const SettingsMap settings = {{"sip_server", R"(R&D <Sales> "Q")"}, {"dial_plan", "a\nb & 'c'"}};

    auto kv = set.value()->render(inputFor(catalog, "acme.cfg", settings));
    REQUIRE(kv);
    CHECK(kv.value() == "k = R&D <Sales> \"Q\"\n");

    auto xml = set.value()->render(inputFor(catalog, "acme.xml", settings));
    REQUIRE(xml);
    CHECK(xml.value() == "<cfg server=\"R&amp;D &lt;Sales&gt; &quot;Q&quot;\">a b &amp; &apos;c&apos;</cfg>");

    auto kv_newline = set.value()->render(inputFor(catalog, "acme.cfg", {{"sip_server", "x\nadmin = 1"}}));
    REQUIRE(kv_newline);
    CHECK(kv_newline.value() == "k = x admin = 1\n");
}

TEST_CASE("TemplateSet::load refuses unescaped output, naming the file") {
    struct Case {
        const char* name;
        const char* xml_template;
    };
    const Case cases[] = {
        {"triple braces", "<cfg>{{{sip_server}}}</cfg>"},
        {"ampersand", "<cfg>{{&sip_server}}</cfg>"},
        {"ampersand after a space", "<cfg>{{ &sip_server}}</cfg>"},
        {"ampersand under other delimiters", "{{=<% %>=}}<cfg><%&sip_server%></cfg>"},
        {"ampersand after a tab", "<cfg>{{\t&sip_server}}</cfg>"},
        {"ampersand after a newline", "<cfg>{{\n&sip_server}}</cfg>"},  // mustache trims any isspace()
        {"ampersand after CR LF", "<cfg>{{\r\n&sip_server}}</cfg>"},
        {"delimiter change after a newline", "{{\n=<% %>=}}<cfg><%&sip_server%></cfg>"},
    };
    for (const Case& c : cases) {
        INFO(c.name << ": " << c.xml_template);
        Acme acme("k = 1\n", c.xml_template);
        auto set = TemplateSet::load(loadCatalog(acme.dir));
        CHECK_FALSE(set);
        if (set) continue;
        CHECK(set.error().code == Code::kInvalidArgument);
        CHECK_THAT(set.error().message, Catch::Contains(acme.file("common.xml.mustache")));
        CHECK_THAT(set.error().message, Catch::Contains("unescaped"));
    }
}

TEST_CASE("TemplateSet::load refuses templates that do not compile, naming the file") {
    const char* bad[] = {
        "<cfg>{{#has_dial_plan}}x</cfg>",                 // unclosed section
        "<cfg>{{/has_dial_plan}}</cfg>",                  // unopened section
        "<cfg>{{#a}}{{/b}}</cfg>",                        // mismatched section
        "<cfg>{{sip_server</cfg>",                        // unclosed tag
    };
    for (const char* t : bad) {
        INFO(t);
        Acme acme("k = 1\n", t);
        auto set = TemplateSet::load(loadCatalog(acme.dir));
        CHECK_FALSE(set);
        if (set) continue;
        CHECK(set.error().code == Code::kInvalidArgument);
        CHECK_THAT(set.error().message, Catch::Contains(acme.file("common.xml.mustache")));
    }
}

TEST_CASE("TemplateSet::load refuses a missing template file, naming it") {
    Acme acme;
    const std::string missing = acme.file("common.mustache");
    std::remove(missing.c_str());
    auto set = TemplateSet::load(loadCatalog(acme.dir));
    REQUIRE_FALSE(set);
    CHECK_THAT(set.error().message, Catch::Contains(missing));
}

TEST_CASE("an XML route whose output is malformed is an error, not a file") {
    // Well-formed only when the section is rendered.
    Acme acme("k = 1\n", "<cfg>{{#has_dial_plan}}</cfg>{{/has_dial_plan}}");
    const VendorCatalog catalog = loadCatalog(acme.dir);
    auto set = TemplateSet::load(catalog);
    REQUIRE(set);

    auto good = set.value()->render(inputFor(catalog, "acme.xml", {{"dial_plan", "x"}}));
    REQUIRE(good);
    CHECK(good.value() == "<cfg></cfg>");

    auto broken = set.value()->render(inputFor(catalog, "acme.xml", {}));
    REQUIRE_FALSE(broken);
    CHECK(broken.error().code == Code::kInternal);
    CHECK_THAT(broken.error().message, Catch::Contains("acme/common.xml.mustache"));
    CHECK_THAT(broken.error().message, Catch::Contains("not well-formed"));
}

TEST_CASE("a kv route is not XML-checked") {
    Acme acme("<not xml = {{sip_server}}\n");
    const VendorCatalog catalog = loadCatalog(acme.dir);
    auto set = TemplateSet::load(catalog);
    REQUIRE(set);
    auto out = set.value()->render(inputFor(catalog, "acme.cfg", {{"sip_server", "pbx"}}));
    REQUIRE(out);
    CHECK(out.value() == "<not xml = pbx\n");
}

TEST_CASE("one template shared by a kv and an xml route escapes per route") {
    // template_set.cpp: "two routes may share a template with different
    // formats". The xml route must get XML escaping whichever route comes first.
    TempDir dir;
    dir.write("acme/vendor.json", R"({
  "name": "Acme",
  "format": "kv",
  "files": [
    {"path": "shared.cfg", "template": "shared.mustache"},
    {"path": "shared.xml", "template": "shared.mustache", "format": "xml"}
  ],
  "models": {"A1": {"lines": 1}}
})");
    dir.write("acme/shared.mustache", "<v>{{sip_server}}</v>");
    const VendorCatalog catalog = loadCatalog(dir);
    auto set = TemplateSet::load(catalog);
    REQUIRE(set);
    const SettingsMap settings = {{"sip_server", "R&D"}};

    auto kv = set.value()->render(inputFor(catalog, "shared.cfg", settings));
    REQUIRE(kv);
    CHECK(kv.value() == "<v>R&D</v>");

    auto xml = set.value()->render(inputFor(catalog, "shared.xml", settings));
    REQUIRE(xml);
    CHECK(xml.value() == "<v>R&amp;D</v>");
}

TEST_CASE("the shipped vendor-templates compile") {
    auto catalog = VendorCatalog::load(TEMPLATES_DIR);
    REQUIRE(catalog);
    auto set = TemplateSet::load(catalog.value());
    if (!set) FAIL(set.error().message);
}

namespace {

// A vendor whose model S3 has 3 accounts and 4 keys, and S1 1 and 1; keys
// have P-values up to key 2 only.
struct Slots {
    TempDir dir;
    Slots() {
        dir.write("slot/vendor.json", R"({
  "name": "Slot",
  "format": "kv",
  "files": [{"path": "{mac}.cfg", "template": "mac.mustache", "kind": "device"}],
  "button_types": {"blf": "16"},
  "key_params": {"type": [100, 2]},
  "key_params_max": 2,
  "models": {"S3": {"lines": 3, "keys": 4}, "S1": {"lines": 1, "keys": 1}}
})");
        dir.write("slot/mac.mustache",
                  "{{#account_slots}}a{{number}}={{#used}}{{user}}{{/used}}{{^used}}off{{/used}}\n{{/account_slots}}"
                  "{{#key_slots}}k{{index}}={{#used}}{{code}}:{{value}}{{/used}}{{^used}}reset{{/used}}"
                  "{{#p.type}}@{{p.type}}{{/p.type}}\n{{/key_slots}}");
    }
};

DeviceProfile slotProfile() {
    DeviceProfile p;
    Extension e;
    e.extension = "1002";
    e.phone_reg = 2;
    p.lines.push_back(e);
    Button blf;
    blf.index = 3;
    blf.type = "blf";
    blf.value = "1005";
    Button unknown_type;  // a type the vendor has no code for: its slot is reset
    unknown_type.index = 1;
    unknown_type.type = "park";
    p.keys = {unknown_type, blf};
    return p;
}

}  // namespace

TEST_CASE("every account and key slot of the model reaches the template, used or not") {
    Slots slots;
    const VendorCatalog catalog = loadCatalog(slots.dir);
    auto set = TemplateSet::load(catalog);
    REQUIRE(set);
    const DeviceProfile profile = slotProfile();
    RenderInput in = inputFor(catalog, "0015654aa937.cfg", {});
    in.mac = "0015654aa937";
    in.profile = &profile;

    in.model = "s3";  // any case
    auto full = set.value()->render(in);
    REQUIRE(full);
    CHECK(full.value() == "a1=off\na2=1002\na3=off\nk1=reset@P100\nk2=reset@P102\nk3=16:1005\nk4=reset\n");

    // A smaller model still gets the slots in use; blank ones stop at its count.
    in.model = "S1";
    auto small = set.value()->render(in);
    REQUIRE(small);
    CHECK(small.value() == "a1=off\na2=1002\nk1=reset@P100\nk3=16:1005\n");

    // A model the table does not know: the vendor's largest.
    in.model = "";
    auto unknown = set.value()->render(in);
    REQUIRE(unknown);
    CHECK(unknown.value() == full.value());

    // No lines and no keys (a deleted device's wipe): every slot off.
    const DeviceProfile empty;
    in.model = "S3";
    in.profile = &empty;
    auto wipe = set.value()->render(in);
    REQUIRE(wipe);
    CHECK(wipe.value() == "a1=off\na2=off\na3=off\nk1=reset@P100\nk2=reset@P102\nk3=reset\nk4=reset\n");
}

TEST_CASE("a model of a family renders its family's template with its family's codes") {
    TempDir dir;
    dir.write("fam/vendor.json", R"({
  "name": "Fam",
  "format": "kv",
  "files": [{"path": "{mac}.cfg", "template": "mac.mustache", "kind": "device"}],
  "transports": {"tls": "2"},
  "button_types": {"line": "0", "blf": "11"},
  "families": {"v2": {"templates": {"mac.mustache": "mac-v2.mustache"}, "transports": {"tls": "TlsOrTcp"},
                      "button_types": {"line": "Line", "blf": "BLF"}, "unused_key_code": "None"}},
  "models": {"OLD": {"lines": 2, "keys": 2}, "NEW": {"lines": 2, "keys": 5, "virtual_keys": 3, "family": "v2"}}
})");
    dir.write("fam/mac.mustache", "p1 t={{transport_code}}{{#key_slots}} {{index}}={{#used}}{{code}}{{/used}}{{^used}}{{unused_key_code}}{{/used}}{{/key_slots}}\n");
    dir.write("fam/mac-v2.mustache",
              "v2 t={{transport_code}}{{#key_slots}} {{#virtual_key}}vpk{{/virtual_key}}{{#physical_key}}mpk{{/physical_key}}"
              "{{bank_key}}={{#used}}{{code}}{{/used}}{{^used}}{{#line_default}}Line{{/line_default}}"
              "{{^line_default}}{{unused_key_code}}{{/line_default}}{{/used}}{{/key_slots}}\n");
    const VendorCatalog catalog = loadCatalog(dir);
    auto set = TemplateSet::load(catalog);
    REQUIRE(set);
    DeviceProfile profile;
    Button blf;
    blf.index = 4;  // the first physical key of NEW
    blf.type = "blf";
    blf.value = "1005";
    profile.keys = {blf};
    RenderInput in = inputFor(catalog, "0015654aa937.cfg", {{"sip_transport", "tls"}});
    in.mac = "0015654aa937";
    in.profile = &profile;

    in.model = "new";
    auto v2 = set.value()->render(in);
    REQUIRE(v2);
    // Keys 1-2 give their line back (lines 2), key 3 is an unused VPK, key 4 is MPK 1.
    CHECK(v2.value() == "v2 t=TlsOrTcp vpk1=Line vpk2=Line vpk3=None mpk1=BLF mpk2=None\n");

    // A model in no family: the vendor's template and codes.
    in.model = "OLD";
    auto old = set.value()->render(in);
    REQUIRE(old);
    CHECK(old.value() == "p1 t=2 1=0 2=0 4=11\n");
}

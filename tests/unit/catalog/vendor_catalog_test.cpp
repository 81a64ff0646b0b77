#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "provisioner/catalog/vendor_catalog.h"
#include "provisioner/core/mac_address.h"
#include "replaced.h"
#include "temp_dir.h"

using namespace prov;
using prov::testing::replaced;
using prov::testing::TempDir;

namespace {

const VendorCatalog& realCatalog() {
    static const VendorCatalog catalog = [] {
        auto c = VendorCatalog::load(TEMPLATES_DIR);
        if (!c) FAIL("vendor-templates does not load: " << c.error().message);
        return std::move(c).value();
    }();
    return catalog;
}

std::vector<std::string> splitTabs(const std::string& line) {
    std::vector<std::string> out;
    size_t start = 0;
    while (true) {
        const size_t tab = line.find('\t', start);
        out.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
        if (tab == std::string::npos) break;
        start = tab + 1;
    }
    return out;
}

// A valid vendor, the base every "bad file" case changes in one place.
const char* kGoodVendor = R"({
  "name": "Acme",
  "format": "kv",
  "user_agents": [{"regex": "^Acme ([A-Z0-9]+) ([0-9.]+)$", "model": 1, "firmware": 2}],
  "files": [
    {"path": "{mac}.acme", "template": "mac.mustache", "kind": "device"},
    {"path": "acme.cfg", "template": "common.mustache"}
  ],
  "models": {"A1": {"lines": 1, "keys": 2}}
})";

}  // namespace

TEST_CASE("the shipped vendor-templates load") {
    const VendorCatalog& c = realCatalog();
    std::vector<std::string> ids;
    for (const auto& v : c.vendors()) ids.push_back(v->id);
    CHECK(ids == std::vector<std::string>{"aastra", "alcatel", "avaya", "cisco", "fanvil", "gigaset",
                                          "grandstream", "htek", "intellaphone", "panasonic", "polycom",
                                          "snom", "yealink"});
    // The softphone: three models, download links, no file, no MAC.
    const VendorSpec* soft = c.findVendor("IntellaPhone");
    REQUIRE(soft);
    CHECK(soft->softphone);
    CHECK(soft->files.empty());
    CHECK(soft->downloads.size() == 3);
    CHECK(c.isSoftphone("intellaphone"));
    CHECK_FALSE(c.isSoftphone("Yealink"));
    CHECK_FALSE(c.isSoftphone("Acme"));
    CHECK(c.findModel("IntellaPhone", "intellaphone pc"));
    CHECK(c.findModel("IntellaPhone", "IntellaPhone iOS"));
    CHECK(c.findModel("IntellaPhone", "IntellaPhone Android"));
    CHECK(c.matchFile("intellaphone.cfg").empty());

    REQUIRE(c.findVendor("yealink"));
    CHECK(c.findVendor("Yealink") == c.findVendor("yealink"));
    CHECK(c.findVendor("YEALINK") == c.findVendor("yealink"));
    CHECK(c.findVendor("Acme") == nullptr);
    CHECK(c.findVendor("snom")->mac_upper);
    CHECK_FALSE(c.findVendor("yealink")->mac_upper);

    auto t46u = c.findModel("Yealink", "t46u");
    REQUIRE(t46u);
    CHECK(t46u->vendor == "yealink");
    CHECK(t46u->vendor_name == "Yealink");
    CHECK(t46u->model == "T46U");
    CHECK(t46u->lines == 16);
    CHECK(t46u->keys == 27);
    CHECK_FALSE(c.findModel("yealink", "T99"));
    CHECK_FALSE(c.findModel("snom", "T46U"));  // another vendor's model
    CHECK_FALSE(c.findModel("Acme", "T46U"));
}

TEST_CASE("each shipped vendor names the event its phones take to fetch their config now") {
    const VendorCatalog& c = realCatalog();
    const std::pair<const char*, const char*> want[] = {
        {"yealink", "check-sync;reboot=false"}, {"snom", "check-sync;reboot=false"}, {"polycom", "check-sync"},
        {"grandstream", "check-sync"},          {"fanvil", "check-sync"},            {"cisco", "resync"},
    };
    for (const auto& [vendor, event] : want) {
        INFO(vendor);
        REQUIRE(c.findVendor(vendor));
        CHECK(c.findVendor(vendor)->resync_event == event);
    }
}

TEST_CASE("a templates dir that does not exist is refused") {
    auto c = VendorCatalog::load("/nonexistent/prov-templates");
    REQUIRE_FALSE(c);
    CHECK_THAT(c.error().message, Catch::Contains("/nonexistent/prov-templates"));
}

TEST_CASE("the base of the bad-file cases is itself good") {
    TempDir dir;
    dir.write("acme/vendor.json", kGoodVendor);
    auto c = VendorCatalog::load(dir.path());
    REQUIRE(c);
    REQUIRE(c.value().vendors().size() == 1);
    const VendorSpec& v = *c.value().vendors()[0];
    CHECK(v.id == "acme");
    CHECK(v.name == "Acme");
    CHECK(v.files.size() == 2);
    CHECK(v.files[0].kind == FileKind::kDevice);
    CHECK(v.files[0].secrets);  // device files carry secrets unless told otherwise
    CHECK(v.files[1].kind == FileKind::kCommon);
    CHECK_FALSE(v.files[1].secrets);
    CHECK(v.files[1].content_type == "text/plain");
    CHECK(v.resync_event == "check-sync");  // when vendor.json names none
    CHECK_FALSE(v.softphone);
    auto ua = c.value().identifyUserAgent("Acme A1 1.2.3");
    REQUIRE(ua);
    CHECK(ua->model == "A1");
    CHECK(ua->firmware == "1.2.3");
    CHECK(ua->mac.empty());
}

TEST_CASE("softphone: true in vendor.json marks an app vendor - absent is false, a non-boolean is refused") {
    TempDir dir;
    // A softphone vendor serves no file and identifies no User-Agent.
    dir.write("app/vendor.json", R"({"name": "App", "softphone": true,
        "models": {"App PC": {"lines": 1, "keys": 0}}})");
    auto c = VendorCatalog::load(dir.path());
    INFO((c ? std::string() : c.error().message));
    REQUIRE(c);
    CHECK(c.value().findVendor("app")->softphone);

    TempDir bad;
    bad.write("app/vendor.json", replaced(kGoodVendor, R"("format": "kv",)", R"("format": "kv", "softphone": "yes",)"));
    auto refused = VendorCatalog::load(bad.path());
    REQUIRE_FALSE(refused);
    CHECK_THAT(refused.error().message, Catch::Contains("softphone"));
}

TEST_CASE("a malformed vendor.json is refused with a message naming the file") {
    struct Case {
        const char* name;
        std::string json;
        const char* message_part;
    };
    const Case cases[] = {
        {"unknown top-level key", replaced(kGoodVendor, R"("format": "kv",)", R"("format": "kv", "colour": "red",)"),
         "unknown key \"colour\""},
        {"unknown key in a file route",
         replaced(kGoodVendor, R"("kind": "device"})", R"("kind": "device", "secret": false})"),
         "unknown key \"secret\""},
        {"unknown key in a user agent", replaced(kGoodVendor, R"("firmware": 2})", R"("firmware": 2, "mac_group": 3})"),
         "unknown key \"mac_group\""},
        {"device file without {mac}", replaced(kGoodVendor, R"("path": "{mac}.acme")", R"("path": "device.acme")"),
         "needs {mac}"},
        {"upload without {mac}",
         replaced(kGoodVendor, R"({"path": "acme.cfg", "template": "common.mustache"})",
                  R"({"path": "log.txt", "kind": "upload"})"),
         "needs {mac}"},
        {"model without lines", replaced(kGoodVendor, R"({"lines": 1, "keys": 2})", R"({"keys": 2})"),
         "model A1 needs \"lines\""},
        {"model with zero lines", replaced(kGoodVendor, R"({"lines": 1, "keys": 2})", R"({"lines": 0})"),
         "model A1 needs \"lines\""},
        {"no models", replaced(kGoodVendor, ",\n  \"models\": {\"A1\": {\"lines\": 1, \"keys\": 2}}", ""), "\"models\" is missing"},
        {"bad regex", replaced(kGoodVendor, R"("regex": "^Acme ([A-Z0-9]+) ([0-9.]+)$")", R"("regex": "^Acme ([A-Z")"),
         "regular expression"},
        {"template in a sub-folder", replaced(kGoodVendor, R"("template": "mac.mustache")", R"("template": "sub/mac.mustache")"),
         "template must be a file in the vendor folder"},
        {"template outside the vendor folder",
         replaced(kGoodVendor, R"("template": "mac.mustache")", R"("template": "../yealink/mac.cfg.mustache")"),
         "template must be a file in the vendor folder"},
        {"template missing", replaced(kGoodVendor, R"(, "template": "common.mustache")", ""), "template is missing"},
        {"path in a folder", replaced(kGoodVendor, R"("path": "acme.cfg")", R"("path": "sub/acme.cfg")"),
         "may only name a file"},
        {"unknown placeholder", replaced(kGoodVendor, R"("path": "acme.cfg")", R"("path": "{serial}.cfg")"),
         "unknown placeholder"},
        {"unknown kind", replaced(kGoodVendor, R"("kind": "device")", R"("kind": "private")"),
         "kind must be common, device or upload"},
        {"unknown format", replaced(kGoodVendor, R"("format": "kv")", R"("format": "yaml")"), "format must be kv, xml, panasonic, set or xml-quoted"},
        {"bad mac_case", replaced(kGoodVendor, R"("format": "kv",)", R"("format": "kv", "mac_case": "mixed",)"),
         "mac_case must be lower or upper"},
        {"a make that is not a string", replaced(kGoodVendor, R"("format": "kv",)", R"("format": "kv", "makes": [1],)"),
         "makes[0] must be a non-empty string"},
        {"an empty make", replaced(kGoodVendor, R"("format": "kv",)", R"("format": "kv", "makes": [""],)"),
         "makes[0] must be a non-empty string"},
        {"makes not a list", replaced(kGoodVendor, R"("format": "kv",)", R"("format": "kv", "makes": "Acme Inc",)"),
         "makes must be an array of names"},
        {"bank_names not a list",
         replaced(kGoodVendor, R"({"lines": 1, "keys": 2})", R"({"lines": 1, "keys": 2, "bank_names": "key"})"),
         "model A1.bank_names must be an array of names"},
        {"two bank names for one kind of key",
         replaced(kGoodVendor, R"({"lines": 1, "keys": 2})", R"({"lines": 1, "keys": 2, "bank_names": ["a", "b"]})"),
         "model A1.bank_names needs 1 name"},
        {"one bank name for two kinds of key",
         replaced(kGoodVendor, R"({"lines": 1, "keys": 2})",
                  R"({"lines": 1, "keys": 2, "virtual_keys": 1, "bank_names": ["a"]})"),
         "model A1.bank_names needs 2 names"},
        {"an empty bank name",
         replaced(kGoodVendor, R"({"lines": 1, "keys": 2})", R"({"lines": 1, "keys": 2, "bank_names": [""]})"),
         "model A1.bank_names[0] must be a non-empty string"},
        {"a model's module not in expansion_modules",
         replaced(kGoodVendor, R"({"lines": 1, "keys": 2})", R"({"lines": 1, "keys": 2, "expansion": ["EM1"]})"),
         "expansion module EM1 is not in \"expansion_modules\""},
        {"a module without keys",
         replaced(kGoodVendor, R"("format": "kv",)", R"("format": "kv", "expansion_modules": {"EM1": {"max": 2}},)"),
         "expansion_modules.EM1 needs \"keys\" and \"max\" >= 1"},
        {"unknown key in a module",
         replaced(kGoodVendor, R"("format": "kv",)",
                  R"("format": "kv", "expansion_modules": {"EM1": {"keys": 4, "max": 2, "pages": 2}},)"),
         "unknown key \"pages\""},
        {"a model's max over the module's",
         replaced(replaced(kGoodVendor, R"({"lines": 1, "keys": 2})",
                           R"({"lines": 1, "keys": 2, "expansion": [{"name": "EM1", "max": 3}]})"),
                  R"("format": "kv",)", R"("format": "kv", "expansion_modules": {"EM1": {"keys": 4, "max": 2}},)"),
         "model A1.expansion[0]: \"max\" 3 is more than the module's 2"},
        {"a model's max of 0",
         replaced(replaced(kGoodVendor, R"({"lines": 1, "keys": 2})",
                           R"({"lines": 1, "keys": 2, "expansion": [{"name": "EM1", "max": 0}]})"),
                  R"("format": "kv",)", R"("format": "kv", "expansion_modules": {"EM1": {"keys": 4, "max": 2}},)"),
         "model A1.expansion[0]: \"max\" must be >= 1"},
        {"an unknown key in a model's module entry",
         replaced(replaced(kGoodVendor, R"({"lines": 1, "keys": 2})",
                           R"({"lines": 1, "keys": 2, "expansion": [{"name": "EM1", "count": 1}]})"),
                  R"("format": "kv",)", R"("format": "kv", "expansion_modules": {"EM1": {"keys": 4, "max": 2}},)"),
         "unknown key \"count\""},
        {"key pages that do not add up to the keys",
         replaced(kGoodVendor, R"({"lines": 1, "keys": 2})",
                  R"({"lines": 1, "keys": 20, "key_pages": {"side": 4, "per_page": 6, "pages": 3}})"),
         "model A1.key_pages: 4 side keys and 3 pages of 6 are 22 keys, but \"keys\" is 20"},
        {"key pages without a page size",
         replaced(kGoodVendor, R"({"lines": 1, "keys": 2})", R"({"lines": 1, "keys": 2, "key_pages": {"side": 2, "pages": 1}})"),
         "model A1.key_pages needs \"per_page\""},
        {"key pages of no keys",
         replaced(kGoodVendor, R"({"lines": 1, "keys": 2})",
                  R"({"lines": 1, "keys": 2, "key_pages": {"side": 2, "per_page": 0, "pages": 1}})"),
         "model A1.key_pages.per_page must be a whole number from 1 to 1000"},
        {"key pages with a fraction",
         replaced(kGoodVendor, R"({"lines": 1, "keys": 2})",
                  R"({"lines": 1, "keys": 2, "key_pages": {"side": 0.5, "per_page": 1, "pages": 1}})"),
         "model A1.key_pages.side must be a whole number"},
        {"key pages as text",
         replaced(kGoodVendor, R"({"lines": 1, "keys": 2})",
                  R"({"lines": 1, "keys": 2, "key_pages": {"side": "2", "per_page": 1, "pages": 1}})"),
         "model A1.key_pages.side must be a whole number"},
        {"key pages not an object",
         replaced(kGoodVendor, R"({"lines": 1, "keys": 2})", R"({"lines": 1, "keys": 2, "key_pages": [2, 6, 1]})"),
         "model A1.key_pages must be an object"},
        {"unknown key in key pages",
         replaced(kGoodVendor, R"({"lines": 1, "keys": 2})",
                  R"({"lines": 1, "keys": 2, "key_pages": {"side": 2, "per_page": 1, "pages": 1, "top": 4}})"),
         "unknown key \"top\""},
        {"an empty resync event", replaced(kGoodVendor, R"("format": "kv",)", R"("format": "kv", "resync_event": "",)"),
         "resync_event must be a non-empty line"},
        {"a resync event that would split the NOTIFY's header",
         replaced(kGoodVendor, R"("format": "kv",)", R"("format": "kv", "resync_event": "check-sync\r\nX: y",)"),
         "resync_event must be a non-empty line of printable ASCII (no CR or LF)"},
        {"not JSON", "{\"name\": \"Acme\",", "JSON"},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        TempDir dir;
        dir.write("aaa-good/vendor.json", kGoodVendor);  // a good vendor does not hide a bad one
        const std::string file = dir.write("acme/vendor.json", c.json);
        auto loaded = VendorCatalog::load(dir.path());
        REQUIRE_FALSE(loaded);
        CHECK(loaded.error().code == Code::kInvalidArgument);
        CHECK_THAT(loaded.error().message, Catch::Contains(file));
        CHECK_THAT(loaded.error().message, Catch::Contains(c.message_part));
    }
}

TEST_CASE("a vendor is found by its folder, its name or one of its makes, in any case") {
    const VendorCatalog& catalog = realCatalog();
    for (const char* make : {"aastra", "Aastra", "MITEL", "Mitel", "aastra/mitel"}) {
        INFO(make);
        const VendorSpec* v = catalog.findVendor(make);
        REQUIRE(v);
        CHECK(v->id == "aastra");
        CHECK(catalog.findMake(make) == "Aastra");
    }
    CHECK_FALSE(catalog.findVendor(""));
    CHECK_FALSE(catalog.findVendor("Mitel Networks"));
    CHECK(catalog.findModel("Mitel", "6867I"));
}

TEST_CASE("a folder without vendor.json is not a vendor") {
    TempDir dir;
    dir.write("acme/vendor.json", kGoodVendor);
    dir.write("notes/readme.txt", "not a vendor");
    dir.write("README.md", "top-level file");
    auto c = VendorCatalog::load(dir.path());
    REQUIRE(c);
    REQUIRE(c.value().vendors().size() == 1);
    CHECK(c.value().vendors()[0]->id == "acme");
}

TEST_CASE("every User-Agent in tests/data/user_agents.tsv is identified exactly") {
    const VendorCatalog& catalog = realCatalog();
    std::ifstream in(USER_AGENTS_TSV);
    REQUIRE(in);
    std::string line;
    int rows = 0;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        const auto f = splitTabs(line);
        INFO(line);
        REQUIRE(f.size() == 5);
        const std::string &vendor = f[0], &model = f[1], &firmware = f[2], &mac = f[3], &ua = f[4];
        ++rows;
        auto m = catalog.identifyUserAgent(ua);
        REQUIRE(m);
        REQUIRE(m->vendor);
        CHECK(m->vendor->id == vendor);
        CHECK(m->model == model);
        CHECK(m->firmware == firmware);
        if (mac.empty()) {
            CHECK(m->mac.empty());
        } else {
            auto parsed = MacAddress::parse(m->mac);
            REQUIRE(parsed);
            CHECK(parsed->canonical() == mac);
        }
        // The model a phone reports is one its vendor's table knows.
        CHECK(catalog.findModel(vendor, model));
    }
    CHECK(rows >= 16);
}

TEST_CASE("User-Agents that are no phone match no vendor") {
    const VendorCatalog& catalog = realCatalog();
    const std::string valid = "Yealink SIP-T46G 28.72.0.1 00:15:65:4a:a9:37";
    const std::string uas[] = {
        "curl/8.0",
        "",
        std::string(600, 'A'),
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36",
        "Yealink SIP-T46G",                             // truncated
        "Yealink SIP-T46G 28.72.0.1 00:15:65:4a:a9",    // short MAC
        "x" + valid,                                    // anchored at the start
        valid + " extra",                               // and at the end
        "Fanvil X5U-V2 2.12.16.17 0c383e557eb",
        "Grandstream Model HW GXP2135 SW 1.0.7.97 DevId zz0b828aa872",
    };
    for (const std::string& ua : uas) {
        INFO("UA: " << ua.substr(0, 80) << " (" << ua.size() << " bytes)");
        CHECK_FALSE(catalog.identifyUserAgent(ua));
    }
}

TEST_CASE("User-Agents longer than 512 bytes are not looked at") {
    const VendorCatalog& catalog = realCatalog();
    // A Yealink UA padded in its firmware field, which the regex accepts at any length.
    auto padded = [](size_t total) {
        const std::string head = "Yealink SIP-T46G 28.", tail = " 00:15:65:4a:a9:37";
        return head + std::string(total - head.size() - tail.size(), '1') + tail;
    };
    REQUIRE(padded(512).size() == 512);
    auto at_limit = catalog.identifyUserAgent(padded(512));
    REQUIRE(at_limit);
    CHECK(at_limit->vendor->id == "yealink");
    CHECK_FALSE(catalog.identifyUserAgent(padded(513)));
    CHECK_FALSE(catalog.identifyUserAgent(padded(600)));
}

TEST_CASE("matchFile: every vendor's files go to that vendor's route") {
    const VendorCatalog& catalog = realCatalog();
    struct Case {
        const char* file;
        const char* vendor;
        const char* template_name;  // "" for uploads
        FileKind kind;
        const char* mac = "";
        const char* model = "";
        const char* num = "";
    };
    const Case cases[] = {
        {"y000000000000.boot", "yealink", "common.boot.mustache", FileKind::kCommon},
        {"Y000000000000.BOOT", "yealink", "common.boot.mustache", FileKind::kCommon},
        {"0015654aa937.boot", "yealink", "mac.boot.mustache", FileKind::kDevice, "0015654aa937"},
        {"y000000000028.cfg", "yealink", "common.cfg.mustache", FileKind::kCommon, "", "", "000000000028"},
        {"0004f2abcdef-settings.cfg", "polycom", "settings.mustache", FileKind::kDevice, "0004f2abcdef"},
        {"0004f2abcdef-directory.xml", "polycom", "directory.mustache", FileKind::kDevice, "0004f2abcdef"},
        {"0004f2abcdef-phone.cfg", "polycom", "", FileKind::kUpload, "0004f2abcdef"},
        {"0004F2ABCDEF-app.log", "polycom", "", FileKind::kUpload, "0004F2ABCDEF"},
        {"SPA508G.xml", "cisco", "common.xml.mustache", FileKind::kCommon, "", "SPA508G"},
        {"spa508g.xml", "cisco", "common.xml.mustache", FileKind::kCommon, "", "spa508g"},
        {"7841-3PCC.xml", "cisco", "common.xml.mustache", FileKind::kCommon, "", "7841"},
        {"SPA942.cfg", "cisco", "common.xml.mustache", FileKind::kCommon, "", "SPA942"},
        {"cfgGXP2135.xml", "grandstream", "common.xml.mustache", FileKind::kCommon, "", "GXP2135"},
        {"cfg.xml", "grandstream", "common.xml.mustache", FileKind::kCommon},
        {"snomD345-000413A11FA7.htm", "snom", "mac.htm.mustache", FileKind::kDevice, "000413A11FA7", "D345"},
        {"snomD345.htm", "snom", "model.htm.mustache", FileKind::kCommon, "", "D345"},
        {"F0V00X600000.cfg", "fanvil", "common.cfg.mustache", FileKind::kCommon},
        {"f0X4hw1.100.cfg", "fanvil", "common.cfg.mustache", FileKind::kCommon},
        {"J100Supgrade.txt", "avaya", "J100Supgrade.txt.mustache", FileKind::kCommon},
        {"46xxsettings.txt", "avaya", "46xxsettings.txt.mustache", FileKind::kCommon},
        {"c81fea83e85a.txt", "avaya", "mac.txt.mustache", FileKind::kDevice, "c81fea83e85a"},
        {"aastra.cfg", "aastra", "aastra.cfg.mustache", FileKind::kCommon},
        {"6867i.cfg", "aastra", "model.cfg.mustache", FileKind::kCommon, "", "6867i"},
        {"6930.cfg", "aastra", "model.cfg.mustache", FileKind::kCommon, "", "6930"},
    };
    for (const Case& c : cases) {
        INFO(c.file);
        const auto matches = catalog.matchFile(c.file);
        REQUIRE(matches.size() == 1);
        const RouteMatch& m = matches[0];
        CHECK(m.vendor->id == c.vendor);
        CHECK(m.route->template_name == c.template_name);
        CHECK(m.route->kind == c.kind);
        CHECK(m.captures.mac == c.mac);
        CHECK(m.captures.model == c.model);
        CHECK(m.captures.num == c.num);
    }
}

TEST_CASE("matchFile: {mac}.cfg is served by several vendors") {
    const VendorCatalog& catalog = realCatalog();
    const auto matches = catalog.matchFile("0015654aa937.cfg");
    std::vector<std::string> vendors;
    for (const RouteMatch& m : matches) {
        vendors.push_back(m.vendor->id);
        CHECK(m.route->kind == FileKind::kDevice);
        CHECK(m.captures.mac == "0015654aa937");
        CHECK(m.route->pattern.text() == "{mac}.cfg");
    }
    std::sort(vendors.begin(), vendors.end());
    CHECK(vendors == std::vector<std::string>{"aastra", "fanvil", "polycom", "yealink"});

    // Polycom's secrets flag on its master file is off; Yealink's is on.
    for (const RouteMatch& m : matches) {
        INFO(m.vendor->id);
        if (m.vendor->id == "polycom") CHECK_FALSE(m.route->secrets);
        if (m.vendor->id == "yealink") CHECK(m.route->secrets);
    }
}

TEST_CASE("matchFile: cfg{mac}.xml is Grandstream's and Htek's, told apart by User-Agent or MAC prefix") {
    const VendorCatalog& catalog = realCatalog();
    const auto matches = catalog.matchFile("cfg000b828aa872.xml");
    std::vector<std::string> vendors;
    for (const RouteMatch& m : matches) {
        vendors.push_back(m.vendor->id);
        CHECK(m.route->kind == FileKind::kDevice);
        CHECK(m.route->template_name == "mac.xml.mustache");
        CHECK(m.captures.mac == "000b828aa872");
    }
    std::sort(vendors.begin(), vendors.end());
    CHECK(vendors == std::vector<std::string>{"grandstream", "htek"});
    // Each lists its own prefix (vendor-templates/README.md, "Htek UC9xx").
    const VendorSpec* htek = catalog.findVendor("htek");
    const VendorSpec* grandstream = catalog.findVendor("grandstream");
    REQUIRE(htek);
    REQUIRE(grandstream);
    CHECK(htek->ouis == std::vector<std::string>{"001fc1"});
    CHECK(std::find(grandstream->ouis.begin(), grandstream->ouis.end(), "001fc1") == grandstream->ouis.end());
    // Htek's model files (cfg0010.xml) are no route: the phone stops at the first file it gets.
    CHECK(catalog.matchFile("cfg0010.xml").empty());
    CHECK(catalog.matchFile("cfg001fc11c22a9").empty());
}

TEST_CASE("matchFile: {mac}.xml is served by Cisco and Gigaset") {
    const VendorCatalog& catalog = realCatalog();
    const auto matches = catalog.matchFile("0002fdff2103.xml");
    std::vector<std::string> vendors;
    for (const RouteMatch& m : matches) {
        vendors.push_back(m.vendor->id);
        CHECK(m.route->kind == FileKind::kDevice);
        CHECK(m.route->template_name == "mac.xml.mustache");
        CHECK(m.captures.mac == "0002fdff2103");
    }
    std::sort(vendors.begin(), vendors.end());
    CHECK(vendors == std::vector<std::string>{"cisco", "gigaset"});
}

TEST_CASE("matchFile: the most specific name comes first") {
    const VendorCatalog& catalog = realCatalog();
    // Polycom's literal 000000000000.cfg beats everyone's {mac}.cfg.
    const auto matches = catalog.matchFile("000000000000.cfg");
    REQUIRE(matches.size() == 4);
    CHECK(matches[0].vendor->id == "polycom");
    CHECK(matches[0].route->kind == FileKind::kCommon);
    CHECK(matches[0].route->template_name == "master.common.cfg.mustache");
    for (size_t i = 1; i < matches.size(); ++i) {
        CHECK(matches[i].route->kind == FileKind::kDevice);
        CHECK(matches[i].route->pattern.literalLength() <= matches[0].route->pattern.literalLength());
    }
}

TEST_CASE("matchFile: names no vendor serves") {
    const VendorCatalog& catalog = realCatalog();
    const char* files[] = {"foo.cfg",
                           "0015654aa93.cfg",
                           "0015654aa9377.cfg",
                           "x0015654aa937.cfg",
                           "0015654aa937.cfg.bak",
                           "snomD999-000413A11FA7.htm",
                           "vendor.json",
                           "mac.cfg.mustache",
                           "",
                           "../yealink/vendor.json"};
    for (const char* f : files) {
        INFO(f);
        CHECK(catalog.matchFile(f).empty());
    }
}

TEST_CASE("setting_values say which phone setting values each shipped vendor can express") {
    const VendorCatalog& c = realCatalog();
    // Every vendor takes the defaults and the common values.
    for (const char* make : {"yealink", "polycom", "cisco", "grandstream", "snom", "fanvil"}) {
        INFO(make);
        CHECK_FALSE(c.settingProblem(make, "", "dtmf_mode", "rfc2833"));
        CHECK_FALSE(c.settingProblem(make, "", "dtmf_mode", "info"));
        CHECK_FALSE(c.settingProblem(make, "", "srtp", "off"));
        CHECK_FALSE(c.settingProblem(make, "", "codecs", "PCMU,PCMA,G722"));
        CHECK_FALSE(c.settingProblem(make, "", "language", "en"));
        CHECK_FALSE(c.settingProblem(make, "", "register_expiry", "600"));
        CHECK_FALSE(c.settingProblem(make, "", "outbound_proxy", "sbc.example.net:5061"));
        CHECK_FALSE(c.settingProblem(make, "", "pickup_code", "*8"));
        CHECK_FALSE(c.settingProblem(make, "", "tone_country", ""));  // "": the phone keeps its own
    }
    struct Case {
        const char* make;
        const char* key;
        const char* value;
        const char* vendor_name;
    };
    const Case refused[] = {
        {"yealink", "dtmf_mode", "auto", "Yealink"},
        {"Yealink", "codecs", "PCMU,iLBC", "Yealink"},
        {"yealink", "tone_country", "AR", "Yealink"},
        {"polycom", "tone_country", "FR", "Polycom"},
        {"polycom", "codecs", "iLBC", "Polycom"},
        {"cisco", "tone_country", "US", "Cisco"},
        {"cisco", "codecs", "PCMU,PCMA,G722,G729", "Cisco"},
        {"grandstream", "codecs", "opus,PCMU", "Grandstream"},
        {"grandstream", "dtmf_mode", "auto", "Grandstream"},
        {"snom", "backup_sip_server", "pbx2.example.net", "Snom"},
        {"snom", "mwi_subscribe", "true", "Snom"},
        {"snom", "dtmf_mode", "inband", "Snom"},
        {"fanvil", "srtp", "required", "Fanvil"},
        {"fanvil", "tone_country", "JP", "Fanvil"},
    };
    for (const Case& r : refused) {
        INFO(r.make << " " << r.key << " " << r.value);
        const auto problem = c.settingProblem(r.make, "", r.key, r.value);
        REQUIRE(problem);
        CHECK_THAT(*problem, Catch::Contains(r.vendor_name));
    }
    CHECK_FALSE(c.settingProblem("cisco", "", "codecs", "opus,G722,PCMU"));
    CHECK_FALSE(c.settingProblem("cisco", "", "dtmf_mode", "auto"));
    CHECK_FALSE(c.settingProblem("no such make", "", "dtmf_mode", "auto"));

    const VendorSpec* gs = c.findVendor("grandstream");
    REQUIRE(gs);
    const auto& dtmf = gs->setting_values.at("dtmf_mode").at("inband");
    CHECK(dtmf.at("audio") == "1");
    CHECK(dtmf.at("rfc2833") == "0");
    // Every account slot names every per-account P-value the settings need.
    REQUIRE(gs->line_params.size() == 6);
    for (const auto& lp : gs->line_params) {
        for (const char* name : {"expiry", "outbound", "backup", "mwi", "pickup", "dtmf_audio", "dtmf_rfc2833",
                                 "dtmf_info", "srtp", "vocoder1", "vocoder5"})
            CHECK(lp.count(name));
    }
}

TEST_CASE("a malformed setting_values is refused") {
    for (const char* bad : {R"("setting_values": {"srtp": "off"},)", R"("setting_values": {"srtp": {"off": 0}},)",
                            R"("setting_values": {"srtp": {"off": {"a": 1}}},)", R"("codecs_max": -1,)"}) {
        INFO(bad);
        TempDir dir;
        dir.write("acme/vendor.json", replaced(kGoodVendor, R"("format": "kv",)", std::string(R"("format": "kv", )") + bad));
        CHECK_FALSE(VendorCatalog::load(dir.path()));
    }
    TempDir dir;
    dir.write("acme/vendor.json",
              replaced(kGoodVendor, R"("format": "kv",)",
                       R"("format": "kv", "setting_values": {"tone_country": {}, "srtp": {"off": {"a": "0", "b": "1"}}},)"));
    auto loaded = VendorCatalog::load(dir.path());
    REQUIRE(loaded);
    const auto problem = loaded.value().settingProblem("acme", "", "tone_country", "FR");
    REQUIRE(problem);
    CHECK_THAT(*problem, Catch::Contains("Acme"));
    CHECK_THAT(*problem, Catch::Contains("tone_country"));
    CHECK(loaded.value().findVendor("acme")->setting_values.at("srtp").at("off").at("b") == "1");
}

TEST_CASE("expansion modules: a model lists the ones it takes, with their keys and max") {
    TempDir dir;
    dir.write("acme/vendor.json",
              replaced(replaced(kGoodVendor, R"({"lines": 1, "keys": 2})", R"({"lines": 1, "keys": 2, "expansion": ["em1"]})"),
                       R"("format": "kv",)", R"("format": "kv", "expansion_modules": {"EM1": {"keys": 4, "max": 2}},)"));
    auto c = VendorCatalog::load(dir.path());
    REQUIRE(c);
    const auto a1 = c.value().findModel("Acme", "a1");
    REQUIRE(a1);
    REQUIRE(a1->expansion.size() == 1);
    CHECK(a1->expansion[0].name == "EM1");
    CHECK(a1->findExpansion("em1") == &a1->expansion[0]);
    CHECK(keySpace(*a1, "EM1", 2).total() == 10);

    // A model may take fewer of a module than the module's own max.
    TempDir fewer;
    fewer.write("acme/vendor.json",
                replaced(replaced(kGoodVendor, R"({"lines": 1, "keys": 2})",
                                  R"({"lines": 1, "keys": 2, "expansion": [{"name": "em1", "max": 1}]})"),
                         R"("format": "kv",)", R"("format": "kv", "expansion_modules": {"EM1": {"keys": 4, "max": 2}},)"));
    auto f = VendorCatalog::load(fewer.path());
    REQUIRE(f);
    const auto one = f.value().findModel("Acme", "a1");
    REQUIRE(one);
    CHECK(one->findExpansion("EM1")->max == 1);
    CHECK(keySpace(*one, "EM1", 2).total() == 6);
}

TEST_CASE("the shipped expansion modules: every model's module is one its vendor lists") {
    const VendorCatalog& c = realCatalog();
    const auto t46u = c.findModel("Yealink", "T46U");
    REQUIRE(t46u);
    REQUIRE(t46u->findExpansion("EXP43"));
    CHECK(keySpace(*t46u, "EXP43", 3).total() == 27 + 3 * 60);
    // Cisco's KEM: as many as each model takes (Wazo's cisco plugin-info), not the module's 3 on every model.
    CHECK(c.findModel("Cisco", "8841")->findExpansion("CP-8800-KEM")->max == 1);
    CHECK(c.findModel("Cisco", "8851")->findExpansion("CP-8800-KEM")->max == 2);
    CHECK(c.findModel("Cisco", "8861")->findExpansion("CP-8800-KEM")->max == 3);
    CHECK(keySpace(*c.findModel("Cisco", "8851"), "CP-8800-KEM", 3).modules == 2);
    // Snom's park key: `orbit` on the models W lists for it (wazo_snom/common/common.py:229-235), else `speed`.
    CHECK(c.findModel("Snom", "715")->button_types.at("park") == "orbit");
    CHECK(c.findModel("Snom", "D765")->button_types.at("park") == "orbit");
    CHECK(c.findModel("Snom", "715")->button_types.at("blf") == "blf");
    CHECK(c.findModel("Snom", "D785")->button_types.empty());
    CHECK(c.findModel("Grandstream", "GXP2135")->expansion.empty());
    CHECK(c.findModel("Fanvil", "X5U")->expansion.empty());
}

TEST_CASE("setting_values and codecs_max a render cannot use are refused naming the file and key") {
    struct Case {
        const char* name;
        const char* json;
        const char* message_part;
    };
    const Case cases[] = {
        {"a key that is no setting", R"("setting_values": {"ringtone": {"a": "1"}},)",
         "setting_values.ringtone: ringtone is not a setting"},
        {"a value the setting does not take", R"("setting_values": {"dtmf_mode": {"rfc4733": "1"}},)",
         "setting_values.dtmf_mode.rfc4733: rfc4733 is not a dtmf_mode value"},
        {"a language that is no ISO 639-1 code", R"("setting_values": {"language": {"English": "en"}},)",
         "setting_values.language.English"},
        {"a country in lower case", R"("setting_values": {"tone_country": {"fr": "France"}},)",
         "setting_values.tone_country.fr"},
        {"a boolean that is not true or false", R"("setting_values": {"mwi_subscribe": {"yes": "1"}},)",
         "setting_values.mwi_subscribe.yes"},
        {"an unknown codec", R"("setting_values": {"codecs": {"AMR": "amr"}},)", "setting_values.codecs.AMR"},
        {"two codecs in one entry", R"("setting_values": {"codecs": {"PCMU,PCMA": "x"}},)",
         "setting_values.codecs.PCMU,PCMA: map one codec at a time"},
        {"a codec given as an object", R"("setting_values": {"codecs": {"PCMU": {"a": "0"}}},)",
         "setting_values.codecs.PCMU must be a non-empty string"},
        {"a codec with no code", R"("setting_values": {"codecs": {"PCMU": ""}},)",
         "setting_values.codecs.PCMU must be a non-empty string"},
        {"a code that is a number", R"("setting_values": {"srtp": {"off": 0}},)",
         "setting_values.srtp.off must be a string or an object of strings"},
        {"a part that is a number", R"("setting_values": {"srtp": {"off": {"a": 1}}},)",
         "setting_values.srtp.off.a must be a string"},
        {"a setting given as a string", R"("setting_values": {"srtp": "off"},)", "setting_values.srtp must be an object"},
        {"the empty value mapped", R"("setting_values": {"srtp": {"": "0"}},)", "setting_values.srtp: \"\" is not a value"},
        {"codecs_max negative", R"("codecs_max": -1,)", "codecs_max must be a positive integer"},
        {"codecs_max zero", R"("codecs_max": 0,)", "codecs_max must be a positive integer"},
        {"codecs_max a fraction", R"("codecs_max": 2.5,)", "codecs_max must be a positive integer"},
        {"codecs_max a string", R"("codecs_max": "3",)", "codecs_max must be a positive integer"},
        {"codecs_max a boolean", R"("codecs_max": true,)", "codecs_max must be a positive integer"},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        TempDir dir;
        const std::string file = dir.write(
            "acme/vendor.json", replaced(kGoodVendor, R"("format": "kv",)", std::string(R"("format": "kv", )") + c.json));
        auto loaded = VendorCatalog::load(dir.path());
        REQUIRE_FALSE(loaded);
        CHECK(loaded.error().code == Code::kInvalidArgument);
        CHECK_THAT(loaded.error().message, Catch::Contains(file));
        CHECK_THAT(loaded.error().message, Catch::Contains(c.message_part));
    }
}

TEST_CASE("setting_values every setting can take are accepted") {
    TempDir dir;
    dir.write("acme/vendor.json",
              replaced(kGoodVendor, R"("format": "kv",)",
                       R"("format": "kv", "codecs_max": 2, "setting_values": {"dtmf_mode": {"inband": "0", "auto": "3"},
                       "srtp": {"off": "", "required": {"a": "1", "b": "2"}}, "mwi_subscribe": {"true": "1"},
                       "codecs": {"PCMU": "0", "opus": "111"}, "language": {"fr": "French"}, "tone_country": {},
                       "pickup_code": {"*8": "8"}, "outbound_proxy": {}, "backup_sip_server": {}},)"));
    auto loaded = VendorCatalog::load(dir.path());
    REQUIRE(loaded);
    const VendorSpec* v = loaded.value().findVendor("acme");
    REQUIRE(v);
    CHECK(v->codecs_max == 2);
    CHECK(v->setting_values.at("codecs").at("opus").at("") == "111");
    CHECK(v->setting_values.at("srtp").at("off").at("").empty());
    CHECK_FALSE(loaded.value().settingProblem("acme", "", "codecs", "opus,PCMU"));
    CHECK(loaded.value().settingProblem("acme", "", "codecs", "opus,PCMU,opus"));  // a third is past codecs_max
}

TEST_CASE("a model's own key codes replace the vendor's one by one, for a known type only") {
    TempDir dir;
    const std::string typed =
        replaced(kGoodVendor, R"("format": "kv",)", R"("format": "kv", "button_types": {"line": "L", "blf": "B"},)");
    dir.write("acme/vendor.json",
              replaced(typed, R"({"lines": 1, "keys": 2})",
                       R"({"lines": 1, "keys": 2, "button_types": {"blf": "B2"}, "unused_key_code": "-1"})"));
    auto c = VendorCatalog::load(dir.path());
    REQUIRE(c);
    const auto a1 = c.value().findVendor("acme")->models.at("A1");
    CHECK(a1.button_types.at("blf") == "B2");
    CHECK(a1.button_types.at("line") == "L");  // the vendor's, where the model says nothing
    CHECK(a1.unused_key_code == "-1");
    dir.write("acme/vendor.json", replaced(typed, R"({"lines": 1, "keys": 2})",
                                           R"({"lines": 1, "keys": 2, "button_types": {"intercom": "7"}})"));
    CHECK_FALSE(VendorCatalog::load(dir.path()));

    // Grandstream's GRP26xx number key modes anew (F grp26xx:7844-7857).
    const VendorCatalog& real = realCatalog();
    const VendorSpec* gs = real.findVendor("grandstream");
    REQUIRE(gs);
    CHECK(gs->models.at("GRP2614").button_types.at("line") == "31");
    CHECK(gs->models.at("GRP2614").button_types.at("blf") == "1");
    CHECK(gs->models.at("GRP2614").unused_key_code == "-1");
    CHECK(gs->models.at("GXP2135").button_types.empty());
    CHECK(gs->button_types.at("blf") == "11");
}

TEST_CASE("key pages: a model's keys are its side keys, then its screen pages in order") {
    TempDir dir;
    dir.write("acme/vendor.json", replaced(kGoodVendor, R"({"lines": 1, "keys": 2})",
                                           R"({"lines": 1, "keys": 34, "key_pages": {"side": 4, "per_page": 6, "pages": 5}})"));
    auto c = VendorCatalog::load(dir.path());
    REQUIRE(c);
    const KeyPages layout = c.value().findVendor("acme")->models.at("A1").key_pages;
    CHECK(layout.side == 4);
    CHECK(layout.per_page == 6);
    CHECK(layout.pages == 5);
    struct Case {
        int index, page, key;
    };
    // i13-next section 2's worked example (X5U-V2): key 20 is page 3 key 4.
    for (const Case& k : {Case{1, 0, 1}, Case{4, 0, 4}, Case{5, 1, 1}, Case{10, 1, 6}, Case{11, 2, 1}, Case{20, 3, 4},
                          Case{34, 5, 6}, Case{35, 6, 1}}) {
        INFO("key " << k.index);
        const KeyPlace at = placeKey(layout, k.index);
        CHECK(at.page == k.page);
        CHECK(at.key == k.key);
    }
    // No side keys (Fanvil V67): key 1 is the first page's.
    CHECK(placeKey(KeyPages{0, 29, 4}, 1).page == 1);
    CHECK(placeKey(KeyPages{0, 29, 4}, 30).page == 2);
    CHECK(placeKey(KeyPages{0, 29, 4}, 30).key == 1);
    // A model without pages has every key on the side.
    CHECK(placeKey(KeyPages{}, 40).page == 0);
    CHECK(placeKey(KeyPages{}, 40).key == 40);
    CHECK(c.value().findVendor("acme")->models.at("A1").key_pages.any());
}

TEST_CASE("the shipped Fanvil models lay out every key they count") {
    const VendorSpec* fanvil = realCatalog().findVendor("fanvil");
    REQUIRE(fanvil);
    struct Case {
        const char* model;
        int keys, side, per_page, pages;
    };
    // i13-next section 2 (F x4u:2724, x5u:3370, x6u:4023, x7:4025, v67:938; W serie_x/entry.py:144-186).
    for (const Case& m : {Case{"X4U", 33, 3, 6, 5}, Case{"X5U", 34, 4, 6, 5}, Case{"X5U-V2", 34, 4, 6, 5},
                          Case{"X6U", 72, 12, 12, 5}, Case{"X7", 127, 11, 29, 4}, Case{"V67", 116, 0, 29, 4}}) {
        INFO(m.model);
        const ModelInfo* info = fanvil->findModel(m.model);
        REQUIRE(info);
        CHECK(info->keys == m.keys);
        CHECK(info->key_pages.side == m.side);
        CHECK(info->key_pages.per_page == m.per_page);
        CHECK(info->key_pages.pages == m.pages);
    }
    // Other vendors' models have no pages.
    CHECK_FALSE(realCatalog().findVendor("yealink")->findModel("T46U")->key_pages.any());
}

TEST_CASE("a vendor finds a model by its name in any case, else by its letters and digits") {
    const VendorSpec* fanvil = realCatalog().findVendor("fanvil");
    REQUIRE(fanvil);
    REQUIRE(fanvil->findModel("x5u-v2"));
    CHECK(fanvil->findModel("x5u-v2")->model == "X5U-V2");
    // Fanvil's User-Agent spells the Pro models with a space (W wazo_fanvil/common/common.py:79).
    REQUIRE(fanvil->findModel("X6U Pro"));
    CHECK(fanvil->findModel("X6U Pro")->model == "X6U-Pro");
    CHECK(fanvil->findModel("X6U") != fanvil->findModel("X6U Pro"));
    CHECK_FALSE(fanvil->findModel("X8"));
    CHECK_FALSE(fanvil->findModel(""));
    CHECK_FALSE(fanvil->findModel("--"));
}

namespace {

// kGoodVendor with a family "v2" that A2 belongs to, and its template file.
const char* kFamilyVendor = R"({
  "name": "Acme",
  "format": "kv",
  "transports": {"udp": "0", "tls": "2"},
  "button_types": {"line": "0", "blf": "11"},
  "setting_values": {"srtp": {"off": "0", "required": "2"}, "mwi_subscribe": {"true": "1", "false": "0"}},
  "files": [
    {"path": "{mac}.acme", "template": "mac.mustache", "kind": "device"},
    {"path": "acme.cfg", "template": "common.mustache"}
  ],
  "families": {
    "v2": {
      "templates": {"mac.mustache": "mac-v2.mustache"},
      "transports": {"udp": "UDP"},
      "button_types": {"line": "Line", "blf": "BLF"},
      "unused_key_code": "None",
      "setting_values": {"srtp": {"off": "Disabled", "optional": "EnabledButNotForced"}}
    }
  },
  "models": {"A1": {"lines": 1, "keys": 2}, "A2": {"lines": 2, "keys": 20, "virtual_keys": 12, "family": "v2"}}
})";

}  // namespace

TEST_CASE("a model family: its models render its templates with its value maps") {
    TempDir dir;
    dir.write("acme/vendor.json", kFamilyVendor);
    dir.write("acme/mac-v2.mustache", "x");
    auto loaded = VendorCatalog::load(dir.path());
    REQUIRE(loaded);
    const VendorCatalog& c = loaded.value();
    const VendorSpec& acme = *c.findVendor("acme");
    CHECK(&acme.forModel("A1") == &acme);      // in no family
    CHECK(&acme.forModel("A9") == &acme);      // unknown
    CHECK(&acme.forModel("") == &acme);
    const VendorSpec& v2 = acme.forModel("a2");  // any case, as models are looked up
    REQUIRE(&v2 != &acme);
    CHECK(&v2 == acme.families.at("v2").get());
    CHECK(v2.families.empty());
    CHECK(v2.id == "acme");
    CHECK(v2.dir == acme.dir);
    // Templates replaced by name; a route the family leaves keeps its own.
    CHECK(v2.templateFor("mac.mustache") == "mac-v2.mustache");
    CHECK(v2.templateFor("common.mustache") == "common.mustache");
    CHECK(acme.templateFor("mac.mustache") == "mac.mustache");
    // Vocabularies replaced whole; setting_values one setting at a time.
    CHECK(v2.transports == std::map<std::string, std::string>{{"udp", "UDP"}});
    CHECK(v2.button_types.at("line") == "Line");
    CHECK(v2.setting_values.at("srtp").count("required") == 0);
    CHECK(v2.setting_values.at("srtp").at("optional").at("") == "EnabledButNotForced");
    CHECK(v2.setting_values.at("mwi_subscribe").at("true").at("") == "1");  // the vendor's, untouched
    CHECK(acme.transports.at("udp") == "0");
    // A model takes its family's unused-key code, and says where its physical keys start.
    const ModelInfo& a2 = acme.models.at("A2");
    CHECK(a2.family == "v2");
    CHECK(a2.unused_key_code == "None");
    CHECK(a2.virtual_keys == 12);
    CHECK(acme.models.at("A1").unused_key_code.empty());
    CHECK(acme.models.at("A1").virtual_keys == 0);
    // The settings check asks the model's own vocabulary.
    CHECK_FALSE(c.settingProblem("acme", "A2", "srtp", "optional"));
    CHECK(c.settingProblem("acme", "A2", "srtp", "required"));
    CHECK(c.settingProblem("acme", "A1", "srtp", "optional"));
    CHECK_FALSE(c.settingProblem("acme", "A1", "srtp", "required"));
    CHECK(c.settingProblem("acme", "", "srtp", "optional"));  // no model: the vendor's
    // No format or zone names of its own: the routes' and the vendor's.
    CHECK_FALSE(v2.family_format);
    CHECK(v2.formatOf(acme.files[0]) == OutputFormat::kKv);
}

TEST_CASE("a model family with a file format and zone names of its own") {
    TempDir dir;
    dir.write("acme/vendor.json",
              replaced(replaced(kFamilyVendor, R"("unused_key_code": "None",)",
                                R"("unused_key_code": "None", "format": "xml-quoted", "time_zone_names": {"+1": "0x1b"},)"),
                       R"("format": "kv",)", R"("format": "kv", "time_zone_names": {"Europe/Paris": "Europe/Paris"},)"));
    dir.write("acme/mac-v2.mustache", "x");
    auto loaded = VendorCatalog::load(dir.path());
    REQUIRE(loaded);
    const VendorSpec& acme = *loaded.value().findVendor("acme");
    const VendorSpec& v2 = acme.forModel("A2");
    REQUIRE(v2.family_format);
    // Every file of the family in its format; the vendor's own models keep the routes'.
    CHECK(v2.formatOf(acme.files[0]) == OutputFormat::kXmlQuoted);
    CHECK(v2.formatOf(acme.files[1]) == OutputFormat::kXmlQuoted);
    CHECK(acme.formatOf(acme.files[0]) == OutputFormat::kKv);
    // Zone names replaced whole.
    CHECK(v2.time_zone_names == std::map<std::string, std::string>{{"+1", "0x1b"}});
    CHECK(acme.time_zone_names.count("Europe/Paris") == 1);

    const std::string file = dir.write(
        "acme/vendor.json", replaced(kFamilyVendor, R"("unused_key_code": "None",)", R"("unused_key_code": "None", "format": "yaml",)"));
    auto bad = VendorCatalog::load(dir.path());
    REQUIRE_FALSE(bad);
    CHECK_THAT(bad.error().message, Catch::Contains(file));
    CHECK_THAT(bad.error().message, Catch::Contains("families.v2.format: format must be kv, xml, panasonic, set or xml-quoted"));
}

TEST_CASE("a malformed model family is refused with a clear message") {
    struct Case {
        const char* name;
        std::string json;
        const char* message_part;
    };
    const std::string good = kFamilyVendor;
    const Case cases[] = {
        {"unknown key in a family", replaced(good, R"("unused_key_code": "None",)", R"("unused_key_code": "None", "keys": 4,)"),
         "families.v2: unknown key \"keys\""},
        {"a template no route uses", replaced(good, R"({"mac.mustache": "mac-v2.mustache"})", R"({"boot.mustache": "mac-v2.mustache"})"),
         "families.v2.templates.boot.mustache: no file of the vendor uses that template"},
        {"a template file that is not there", replaced(good, R"("mac-v2.mustache")", R"("mac-v3.mustache")"),
         "families.v2.templates.mac.mustache: template mac-v3.mustache is not in the vendor folder"},
        {"a template outside the vendor folder", replaced(good, R"("mac-v2.mustache")", R"("../yealink/mac.mustache")"),
         "families.v2.templates.mac.mustache: template must be a file in the vendor folder"},
        {"a template that is not a string", replaced(good, R"("mac-v2.mustache")", "2"),
         "families.v2.templates.mac.mustache must be a string"},
        {"a model in an unknown family", replaced(good, R"("family": "v2")", R"("family": "v3")"),
         "model A2: family \"v3\" is not in \"families\""},
        {"a family that is not an object", replaced(good, R"("v2": {)", R"("v1": 1, "v2": {)"), "families.v1 must be an object"},
        {"a setting value the API cannot store",
         replaced(good, R"("optional": "EnabledButNotForced")", R"("sometimes": "EnabledButNotForced")"),
         "setting_values.srtp.sometimes"},
        {"a model's key code for a type its family lacks",
         replaced(good, R"("virtual_keys": 12,)", R"("virtual_keys": 12, "button_types": {"park": "CallPark"},)"),
         "model A2.button_types.park"},
        {"virtual_keys past keys", replaced(good, R"("virtual_keys": 12)", R"("virtual_keys": 21)"),
         "model A2: \"virtual_keys\" must be 0 to its \"keys\""},
        {"negative virtual_keys", replaced(good, R"("virtual_keys": 12)", R"("virtual_keys": -1)"),
         "model A2: \"virtual_keys\" must be 0 to its \"keys\""},
        {"empty button_types", replaced(good, R"({"line": "Line", "blf": "BLF"})", "{}"),
         "families.v2.button_types must map at least one type"},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        TempDir dir;
        const std::string file = dir.write("acme/vendor.json", c.json);
        dir.write("acme/mac-v2.mustache", "x");
        auto loaded = VendorCatalog::load(dir.path());
        REQUIRE_FALSE(loaded);
        CHECK_THAT(loaded.error().message, Catch::Contains(file));
        CHECK_THAT(loaded.error().message, Catch::Contains(c.message_part));
    }
}

TEST_CASE("the shipped Grandstream GXP21xx models are family v2, keys to their physical counts") {
    const VendorCatalog& c = realCatalog();
    const VendorSpec* gs = c.findVendor("grandstream");
    REQUIRE(gs);
    struct Want {
        const char* model;
        int keys;
        int virtual_keys;
    };
    // W wazo_grandstream common.py:146-165 (MODEL_FKEYS); F gxp2135/{$mac}.xml:3010-3014, 3276-3277.
    for (const Want& w : {Want{"GXP2130", 20, 12}, Want{"GXP2135", 32, 32}, Want{"GXP2140", 16, 16},
                          Want{"GXP2160", 48, 24}, Want{"GXP2170", 48, 48}}) {
        INFO(w.model);
        const ModelInfo& m = gs->models.at(w.model);
        CHECK(m.family == "v2");
        CHECK(m.keys == w.keys);
        CHECK(m.virtual_keys == w.virtual_keys);
        CHECK(m.unused_key_code == "None");
        const VendorSpec& v2 = gs->forModel(w.model);
        CHECK(v2.templateFor("mac.xml.mustache") == "mac-v2.xml.mustache");
        CHECK(v2.button_types.at("blf") == "BLF");
        CHECK(v2.transports.at("tls") == "TlsOrTcp");
        CHECK(v2.provisioning_protocols.at("https") == "HTTPS");
        CHECK_FALSE(c.settingProblem("grandstream", w.model, "codecs", "opus,PCMU"));
        CHECK(c.settingProblem("grandstream", w.model, "dtmf_mode", "auto"));
    }
    // GRP26xx and HT8xx stay on P-values and the vendor's maps.
    for (const char* model : {"GRP2612", "GRP2614", "GRP2616", "HT801", "HT802"}) {
        INFO(model);
        CHECK(&gs->forModel(model) == gs);
        CHECK(c.settingProblem("grandstream", model, "codecs", "opus,PCMU"));
    }
}

TEST_CASE("a softphone vendor serves no files - downloads are https links of softphones only") {
    TempDir dir;
    dir.write("soft/vendor.json", R"({"name": "Soft", "softphone": true,
        "downloads": [{"platform": "Android", "url": "https://example.com/app"}],
        "models": {"Soft PC": {"lines": 1}}})");
    auto good = VendorCatalog::load(dir.path());
    REQUIRE(good);
    CHECK(good.value().isSoftphone("Soft"));
    REQUIRE(good.value().vendors()[0]->downloads.size() == 1);
    CHECK(good.value().vendors()[0]->downloads[0].url == "https://example.com/app");

    dir.write("soft/vendor.json", R"({"name": "Soft", "softphone": true, "models": {"A": {"lines": 1}},
        "files": [{"path": "soft.cfg", "template": "x.mustache"}]})");
    dir.write("soft/x.mustache", "x");
    CHECK_FALSE(VendorCatalog::load(dir.path()));
    dir.write("soft/vendor.json", R"({"name": "Soft", "softphone": true, "models": {"A": {"lines": 1}},
        "downloads": [{"platform": "Android", "url": "http://example.com/app"}]})");
    CHECK_FALSE(VendorCatalog::load(dir.path()));
    dir.write("soft/vendor.json", R"({"name": "Soft", "models": {"A": {"lines": 1}},
        "downloads": [{"platform": "Android", "url": "https://example.com/app"}]})");
    CHECK_FALSE(VendorCatalog::load(dir.path()));
}

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "provisioner/identify/request_identifier.h"

using namespace prov;

namespace {

const VendorCatalog& realCatalog() {
    static const VendorCatalog catalog = [] {
        auto c = VendorCatalog::load(TEMPLATES_DIR);
        if (!c) FAIL("vendor-templates does not load: " << c.error().message);
        return std::move(c).value();
    }();
    return catalog;
}

// A store that knows one make for every MAC, and records what it was asked.
struct Makes {
    explicit Makes(std::string m) : make(std::move(m)) {}
    std::string make;
    std::vector<std::string> asked;
    MakeLookup lookup() {
        return [this](const std::string& mac) {
            asked.push_back(mac);
            return make;
        };
    }
};

const char* kYealinkUa = "Yealink SIP-T46G 28.72.0.1 00:15:65:4a:a9:37";
const char* kPolycomUa = "FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 Type/Application";
const char* kFanvilUa = "Fanvil X5U-V2 2.12.16.17 0c383e557eb1";
const char* kSnomUa =
    "Mozilla/4.0 (compatible; snomD785-SIP 10.1.33.33 2010.12-00004-g9ba52f5 000413922D24 SXM:0 UXM:0)";

}  // namespace

TEST_CASE("identify: the User-Agent's vendor picks the route") {
    struct Case {
        const char* ua;
        const char* file;
        const char* vendor;
        const char* template_name;
        const char* mac;
        const char* model;
        const char* firmware;
    };
    const Case cases[] = {
        {kYealinkUa, "0015654aa937.cfg", "yealink", "mac.cfg.mustache", "0015654aa937", "T46G", "28.72.0.1"},
        {kYealinkUa, "0015654AA937.cfg", "yealink", "mac.cfg.mustache", "0015654aa937", "T46G", "28.72.0.1"},
        {kYealinkUa, "y000000000000.boot", "yealink", "common.boot.mustache", "", "T46G", "28.72.0.1"},
        {kPolycomUa, "0004f2abcdef.cfg", "polycom", "master.mac.cfg.mustache", "0004f2abcdef", "VVX_400",
         "4.1.4.7430"},
        {kPolycomUa, "000000000000.cfg", "polycom", "master.common.cfg.mustache", "", "VVX_400", "4.1.4.7430"},
        {kFanvilUa, "0c383e557eb1.cfg", "fanvil", "mac.cfg.mustache", "0c383e557eb1", "X5U-V2", "2.12.16.17"},
        {kSnomUa, "snomD785-000413922d24.htm", "snom", "mac.htm.mustache", "000413922d24", "D785", "10.1.33.33"},
    };
    for (const Case& c : cases) {
        INFO(c.ua << " asks for " << c.file);
        Makes store{"polycom"};  // a store answer the User-Agent must override
        auto id = identify(realCatalog(), c.file, c.ua, store.lookup());
        REQUIRE(id);
        CHECK(id.value().vendor->id == c.vendor);
        CHECK(id.value().route->template_name == c.template_name);
        CHECK(id.value().mac == c.mac);
        CHECK(id.value().model == c.model);
        CHECK(id.value().firmware == c.firmware);
        CHECK(id.value().file == c.file);
    }
}

TEST_CASE("identify: without a User-Agent, {mac}.cfg of an unlisted prefix goes to the vendor the store names") {
    struct Case {
        const char* make;
        const char* vendor;
        const char* template_name;
    };
    const Case cases[] = {
        {"yealink", "yealink", "mac.cfg.mustache"},
        {"Yealink", "yealink", "mac.cfg.mustache"},
        {"polycom", "polycom", "master.mac.cfg.mustache"},
        {"POLYCOM", "polycom", "master.mac.cfg.mustache"},
        {"Fanvil", "fanvil", "mac.cfg.mustache"},
    };
    for (const char* ua : {"", "curl/8.0"}) {  // an unknown UA is no UA
        for (const Case& c : cases) {
            INFO("make " << c.make << ", UA '" << ua << "'");
            Makes store{c.make};
            auto id = identify(realCatalog(), "AABBCC4AA937.cfg", ua, store.lookup());
            REQUIRE(id);
            CHECK(id.value().vendor->id == c.vendor);
            CHECK(id.value().route->template_name == c.template_name);
            CHECK(id.value().mac == "aabbcc4aa937");
            CHECK(id.value().firmware.empty());
            CHECK(store.asked == std::vector<std::string>{"aabbcc4aa937"});  // canonical
        }
    }
}

TEST_CASE("identify: without a User-Agent, a listed MAC prefix picks the vendor, whatever the store says") {
    // So a known and an unknown MAC of one prefix get the same route (no oracle).
    struct Case {
        const char* file;
        const char* vendor;
    };
    for (const Case& c : {Case{"0015654aa937.cfg", "yealink"}, Case{"0004f2aabb01.cfg", "polycom"},
                          Case{"0c383e557eb1.cfg", "fanvil"}}) {
        for (const char* make : {"", "polycom", "yealink", "Acme"}) {
            INFO(c.file << ", make '" << make << "'");
            Makes store{make};
            auto id = identify(realCatalog(), c.file, "", store.lookup());
            REQUIRE(id);
            CHECK(id.value().vendor->id == c.vendor);
            CHECK(store.asked.empty());
        }
    }
}

TEST_CASE("identify: cfg<mac>.xml, Grandstream's and Htek's, by User-Agent, else MAC prefix, else the store") {
    const std::string htek_ua = "Htek UC926 2.0.4.6.41 00:1f:c1:1c:22:a9";
    auto by_ua = identify(realCatalog(), "cfg001fc11c22a9.xml", htek_ua, Makes{"grandstream"}.lookup());
    REQUIRE(by_ua);
    CHECK(by_ua.value().vendor->id == "htek");
    CHECK(by_ua.value().model == "UC926");
    CHECK(by_ua.value().firmware == "2.0.4.6.41");
    struct Case {
        const char* file;
        const char* make;
        const char* vendor;
    };
    const Case cases[] = {
        {"cfg001fc11c22a9.xml", "", "htek"},             // Htek's prefix
        {"cfg001fc11c22a9.xml", "Grandstream", "htek"},  // the prefix wins over the store
        {"cfg000b828aa872.xml", "", "grandstream"},
        {"cfg000b828aa872.xml", "Htek", "grandstream"},
        {"cfgaabbcc4aa937.xml", "Htek", "htek"},  // no listed prefix: the store's make
        {"cfgaabbcc4aa937.xml", "grandstream", "grandstream"},
    };
    for (const Case& c : cases) {
        INFO(c.file << ", make '" << c.make << "'");
        Makes store{c.make};
        auto id = identify(realCatalog(), c.file, "", store.lookup());
        REQUIRE(id);
        CHECK(id.value().vendor->id == c.vendor);
    }
}

TEST_CASE("identify: Avaya's files are its own, by name alone") {
    for (const char* file : {"J100Supgrade.txt", "46xxsettings.txt", "c81fea83e85a.txt"}) {
        INFO(file);
        auto id = identify(realCatalog(), file, "", Makes{""}.lookup());
        REQUIRE(id);
        CHECK(id.value().vendor->id == "avaya");
    }
    auto j179 = identify(realCatalog(), "c81fea83e85a.txt",
                         "Mozilla/4.0 (compatible; MSIE 6.0) AVAYA/J179-4.1.3.0.6 (MAC:c81fea83e85a)", Makes{""}.lookup());
    REQUIRE(j179);
    CHECK(j179.value().model == "J179");
    CHECK(j179.value().mac == "c81fea83e85a");
}

TEST_CASE("identify: a make that serves no such file still gets a {mac}.cfg vendor") {
    for (const char* make : {"", "cisco", "Acme"}) {
        INFO("make '" << make << "'");
        Makes store{make};
        auto id = identify(realCatalog(), "0015654aa937.cfg", "", store.lookup());
        REQUIRE(id);
        const std::string v = id.value().vendor->id;
        CHECK((v == "fanvil" || v == "polycom" || v == "yealink"));
        CHECK(id.value().mac == "0015654aa937");
    }
}

TEST_CASE("identify: a name only one vendor serves needs no store") {
    Makes store{"yealink"};
    auto id = identify(realCatalog(), "snomD345-000413A11FA7.htm", "", store.lookup());
    REQUIRE(id);
    CHECK(id.value().vendor->id == "snom");
    CHECK(id.value().model == "D345");  // from the path
    CHECK(id.value().mac == "000413a11fa7");
    CHECK(id.value().firmware.empty());
    CHECK(store.asked.empty());
}

TEST_CASE("identify: a User-Agent MAC that is not the path's MAC is refused") {
    struct Case {
        const char* ua;
        const char* file;
    };
    const Case cases[] = {
        {kYealinkUa, "001565000000.cfg"},
        {kYealinkUa, "001565000000.boot"},
        {kFanvilUa, "0c383e557eb2.cfg"},
        {kSnomUa, "snomD785-000413000000.htm"},
        {"Cisco-CP-7832-3PCC/11.0.1 (00562b043615)", "00562b043616.xml"},
    };
    for (const Case& c : cases) {
        INFO(c.ua << " asks for " << c.file);
        Makes store{"yealink"};
        auto id = identify(realCatalog(), c.file, c.ua, store.lookup());
        REQUIRE_FALSE(id);
        CHECK(id.error().code == Code::kPermissionDenied);
        CHECK(id.error().reason == "mac_mismatch");
    }
}

TEST_CASE("identify: files no vendor serves are NotFound") {
    struct Case {
        const char* ua;
        const char* file;
    };
    const Case cases[] = {
        {"", "nothing.txt"},
        {"", "vendor.json"},
        {"", "0015654aa93.cfg"},
        {"", ""},
        {kYealinkUa, "nothing.txt"},
        {kYealinkUa, "SPA508G.xml"},                 // Cisco's file, but the phone says it is a Yealink
        {kYealinkUa, "snomD345-000413A11FA7.htm"},
        {kPolycomUa, "y000000000000.boot"},
    };
    for (const Case& c : cases) {
        INFO("'" << c.ua << "' asks for '" << c.file << "'");
        Makes store{"yealink"};
        auto id = identify(realCatalog(), c.file, c.ua, store.lookup());
        REQUIRE_FALSE(id);
        CHECK(id.error().code == Code::kNotFound);
    }
}

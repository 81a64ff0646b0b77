#include <catch2/catch.hpp>

#include <Poco/RegularExpression.h>

#include <fstream>
#include <set>
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

TEST_CASE("identify: without a User-Agent or a make, a listed MAC prefix picks the vendor") {
    struct Case {
        const char* file;
        const char* vendor;
    };
    const Case cases[] = {
        {"0015654aa937.cfg", "yealink"}, {"0004f2aabb01.cfg", "polycom"}, {"0c383e557eb1.cfg", "fanvil"},
        {"00085D237429.cfg", "aastra"},  {"1400E91EDB52.cfg", "aastra"},  {"08000f112233.cfg", "aastra"},
        {"7c2f80e0d605.xml", "gigaset"}, {"589ec6000001.xml", "gigaset"},
    };
    for (const Case& c : cases) {
        // No make, or one that names no vendor serving the file: the prefix decides.
        for (const char* make : {"", "Acme", "snom"}) {
            INFO(c.file << ", make '" << make << "'");
            Makes store{make};
            auto id = identify(realCatalog(), c.file, "", store.lookup());
            REQUIRE(id);
            CHECK(id.value().vendor->id == c.vendor);
            CHECK_FALSE(id.value().vendor_guessed);
            CHECK(store.asked.size() == 1);  // the store is asked, known MAC or not
        }
    }
}

TEST_CASE("identify: <mac>.xml of a prefix no vendor lists stays Cisco's, as before Gigaset shared the name") {
    // Cisco lists no prefixes (it has hundreds): with no User-Agent and no
    // make, the route is the first vendor's of equally specific names, and
    // the event does not claim a vendor.
    Makes store{""};
    auto id = identify(realCatalog(), "00562b043615.xml", "", store.lookup());
    REQUIRE(id);
    CHECK(id.value().vendor->id == "cisco");
    CHECK(id.value().vendor_guessed);
}

TEST_CASE("identify: without a User-Agent, the device's make decides before the MAC prefix") {
    // A name several vendors serve: the admin's make wins over the prefix
    // (a Yealink prefix recorded as an Aastra), and a make may be any of a
    // vendor's names (vendor.json `makes`: Mitel is the Aastra folder).
    struct Case {
        const char* file;
        const char* make;
        const char* vendor;
        const char* template_name;
    };
    const Case cases[] = {
        {"0015654aa937.cfg", "Aastra", "aastra", "mac.cfg.mustache"},
        {"0015654aa937.cfg", "mitel", "aastra", "mac.cfg.mustache"},
        {"0015654aa937.cfg", "Aastra/Mitel", "aastra", "mac.cfg.mustache"},
        {"00085d237429.cfg", "Fanvil", "fanvil", "mac.cfg.mustache"},
        {"00085d237429.cfg", "polycom", "polycom", "master.mac.cfg.mustache"},
        {"0c383e557eb1.cfg", "Yealink", "yealink", "mac.cfg.mustache"},
        {"7c2f80e0d605.xml", "Cisco", "cisco", "mac.xml.mustache"},
        {"00562b043615.xml", "gigaset", "gigaset", "mac.xml.mustache"},
    };
    for (const Case& c : cases) {
        INFO(c.file << ", make '" << c.make << "'");
        Makes store{c.make};
        auto id = identify(realCatalog(), c.file, "", store.lookup());
        REQUIRE(id);
        CHECK(id.value().vendor->id == c.vendor);
        CHECK(id.value().route->template_name == c.template_name);
        CHECK_FALSE(id.value().vendor_guessed);
    }
}

TEST_CASE("identify: <mac>.cfg with a User-Agent goes to the User-Agent's vendor, whatever the store and prefix say") {
    struct Case {
        const char* ua;
        const char* file;
        const char* vendor;
    };
    const Case cases[] = {
        {"Aastra6731i MAC:00-08-5D-23-74-29 V:3.2.0.70-SIP", "00085D237429.cfg", "aastra"},
        {"Mitel6930 MAC:14-00-E9-1E-DB-52 V:6.4.0.140-SIP", "1400E91EDB52.cfg", "aastra"},
        {kYealinkUa, "0015654aa937.cfg", "yealink"},
        {kFanvilUa, "0c383e557eb1.cfg", "fanvil"},
        {"Gigaset N870 IP PRO/83.V2.11.0+build.a546b91;7C2F80E0D605", "7c2f80e0d605.xml", "gigaset"},
    };
    for (const Case& c : cases) {
        for (const char* make : {"", "polycom", "Cisco"}) {
            INFO(c.ua << " asks for " << c.file << ", make '" << make << "'");
            Makes store{make};
            auto id = identify(realCatalog(), c.file, c.ua, store.lookup());
            REQUIRE(id);
            CHECK(id.value().vendor->id == c.vendor);
            CHECK(store.asked.empty());
        }
    }
}

TEST_CASE("identify: cfg<mac>.xml, Grandstream's and Htek's, by User-Agent, else the store's make, else MAC prefix") {
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
        {"cfg001fc11c22a9.xml", "", "htek"},                    // Htek's prefix
        {"cfg001fc11c22a9.xml", "Grandstream", "grandstream"},  // the store's make wins over the prefix
        {"cfg000b828aa872.xml", "", "grandstream"},
        {"cfg000b828aa872.xml", "Htek", "htek"},
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

TEST_CASE("identify: every User-Agent in tests/data/user_agents.tsv is claimed by its own vendor alone") {
    // Every pattern of every vendor is tried, not only the first that
    // matches: two vendors claiming one User-Agent would make the answer
    // depend on the order the folders load in.
    const VendorCatalog& catalog = realCatalog();
    std::ifstream in(USER_AGENTS_TSV);
    REQUIRE(in);
    std::string line;
    std::set<std::string> families;
    int rows = 0;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        const size_t tab = line.find('\t');
        const size_t last = line.rfind('\t');
        REQUIRE(tab != std::string::npos);
        const std::string vendor = line.substr(0, tab), ua = line.substr(last + 1);
        INFO(ua);
        std::vector<std::string> claimants;
        for (const auto& v : catalog.vendors()) {
            for (const UaPattern& p : v->user_agents) {
                Poco::RegularExpression::MatchVec groups;
                if (p.regex->match(ua, 0, groups) > 0) {
                    claimants.push_back(v->id);
                    break;
                }
            }
        }
        CHECK(claimants == std::vector<std::string>{vendor});
        families.insert(vendor);
        ++rows;
    }
    // Every vendor that reads User-Agents has rows (a new family brings its own).
    for (const auto& v : catalog.vendors()) {
        if (v->user_agents.empty()) continue;
        INFO("no User-Agent of " << v->id << " in tests/data/user_agents.tsv");
        CHECK(families.count(v->id));
    }
    CHECK(rows >= 30);
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

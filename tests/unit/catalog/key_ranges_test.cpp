#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "provisioner/catalog/key_ranges.h"
#include "provisioner/catalog/vendor_catalog.h"
#include "replaced.h"
#include "temp_dir.h"

using namespace prov;
using prov::testing::replaced;
using prov::testing::TempDir;

namespace {

using Params = std::map<std::string, std::pair<int, int>>;

KeyRange range(int from, int to, Params params, bool line_keys = true) {
    KeyRange r;
    r.from = from;
    r.to = to;
    r.line_keys = line_keys;
    r.params = std::move(params);
    return r;
}

// A GRP2614-shaped table in small: keys 1-2 step 2, 3-4 step 4, 5-6 three series apart.
std::vector<KeyRange> smallTable() {
    return {range(1, 2, {{"type", {100, 2}}, {"value", {101, 2}}}),
            range(3, 4, {{"type", {200, 4}}, {"value", {201, 4}}}),
            range(5, 6, {{"type", {300, 1}}, {"value", {310, 3}}}, false)};
}

std::string problem(const std::vector<KeyRange>& ranges, int keys, const std::set<std::string>& names = {},
                    const std::set<std::string>& taken = {}) {
    return keyRangesProblem(ranges, keys, names, taken).value_or("");
}

const char* kVendorWithTable = R"({
  "name": "Acme",
  "files": [{"path": "{mac}.acme", "template": "mac.mustache", "kind": "device"}],
  "line_params": [{"active": "P271"}],
  "key_params": {"type": [1, 1], "value": [50, 1]},
  "models": {"A6": {"lines": 1, "keys": 6, "key_ranges": [
    {"from": 1, "to": 3, "type": [10, 2], "value": [11, 2]},
    {"from": 4, "to": 6, "kind": "MPK", "line_keys": false, "type": [100, 4], "value": [101, 4]}]}}
})";

}  // namespace

TEST_CASE("key ranges: each key's parameters from the range that holds it") {
    const std::vector<KeyRange> t = smallTable();
    CHECK(keyRangeParams(t, 1) == std::map<std::string, int>{{"type", 100}, {"value", 101}});
    CHECK(keyRangeParams(t, 2) == std::map<std::string, int>{{"type", 102}, {"value", 103}});
    CHECK(keyRangeParams(t, 3) == std::map<std::string, int>{{"type", 200}, {"value", 201}});
    CHECK(keyRangeParams(t, 4) == std::map<std::string, int>{{"type", 204}, {"value", 205}});
    CHECK(keyRangeParams(t, 6) == std::map<std::string, int>{{"type", 301}, {"value", 313}});
    CHECK(keyRangeParams(t, 0).empty());
    CHECK(keyRangeParams(t, 7).empty());
    REQUIRE(findKeyRange(t, 5));
    CHECK_FALSE(findKeyRange(t, 5)->line_keys);
    CHECK(findKeyRange(t, 4)->line_keys);
    CHECK(problem(t, 6).empty());
}

TEST_CASE("key ranges: the shipped GRP26xx tables, range by range") {
    auto c = VendorCatalog::load(TEMPLATES_DIR);
    REQUIRE(c);
    auto grp2614 = c.value().findModel("grandstream", "GRP2614");
    REQUIRE(grp2614);
    CHECK(grp2614->keys == 40);
    struct Case {
        int key;
        int type, account, label, value;
    };
    // F grp26xx: VPK 1-6 :7873-7898, VPK 7+ :7900-7924, MPK 1-7 :8088-8124, 8-18 :8126-8141, 19-24 :8144-8159.
    for (const Case& k : {Case{1, 1363, 1364, 1465, 1466}, Case{6, 1373, 1374, 1475, 1476},
                          Case{7, 23800, 23801, 23802, 23803}, Case{16, 23836, 23837, 23838, 23839},
                          Case{17, 323, 301, 302, 303}, Case{23, 329, 319, 320, 321}, Case{24, 353, 354, 355, 356},
                          Case{34, 393, 394, 395, 396}, Case{35, 1440, 1441, 1442, 1443},
                          Case{40, 1460, 1461, 1462, 1463}}) {
        INFO("key " << k.key);
        CHECK(keyRangeParams(grp2614->key_ranges, k.key) ==
              std::map<std::string, int>{{"type", k.type}, {"account", k.account}, {"label", k.label}, {"value", k.value}});
    }
    CHECK(keyRangeParams(grp2614->key_ranges, 41).empty());
    CHECK(findKeyRange(grp2614->key_ranges, 16)->line_keys);
    CHECK_FALSE(findKeyRange(grp2614->key_ranges, 17)->line_keys);
    CHECK(findKeyRange(grp2614->key_ranges, 6)->default_line);
    CHECK_FALSE(findKeyRange(grp2614->key_ranges, 7)->default_line);
    auto grp2612 = c.value().findModel("grandstream", "GRP2612");
    REQUIRE(grp2612);
    CHECK(grp2612->keys == 16);
    CHECK(grp2612->key_ranges.back().to == 16);
    // The GXP21xx models keep the vendor's formula.
    CHECK(c.value().findModel("grandstream", "GXP2135")->key_ranges.empty());
}

TEST_CASE("key ranges: a bad table is refused, saying what is wrong") {
    const Params tv{{"type", {500, 2}}, {"value", {501, 2}}};
    SECTION("a gap, an overlap, a start past key 1") {
        CHECK(problem({range(1, 2, tv), range(4, 6, {{"type", {600, 2}}, {"value", {601, 2}}})}, 6) ==
              "key_ranges[1] starts at key 4: the ranges go in key order from key 1, each from the key after the "
              "last one's end (3)");
        CHECK_THAT(problem({range(1, 3, tv), range(3, 6, {{"type", {600, 2}}, {"value", {601, 2}}})}, 6),
                   Catch::StartsWith("key_ranges[1] starts at key 3:"));
        CHECK_THAT(problem({range(2, 6, tv)}, 6), Catch::StartsWith("key_ranges[0] starts at key 2:"));
    }
    SECTION("short of the model's keys, or past them") {
        CHECK(problem({range(1, 4, tv)}, 6) == "key_ranges ends at key 4: it must cover the model's 6 keys");
        CHECK(problem({range(1, 8, tv)}, 6) == "key_ranges[0] ends at key 8, past the model's 6 keys");
        CHECK(problem({range(1, 0, tv)}, 6) == "key_ranges[0] ends (0) before it starts");
        CHECK(problem({}, 6) == "key_ranges is empty");
    }
    SECTION("a parameter number produced twice") {
        // Key 2's type (P502) and key 3's type at P502 again.
        CHECK(problem({range(1, 2, tv), range(3, 6, {{"type", {502, 10}}, {"value", {503, 10}}})}, 6) ==
              "key 3's type would be P502, which is already key 2's type");
        // A step of 0 writes every key's parameter to one number.
        CHECK(problem({range(1, 6, {{"type", {500, 0}}, {"value", {600, 1}}})}, 6) ==
              "key 2's type would be P500, which is already key 1's type");
        // Interleaved series that meet: type 500,502.. and value 501,503.. against value at 504.
        CHECK_THAT(problem({range(1, 6, {{"type", {500, 2}}, {"value", {504, 1}}})}, 6),
                   Catch::Contains("which is already"));
    }
    SECTION("a line parameter, a number below 1") {
        CHECK(problem({range(1, 6, tv)}, 6, {}, {"P504"}) == "key 3's type would be P504, which is a line parameter");
        CHECK(problem({range(1, 6, {{"type", {-2, 1}}, {"value", {10, 1}}})}, 6) ==
              "key 1's type would be P-2: parameter numbers start at 1");
    }
    SECTION("parameters the templates do not read") {
        CHECK(problem({range(1, 2, tv), range(3, 6, {{"type", {600, 2}}})}, 6) ==
              "key_ranges[1] names the parameters type: every range names type, value");
        CHECK(problem({range(1, 6, tv)}, 6, {"type", "account", "value"}) ==
              "key_ranges[0] names the parameters type, value: every range names account, type, value");
    }
    SECTION("a default line on keys that take none") {
        KeyRange r = range(1, 6, tv, false);
        r.default_line = true;
        CHECK(problem({r}, 6) == "key_ranges[0] takes no line, so its keys cannot default to one");
    }
}

TEST_CASE("key ranges: vendor.json with a table loads, a bad one names the file and the model") {
    {
        TempDir dir;
        dir.write("acme/vendor.json", kVendorWithTable);
        auto c = VendorCatalog::load(dir.path());
        REQUIRE(c);
        auto a6 = c.value().findModel("acme", "A6");
        REQUIRE(a6);
        REQUIRE(a6->key_ranges.size() == 2);
        CHECK(a6->key_ranges[1].kind == "MPK");
        CHECK_FALSE(a6->key_ranges[1].line_keys);
        CHECK(keyRangeParams(a6->key_ranges, 5) == std::map<std::string, int>{{"type", 104}, {"value", 105}});
    }
    struct Case {
        const char* name;
        std::string json;
        const char* message_part;
    };
    const Case cases[] = {
        {"a gap", replaced(kVendorWithTable, R"("from": 4, "to": 6)", R"("from": 5, "to": 6)"),
         "model A6: key_ranges[1] starts at key 5"},
        {"short of the keys", replaced(kVendorWithTable, R"("lines": 1, "keys": 6)", R"("lines": 1, "keys": 7)"),
         "model A6: key_ranges ends at key 6: it must cover the model's 7 keys"},
        {"a P-value twice", replaced(kVendorWithTable, R"("type": [100, 4])", R"("type": [12, 4])"),
         "model A6: key 4's type would be P12, which is already key 2's type"},
        {"a line parameter", replaced(kVendorWithTable, R"("value": [101, 4])", R"("value": [271, 4])"),
         "which is a line parameter"},
        {"not the vendor's key_params", replaced(kVendorWithTable, R"("type": [100, 4], "value": [101, 4])",
                                                 R"("type": [100, 4], "label": [101, 4])"),
         "key_ranges[1] names the parameters label, type: every range names type, value"},
        {"a series that is no pair", replaced(kVendorWithTable, R"("type": [100, 4])", R"("type": [100])"),
         "model A6.key_ranges[1].type must be [number, step] (two integers)"},
        {"a boolean step", replaced(kVendorWithTable, R"("type": [100, 4])", R"("type": [100, true])"),
         "must be [number, step]"},
        {"from missing", replaced(kVendorWithTable, R"("from": 4, )", ""), "model A6.key_ranges[1].from must be an integer"},
        {"no parameter", replaced(kVendorWithTable, R"(, "type": [100, 4], "value": [101, 4])", ""),
         "model A6.key_ranges[1] names no parameter"},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        TempDir dir;
        const std::string file = dir.write("acme/vendor.json", c.json);
        auto loaded = VendorCatalog::load(dir.path());
        REQUIRE_FALSE(loaded);
        CHECK_THAT(loaded.error().message, Catch::Contains(file));
        CHECK_THAT(loaded.error().message, Catch::Contains(c.message_part));
    }
}

namespace {

const char* kVendorWithModule = R"({
  "name": "Acme",
  "files": [{"path": "{mac}.acme", "template": "mac.mustache", "kind": "device"}],
  "line_params": [{"active": "P271"}],
  "key_params": {"type": [1, 1], "value": [50, 1]},
  "key_params_max": 4,
  "expansion_modules": {"EM": {"keys": 4, "max": 3, "key_params": {"type": [600, 2], "value": [601, 2]},
                               "module_step": 100}},
  "models": {"A6": {"lines": 1, "keys": 6, "expansion": ["EM"], "key_ranges": [
    {"from": 1, "to": 6, "type": [10, 2], "value": [11, 2]}]}}
})";

}  // namespace

TEST_CASE("module key parameters: key J of module M, and the tables refused") {
    ModuleKeyParams t;
    t.params = {{"type", {60000, 5}}, {"value", {60001, 5}}};
    t.module_step = 1000;
    CHECK(moduleKeyParams(t, 1, 1) == std::map<std::string, int>{{"type", 60000}, {"value", 60001}});
    CHECK(moduleKeyParams(t, 1, 40) == std::map<std::string, int>{{"type", 60195}, {"value", 60196}});
    CHECK(moduleKeyParams(t, 6, 21) == std::map<std::string, int>{{"type", 65100}, {"value", 65101}});
    CHECK_FALSE(moduleKeyParamsProblem(t, 40, 6, {}));
    CHECK_FALSE(moduleKeyParamsProblem(ModuleKeyParams{}, 40, 6, {"P60000"}));  // no table: nothing to check
    // Modules 1000 apart cannot hold 201 keys five apart: module 2 key 1 is module 1 key 201's.
    CHECK(moduleKeyParamsProblem(t, 201, 2, {}).value_or("") ==
          "module 2 key 1's type would be P61000, which is already module 1 key 201's type");
    ModuleKeyParams flat = t;
    flat.module_step = 0;
    CHECK(moduleKeyParamsProblem(flat, 40, 2, {}).value_or("") ==
          "module 2 key 1's type would be P60000, which is already module 1 key 1's type");
    CHECK(moduleKeyParamsProblem(t, 40, 6, {"P60196"}).value_or("") ==
          "module 1 key 40's value would be P60196, which is a line or key parameter of the phone");
    ModuleKeyParams low = t;
    low.params["type"] = {0, 5};
    CHECK(moduleKeyParamsProblem(low, 40, 6, {}).value_or("") ==
          "module 1 key 1's type would be below 1 or past 2^31: parameter numbers start at 1");
    // Past an int: refused, never wrapped round to a number in range.
    ModuleKeyParams huge = t;
    huge.module_step = 2000000000;
    CHECK(moduleKeyParamsProblem(huge, 40, 3, {}).value_or("") ==
          "module 3 key 1's type would be below 1 or past 2^31: parameter numbers start at 1");
    CHECK_THAT(moduleKeyParamsProblem(t, 500, 3, {}).value_or(""), Catch::StartsWith("key_params numbers at most"));
}

TEST_CASE("module key parameters: the shipped Htek UC46, and vendor.json refused naming the module") {
    {
        auto c = VendorCatalog::load(TEMPLATES_DIR);
        REQUIRE(c);
        auto uc926 = c.value().findModel("htek", "UC926");
        REQUIRE(uc926);
        const ExpansionModule* uc46 = uc926->findExpansion("UC46");
        REQUIRE(uc46);
        CHECK(uc46->keys == 40);
        CHECK(uc46->max == 6);
        // F htek/uc926/{$mac}.cfg: Exp1_1_1 at P60000.., Exp1_2_1 (key 21) at P60100.., Exp6_2_20 at P65195...
        CHECK(moduleKeyParams(uc46->key_params, 1, 1) ==
              std::map<std::string, int>{{"type", 60000}, {"value", 60001}, {"label", 60002}, {"account", 60003},
                                         {"pickup", 60004}});
        CHECK(moduleKeyParams(uc46->key_params, 1, 21).at("type") == 60100);
        CHECK(moduleKeyParams(uc46->key_params, 6, 40).at("pickup") == 65199);
        CHECK_FALSE(c.value().findModel("htek", "UC912G")->findExpansion("UC46"));
    }
    {
        TempDir dir;
        dir.write("acme/vendor.json", kVendorWithModule);
        auto c = VendorCatalog::load(dir.path());
        REQUIRE(c);
        auto a6 = c.value().findModel("acme", "A6");
        REQUIRE(a6);
        const ExpansionModule* em = a6->findExpansion("em");
        REQUIRE(em);
        CHECK(moduleKeyParams(em->key_params, 3, 4) == std::map<std::string, int>{{"type", 806}, {"value", 807}});
    }
    struct Case {
        const char* name;
        std::string json;
        const char* message_part;
    };
    const Case cases[] = {
        {"a line parameter", replaced(kVendorWithModule, R"("value": [601, 2])", R"("value": [271, 2])"),
         "expansion_modules.EM: module 1 key 1's value would be P271, which is a line or key parameter"},
        {"a key of a model's table", replaced(kVendorWithModule, R"("type": [600, 2])", R"("type": [20, 2])"),
         "expansion_modules.EM: module 1 key 1's type would be P20, which is a line or key parameter"},
        {"a key of the vendor's formula", replaced(kVendorWithModule, R"("type": [600, 2])", R"("type": [52, 2])"),
         "module 1 key 1's type would be P52, which is a line or key parameter"},
        {"modules on one another", replaced(kVendorWithModule, R"("module_step": 100)", R"("module_step": 4)"),
         "module 2 key 1's type would be P604, which is already module 1 key 3's type"},
        {"a series that is no pair", replaced(kVendorWithModule, R"("type": [600, 2])", R"("type": [600])"),
         "expansion_modules.EM.key_params.type must be [number, step] (two integers)"},
        {"a step without a table",
         replaced(kVendorWithModule, R"("key_params": {"type": [600, 2], "value": [601, 2]},)", ""),
         "expansion_modules.EM.module_step needs key_params"},
        {"an empty table", replaced(kVendorWithModule, R"({"type": [600, 2], "value": [601, 2]})", "{}"),
         "expansion_modules.EM.key_params names no parameter"},
        {"a step that is no integer", replaced(kVendorWithModule, R"("module_step": 100)", R"("module_step": "100")"),
         "expansion_modules.EM.module_step must be an integer"},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        TempDir dir;
        const std::string file = dir.write("acme/vendor.json", c.json);
        auto loaded = VendorCatalog::load(dir.path());
        REQUIRE_FALSE(loaded);
        CHECK_THAT(loaded.error().message, Catch::Contains(file));
        CHECK_THAT(loaded.error().message, Catch::Contains(c.message_part));
    }
}

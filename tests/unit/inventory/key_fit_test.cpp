#include <catch2/catch.hpp>

#include <memory>

#include "fakes/fake_catalog.h"
#include "provisioner/inventory/inventory.h"
#include "provisioner/inventory/key_fit.h"
#include "fakes/test_store.h"
#include "provisioner/tls/crypto.h"

using namespace prov;

namespace {

// Acme A6 (2 lines, 6 keys) takes up to 2 EM10 modules of 10 keys; Acme A0
// (1 line, no keys) takes none.
class ExpansionCatalog final : public ModelCatalog {
public:
    std::optional<ModelInfo> findModel(const std::string& make, const std::string& model) const override {
        if (make != "Acme" && make != "acme") return std::nullopt;
        if (model == "A6" || model == "a6") return ModelInfo{"acme", "Acme", "A6", 2, 6, {{"EM10", 10, 2}}};
        if (model == "A0") return ModelInfo{"acme", "Acme", "A0", 1, 0, {}};
        return std::nullopt;
    }
    std::string findMake(const std::string& make) const override {
        return make == "Acme" || make == "acme" ? "Acme" : "";
    }
    std::vector<std::string> makes() const override { return {"Acme"}; }
};

Device device(const std::string& model, const std::string& module = "", int count = 0) {
    Device d;
    d.mac = "0015654aa937";
    d.make = "Acme";
    d.model = model;
    d.expansion_model = module;
    d.expansion_count = count;
    return d;
}

struct Fixture {
    FakeClock clock;
    std::unique_ptr<Store> store;
    tls::CtrDrbgRandom random;
    tls::Sha256Hasher hasher;
    ExpansionCatalog catalog;
    std::unique_ptr<Inventory> inv;
    Actor admin{"test", Role::kAdmin};

    Fixture() {
        store = testing::openTestStore(clock);
        inv = std::make_unique<Inventory>(*store, random, hasher, clock, catalog, InventoryOptions{10, 60});
    }

    void bind(const std::string& ext, int reg) {
        Extension e;
        e.extension = ext;
        e.callerid_name = "User " + ext;
        e.mac = "0015654aa937";
        e.phone_reg = reg;
        REQUIRE(inv->createExtension(e, admin));
    }

    Result<Device> edit(std::function<void(Device&)> change) {
        return inv->editDevice(
            "0015654aa937", [&](Device& d, FieldErrors&, std::optional<int64_t>&) { change(d); }, admin);
    }
};

}  // namespace

TEST_CASE("key space: the model's keys, then each module's") {
    const ModelInfo a6{"acme", "Acme", "A6", 2, 6, {{"EM10", 10, 2}}};
    CHECK(keySpace(a6, "", 0).total() == 6);
    CHECK(keySpace(a6, "em10", 2).total() == 26);
    CHECK(keySpace(a6, "EM10", 0).total() == 6);
    CHECK(keySpace(a6, "EM99", 2).total() == 6);  // a module the model does not take holds no key
    CHECK(keySpace(a6, "EM10", 9).modules == 2);  // never more than the module's max
}

TEST_CASE("expansion modules: one the model takes, at most its max") {
    const ExpansionCatalog catalog;
    auto check = [&](Device d) {
        FieldErrors errors;
        checkExpansion(catalog, d, errors);
        return std::make_pair(d, errors);
    };
    SECTION("a module the model takes is spelled as the catalog spells it") {
        auto [d, errors] = check(device("A6", "em10", 2));
        CHECK(errors.empty());
        CHECK(d.expansion_model == "EM10");
    }
    SECTION("none at all is fine, and a module with count 0 too") {
        CHECK(check(device("A6")).second.empty());
        CHECK(check(device("A6", "EM10", 0)).second.empty());
    }
    SECTION("a module the model does not take names the ones it does") {
        auto errors = check(device("A6", "EXP50", 1)).second;
        REQUIRE(errors.count("expansion_model"));
        CHECK(errors["expansion_model"] == "must be one of EM10 (the modules a Acme A6 takes)");
    }
    SECTION("a model that takes none") {
        auto errors = check(device("A0", "EM10", 1)).second;
        CHECK(errors["expansion_model"] == "a Acme A0 takes no expansion module");
    }
    SECTION("more than the module's max") {
        auto errors = check(device("A6", "EM10", 3)).second;
        CHECK(errors["expansion_count"] == "must be 0 to 2: a Acme A6 takes at most 2 EM10");
        CHECK_FALSE(errors.count("expansion_model"));
    }
    SECTION("a count needs a module, a module needs a known model") {
        CHECK(check(device("A6", "", 1)).second.count("expansion_model"));
        CHECK(check(device("Z9", "EM10", 1)).second["expansion_model"] == "needs a make and model the catalog knows");
    }
}

TEST_CASE("buttons past the device's keys are named by their place in the request") {
    const ExpansionCatalog catalog;
    const DeviceKeys keys = *deviceKeys(catalog, device("A6", "EM10", 1));
    CHECK(keys.space.total() == 16);
    FieldErrors errors;
    checkButtonsFit({{16, "blf", "1002", "", 1}, {17, "blf", "1003", "", 1}, {3, "speed_dial", "5", "", 1}}, keys,
                    errors);
    REQUIRE(errors.size() == 1);
    CHECK(errors["buttons[1].index"] == "must be 1 to 16: the phone has 16 keys (a Acme A6: 6, and 1 EM10 of 10)");
    // An unknown model has no limit we know of.
    CHECK_FALSE(deviceKeys(catalog, device("Z9")));
}

TEST_CASE("a module whose keys take no line refuses a line button there, not on the phone's own keys") {
    const ExpansionCatalog catalog;
    DeviceKeys keys = *deviceKeys(catalog, device("A6", "EM10", 1));
    keys.space.module_line_keys = false;  // as vendor.json "line_keys": false gives
    FieldErrors errors;
    checkButtonsFit({{2, "line", "", "", 2}, {7, "line", "", "", 2}, {8, "blf", "1003", "", 1}}, keys, errors);
    REQUIRE(errors.size() == 1);
    CHECK_THAT(errors["buttons[1].index"], Catch::Contains("EM10 key, which takes no line"));
    keys.space.module_line_keys = true;
    errors.clear();
    checkButtonsFit({{7, "line", "", "", 2}}, keys, errors);
    CHECK(errors.empty());
}

TEST_CASE("a key table range without lines refuses a line button there, naming the key and the keys that take one") {
    // Acme G8: keys 1-4 VPK, 5-8 MPK (no line), as Grandstream's GRP2614 on a smaller scale.
    ModelInfo g8{"acme", "Acme", "G8", 2, 8, {}};
    KeyRange vpk, mpk;
    vpk.from = 1, vpk.to = 4, vpk.kind = "VPK", vpk.params = {{"type", {100, 1}}};
    mpk.from = 5, mpk.to = 8, mpk.kind = "MPK", mpk.line_keys = false, mpk.params = {{"type", {200, 1}}};
    g8.key_ranges = {vpk, mpk};
    const DeviceKeys keys{g8, keySpace(g8, "", 0)};
    FieldErrors errors;
    checkButtonsFit({{4, "line", "", "", 2}, {5, "line", "", "", 1}, {6, "blf", "1003", "", 1}, {9, "blf", "1", "", 1}},
                    keys, errors);
    REQUIRE(errors.size() == 2);
    CHECK(errors["buttons[1].index"] ==
          "is key 5, one of the MPKs of a Acme G8 (keys 5 to 8), which take no line: keys 1 to 4 do");
    CHECK(errors["buttons[3].index"] == "must be 1 to 8: the phone has 8 keys (a Acme G8)");
    // Stored buttons a device change would strand: the line on an MPK is named with why.
    const std::string why = buttonsPastKeys({{"1001", {7, "line", "", "", 1}}, {"1001", {3, "line", "", "", 1}}}, keys);
    CHECK(why == "extension 1001's line button on key 7 (one of the MPKs, which take no line) would not fit the "
                 "phone's 8 keys (a Acme G8): move or remove those buttons first");
    // Two ranges of MPKs (parameter series of their own) are one run of keys.
    KeyRange mpk2 = mpk;
    mpk.to = 6;
    mpk2.from = 7, mpk2.params = {{"type", {300, 1}}};
    errors.clear();
    ModelInfo g8_two = g8;
    g8_two.key_ranges = {vpk, mpk, mpk2};
    checkButtonsFit({{8, "line", "", "", 1}}, {g8_two, keySpace(g8, "", 0)}, errors);
    CHECK(errors["buttons[0].index"] ==
          "is key 8, one of the MPKs of a Acme G8 (keys 5 to 8), which take no line: keys 1 to 4 do");
    // Line keys split by a range without lines are each named.
    KeyRange tail = vpk;
    tail.from = 7, tail.to = 8;
    mpk.to = 6;
    g8.key_ranges = {vpk, mpk, tail};
    errors.clear();
    checkButtonsFit({{6, "line", "", "", 1}, {8, "line", "", "", 1}}, {g8, keySpace(g8, "", 0)}, errors);
    REQUIRE(errors.size() == 1);
    CHECK_THAT(errors["buttons[0].index"], Catch::EndsWith("keys 1 to 4 and 7 to 8 do"));
}

TEST_CASE("keys by model: PUT buttons, and device changes that would strand them") {
    Fixture f;
    REQUIRE(f.inv->createDevice(device("A6"), f.admin));
    f.bind("1001", 1);
    f.bind("1002", 2);

    // Key 7 is past the A6's 6 keys: refused, nothing stored.
    auto refused = f.inv->setButtons("1001", {{1, "line", "", "", 1}, {7, "blf", "1002", "", 1}}, f.admin);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Code::kInvalidArgument);
    REQUIRE(refused.error().fields.count("buttons[1].index"));
    CHECK(f.inv->getButtons("1001").value().empty());

    // With one EM10 the phone has 16 keys: key 7 is the module's first.
    REQUIRE(f.edit([](Device& d) {
        d.expansion_model = "em10";
        d.expansion_count = 1;
    }));
    CHECK(f.inv->getDevice("0015654aa937").value().expansion_model == "EM10");
    REQUIRE(f.inv->setButtons("1001", {{1, "line", "", "", 1}, {7, "blf", "1002", "", 1}}, f.admin));
    REQUIRE(f.inv->setButtons("1002", {{16, "speed_dial", "5551234", "", 2}}, f.admin));
    CHECK_FALSE(f.inv->setButtons("1002", {{17, "speed_dial", "5551234", "", 2}}, f.admin));

    // Taking the module off would strand keys 7 and 16: refused, naming both buttons.
    auto strand = f.edit([](Device& d) { d.expansion_count = 0; });
    REQUIRE_FALSE(strand);
    REQUIRE(strand.error().fields.count("expansion_count"));
    const std::string why = strand.error().fields.at("expansion_count");
    CHECK(why.find("extension 1001's blf button on key 7") != std::string::npos);
    CHECK(why.find("extension 1002's speed_dial button on key 16") != std::string::npos);
    CHECK(f.inv->getDevice("0015654aa937").value().expansion_count == 1);

    // So would a model with fewer keys.
    auto smaller = f.edit([](Device& d) {
        d.model = "A0";
        d.expansion_model.clear();
        d.expansion_count = 0;
    });
    REQUIRE_FALSE(smaller);
    CHECK(smaller.error().fields.count("model"));

    // Once the buttons are moved back onto the phone's own keys, the module may go.
    REQUIRE(f.inv->setButtons("1001", {{1, "line", "", "", 1}, {6, "blf", "1002", "", 1}}, f.admin));
    REQUIRE(f.inv->setButtons("1002", {}, f.admin));
    CHECK(f.edit([](Device& d) { d.expansion_count = 0; }));
}

TEST_CASE("keys by model: an extension's buttons follow it onto a phone only if they fit") {
    Fixture f;
    Extension e;
    e.extension = "1001";
    e.callerid_name = "User 1001";
    REQUIRE(f.inv->createExtension(e, f.admin));
    REQUIRE(f.inv->setButtons("1001", {{9, "blf", "1002", "", 1}}, f.admin));  // on no phone: no limit
    REQUIRE(f.inv->createDevice(device("A6"), f.admin));
    auto bound = f.inv->editExtension(
        "1001", [](Extension& x, FieldErrors&, std::optional<int64_t>&) { x.mac = "0015654aa937"; }, f.admin);
    REQUIRE_FALSE(bound);
    CHECK(bound.error().fields.count("mac"));
}

TEST_CASE("keys by model: CSV import checks modules and buttons and stores nothing on a problem") {
    Fixture f;
    auto import = [&](const std::string& csv) { return f.inv->importCsv(csv, {}, f.admin).value(); };
    SECTION("a module the model does not take names the row and the column") {
        auto r = import("mac,make,model,expansion_model,expansion_count\n0015654aa937,Acme,A6,EXP50,1\n");
        REQUIRE(r.problems.size() == 1);
        CHECK(r.problems[0].line == 2);
        CHECK(r.problems[0].column == "expansion_model");
        CHECK_FALSE(f.inv->getDevice("0015654aa937"));
    }
    SECTION("a count above the module's max") {
        auto r = import("mac,make,model,expansion_model,expansion_count\n0015654aa937,Acme,A6,EM10,3\n");
        REQUIRE(r.problems.size() == 1);
        CHECK(r.problems[0].column == "expansion_count");
        CHECK_FALSE(f.inv->getDevice("0015654aa937"));
    }
    SECTION("buttons on the module's keys need the module") {
        auto r = import("mac,make,model,extension,callerid_name,buttons\n0015654aa937,Acme,A6,1001,Al,7:blf:1002\n");
        REQUIRE(r.problems.size() == 1);
        CHECK(r.problems[0].line == 2);
        CHECK(r.problems[0].column == "buttons");
        CHECK_FALSE(f.inv->getDevice("0015654aa937"));
        auto ok = import(
            "mac,make,model,expansion_model,expansion_count,extension,callerid_name,buttons\n"
            "0015654aa937,Acme,A6,em10,1,1001,Al,7:blf:1002\n");
        CHECK(ok.problems.empty());
        const Device d = f.inv->getDevice("0015654aa937").value();
        CHECK(d.expansion_model == "EM10");
        CHECK(d.expansion_count == 1);
        CHECK(f.inv->getButtons("1001").value().size() == 1);
    }
}

TEST_CASE("keys by model: a CSV row that moves an extension onto a phone is checked with the row's buttons") {
    Fixture f;
    auto import = [&](const std::string& csv) { return f.inv->importCsv(csv, {}, f.admin).value(); };
    Extension e;
    e.extension = "1001";
    e.callerid_name = "User 1001";
    REQUIRE(f.inv->createExtension(e, f.admin));
    REQUIRE(f.inv->setButtons("1001", {{9, "blf", "1002", "", 1}}, f.admin));  // on no phone: no limit
    REQUIRE(f.inv->createDevice(device("A6"), f.admin));
    SECTION("the row's buttons replace the old key 9 and fit: accepted, whatever the old ones") {
        auto r = import("mac,extension,callerid_name,buttons\n0015654aa937,1001,User 1001,2:blf:1002\n");
        CHECK(r.problems.empty());
        CHECK(f.inv->getExtension("1001").value().mac == "0015654aa937");
        const std::vector<Button> b = f.inv->getButtons("1001").value();
        REQUIRE(b.size() == 1);
        CHECK(b[0].index == 2);
    }
    SECTION("the row's own buttons past the keys: refused on the row, nothing stored") {
        auto r = import("mac,extension,callerid_name,buttons\n0015654aa937,1001,User 1001,8:blf:1002\n");
        REQUIRE(r.problems.size() == 1);
        CHECK(r.problems[0].line == 2);
        CHECK(r.problems[0].column == "buttons");
        CHECK(f.inv->getExtension("1001").value().mac.empty());
        CHECK(f.inv->getButtons("1001").value()[0].index == 9);
    }
    SECTION("a row with no buttons column brings the stored ones, which do not fit") {
        auto r = import("mac,extension,callerid_name\n0015654aa937,1001,User 1001\n");
        REQUIRE(r.problems.size() == 1);
        CHECK(r.problems[0].column == "mac");
        CHECK(f.inv->getExtension("1001").value().mac.empty());
    }
}

TEST_CASE("a line on a physical key past the on-screen ones is refused, naming it") {
    // Acme P20: keys 1-12 on screen, 13-20 physical (a Grandstream GXP2130's VPKs and MPKs).
    ModelInfo p20{"acme", "Acme", "P20", 3, 20, {}};
    p20.virtual_keys = 12;
    const DeviceKeys keys{p20, keySpace(p20, "", 0)};
    auto button = [](int index, const char* type) {
        Button b;
        b.index = index;
        b.type = type;
        b.line = 1;
        return b;
    };
    FieldErrors errors;
    checkButtonsFit({button(12, "line"), button(13, "line"), button(13, "blf"), button(20, "line"), button(21, "blf")},
                    keys, errors);
    CHECK_FALSE(errors.count("buttons[0].index"));  // key 12: on screen
    REQUIRE(errors.count("buttons[1].index"));
    CHECK(errors.at("buttons[1].index") == "is a physical key of a Acme P20, which takes no line: keys 1 to 12 do");
    CHECK_FALSE(errors.count("buttons[2].index"));  // a BLF there is fine
    CHECK(errors.count("buttons[3].index"));
    CHECK(errors.at("buttons[4].index").rfind("must be 1 to 20: ", 0) == 0);  // past every key, as before

    const std::string past = buttonsPastKeys({{"1001", button(13, "line")}, {"1001", button(3, "line")}}, keys);
    CHECK(past.find("extension 1001's line button on key 13 (a key that takes no line)") != std::string::npos);
    CHECK(past.find("key 3") == std::string::npos);

    // Fixed on-screen keys (line_keys 3): a line on on-screen key 4 is refused too.
    p20.line_keys = 3;
    FieldErrors fixed;
    checkButtonsFit({button(3, "line"), button(4, "line"), button(13, "line")}, DeviceKeys{p20, keySpace(p20, "", 0)},
                    fixed);
    CHECK_FALSE(fixed.count("buttons[0].index"));
    REQUIRE(fixed.count("buttons[1].index"));
    CHECK(fixed.at("buttons[1].index") ==
          "is an on-screen key past the fixed ones of a Acme P20, which takes no line: keys 1 to 3 do");
    REQUIRE(fixed.count("buttons[2].index"));
    CHECK(fixed.at("buttons[2].index") == "is a physical key of a Acme P20, which takes no line: keys 1 to 3 do");
    p20.line_keys = 0;

    // A model of one kind (virtual_keys 0) takes a line on every key.
    p20.virtual_keys = 0;
    FieldErrors none;
    checkButtonsFit({button(20, "line")}, DeviceKeys{p20, keySpace(p20, "", 0)}, none);
    CHECK(none.empty());
}

TEST_CASE("keys by model: a key holds one button, not one of each extension on the phone") {
    Fixture f;
    REQUIRE(f.inv->createDevice(device("A6"), f.admin));
    f.bind("1001", 1);
    f.bind("1002", 2);
    REQUIRE(f.inv->setButtons("1001", {{3, "blf", "1009", "", 1}}, f.admin));
    SECTION("PUT buttons on another extension's key: a 400 naming the button and the holder") {
        auto r = f.inv->setButtons("1002", {{2, "blf", "1008", "", 2}, {3, "speed_dial", "*97", "", 2}}, f.admin);
        REQUIRE_FALSE(r);
        CHECK_FALSE(r.error().fields.count("buttons[0].index"));
        REQUIRE(r.error().fields.count("buttons[1].index"));
        CHECK(r.error().fields.at("buttons[1].index") == "key 3 holds extension 1001's blf on the same phone");
        CHECK(f.inv->getButtons("1002").value().empty());
        CHECK(f.inv->setButtons("1002", {{4, "blf", "1008", "", 2}}, f.admin));  // a free key is fine
        CHECK(f.inv->setButtons("1001", {{3, "blf", "1007", "", 1}}, f.admin));  // its own key, again
    }
    SECTION("an extension brought onto the phone with a button on a taken key: a 400 naming mac") {
        Extension e;
        e.extension = "1003";
        e.callerid_name = "User 1003";
        REQUIRE(f.inv->createExtension(e, f.admin));
        REQUIRE(f.inv->setButtons("1003", {{3, "blf", "1001", "", 1}}, f.admin));  // on no phone yet
        auto bound = f.inv->editExtension(
            "1003", [](Extension& x, FieldErrors&, std::optional<int64_t>&) { x.mac = "0015654aa937"; }, f.admin);
        REQUIRE_FALSE(bound);
        REQUIRE(bound.error().fields.count("mac"));
        CHECK(bound.error().fields.at("mac").find("key 3 holds extension 1001's blf and extension 1003's blf") !=
              std::string::npos);
        CHECK(f.inv->getExtension("1003").value().mac.empty());
    }
    SECTION("a CSV row giving a taken key: the row's buttons column, nothing stored") {
        auto r = f.inv->importCsv("extension,callerid_name,buttons\n1002,User 1002,3:blf:1007\n", {}, f.admin).value();
        REQUIRE(r.problems.size() == 1);
        CHECK(r.problems[0].line == 2);
        CHECK(r.problems[0].column == "buttons");
        CHECK(f.inv->getButtons("1002").value().empty());
    }
}

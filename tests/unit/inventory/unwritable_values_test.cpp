#include <catch2/catch.hpp>

#include <memory>

#include "fakes/fake_catalog.h"
#include "fakes/test_store.h"
#include "provisioner/catalog/vendor_catalog.h"
#include "provisioner/inventory/inventory.h"
#include "provisioner/tls/crypto.h"

using namespace prov;

// Values a make's files cannot write are refused when they are written
// (ModelCatalog::valueProblem), with the field named, not when the phone
// asks: a '"' for Avaya (SET "value") and Panasonic (NAME="value"), a ';' in
// an Avaya key's label or value (PHONEKEY fields). Other makes take both.

namespace {

struct Fixture {
    FakeClock clock;
    std::unique_ptr<Store> store;
    tls::CtrDrbgRandom random;
    tls::Sha256Hasher hasher;
    VendorCatalog catalog;
    std::unique_ptr<Inventory> inv;
    Actor admin{"test", Role::kAdmin};

    Fixture() : catalog(VendorCatalog::load(TEMPLATES_DIR).value()) {
        store = testing::openTestStore(clock);
        inv = std::make_unique<Inventory>(*store, random, hasher, clock, catalog, InventoryOptions{10, 60});
    }

    static Extension line(const std::string& ext, const std::string& mac, const std::string& make,
                          const std::string& model) {
        Extension e;
        e.extension = ext;
        e.callerid_name = "User " + ext;
        e.mac = mac;
        e.phone_make = make;
        e.phone_model = model;
        return e;
    }
};

const std::string kAvayaMac = "c81fea000001";
const std::string kYealinkMac = "001565000001";

}  // namespace

TEST_CASE("unwritable values: a double quote in a caller ID for an Avaya or Panasonic phone is refused by name") {
    Fixture f;
    Extension e = Fixture::line("1001", kAvayaMac, "Avaya", "J179");
    e.callerid_name = "Ann \"the boss\"";
    auto avaya = f.inv->createExtension(e, f.admin);
    REQUIRE_FALSE(avaya);
    CHECK(avaya.error().code == Code::kInvalidArgument);
    REQUIRE(avaya.error().fields.count("callerid_name"));
    CHECK(avaya.error().fields.at("callerid_name").find("double quote") != std::string::npos);
    CHECK(avaya.error().fields.at("callerid_name").find("Ann") == std::string::npos);  // the value is not repeated

    Extension p = Fixture::line("1002", "080023000001", "Panasonic", "KX-HDV230");
    p.secret = "Zq\"9x-secret";
    auto panasonic = f.inv->createExtension(p, f.admin);
    REQUIRE_FALSE(panasonic);
    REQUIRE(panasonic.error().fields.count("secret"));
    CHECK(panasonic.error().fields.at("secret").find("Zq") == std::string::npos);

    // Nothing of either was stored; a Yealink takes the same caller ID.
    CHECK_FALSE(f.inv->getExtension("1001"));
    CHECK_FALSE(f.inv->getExtension("1002"));
    Extension y = Fixture::line("1003", kYealinkMac, "Yealink", "T46U");
    y.callerid_name = "Ann \"the boss\"";
    REQUIRE(f.inv->createExtension(y, f.admin));
}

TEST_CASE("unwritable values: an Avaya key's label or value with a quote or semicolon is refused by its place") {
    Fixture f;
    REQUIRE(f.inv->createExtension(Fixture::line("1001", kAvayaMac, "Avaya", "J179"), f.admin));
    // (A key's value is a dialable number for every make: validation refuses a quote there.)
    std::vector<Button> keys = {Button{2, "blf", "1002", "Bob; desk", 1}, Button{3, "speed_dial", "555", "Say \"hi\"", 1}};
    auto set = f.inv->setButtons("1001", keys, f.admin);
    REQUIRE_FALSE(set);
    CHECK(set.error().fields.count("buttons[0].label"));
    CHECK(set.error().fields.count("buttons[1].label"));
    CHECK(f.inv->getButtons("1001").value().empty());
    keys = {Button{2, "blf", "1002", "Bob desk", 1}};
    CHECK(f.inv->setButtons("1001", keys, f.admin));
}

TEST_CASE("unwritable values: moving a line with a quote onto an Avaya, or making its phone an Avaya, is refused") {
    Fixture f;
    Extension y = Fixture::line("1001", kYealinkMac, "Yealink", "T46U");
    y.callerid_name = "Ann \"the boss\"";
    REQUIRE(f.inv->createExtension(y, f.admin));

    // The device turned into an Avaya: refused on `make`, naming the extension.
    auto edited = f.inv->editDevice(
        kYealinkMac, [](Device& d, FieldErrors&, std::optional<int64_t>&) { d.make = "Avaya"; d.model = "J179"; },
        f.admin);
    REQUIRE_FALSE(edited);
    REQUIRE(edited.error().fields.count("make"));
    CHECK(edited.error().fields.at("make").find("1001") != std::string::npos);
    CHECK(f.inv->getDevice(kYealinkMac).value().make == "Yealink");

    // The extension moved onto an Avaya: refused on callerid_name.
    auto moved = f.inv->editExtension(
        "1001", [](Extension& e, FieldErrors&, std::optional<int64_t>&) {
            e.mac = kAvayaMac;
            e.phone_make = "Avaya";
            e.phone_model = "J179";
            e.phone_reg = 0;
        },
        f.admin);
    REQUIRE_FALSE(moved);
    CHECK(moved.error().fields.count("callerid_name"));
    CHECK(f.inv->getExtension("1001").value().mac == kYealinkMac);
}

TEST_CASE("unwritable values: the model decides within a make (the Gigaset N510's quoted values, the N670's XML)") {
    Fixture f;
    Extension n670 = Fixture::line("1001", "7c2f80000001", "Gigaset", "N670");
    n670.callerid_name = "Ann \"the boss\"";
    REQUIRE(f.inv->createExtension(n670, f.admin));
    Extension n510 = Fixture::line("1002", "7c2f80000002", "Gigaset", "N510");
    n510.callerid_name = "Bob \"desk\"";
    auto refused = f.inv->createExtension(n510, f.admin);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().fields.count("callerid_name"));
    // The N670 made an N510 under its line: refused on `model`.
    auto edited = f.inv->editDevice(
        "7c2f80000001", [](Device& d, FieldErrors&, std::optional<int64_t>&) { d.model = "N510"; }, f.admin);
    REQUIRE_FALSE(edited);
    CHECK(edited.error().fields.count("model"));
}

TEST_CASE("unwritable values: another make or model for a phone is checked against all on it, whichever path sets it") {
    Fixture f;
    Extension ann = Fixture::line("1001", kYealinkMac, "Yealink", "T46U");
    ann.callerid_name = "Ann \"the boss\"";
    REQUIRE(f.inv->createExtension(ann, f.admin));

    // Through another extension bound to the phone with a new make: refused on phone_make.
    Extension bob = Fixture::line("1002", kYealinkMac, "Avaya", "J179");
    auto through = f.inv->createExtension(bob, f.admin);
    REQUIRE_FALSE(through);
    REQUIRE(through.error().fields.count("phone_make"));
    CHECK(through.error().fields.at("phone_make").find("1001") != std::string::npos);
    CHECK(f.inv->getDevice(kYealinkMac).value().make == "Yealink");

    // A setting of the phone's own that a Panasonic cannot write.
    REQUIRE(f.inv->createDevice([] {
        Device d;
        d.mac = "080023000002";
        d.make = "Yealink";
        d.model = "T46U";
        return d;
    }(), f.admin));
    REQUIRE(f.inv->putSettings("080023000002", {{"dial_plan", "[2-9]xx\"x."}}, f.admin));
    auto edited = f.inv->editDevice(
        "080023000002",
        [](Device& d, FieldErrors&, std::optional<int64_t>&) {
            d.make = "Panasonic";
            d.model = "KX-HDV230";
        },
        f.admin);
    REQUIRE_FALSE(edited);
    REQUIRE(edited.error().fields.count("make"));
    CHECK(edited.error().fields.at("make").find("dial_plan") != std::string::npos);
}

TEST_CASE("unwritable values: an import checks each row's buttons and a device row's new make, storing nothing") {
    Fixture f;
    auto keys = f.inv->importCsv(
        "mac,make,model,extension,callerid_name,buttons\n" + kAvayaMac + ",Avaya,J179,1001,Ann,2:blf:1002:Bob;desk\n",
        {}, f.admin);
    REQUIRE(keys);
    REQUIRE_FALSE(keys.value().problems.empty());
    CHECK(keys.value().problems.front().line == 2);
    CHECK(keys.value().problems.front().column == "buttons");
    CHECK_FALSE(f.inv->getExtension("1001"));

    auto first = f.inv->importCsv(
        "mac,make,model,extension,callerid_name\n" + kYealinkMac + ",Yealink,T46U,1002,\"Say \"\"hi\"\"\"\n", {}, f.admin);
    REQUIRE(first);
    REQUIRE(first.value().problems.empty());
    auto remade = f.inv->importCsv("mac,make,model\n" + kYealinkMac + ",Avaya,J179\n", {}, f.admin);
    REQUIRE(remade);
    REQUIRE_FALSE(remade.value().problems.empty());
    CHECK(remade.value().problems.front().column == "make");
    CHECK(remade.value().problems.front().reason.find("1002") != std::string::npos);
    CHECK(f.inv->getDevice(kYealinkMac).value().make == "Yealink");
}

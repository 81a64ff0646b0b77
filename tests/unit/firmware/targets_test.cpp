// Targets: resolution device > site > model with "none", the image a
// target picks, setting one (checked, devices marked stale) and the
// directive a device's config carries.

#include "provisioner/firmware/targets.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "provisioner/firmware/catalog.h"
#include "fakes/test_store.h"
#include "temp_dir.h"

using namespace prov;
using namespace prov::firmware;
using prov::testing::TempDir;

namespace {

FirmwareTarget row(const std::string& model, const std::string& scope, const std::string& key,
                   const std::string& version) {
    FirmwareTarget t;
    t.vendor = "yealink";
    t.model = model;
    t.scope = scope;
    t.scope_key = key;
    t.version = version;
    return t;
}

const std::string kMac = "00156500aa01";

}  // namespace

TEST_CASE("a device's own target wins over its site's, which wins over its model's") {
    const std::vector<FirmwareTarget> rows = {
        row("T46U", "model", "", "1.0"), row("T46U", "site", "Paris", "2.0"),
        row("T46U", "device", kMac, "3.0"), row("T48U", "model", "", "9.9")};
    CHECK(resolveTarget(rows, "T46U", "Paris", kMac).version == "3.0");
    CHECK(resolveTarget(rows, "t46u", "Paris", "00156500aa02").version == "2.0");
    CHECK(resolveTarget(rows, "T46U", "Lyon", "00156500aa02").version == "1.0");
    CHECK(resolveTarget(rows, "T46U", "", "00156500aa02").scope == "model");
    CHECK(resolveTarget(rows, "T41S", "Paris", kMac).kind == TargetKind::kUnset);
}

TEST_CASE("none at a narrower scope leaves the phone alone whatever the wider one says") {
    std::vector<FirmwareTarget> rows = {row("T46U", "model", "", "1.0"),
                                        row("T46U", "site", "Paris", "none")};
    CHECK(resolveTarget(rows, "T46U", "Paris", kMac).kind == TargetKind::kNone);
    rows.push_back(row("T46U", "device", kMac, "1.0"));
    CHECK(resolveTarget(rows, "T46U", "Paris", kMac).kind == TargetKind::kVersion);
    rows = {row("T46U", "model", "", "none"), row("T46U", "device", kMac, "2.0")};
    CHECK(resolveTarget(rows, "T46U", "", kMac).version == "2.0");
    CHECK(resolveTarget(rows, "T46U", "", "00156500aa02").kind == TargetKind::kNone);
}

TEST_CASE("a target picks a verified image that names the model before one for every model") {
    FirmwareImage any;
    any.vendor = "yealink";
    any.version = "1.0";
    any.models = {"*"};
    any.file = "any.rom";
    FirmwareImage own = any;
    own.models = {"T46U"};
    own.file = "own.rom";
    FirmwareImage corrupt = own;
    corrupt.state = "corrupt";
    corrupt.file = "corrupt.rom";
    CHECK(imageFor({any, own}, "yealink", "t46u", "1.0")->file == "own.rom");
    CHECK(imageFor({any, corrupt}, "yealink", "T46U", "1.0")->file == "any.rom");
    CHECK_FALSE(imageFor({corrupt}, "yealink", "T46U", "1.0"));
    CHECK_FALSE(imageFor({own}, "yealink", "T46U", "2.0"));
    CHECK_FALSE(imageFor({own}, "snom", "T46U", "1.0"));
}

TEST_CASE(
    "setting a target checks it, marks the devices it reaches stale, and gives devices their "
    "directive") {
    FakeClock clock;
    TempDir tmp;
    std::filesystem::create_directories(tmp.path() + "/fw");
    auto opened = testing::openTestStore(clock);
    Store& store = *opened;
    CatalogOptions o;
    o.dir = tmp.path() + "/fw";
    int changes = 0;
    o.on_change = [&] { ++changes; };
    Catalog catalog(
        store,
        [](const std::string& make) -> std::optional<VendorModels> {
            if (make == "yealink" || make == "Yealink")
                return VendorModels{"yealink", "Yealink", {"T46U", "T48U"}, false};
            return std::nullopt;
        },
        clock, o);
    AddSpec add;
    add.vendor = "yealink";
    add.models = "T46U";
    add.version = "108.86.0.90";
    REQUIRE(catalog.addFile(tmp.write("dl/t46u.rom", "image bytes"), add));
    REQUIRE(store.write([&](StoreTx& tx) -> Status {
        using Site = std::pair<std::string, std::string>;
        for (const auto& [mac, label] : {Site{kMac, "Paris"}, Site{"00156500aa02", "Lyon"}}) {
            Device d;
            d.mac = mac;
            d.make = "Yealink";
            d.model = "T46U";
            d.label = label;
            d.state = DeviceState::kApplied;
            TRY(tx.insertDevice(d));
        }
        return okStatus();
    }));
    auto stateOf = [&](const std::string& mac) {
        std::optional<Device> d;
        REQUIRE(store.read([&](StoreTx& tx) -> Status {
            d = TRY(tx.getDevice(mac));
            return okStatus();
        }));
        return d->state;
    };
    auto directive = [&](const std::string& mac, const std::string& label) {
        std::optional<FirmwareDirective> d;
        REQUIRE(store.read([&](StoreTx& tx) -> Status {
            d = TRY(directiveFor(tx, "yealink", "T46U", label, mac));
            return okStatus();
        }));
        return d;
    };
    CHECK_FALSE(directive(kMac, "Paris"));

    TargetSpec t;
    t.vendor = "Yealink";
    t.model = "t46u";
    t.scope = "site";
    t.key = "Paris";
    t.version = "108.86.0.90";
    const int before = changes;
    auto set = catalog.setTarget(t);
    REQUIRE(set);
    CHECK(set.value().vendor == "yealink");
    CHECK(set.value().model == "T46U");
    CHECK(changes > before);
    CHECK(stateOf(kMac) == DeviceState::kStale);
    CHECK(stateOf("00156500aa02") == DeviceState::kApplied);
    REQUIRE(directive(kMac, "Paris"));
    CHECK(directive(kMac, "Paris")->file == "t46u.rom");
    CHECK(directive(kMac, "Paris")->version == "108.86.0.90");
    CHECK_FALSE(directive("00156500aa02", "Lyon"));

    SECTION(
        "a file served to any MAC carries the model's target only while no narrower one exists") {
        auto model_wide = [&] {
            std::optional<FirmwareDirective> d;
            REQUIRE(store.read([&](StoreTx& tx) -> Status {
                d = TRY(modelWideDirectiveFor(tx, "yealink", "t46u"));
                return okStatus();
            }));
            return d;
        };
        CHECK_FALSE(model_wide());  // a site target only
        TargetSpec model = t;
        model.scope = "model";
        model.key.clear();
        REQUIRE(catalog.setTarget(model));
        CHECK_FALSE(model_wide());  // the site's row still exists
        REQUIRE(catalog.clearTarget(t).value());
        REQUIRE(model_wide());
        CHECK(model_wide()->file == "t46u.rom");
        CHECK(model_wide()->version == "108.86.0.90");
        TargetSpec none = t;
        none.scope = "device";
        none.key = kMac;
        none.version = "none";
        REQUIRE(catalog.setTarget(none));
        CHECK_FALSE(model_wide());  // that phone must not be told
        CHECK(directive("00156500aa02", "Lyon"));
    }
    SECTION("a device target of none overrides its site") {
        TargetSpec none = t;
        none.scope = "device";
        none.key = "00:15:65:00:AA:01";
        none.version = "none";
        REQUIRE(catalog.setTarget(none));
        CHECK_FALSE(directive(kMac, "Paris"));
        REQUIRE(catalog.clearTarget(none).value());
        CHECK(directive(kMac, "Paris"));
    }
    SECTION("a version the catalog lacks for the model, and every other bad field, is named") {
        TargetSpec bad = t;
        bad.version = "9.9.9";
        auto r = catalog.setTarget(bad);
        REQUIRE_FALSE(r);
        CHECK(r.error().fields.count("version") == 1);
        bad.model = "T48U";
        bad.version = "108.86.0.90";  // an image for T46U only
        r = catalog.setTarget(bad);
        REQUIRE_FALSE(r);
        CHECK(r.error().fields.count("version") == 1);
        TargetSpec worse;
        worse.vendor = "acme";
        worse.scope = "galaxy";
        r = catalog.setTarget(worse);
        REQUIRE_FALSE(r);
        CHECK(r.error().fields.count("vendor") == 1);
        CHECK(r.error().fields.count("model") == 1);
        CHECK(r.error().fields.count("scope") == 1);
        CHECK(r.error().fields.count("version") == 1);
        worse = t;
        worse.model = "T48U";
        worse.scope = "device";
        worse.key = kMac;  // a T46U
        worse.version = "none";
        r = catalog.setTarget(worse);
        REQUIRE_FALSE(r);
        CHECK(r.error().fields.count("key") == 1);
        worse = t;
        worse.scope = "device";
        worse.key = "not-a-mac";
        r = catalog.setTarget(worse);
        REQUIRE_FALSE(r);
        CHECK(r.error().fields.count("key") == 1);
    }
}

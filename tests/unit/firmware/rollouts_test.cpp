// Rollouts: canaries first, then the rest; halted by a failed canary, by the
// window, or by one call; rolled back by one call (rollouts.h).

#include "provisioner/firmware/rollouts.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "provisioner/firmware/catalog.h"
#include "fakes/test_store.h"
#include "temp_dir.h"

using namespace prov;
using namespace prov::firmware;
using prov::testing::TempDir;

namespace {

const std::vector<std::string> kMacs = {"00156500aa01", "00156500aa02", "00156500aa03", "00156500aa04"};

struct Fleet {
    FakeClock clock;
    TempDir tmp;
    std::unique_ptr<Store> store;
    std::unique_ptr<Catalog> catalog;

    Fleet() {
        std::filesystem::create_directories(tmp.path() + "/fw");
        store = testing::openTestStore(clock);
        CatalogOptions o;
        o.dir = tmp.path() + "/fw";
        catalog = std::make_unique<Catalog>(
            *store,
            [](const std::string& make) -> std::optional<VendorModels> {
                if (make == "yealink" || make == "Yealink")
                    return VendorModels{"yealink", "Yealink", {"T46U", "T48U"}, false};
                return std::nullopt;
            },
            clock, o);
        for (const char* version : {"1.0", "2.0"}) {
            AddSpec add;
            add.vendor = "yealink";
            add.models = "T46U";
            add.version = version;
            REQUIRE(catalog->addFile(tmp.write(std::string("dl/t46u-") + version + ".rom", version), add));
        }
        REQUIRE(store->write([&](StoreTx& tx) -> Status {
            for (const std::string& mac : kMacs) {
                Device d;
                d.mac = mac;
                d.make = "Yealink";
                d.model = "T46U";
                d.label = mac == kMacs[3] ? "Lyon" : "Paris";
                d.state = DeviceState::kApplied;
                TRY(tx.insertDevice(d));
            }
            return okStatus();
        }));
        TargetSpec t;
        t.vendor = "yealink";
        t.model = "T46U";
        t.version = "1.0";
        REQUIRE(catalog->setTarget(t));
    }

    std::string directive(const std::string& mac) {
        std::optional<FirmwareDirective> d;
        REQUIRE(store->read([&](StoreTx& tx) -> Status {
            const auto dev = TRY(tx.getDevice(mac));
            d = TRY(directiveFor(tx, "yealink", "T46U", dev->label, mac));
            return okStatus();
        }));
        return d ? d->version : "";
    }
    void progress(const std::string& mac, const std::string& target, const std::string& status, int misses = 0) {
        REQUIRE(store->write([&](StoreTx& tx) -> Status {
            return tx.putFirmwareProgress(mac, FirmwareProgress{target, status, clock.nowSeconds(), misses});
        }));
    }
    DeviceState state(const std::string& mac) {
        std::optional<Device> d;
        REQUIRE(store->read([&](StoreTx& tx) -> Status {
            d = TRY(tx.getDevice(mac));
            return okStatus();
        }));
        return d->state;
    }
    Rollout get(int64_t id) { return catalog->viewRollout(id).value().rollout; }
};

RolloutSpec canary(const std::string& mac) {
    RolloutSpec s;
    s.vendor = "Yealink";
    s.model = "t46u";
    s.version = "2.0";
    s.canaries = {mac};
    s.window_s = 600;
    return s;
}

}  // namespace

TEST_CASE("a rollout tells its canary to upgrade while the rest keep their target") {
    Fleet f;
    const auto r = f.catalog->startRollout(canary("00:15:65:00:AA:01"));
    REQUIRE(r);
    CHECK(r.value().state == "canary");
    CHECK(r.value().previous == "1.0");
    CHECK(r.value().canaries == std::vector<std::string>{kMacs[0]});
    CHECK(f.directive(kMacs[0]) == "2.0");
    CHECK(f.directive(kMacs[1]) == "1.0");
    CHECK(f.state(kMacs[0]) == DeviceState::kStale);
    const auto viewed = f.catalog->viewRollout(r.value().id);
    INFO((viewed ? std::string() : viewed.error().message));
    REQUIRE(viewed);
    const RolloutView v = viewed.value();
    REQUIRE(v.members.size() == 4);
    CHECK(v.members[0].mac == kMacs[0]);
    CHECK(v.members[0].ring == 0);
    CHECK(v.members[1].ring == 1);

    SECTION("nothing moves while the canary is on its way within the window") {
        f.progress(kMacs[0], "2.0", "upgrading");
        f.clock.advance(599);
        CHECK(f.catalog->tickRollouts().value() == 0);
        CHECK(f.get(r.value().id).state == "canary");
    }
    SECTION("a failed canary halts it by itself, and stops being told to upgrade") {
        f.progress(kMacs[0], "2.0", "failed", 3);
        CHECK(f.catalog->tickRollouts().value() == 1);
        const Rollout h = f.get(r.value().id);
        CHECK(h.state == "halted");
        CHECK(h.reason.find("canary 00156500aa01 failed") != std::string::npos);
        CHECK(f.directive(kMacs[0]) == "1.0");
        CHECK(f.directive(kMacs[1]) == "1.0");
        CHECK(f.catalog->tickRollouts().value() == 0);
    }
    SECTION("a canary not back on the version when the window ends halts it by itself") {
        f.progress(kMacs[0], "2.0", "upgrading");
        f.clock.advance(600);
        CHECK(f.catalog->tickRollouts().value() == 1);
        const Rollout h = f.get(r.value().id);
        CHECK(h.state == "halted");
        CHECK(h.reason.find("not on 2.0 after 600 s (upgrading)") != std::string::npos);
        CHECK(f.directive(kMacs[2]) == "1.0");
    }
    SECTION("canaries on the version take it to every device, and one call rolls it back") {
        f.progress(kMacs[0], "2.0", "on_target");
        CHECK(f.catalog->tickRollouts().value() == 1);
        CHECK(f.get(r.value().id).state == "complete");
        for (const std::string& mac : kMacs) CHECK(f.directive(mac) == "2.0");
        CHECK(f.state(kMacs[3]) == DeviceState::kStale);
        const auto targets = f.catalog->listTargets("yealink").value();
        REQUIRE(targets.size() == 1);  // the canary's own row went
        CHECK(targets[0].rollout_id == r.value().id);
        CHECK(f.catalog->haltRollout(r.value().id, "admin", "").error().code == Code::kConflict);

        const auto back = f.catalog->rollbackRollout(r.value().id, "admin");
        REQUIRE(back);
        CHECK(back.value().state == "rolled_back");
        for (const std::string& mac : kMacs) CHECK(f.directive(mac) == "1.0");
        CHECK(f.catalog->listTargets("yealink").value().at(0).rollout_id == 0);
        CHECK(f.catalog->rollbackRollout(r.value().id, "admin").error().code == Code::kConflict);
    }
    SECTION("halting is one call, and a second rollout of the scope waits for it") {
        CHECK(f.catalog->startRollout(canary(kMacs[1])).error().code == Code::kConflict);
        const auto h = f.catalog->haltRollout(r.value().id, "admin", "vendor recall");
        REQUIRE(h);
        CHECK(h.value().reason == "vendor recall");
        CHECK(f.directive(kMacs[0]) == "1.0");
        CHECK(f.catalog->startRollout(canary(kMacs[1])));
    }
}

TEST_CASE("a rollout of a site reaches only that site, and restores its site's target") {
    Fleet f;
    RolloutSpec s = canary(kMacs[3]);
    s.site = "Lyon";
    const auto r = f.catalog->startRollout(s);
    REQUIRE(r);
    CHECK(r.value().previous.empty());
    f.progress(kMacs[3], "2.0", "on_target");
    REQUIRE(f.catalog->tickRollouts().value() == 1);
    CHECK(f.directive(kMacs[3]) == "2.0");
    CHECK(f.directive(kMacs[0]) == "1.0");
    const auto back = f.catalog->rollbackRollout(r.value().id, "admin");
    INFO((back ? std::string() : back.error().message));
    REQUIRE(back);
    CHECK(f.directive(kMacs[3]) == "1.0");  // the model's target again
}

TEST_CASE("a rollout by percentage picks canaries spread by hash, at least one") {
    Fleet f;
    RolloutSpec s = canary(kMacs[0]);
    s.canaries.clear();
    s.percent = 25;
    const auto r = f.catalog->startRollout(s);
    REQUIRE(r);
    REQUIRE(r.value().canaries.size() == 1);
    CHECK(f.directive(r.value().canaries[0]) == "2.0");

    const std::vector<std::string> eight = {"a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8"};
    const auto picked = pickCanaries(eight, 25, "seed");
    CHECK(picked.size() == 2);
    CHECK(pickCanaries(eight, 25, "seed") == picked);
    CHECK(pickCanaries(eight, 1, "seed").size() == 1);
    CHECK(pickCanaries(eight, 100, "seed").size() == 8);
    CHECK(pickCanaries({}, 50, "seed").empty());
}

TEST_CASE("a bad rollout names each field") {
    Fleet f;
    RolloutSpec s = canary(kMacs[0]);
    s.percent = 10;  // and canaries
    s.window_s = 10;
    s.version = "none";
    auto r = f.catalog->startRollout(s);
    REQUIRE_FALSE(r);
    CHECK(r.error().fields.count("canaries") == 1);
    CHECK(r.error().fields.count("window") == 1);
    CHECK(r.error().fields.count("version") == 1);

    s = canary("00156500ffff");  // not in the inventory
    r = f.catalog->startRollout(s);
    REQUIRE_FALSE(r);
    CHECK(r.error().fields.count("canaries") == 1);
    s = canary(kMacs[0]);
    s.version = "3.0";
    r = f.catalog->startRollout(s);
    REQUIRE_FALSE(r);
    CHECK(r.error().fields.count("version") == 1);
    s = canary(kMacs[0]);
    s.model = "T48U";  // no device of it
    s.version = "2.0";
    r = f.catalog->startRollout(s);
    REQUIRE_FALSE(r);
    CHECK(r.error().fields.size() == 1);
    CHECK(r.error().fields.count("version") == 1);  // no T48U image of 2.0
    s = canary(kMacs[0]);
    s.version = "1.0";  // what the model's target already is
    r = f.catalog->startRollout(s);
    REQUIRE_FALSE(r);
    CHECK(r.error().fields.count("version") == 1);
    CHECK(f.catalog->listRollouts().value().empty());
}

TEST_CASE("a window reads as seconds, minutes, hours or days") {
    CHECK(parseWindow("90") == 90);
    CHECK(parseWindow("30m") == 1800);
    CHECK(parseWindow("2h") == 7200);
    CHECK(parseWindow("1d") == 86400);
    CHECK(parseWindow("45s") == 45);
    CHECK(parseWindow("") == -1);
    CHECK(parseWindow("m") == -1);
    CHECK(parseWindow("5w") == -1);
    CHECK(parseWindow("1h30m") == -1);
}

TEST_CASE("a device its site's target decides for is no canary of the model's rollout") {
    Fleet f;
    TargetSpec site;
    site.vendor = "yealink";
    site.model = "T46U";
    site.scope = "site";
    site.key = "Lyon";
    site.version = "1.0";
    REQUIRE(f.catalog->setTarget(site));
    auto r = f.catalog->startRollout(canary(kMacs[3]));  // at Lyon
    REQUIRE_FALSE(r);
    CHECK(r.error().fields.at("canaries").find("site Lyon") != std::string::npos);
    RolloutSpec s = canary(kMacs[0]);
    s.canaries.clear();
    s.percent = 100;
    r = f.catalog->startRollout(s);
    REQUIRE(r);
    CHECK(r.value().canaries == std::vector<std::string>{kMacs[0], kMacs[1], kMacs[2]});
    for (const std::string& mac : r.value().canaries) f.progress(mac, "2.0", "on_target");
    REQUIRE(f.catalog->tickRollouts().value() == 1);
    CHECK(f.directive(kMacs[0]) == "2.0");
    CHECK(f.directive(kMacs[3]) == "1.0");  // its site's target stands
}

TEST_CASE("halting keeps a canary on the version and a target set by hand meanwhile") {
    Fleet f;
    RolloutSpec s = canary(kMacs[0]);
    s.canaries = {kMacs[0], kMacs[1], kMacs[2]};
    const auto r = f.catalog->startRollout(s);
    REQUIRE(r);
    f.progress(kMacs[0], "2.0", "on_target");
    f.progress(kMacs[1], "2.0", "failed", 3);
    TargetSpec pin;
    pin.vendor = "yealink";
    pin.model = "T46U";
    pin.scope = "device";
    pin.key = kMacs[2];
    pin.version = "none";
    REQUIRE(f.catalog->setTarget(pin));  // an admin pins it while the canaries are out
    REQUIRE(f.catalog->tickRollouts().value() == 1);
    CHECK(f.get(r.value().id).state == "halted");
    CHECK(f.directive(kMacs[0]) == "2.0");  // on the version: not told to go back
    CHECK(f.directive(kMacs[1]) == "1.0");  // failed: back to the model's target
    CHECK(f.directive(kMacs[2]).empty());   // the admin's none stands
}

TEST_CASE("rolling back an older rollout leaves a newer one's target, and one set by hand") {
    Fleet f;
    AddSpec add;
    add.vendor = "yealink";
    add.models = "T46U";
    add.version = "3.0";
    REQUIRE(f.catalog->addFile(f.tmp.write("dl/t46u-3.0.rom", "3.0"), add));
    const auto a = f.catalog->startRollout(canary(kMacs[0]));
    REQUIRE(a);
    f.progress(kMacs[0], "2.0", "on_target");
    REQUIRE(f.catalog->tickRollouts().value() == 1);
    RolloutSpec s = canary(kMacs[1]);
    s.version = "3.0";
    const auto b = f.catalog->startRollout(s);
    REQUIRE(b);
    CHECK(b.value().previous == "2.0");
    f.progress(kMacs[1], "3.0", "on_target");
    REQUIRE(f.catalog->tickRollouts().value() == 1);
    REQUIRE(f.catalog->rollbackRollout(a.value().id, "admin"));
    CHECK(f.directive(kMacs[2]) == "3.0");  // b's target stands
    TargetSpec t;
    t.vendor = "yealink";
    t.model = "T46U";
    t.version = "2.0";
    REQUIRE(f.catalog->setTarget(t));  // by hand, after b
    REQUIRE(f.catalog->rollbackRollout(b.value().id, "admin"));
    CHECK(f.directive(kMacs[2]) == "2.0");  // the admin's target stands
}

TEST_CASE("a canary never seen again halts the rollout when the window ends") {
    Fleet f;
    const auto r = f.catalog->startRollout(canary(kMacs[0]));
    REQUIRE(r);
    f.clock.advance(600);
    REQUIRE(f.catalog->tickRollouts().value() == 1);
    CHECK(f.get(r.value().id).reason == "canary 00156500aa01 not on 2.0 after 600 s (not seen)");
}

TEST_CASE("a halt's reason is printable text") {
    Fleet f;
    const auto r = f.catalog->startRollout(canary(kMacs[0]));
    REQUIRE(r);
    const auto h = f.catalog->haltRollout(r.value().id, "admin", "bad\x1b[2Jthing");
    REQUIRE_FALSE(h);
    CHECK(h.error().fields.count("reason") == 1);
    CHECK(f.get(r.value().id).state == "canary");
}

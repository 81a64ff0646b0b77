// Migration 12's firmware rows through StoreTx: images, targets, and the
// devices a target reaches marked stale.

#include <catch2/catch.hpp>

#include "fakes/test_store.h"

using namespace prov;

namespace {

std::unique_ptr<Store> openMigrated(const Clock& clock) { return testing::openTestStore(clock); }

FirmwareImage image(const std::string& file, const std::string& version,
                    std::vector<std::string> models) {
    FirmwareImage i;
    i.vendor = "yealink";
    i.version = version;
    i.models = std::move(models);
    i.file = file;
    i.size = 1234;
    i.sha256 = std::string(64, 'a');
    i.mtime_ns = 1'700'000'000'123'456'789;
    i.inode = 42;
    i.source = "upload";
    i.created_by = "token:1 (admin)";
    return i;
}

Device device(const std::string& mac, const std::string& model, const std::string& label,
              DeviceState state) {
    Device d;
    d.mac = mac;
    d.make = "Yealink";
    d.model = model;
    d.label = label;
    d.state = state;
    return d;
}

int64_t generation(Store& store) {
    int64_t g = 0;
    REQUIRE(store.read([&](StoreTx& tx) -> Status {
        g = TRY(tx.configGeneration());
        return okStatus();
    }));
    return g;
}

}  // namespace

TEST_CASE("firmware images keep every field, models in order") {
    FakeClock clock;
    auto store = openMigrated(clock);
    FirmwareImage a = image("T46U-108.86.0.90.rom", "108.86.0.90", {"T46U", "T48U"});
    const int64_t before = generation(*store);
    REQUIRE(store->write([&](StoreTx& tx) -> Status { return tx.insertFirmwareImage(a); }));
    CHECK(a.id > 0);
    CHECK(a.created_at == clock.nowSeconds());
    CHECK(generation(*store) > before);  // an image may change what configs carry
    std::vector<FirmwareImage> all;
    REQUIRE(store->read([&](StoreTx& tx) -> Status {
        all = TRY(tx.listFirmwareImages());
        return okStatus();
    }));
    REQUIRE(all.size() == 1);
    const FirmwareImage& r = all[0];
    CHECK(r.vendor == "yealink");
    CHECK(r.version == "108.86.0.90");
    CHECK(r.models == std::vector<std::string>{"T46U", "T48U"});
    CHECK(r.file == "T46U-108.86.0.90.rom");
    CHECK(r.size == 1234);
    CHECK(r.mtime_ns == 1'700'000'000'123'456'789);
    CHECK(r.inode == 42);
    CHECK(r.state == "ok");
    CHECK(r.source == "upload");
    CHECK(r.created_by == "token:1 (admin)");
    CHECK(r.forModel("T48U"));
    CHECK_FALSE(r.forModel("T46"));

    SECTION("a file name is taken once") {
        FirmwareImage b = image("T46U-108.86.0.90.rom", "108.86.0.91", {"T46U"});
        auto st = store->write([&](StoreTx& tx) -> Status { return tx.insertFirmwareImage(b); });
        REQUIRE_FALSE(st);
        CHECK(st.error().code == Code::kAlreadyExists);
    }
    SECTION("a check keeps the verified size of a corrupt file, and takes its stamp") {
        REQUIRE(store->write([&](StoreTx& tx) -> Status {
            return tx.putFirmwareCheck(a.id, "corrupt", 10, 5, 6, clock.nowSeconds());
        }));
        std::optional<FirmwareImage> got;
        REQUIRE(store->read([&](StoreTx& tx) -> Status {
            got = TRY(tx.getFirmwareImage(a.id));
            return okStatus();
        }));
        REQUIRE(got);
        CHECK(got->state == "corrupt");
        CHECK(got->size == 1234);
        CHECK(got->mtime_ns == 5);
        CHECK(got->inode == 6);
        CHECK(got->verified_at == clock.nowSeconds());
    }
    SECTION("a bad checksum or state never reaches the table") {
        FirmwareImage bad = image("x.rom", "1", {"T46U"});
        bad.sha256 = "abc";
        CHECK_FALSE(
            store->write([&](StoreTx& tx) -> Status { return tx.insertFirmwareImage(bad); }));
        CHECK_FALSE(store->write(
            [&](StoreTx& tx) -> Status { return tx.putFirmwareCheck(a.id, "fine", 1, 1, 1, 1); }));
    }
}

TEST_CASE("a target is one row per vendor, model, scope and key, replaced when written again") {
    FakeClock clock;
    auto store = openMigrated(clock);
    FirmwareTarget t;
    t.vendor = "yealink";
    t.model = "T46U";
    t.version = "108.86.0.90";
    REQUIRE(store->write([&](StoreTx& tx) -> Status { return tx.putFirmwareTarget(t); }));
    const int64_t id = t.id;
    const int64_t before = generation(*store);
    t.version = "none";
    REQUIRE(store->write([&](StoreTx& tx) -> Status { return tx.putFirmwareTarget(t); }));
    CHECK(t.id == id);
    CHECK(generation(*store) > before);  // a target changes configs
    FirmwareTarget site = t;
    site.scope = "site";
    site.scope_key = "Paris";
    site.version = "108.86.0.90";
    REQUIRE(store->write([&](StoreTx& tx) -> Status { return tx.putFirmwareTarget(site); }));
    FirmwareTarget keyless = t;
    keyless.scope = "site";
    CHECK_FALSE(store->write([&](StoreTx& tx) -> Status { return tx.putFirmwareTarget(keyless); }));
    std::vector<FirmwareTarget> rows;
    REQUIRE(store->read([&](StoreTx& tx) -> Status {
        rows = TRY(tx.listFirmwareTargets("yealink"));
        return okStatus();
    }));
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].scope == "model");
    CHECK(rows[0].version == "none");
    CHECK(rows[1].scope_key == "Paris");
    bool gone = false;
    REQUIRE(store->write([&](StoreTx& tx) -> Status {
        gone = TRY(tx.deleteFirmwareTarget("yealink", "T46U", "site", "Paris"));
        return okStatus();
    }));
    CHECK(gone);
    REQUIRE(store->write([&](StoreTx& tx) -> Status {
        gone = TRY(tx.deleteFirmwareTarget("yealink", "T46U", "site", "Paris"));
        return okStatus();
    }));
    CHECK_FALSE(gone);
}

TEST_CASE("markStaleModel reaches the model's provisioned devices, of one site when named") {
    FakeClock clock;
    auto store = openMigrated(clock);
    REQUIRE(store->write([&](StoreTx& tx) -> Status {
        for (Device d : {device("000000000001", "T46U", "Paris", DeviceState::kApplied),
                         device("000000000002", "t46u", "Lyon", DeviceState::kProvisioned),
                         device("000000000003", "T48U", "Paris", DeviceState::kApplied),
                         device("000000000004", "T46U", "Paris", DeviceState::kStaged)})
            TRY(tx.insertDevice(d));
        return okStatus();
    }));
    auto state = [&](const std::string& mac) {
        std::optional<Device> d;
        REQUIRE(store->read([&](StoreTx& tx) -> Status {
            d = TRY(tx.getDevice(mac));
            return okStatus();
        }));
        REQUIRE(d);
        return d->state;
    };
    REQUIRE(store->write(
        [&](StoreTx& tx) -> Status { return tx.markStaleModel("yealink", "T46U", "Paris"); }));
    CHECK(state("000000000001") == DeviceState::kStale);
    CHECK(state("000000000002") == DeviceState::kProvisioned);  // another site
    CHECK(state("000000000003") == DeviceState::kApplied);      // another model
    CHECK(state("000000000004") == DeviceState::kStaged);  // never provisioned: nothing to redo
    REQUIRE(store->write(
        [&](StoreTx& tx) -> Status { return tx.markStaleModel("Yealink", "T46U", ""); }));
    CHECK(state("000000000002") == DeviceState::kStale);
}

TEST_CASE("a device's firmware and resync fields read back empty until the server moves them") {
    FakeClock clock;
    auto store = openMigrated(clock);
    Device d = device("000000000009", "T46U", "", DeviceState::kNew);
    d.fw_status = "failed";  // not the admin's to set: an insert leaves it
    REQUIRE(store->write([&](StoreTx& tx) -> Status { return tx.insertDevice(d); }));
    std::optional<Device> got;
    REQUIRE(store->read([&](StoreTx& tx) -> Status {
        got = TRY(tx.getDevice("000000000009"));
        return okStatus();
    }));
    REQUIRE(got);
    CHECK(got->fw_status.empty());
    CHECK(got->fw_target.empty());
    CHECK(got->resync.empty());
}

TEST_CASE("the resync queue takes stale devices once, and any device on demand") {
    FakeClock clock;
    auto store = openMigrated(clock);
    REQUIRE(store->write([&](StoreTx& tx) -> Status {
        for (Device d : {device("000000000001", "T46U", "Paris", DeviceState::kStale),
                         device("000000000002", "T46U", "Paris", DeviceState::kApplied),
                         device("000000000003", "T46U", "Lyon", DeviceState::kStale),
                         device("000000000004", "T46U", "Lyon", DeviceState::kUnassigned)})
            TRY(tx.insertDevice(d));
        return okStatus();
    }));
    auto run = [&](auto&& work) {
        int64_t n = 0;
        REQUIRE(store->write([&](StoreTx& tx) -> Status {
            n = TRY(work(tx));
            return okStatus();
        }));
        return n;
    };
    auto queued = [&] {
        std::vector<std::string> macs;
        REQUIRE(store->read([&](StoreTx& tx) -> Status {
            for (const Device& d : TRY(tx.nextResync(10))) macs.push_back(d.mac);
            return okStatus();
        }));
        return macs;
    };
    CHECK(run([&](StoreTx& tx) { return tx.queueStaleResyncs(100, 0); }) == 2);
    CHECK(queued() == std::vector<std::string>{"000000000001", "000000000003"});
    CHECK(run([&](StoreTx& tx) { return tx.queueStaleResyncs(101, 0); }) ==
          0);  // already on their way
    REQUIRE(store->write(
        [&](StoreTx& tx) -> Status { return tx.setResyncState("000000000001", "pushed", 102); }));
    CHECK(queued() == std::vector<std::string>{"000000000003"});
    CHECK(run([&](StoreTx& tx) { return tx.queueStaleResyncs(103, 101); }) ==
          0);  // pushed: waiting for its fetch
    REQUIRE(store->write(
        [&](StoreTx& tx) -> Status { return tx.setResyncState("000000000001", "failed", 104); }));
    CHECK(run([&](StoreTx& tx) { return tx.queueStaleResyncs(105, 103); }) == 0);  // failed: not at once
    CHECK(run([&](StoreTx& tx) { return tx.queueStaleResyncs(105, 104); }) == 1);  // failed: tried again
    REQUIRE(store->write(
        [&](StoreTx& tx) -> Status { return tx.setResyncState("000000000001", "refetched", 105); }));
    CHECK(run([&](StoreTx& tx) { return tx.queueStaleResyncs(105, 0); }) == 1);  // edited since its fetch
    CHECK(run([&](StoreTx& tx) { return tx.queueResync("000000000002", "", 106); }) == 1);
    CHECK(run([&](StoreTx& tx) { return tx.queueResync("", "Paris", 107); }) == 2);
    CHECK(run([&](StoreTx& tx) { return tx.queueResync("", "", 108); }) ==
          3);  // never the unassigned one
    // Longest waiting first.
    REQUIRE(store->write(
        [&](StoreTx& tx) -> Status { return tx.setResyncState("000000000003", "queued", 50); }));
    CHECK(queued().front() == "000000000003");
    CHECK_FALSE(store->write(
        [&](StoreTx& tx) -> Status { return tx.setResyncState("000000000003", "lost", 1); }));
}

TEST_CASE("a push is claimed, settled only if nothing moved it since, and given up after three tries") {
    FakeClock clock;
    auto store = openMigrated(clock);
    const std::string mac = "000000000001";
    REQUIRE(store->write([&](StoreTx& tx) -> Status {
        Device d = device(mac, "T46U", "Paris", DeviceState::kStale);
        return tx.insertDevice(d);
    }));
    auto run = [&](auto&& work) {
        int64_t n = 0;
        REQUIRE(store->write([&](StoreTx& tx) -> Status {
            n = TRY(work(tx));
            return okStatus();
        }));
        return n;
    };
    auto resync = [&] {
        std::optional<Device> d;
        REQUIRE(store->read([&](StoreTx& tx) -> Status {
            d = TRY(tx.getDevice(mac));
            return okStatus();
        }));
        return d->resync;
    };
    auto claim = [&](int64_t at) {
        bool got = false;
        REQUIRE(store->write([&](StoreTx& tx) -> Status {
            got = TRY(tx.claimResync(mac, at));
            return okStatus();
        }));
        return got;
    };
    auto settle = [&](const std::string& state, int64_t at, int64_t claimed) {
        REQUIRE(store->write([&](StoreTx& tx) -> Status { return tx.settleResync(mac, state, at, claimed); }));
    };
    CHECK_FALSE(claim(99));  // not queued
    REQUIRE(run([&](StoreTx& tx) { return tx.queueStaleResyncs(100, 0); }) == 1);
    REQUIRE(claim(101));
    CHECK(resync() == "pushed");
    CHECK_FALSE(claim(101));  // taken once
    // An admin asks again while it is out: that request wins over the outcome.
    REQUIRE(run([&](StoreTx& tx) { return tx.queueResync(mac, "", 102); }) == 1);
    settle("failed", 103, 101);
    CHECK(resync() == "queued");
    // Three failed tries in one stale period: it gives up, and no timer queues it again.
    for (int64_t t : {110, 120, 130}) {
        REQUIRE(claim(t));
        settle("failed", t + 1, t);
        if (t != 130) {
            CHECK(resync() == "failed");
            REQUIRE(run([&](StoreTx& tx) { return tx.queueStaleResyncs(t + 5, t + 1); }) == 1);
        }
    }
    CHECK(resync() == "gave_up");
    CHECK(run([&](StoreTx& tx) { return tx.queueStaleResyncs(1000, 999); }) == 0);
    // A line of it registering brings it back, with its tries counted anew.
    CHECK(run([&](StoreTx& tx) { return tx.queueRegistered(mac, 1001); }) == 1);
    CHECK(resync() == "queued");
    REQUIRE(claim(1002));
    settle("failed", 1003, 1002);
    CHECK(resync() == "failed");
}

TEST_CASE("a push is written when queued and again with its outcome") {
    FakeClock clock;
    auto store = openMigrated(clock);
    ResyncPush p;
    p.mac = "000000000001";
    p.extension = "1001";
    p.event = "check-sync";
    p.target = "127.0.0.1:5060";
    p.queued_at = 100;
    REQUIRE(store->write([&](StoreTx& tx) -> Status { return tx.recordPush(p); }));
    CHECK(p.id > 0);
    p.sent_at = 101;
    p.done_at = 102;
    p.result = "ok";
    p.status = 200;
    p.attempts = 2;
    p.detail = "retransmitted once";
    REQUIRE(store->write([&](StoreTx& tx) -> Status { return tx.recordPush(p); }));
    ResyncPush other = p;
    other.id = 0;
    other.mac = "000000000002";
    other.result = "";
    REQUIRE(store->write([&](StoreTx& tx) -> Status { return tx.recordPush(other); }));
    std::vector<ResyncPush> got;
    REQUIRE(store->read([&](StoreTx& tx) -> Status {
        got = TRY(tx.listPushes("000000000001", 10));
        return okStatus();
    }));
    REQUIRE(got.size() == 1);
    CHECK(got[0].result == "ok");
    CHECK(got[0].status == 200);
    CHECK(got[0].attempts == 2);
    CHECK(got[0].sent_at == 101);
    CHECK(got[0].detail == "retransmitted once");
    REQUIRE(store->read([&](StoreTx& tx) -> Status {
        got = TRY(tx.listPushes("", 10));
        return okStatus();
    }));
    CHECK(got.size() == 2);
    CHECK(got[0].mac == "000000000002");  // newest first
    ResyncPush bad = p;
    bad.id = 0;
    bad.result = "maybe";
    CHECK_FALSE(store->write([&](StoreTx& tx) -> Status { return tx.recordPush(bad); }));
}

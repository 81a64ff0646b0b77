// The event writer's side effects on devices: unknown phones become
// unassigned devices, and deliveries move the staging state.

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <chrono>
#include <thread>

#include "fakes/inventory_fixture.h"
#include "temp_dir.h"
#include "provisioner/inventory/inventory.h"
#include "provisioner/resolve/device_resolver.h"
#include "provisioner/service/event_recorder.h"
#include "provisioner/store/sqlite_store.h"
#include "provisioner/tls/crypto.h"

using namespace prov;

namespace {

struct Fixture : testing::InventoryFixture {
    std::unique_ptr<EventRecorder> events;

    explicit Fixture(size_t max_unassigned = 100) {
        EventRecorderOptions o;
        o.max_unassigned = max_unassigned;
        events = std::make_unique<EventRecorder>(*store, random, o);
    }
    void fetch(const std::string& mac, const std::string& file, const std::string& hash, bool not_modified = false,
               const std::string& outcome = "served") {
        Event e;
        e.at = clock.nowSeconds();
        e.mac = mac;
        e.peer_ip = "10.0.0.7";
        e.protocol = "http";
        e.path = file;
        e.user_agent = "Yealink SIP-T31 124.86.0.75 00:15:65:00:00:01";
        e.vendor = "yealink";
        e.model = "T31";
        e.firmware = "124.86.0.75";
        e.outcome = outcome;
        e.config_hash = hash;
        e.device_config = !hash.empty();
        e.not_modified = not_modified;
        events->record(e);
        events->flush();
    }
    DeviceState state(const std::string& mac) { return inv->getDevice(mac).value().state; }
    void bind(const std::string& ext, const std::string& mac) {
        Extension e;
        e.extension = ext;
        e.callerid_name = "User " + ext;
        e.mac = mac;
        REQUIRE(inv->createExtension(e, admin));
    }
};

const std::string kMac = "001565000001";

}  // namespace

TEST_CASE("an unknown phone becomes an unassigned device, is claimed by binding, and is then resolved") {
    Fixture f;
    f.fetch(kMac, "001565000001.cfg", "", false, "not_found");
    auto d = f.inv->getDevice(kMac);
    REQUIRE(d);
    CHECK(d.value().state == DeviceState::kUnassigned);
    CHECK(d.value().make == "yealink");
    CHECK(d.value().model == "T31");
    CHECK(d.value().last_firmware == "124.86.0.75");
    CHECK(d.value().last_seen_ip == "10.0.0.7");
    CHECK(d.value().first_seen_at == f.clock.nowSeconds());
    DeviceResolver resolver(*f.store);
    CHECK_FALSE(resolver.resolve(kMac).value());  // nothing to give it yet
    f.clock.advance(60);
    f.fetch(kMac, "001565000001.cfg", "", false, "not_found");
    d = f.inv->getDevice(kMac);
    CHECK(d.value().first_seen_at == f.clock.nowSeconds() - 60);
    CHECK(d.value().last_seen_at == f.clock.nowSeconds());

    f.bind("201", kMac);
    CHECK(f.state(kMac) == DeviceState::kStaged);
    auto profile = resolver.resolve(kMac).value();
    REQUIRE(profile);
    CHECK(profile->lines.size() == 1);
}

TEST_CASE("unassigned devices stop at devices.max_unassigned") {
    Fixture f(2);
    f.fetch("001565000001", "001565000001.cfg", "", false, "not_found");
    f.fetch("001565000002", "001565000002.cfg", "", false, "not_found");
    f.fetch("001565000003", "001565000003.cfg", "", false, "not_found");
    DeviceFilter unassigned;
    unassigned.state = DeviceState::kUnassigned;
    CHECK(f.inv->listDevices(unassigned, {}).value().total == 2);
    CHECK_FALSE(f.inv->getDevice("001565000003"));
}

TEST_CASE("staging: staged -> provisioned -> applied, stale on an edit, and back") {
    Fixture f;
    f.bind("201", kMac);
    CHECK(f.state(kMac) == DeviceState::kStaged);
    f.fetch(kMac, "001565000001.cfg", "h1");
    CHECK(f.state(kMac) == DeviceState::kProvisioned);
    f.fetch(kMac, "001565000001.cfg", "h1");  // came back, same bytes
    CHECK(f.state(kMac) == DeviceState::kApplied);

    REQUIRE(f.inv->editExtension("201", [](Extension& e, FieldErrors&, std::optional<int64_t>&) { e.callerid_name = "New"; },
                                 f.admin));
    CHECK(f.state(kMac) == DeviceState::kStale);
    f.fetch(kMac, "001565000001.cfg", "h2");
    CHECK(f.state(kMac) == DeviceState::kProvisioned);
    f.fetch(kMac, "001565000001.cfg", "h2", true);  // 304: it has them
    CHECK(f.state(kMac) == DeviceState::kApplied);

    // Global settings reach every phone.
    REQUIRE(f.inv->putSettings("", {{"ntp_server", "ntp.example.com"}}, f.admin));
    CHECK(f.state(kMac) == DeviceState::kStale);
    // A common file (no device_config) or a refused fetch moves nothing.
    f.fetch(kMac, "y000000000000.cfg", "");
    f.fetch(kMac, "001565000001.cfg", "", false, "denied");
    CHECK(f.state(kMac) == DeviceState::kStale);
}

TEST_CASE("a pushed device is refetched by its next delivery and applied by the redelivery after") {
    Fixture f;
    f.bind("201", kMac);
    auto resync = [&] { return f.inv->getDevice(kMac).value().resync; };
    auto set = [&](const char* state) {
        REQUIRE(f.store->write([&](StoreTx& tx) { return tx.setResyncState(kMac, state, f.clock.nowSeconds()); }));
    };
    f.fetch(kMac, "001565000001.cfg", "h1");
    CHECK(resync().empty());  // never pushed: fetches leave it alone
    set("pushed");
    f.fetch(kMac, "y000000000000.cfg", "");  // a common file is not its config
    CHECK(resync() == "pushed");
    f.fetch(kMac, "001565000001.cfg", "h2");
    CHECK(resync() == "refetched");
    f.fetch(kMac, "001565000001.cfg", "h3");  // other bytes again: not yet applied
    CHECK(resync() == "refetched");
    f.fetch(kMac, "001565000001.cfg", "h3");
    CHECK(resync() == "applied");
    // The phone answered with a fetch of the bytes it had (304): refetched all the same.
    set("pushed");
    f.fetch(kMac, "001565000001.cfg", "h3", true);
    CHECK(resync() == "refetched");
    f.fetch(kMac, "001565000001.cfg", "h3", true);
    CHECK(resync() == "applied");
    // Queued or failed: a fetch is not an answer to a push.
    set("failed");
    f.fetch(kMac, "001565000001.cfg", "h4");
    CHECK(resync() == "failed");
}

TEST_CASE("events older than events.keep_days are pruned, newer ones kept") {
    Fixture f;
    f.fetch(kMac, "a.cfg", "", false, "not_found");
    f.clock.advance(10 * 86400);
    f.fetch(kMac, "b.cfg", "", false, "not_found");
    CHECK(f.inv->listEvents({}, {}).value().total == 2);
    auto n = f.inv->pruneEvents(5, 1000);
    REQUIRE(n);
    CHECK(n.value() == 1);
    auto left = f.inv->listEvents({}, {}).value();
    REQUIRE(left.total == 1);
    CHECK(left.items[0].path == "b.cfg");
}

TEST_CASE("when the store is held up, events past max_queue are dropped and counted, phones keep being served") {
    testing::TempDir dir;
    FakeClock clock;
    const std::string path = dir.path() + "/store.db";
    auto store = std::move(SqliteStore::open(path, clock)).value();
    REQUIRE(store->migrate());
    // Another process holds the write lock (as a long CLI import would).
    sqlite3* other = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &other) == SQLITE_OK);
    REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
    {
        EventRecorderOptions o;
        o.max_queue = 3;
        tls::CtrDrbgRandom random;
        EventRecorder events(*store, random, o);
        auto event = [&](int i) {
            Event e;
            e.at = clock.nowSeconds();
            e.protocol = "http";
            e.path = "f" + std::to_string(i);
            e.outcome = "not_found";
            return e;
        };
        events.record(event(0));
        // The writer takes the first one and waits for the lock (within 5 s;
        // a writer that never takes it fails the test).
        for (int i = 0; i < 5000 && events.queued() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        REQUIRE(events.queued() == 0);
        for (int i = 1; i <= 5; ++i) events.record(event(i));  // 3 queue, 2 are dropped
        CHECK(events.dropped() == 2);
        REQUIRE(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK);
        events.flush();
    }
    sqlite3_close(other);
    Listing<Event> stored;
    REQUIRE(store->read([&](StoreTx& tx) -> Status {
        auto l = tx.listEvents({}, Page{100, 0});
        if (!l) return l.error();
        stored = l.value();
        return okStatus();
    }));
    CHECK(stored.total == 4);
}

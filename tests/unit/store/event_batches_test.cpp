// event_batches (migration 16): a batch id is recorded once, with the
// transaction it is part of, and pruned with the events; a batch stored late
// (from the spool) does not undo newer device fields. Runs on SQLite and,
// in the `postgresql` entries, on PostgreSQL (fakes/test_store.h).

#include <catch2/catch.hpp>

#include "fakes/test_store.h"

using namespace prov;

namespace {

const std::string kId = "AbCdEfGhIjKlMnOpQrStUvWxYz012345";

// addEventBatch(id) in a transaction of its own; nullopt when it failed.
std::optional<bool> add(Store& store, const std::string& id) {
    std::optional<bool> added;
    const Status st = store.write([&](StoreTx& tx) -> Status {
        added = TRY(tx.addEventBatch(id));
        return okStatus();
    });
    if (!st) return std::nullopt;
    return added;
}

}  // namespace

TEST_CASE("an event batch id is recorded once: the second try of the same batch is told so") {
    FakeClock clock;
    auto store = testing::openTestStore(clock);
    CHECK(add(*store, kId) == std::optional<bool>(true));
    CHECK(add(*store, kId) == std::optional<bool>(false));
    CHECK(add(*store, kId.substr(1) + "6") == std::optional<bool>(true));  // another batch
}

TEST_CASE("an event batch id goes with its transaction: rolled back, the batch is not stored") {
    FakeClock clock;
    auto store = testing::openTestStore(clock);
    const Status st = store->write([&](StoreTx& tx) -> Status {
        CHECK(tx.addEventBatch(kId).value());
        Event e;
        e.at = 1;
        e.protocol = "http";
        e.outcome = "served";
        TRY(tx.insertEvents({e}));
        return Error::internal("rolled back on purpose");
    });
    REQUIRE_FALSE(st);
    // Nothing of the batch stayed: tried again, it is new and stored.
    CHECK(add(*store, kId) == std::optional<bool>(true));
    REQUIRE(store->read([&](StoreTx& tx) -> Status {
        CHECK(TRY(tx.listEvents({}, Page{10, 0})).total == 0);
        return okStatus();
    }));
}

TEST_CASE("event batch ids are pruned with the events, those recorded before the cut only") {
    FakeClock clock;
    auto store = testing::openTestStore(clock);
    REQUIRE(add(*store, kId) == std::optional<bool>(true));
    clock.advance(100);
    const std::string newer = "ZZZZEfGhIjKlMnOpQrStUvWxYz012345";
    REQUIRE(add(*store, newer) == std::optional<bool>(true));
    REQUIRE(store->write([&](StoreTx& tx) -> Status {
        TRY(tx.pruneEvents(clock.nowSeconds() - 50, 1000));
        return okStatus();
    }));
    CHECK(add(*store, kId) == std::optional<bool>(true));     // pruned: recorded anew
    CHECK(add(*store, newer) == std::optional<bool>(false));  // kept
}

TEST_CASE(
    "a fetch older than the last recorded (a replayed spool) leaves the device's last-seen fields to "
    "the newer one") {
    FakeClock clock;
    auto store = testing::openTestStore(clock);
    const std::string mac = "0015654aa937";
    REQUIRE(store->write([&](StoreTx& tx) -> Status {
        Device d;
        d.mac = mac;
        d.make = "yealink";
        d.model = "T54W";
        d.state = DeviceState::kUnassigned;
        d.origin = "phone";
        TRY(tx.insertDevice(d));
        CHECK(TRY(tx.touchDevice(mac, 200, "10.0.0.2", "new-ua", "2.0", "new.cfg", "h2", true)));
        // Older: found, and nothing of it taken.
        CHECK(TRY(tx.touchDevice(mac, 100, "10.0.0.1", "old-ua", "1.0", "old.cfg", "h1", true)));
        return okStatus();
    }));
    const auto fields = [&] {
        Device out;
        REQUIRE(store->read([&](StoreTx& tx) -> Status {
            auto d = TRY(tx.getDevice(mac));
            REQUIRE(d);
            out = *d;
            return okStatus();
        }));
        return out;
    };
    Device d = fields();
    CHECK(d.last_seen_at == 200);
    CHECK(d.last_seen_ip == "10.0.0.2");
    CHECK(d.last_seen_ua == "new-ua");
    CHECK(d.last_firmware == "2.0");
    CHECK(d.last_file == "new.cfg");
    CHECK(d.last_hash == "h2");
    CHECK(d.first_seen_at == 200);
    // As new as the last, or newer: taken.
    REQUIRE(store->write([&](StoreTx& tx) -> Status {
        CHECK(TRY(tx.touchDevice(mac, 300, "10.0.0.3", "newer-ua", "", "x.cfg", "", false)));
        return okStatus();
    }));
    d = fields();
    CHECK(d.last_seen_at == 300);
    CHECK(d.last_seen_ip == "10.0.0.3");
    CHECK(d.last_firmware == "2.0");  // none said: kept
    CHECK(d.last_file == "new.cfg");  // not served: kept
}

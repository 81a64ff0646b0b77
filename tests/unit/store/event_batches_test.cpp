// event_batches (migration 16): a batch id is recorded once, with the
// transaction it is part of, and pruned with the events. Runs on SQLite and,
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

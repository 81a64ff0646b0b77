// What a node keeps to serve phones while its store is away must never
// outlive what the store says of them: a pair retired, credentials
// forgotten, a device deleted (here or through another node), and a store
// that answers with an error is no reason to serve from memory at all.

#include <catch2/catch.hpp>

#include "provisioner/core/server_metrics.h"
#include "service/store_fallback_fixture.h"

using namespace prov;
using namespace prov::testing::fallback;

namespace {

uint64_t fromCache() { return metrics::serverMetrics().fetchesFromCache(); }

// Ann's phone: first contact from the allowed network (its pair and key go
// out), then a fetch proven by that pair, which is kept.
DeviceCredentials annServedWithDigest(Fixture& f) {
    REQUIRE(f.fetch(kFile, "10.0.0.5").response.outcome == Outcome::kServed);
    const DeviceCredentials c = f.credentials(kMac);
    REQUIRE(f.fetch(kFile, kOutside, "", f.digest(c), Protocol::kHttps).response.outcome == Outcome::kServed);
    return c;
}

}  // namespace

TEST_CASE("store away: a pair retired by a 304 with the new one opens nothing from memory") {
    Fixture f;
    const DeviceCredentials old_pair = annServedWithDigest(f);
    REQUIRE(f.inv->rotateCredentials(kMac, f.admin));
    const DeviceCredentials new_pair = f.credentials(kMac);
    // The old pair fetches the config carrying the new one...
    const Fetched rotated = f.fetch(kFile, kOutside, "", f.digest(old_pair), Protocol::kHttps);
    REQUIRE(rotated.response.outcome == Outcome::kServed);
    // ...and the phone, holding it already, asks with the new pair and its ETag.
    const Fetched unchanged =
        f.fetch(kFile, kOutside, "", f.digest(new_pair), Protocol::kHttps, rotated.response.etag);
    REQUIRE(unchanged.response.outcome == Outcome::kNotModified);
    REQUIRE(f.credentials(kMac).prev_user.empty());  // the store retired the old pair
    f.storeAway(true);
    CHECK(f.fetch(kFile, kOutside, "", f.digest(old_pair), Protocol::kHttps).response.outcome ==
          Outcome::kUnavailable);
    // The 304 kept the phone: its new pair is served.
    const Fetched again = f.fetch(kFile, kOutside, "", f.digest(new_pair), Protocol::kHttps);
    CHECK(again.response.outcome == Outcome::kServed);
    CHECK(again.response.body == rotated.response.body);
}

TEST_CASE("store away: the previous pair of a rotation opens nothing from memory") {
    // Another node may have seen the phone use its new pair, which retires
    // the old one without moving anything this node watches.
    Fixture f;
    const DeviceCredentials old_pair = annServedWithDigest(f);
    REQUIRE(f.inv->rotateCredentials(kMac, f.admin));
    REQUIRE(f.fetch(kFile, kOutside, "", f.digest(old_pair), Protocol::kHttps).response.outcome ==
            Outcome::kServed);
    f.storeAway(true);
    CHECK(f.fetch(kFile, kOutside, "", f.digest(old_pair), Protocol::kHttps).response.outcome ==
          Outcome::kUnavailable);
    CHECK(f.fetch(kFile, kOutside, "", f.digest(f.credentials(kMac)), Protocol::kHttps).response.outcome ==
          Outcome::kServed);
}

TEST_CASE("store away: forgotten credentials open nothing from memory") {
    Fixture f;
    const DeviceCredentials pair = annServedWithDigest(f);
    REQUIRE(f.inv->forgetCredentials(kMac, f.admin));
    SECTION("with no fetch in between") {}
    SECTION("after a fetch that read none") {
        CHECK(f.fetch(kFile, kOutside, "", f.digest(pair), Protocol::kHttps).response.outcome ==
              Outcome::kUnauthorized);
    }
    SECTION("after a fetch from the allowed network, which reads none") {
        CHECK(f.fetch(kFile, "10.0.0.5").response.outcome == Outcome::kServed);
    }
    f.storeAway(true);
    CHECK(f.fetch(kFile, kOutside, "", f.digest(pair), Protocol::kHttps).response.outcome == Outcome::kUnavailable);
}

TEST_CASE("store away: a device deleted before the outage, with no fetch here, is not served") {
    Fixture f;
    const DeviceCredentials pair = annServedWithDigest(f);
    REQUIRE(f.fetch(kFile, kOutside, kMac, "", Protocol::kHttps).response.outcome == Outcome::kServed);
    SECTION("through this node") {
        REQUIRE(f.inv->deleteDevice(kMac, true, f.admin));
    }
    SECTION("through another node, seen by the generation's once-a-second read") {
        Inventory other(*f.store, f.random, f.hasher, f.clock, f.catalog, InventoryOptions{10, 60});
        REQUIRE(other.deleteDevice(kMac, true, f.admin));
        f.generation->refresh();
    }
    f.storeAway(true);
    CHECK(f.fetch(kFile, kOutside, "", f.digest(pair), Protocol::kHttps).response.outcome == Outcome::kUnavailable);
    CHECK(f.fetch(kFile, kOutside, kMac, "", Protocol::kHttps).response.outcome == Outcome::kUnavailable);
    CHECK(f.fetch(kFile, "10.0.0.5").response.outcome == Outcome::kUnavailable);
}

TEST_CASE("store away: credentials that prove nothing are told to try later, kept MAC or not, and count as misses") {
    policy::SweepOptions sweep;
    sweep.budget = 3;
    Fixture f(sweep);
    const DeviceCredentials pair = annServedWithDigest(f);
    f.storeAway(true);
    DeviceCredentials wrong = pair;
    wrong.password = "guess";
    const Fetched kept = f.fetch(kFile, kOutside, "", f.digest(wrong), Protocol::kHttps);
    const Fetched not_kept = f.fetch(kBobFile, kOutside, "", f.digest(wrong, kBobFile), Protocol::kHttps);
    CHECK(kept.response.outcome == Outcome::kUnavailable);
    CHECK(not_kept.response.outcome == Outcome::kUnavailable);
    CHECK(kept.response.challenges.empty());
    CHECK(kept.event.outcome == not_kept.event.outcome);
    CHECK_FALSE(f.sweep->blocked(kOutside));
    // A third MAC the credentials do not prove: the budget of 3 is spent.
    f.fetch("001565000003.cfg", kOutside, "", f.digest(wrong, "001565000003.cfg"), Protocol::kHttps);
    CHECK(f.sweep->blocked(kOutside));
}

TEST_CASE("store away: only a store that does not answer sends a fetch to memory") {
    Fixture f;
    annServedWithDigest(f);
    // Shown a client certificate, the service reads the store (the proofs);
    // from the allowed network a cached file needs no read at all.
    const uint64_t before = fromCache();
    SECTION("an error that is not the store being away") {
        f.flaky.error = Error::internal("store: a bug");
        f.flaky.away = true;
        CHECK(f.fetch(kFile, kOutside, kMac, "", Protocol::kHttps).response.outcome == Outcome::kError);
    }
    SECTION("a store that answers and refuses (a login, a missing table)") {
        f.flaky.error = Error{Code::kUnavailable, "store_unavailable", "the PostgreSQL store refuses", {}, {}};
        f.flaky.away = true;
        CHECK(f.fetch(kFile, kOutside, kMac, "", Protocol::kHttps).response.outcome == Outcome::kError);
    }
    SECTION("busy once: the second try is the store's") {
        f.flaky.busy_left = 1;
        CHECK(f.fetch(kFile, kOutside, kMac, "", Protocol::kHttps).response.outcome == Outcome::kServed);
    }
    CHECK(fromCache() == before);
    SECTION("busy twice: memory") {
        f.flaky.busy_left = 2;
        CHECK(f.fetch(kFile, kOutside, kMac, "", Protocol::kHttps).response.outcome == Outcome::kServed);
        CHECK(fromCache() == before + 1);
    }
}

TEST_CASE("store away: a write that fails after the reads answered sends the fetch to memory") {
    Fixture f;
    REQUIRE(f.fetch(kFile, "10.0.0.5").response.outcome == Outcome::kServed);
    // Kept by a client certificate, with the pair read but never used.
    REQUIRE(f.fetch(kFile, kOutside, kMac, "", Protocol::kHttps).response.outcome == Outcome::kServed);
    const DeviceCredentials pair = f.credentials(kMac);
    REQUIRE(pair.used_at == 0);
    f.flaky.writes_away = true;
    const uint64_t before = fromCache();
    // Its first use is a write, which fails: the kept pair answers.
    const Fetched fetched = f.fetch(kFile, kOutside, "", f.digest(pair), Protocol::kHttps);
    CHECK(fetched.response.outcome == Outcome::kServed);
    CHECK(fromCache() == before + 1);
    CHECK(f.credentials(kMac).used_at == 0);  // nothing written
}

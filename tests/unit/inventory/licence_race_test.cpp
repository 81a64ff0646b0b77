// The licence limit under concurrent creates from several nodes: two
// Inventory objects, each on its own Store over one database (two
// PgStores on one PostgreSQL schema, or two SqliteStores on one file), with
// threads creating extensions on both at once. Exactly the limit is
// created, never one more.

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "fakes/fake_catalog.h"
#include "fakes/shared_database.h"
#include "fakes/test_store.h"
#include "provisioner/inventory/inventory.h"
#include "provisioner/store/migrations.h"
#include "provisioner/tls/crypto.h"

using namespace prov;

using testing::SharedDatabase;

TEST_CASE("nodes starting together on one database apply the migrations once") {
    FakeClock clock;
    SharedDatabase db(clock, 3);
    size_t applied = 0;
    for (const auto& r : db.reports) {
        applied += r.applied.size();
        CHECK(r.to_version == SqliteStore::latestVersion());
    }
    CHECK(applied == sqlite::migrations().size());
}

TEST_CASE("the licence limit holds under concurrent creates through two stores") {
    FakeClock clock;
    SharedDatabase db(clock, 2);
    tls::CtrDrbgRandom randoms[2];  // one per node, as each process has its own
    tls::Sha256Hasher hasher;
    testing::FakeCatalog catalog;
    constexpr int64_t kLimit = 20;
    std::vector<std::unique_ptr<Inventory>> nodes;
    for (size_t i = 0; i < db.stores.size(); ++i)
        nodes.push_back(std::make_unique<Inventory>(*db.stores[i], randoms[i], hasher, clock, catalog,
                                                    InventoryOptions{kLimit, 60}));
    const Actor admin{"test", Role::kAdmin};
    std::atomic<int> created{0}, refused{0}, other{0};
    constexpr int kThreadsPerNode = 3, kEach = 12;
    std::vector<std::thread> threads;
    for (int t = 0; t < 2 * kThreadsPerNode; ++t) {
        threads.emplace_back([&, t] {
            Inventory& node = *nodes[t % 2];
            for (int i = 0; i < kEach; ++i) {
                Extension e;
                e.extension = std::to_string(1000 + t * 100 + i);
                e.callerid_name = "User " + e.extension;
                e.secret = "s3cret-" + e.extension + "-Long-Enough-1";  // no draw from a shared DRBG
                const Result<Extension> r = node.createExtension(e, admin);
                if (r) {
                    ++created;
                } else if (r.error().reason == "license_limit_reached") {
                    ++refused;
                } else {
                    ++other;
                    UNSCOPED_INFO(r.error().message);
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    CHECK(other == 0);
    CHECK(created == kLimit);
    CHECK(refused == 2 * kThreadsPerNode * kEach - kLimit);
    CHECK(nodes[0]->licence().value().used == kLimit);
    CHECK(nodes[1]->listExtensions({}, {}).value().total == kLimit);
    // Every create audited once, on whichever node made it.
    CHECK(nodes[1]->listAudit({}, {}).value().total == kLimit);
}

#pragma once

// An Inventory over a fresh store (fakes/test_store.h: SQLite in memory, or
// a schema of the PostgreSQL test cluster) with the fake model table
// (Yealink T31, 2 lines), a fake clock and real crypto, for the tests of
// inventory/ and of what sits on it.

#include <catch2/catch.hpp>

#include <memory>

#include "fakes/fake_catalog.h"
#include "provisioner/inventory/inventory.h"
#include "fakes/test_store.h"
#include "provisioner/tls/crypto.h"

namespace prov::testing {

struct InventoryFixture {
    FakeClock clock;
    std::unique_ptr<Store> store;
    tls::CtrDrbgRandom random;
    tls::Sha256Hasher hasher;
    FakeCatalog catalog;
    std::unique_ptr<Inventory> inv;
    Actor admin{"test", Role::kAdmin};

    explicit InventoryFixture(int64_t licence = 10) {
        store = openTestStore(clock);
        inv = std::make_unique<Inventory>(*store, random, hasher, clock, catalog, InventoryOptions{licence, 60});
    }

    // An import by `admin` that must not fail as a whole (its rows may).
    ImportReport import(const std::string& csv, bool dry_run = false) {
        ImportOptions o;
        o.dry_run = dry_run;
        auto r = inv->importCsv(csv, o, admin);
        REQUIRE(r);
        return r.value();
    }
    std::string exported() {
        auto out = inv->exportCsv(false);
        REQUIRE(out);
        return out.value();
    }
    int64_t extensions() { return inv->listExtensions({}, {}).value().total; }
    int64_t devices() { return inv->listDevices({}, {}).value().total; }
};

}  // namespace prov::testing

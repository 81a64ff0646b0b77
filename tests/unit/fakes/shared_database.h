#pragma once

// `n` stores over one fresh database, as `n` nodes of a fleet see it: two
// PgStores on one PostgreSQL schema, or two SqliteStores on one file. Each
// is migrated (at once on PostgreSQL: the migration lock lets one node apply
// them and the others find none).

#include <catch2/catch.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "fakes/test_store.h"
#include "temp_dir.h"

namespace prov::testing {

struct SharedDatabase {
    TempDir dir;
    std::vector<std::unique_ptr<Store>> stores;
    std::vector<MigrationReport> reports;

    SharedDatabase(const Clock& clock, int n) {
        if (testPgUrl().empty()) {
            const std::string path = dir.path() + "/store.db";
            for (int i = 0; i < n; ++i) {
                auto s = SqliteStore::open(path, clock);
                REQUIRE(s);
                auto m = s.value()->migrate();
                REQUIRE(m);
                reports.push_back(m.value());
                stores.push_back(std::move(s).value());
            }
            return;
        }
        const std::string url = freshPgUrl();
        std::vector<std::unique_ptr<PgStore>> pg(n);
        for (int i = 0; i < n; ++i) {
            auto s = PgStore::open(url, clock);
            REQUIRE(s);
            pg[i] = std::move(s).value();
        }
        std::vector<Result<MigrationReport>> migrated(n, Error::internal("not run"));
        std::vector<std::thread> threads;
        for (int i = 0; i < n; ++i)
            threads.emplace_back([&, i] { migrated[i] = pg[i]->migrate(); });
        for (auto& t : threads) t.join();
        for (int i = 0; i < n; ++i) {
            REQUIRE(migrated[i]);
            reports.push_back(migrated[i].value());
            stores.push_back(std::move(pg[i]));
        }
    }
};

}  // namespace prov::testing

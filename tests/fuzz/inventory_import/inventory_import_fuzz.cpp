// The inventory CSV import (Inventory::importCsv), dry run, over an in-memory
// store holding a few extensions and devices and the real vendor catalog:
// both passes, the row checks and the writes, rolled back each time.

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>

#include "fuzz_check.h"
#include "provisioner/catalog/vendor_catalog.h"
#include "provisioner/core/clock.h"
#include "provisioner/inventory/inventory.h"
#include "provisioner/store/sqlite_store.h"
#include "provisioner/tls/crypto.h"

using namespace prov;

namespace {

// Secrets drawn in a dry run are thrown away; counting keeps runs repeatable.
class CountingRandom final : public RandomSource {
  public:
    std::string alnum(size_t length) override {
        std::string s = "r" + std::to_string(++n_);
        s.resize(length, 'x');
        return s;
    }

  private:
    uint64_t n_ = 0;
};

struct World {
    FakeClock clock;
    CountingRandom random;
    tls::Sha256Hasher hasher;
    std::unique_ptr<VendorCatalog> catalog;
    std::unique_ptr<SqliteStore> store;
    std::unique_ptr<Inventory> inventory;
    Actor admin{"fuzz", Role::kAdmin};
};

World* world = nullptr;

[[noreturn]] void die(const std::string& why) {
    std::fprintf(stderr, "inventory_import fuzz: %s\n", why.c_str());
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    world = new World;
    const char* dir = std::getenv("PROVISIONER_TEMPLATES_DIR");
    auto catalog = VendorCatalog::load(dir ? dir : TEMPLATES_DIR);
    if (!catalog) die("the vendor catalog does not load: " + catalog.error().message);
    world->catalog = std::make_unique<VendorCatalog>(std::move(catalog).value());
    auto store = SqliteStore::open(":memory:", world->clock);
    if (!store) die("no in-memory store: " + store.error().message);
    world->store = std::move(store).value();
    if (!world->store->migrate()) die("the store does not migrate");
    world->inventory =
        std::make_unique<Inventory>(*world->store, world->random, world->hasher, world->clock,
                                    *world->catalog, InventoryOptions{50, 300});
    // What an import meets in a live store: rows it changes, leaves, or clashes with.
    std::ifstream in(SEED_CSV, std::ios::binary);
    const std::string seed{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    auto seeded = world->inventory->importCsv(seed, {}, world->admin);
    if (!seeded || !seeded.value().problems.empty())
        die("the seed file " SEED_CSV " does not import");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ImportOptions options;
    options.dry_run = true;
    const Result<ImportReport> report =
        world->inventory->importCsv(prov::fuzz::bytes(data, size), options, world->admin);
    if (!report) {
        FUZZ_CHECK(report.error().code == Code::kInvalidArgument);
        return 0;
    }
    const ImportReport& r = report.value();
    FUZZ_CHECK(r.dry_run);
    FUZZ_CHECK(r.created.size() <= ImportReport::kMaxListed &&
               r.changed.size() <= ImportReport::kMaxListed);
    for (const ImportProblem& p : r.problems) FUZZ_CHECK(p.line >= 2 && !p.reason.empty());
    return 0;
}

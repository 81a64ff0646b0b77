// Store benchmark: N extensions each bound to its own device, created through
// the inventory rules (one transaction each, as the API does), then random
// point lookups by MAC, the query a phone fetch makes.
//
//   store_bench DB_PATH [N] [LOOKUPS] [TEMPLATES_DIR]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "provisioner/inventory/inventory.h"
#include "provisioner/store/sqlite_store.h"
#include "provisioner/tls/crypto.h"

using namespace prov;
using Clock_ = std::chrono::steady_clock;

namespace {

std::string macFor(int i) {
    char buf[13];
    std::snprintf(buf, sizeof buf, "0015%08x", i);
    return buf;
}

double micros(Clock_::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: store_bench DB_PATH [N] [LOOKUPS] [TEMPLATES_DIR]\n");
        return 2;
    }
    const std::string path = argv[1];
    const int n = argc > 2 ? std::stoi(argv[2]) : 100000;
    const int lookups = argc > 3 ? std::stoi(argv[3]) : 100000;
    const std::string templates = argc > 4 ? argv[4] : "vendor-templates";

    SystemClock clock;
    auto opened = SqliteStore::open(path, clock);
    if (!opened || !opened.value()->migrate()) {
        std::fprintf(stderr, "cannot open %s\n", path.c_str());
        return 1;
    }
    auto& store = *opened.value();
    auto catalog = VendorCatalog::load(templates);
    if (!catalog) {
        std::fprintf(stderr, "%s\n", catalog.error().message.c_str());
        return 1;
    }
    tls::CtrDrbgRandom random;
    tls::Sha256Hasher hasher;
    Inventory inv(store, random, hasher, clock, catalog.value(), InventoryOptions{n + 1, 300});
    const Actor actor{"bench", Role::kAdmin};

    const auto t0 = Clock_::now();
    for (int i = 0; i < n; ++i) {
        Extension e;
        e.extension = std::to_string(100000 + i);
        e.callerid_name = "User " + std::to_string(i);
        e.mac = macFor(i);
        e.phone_make = "Yealink";
        e.phone_model = "T46U";
        auto r = inv.createExtension(e, actor);
        if (!r) {
            std::fprintf(stderr, "create %d: %s\n", i, r.error().message.c_str());
            return 1;
        }
    }
    const double create_s = micros(Clock_::now() - t0) / 1e6;

    std::mt19937 rng(42);
    std::uniform_int_distribution<int> pick(0, n - 1);
    std::vector<double> samples;
    samples.reserve(static_cast<size_t>(lookups));
    size_t found = 0;
    for (int i = 0; i < lookups; ++i) {
        const std::string mac = macFor(pick(rng));
        const auto s = Clock_::now();
        Status st = store.read([&](StoreTx& tx) -> Status {
            auto lines = tx.extensionsOnDevice(mac);
            if (!lines) return lines.error();
            found += lines.value().size();
            return okStatus();
        });
        samples.push_back(micros(Clock_::now() - s));
        if (!st) return 1;
    }
    std::sort(samples.begin(), samples.end());
    auto pct = [&](double p) { return samples[static_cast<size_t>(p * (samples.size() - 1))]; };
    std::printf("extensions+devices created: %d in %.2f s (%.0f/s, one transaction each)\n", n, create_s,
                n / create_s);
    std::printf("lookup by MAC (%d random, %zu lines found): p50 %.1f us, p99 %.1f us, max %.1f us\n", lookups,
                found, pct(0.50), pct(0.99), samples.back());
    return found == static_cast<size_t>(lookups) ? 0 : 1;
}

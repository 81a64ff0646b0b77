// What /readyz and /metrics read from the server's parts (scrape.h): a
// store whose file went away or was replaced is not ready; templates with
// no vendor are not ready; the exposition holds the build and process too.

#include "provisioner/app/scrape.h"
#include "provisioner/store/sqlite_store.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "provisioner/app/build_info.h"
#include "temp_dir.h"

using namespace prov;
using namespace prov::app;

TEST_CASE("readiness: the store's file and a read of it, and loaded templates") {
    testing::TempDir dir;
    SystemClock clock;
    const std::string path = dir.path() + "/store.db";
    auto opened = SqliteStore::open(path, clock);
    REQUIRE(opened);
    std::unique_ptr<SqliteStore> store = std::move(opened).value();
    REQUIRE(store->migrate());
    auto bundle = loadBundle(TEMPLATES_DIR);
    REQUIRE(bundle);
    const BundleSource bundles(bundle.value());
    const size_t vendors = bundle.value()->catalog.vendors().size();
    REQUIRE(vendors > 0);

    admin::Readiness r = checkReadiness(store.get(), &bundles);
    CHECK(r.ready);
    CHECK(r.report == "store: ok\ntemplates: ok (" + std::to_string(vendors) +
                          " vendors)\nserving: store\nevents_spooled: 0\n");

    // Moved away under the running server: it would write to a file nobody opens again.
    REQUIRE(std::rename(path.c_str(), (path + ".moved").c_str()) == 0);
    r = checkReadiness(store.get(), &bundles);
    CHECK_FALSE(r.ready);
    CHECK(r.report.rfind("store: unavailable: the store file " + path + " is gone (", 0) == 0);
    CHECK(r.report.find("templates: ok") != std::string::npos);
    CHECK(r.report.find("\nserving: none\n") != std::string::npos);  // gone for good: no cache mode

    // Something else put in its place (a file of another inode).
    std::ofstream(path) << "not the store";
    r = checkReadiness(store.get(), &bundles);
    CHECK_FALSE(r.ready);
    CHECK(r.report.find("was replaced while the server runs") != std::string::npos);

    // Back where it was: ready again.
    std::filesystem::remove(path);
    REQUIRE(std::rename((path + ".moved").c_str(), path.c_str()) == 0);
    CHECK(checkReadiness(store.get(), &bundles).ready);

    r = checkReadiness(store.get(), nullptr);
    CHECK_FALSE(r.ready);
    CHECK(r.report == "store: ok\ntemplates: none loaded\nserving: store\nevents_spooled: 0\n");
    r = checkReadiness(nullptr, &bundles);
    CHECK_FALSE(r.ready);
    CHECK(r.report.rfind("store: not open\n", 0) == 0);
}

namespace {

// A store that does not answer now, as PgStore when PostgreSQL is down.
class AwayStore final : public Store {
public:
    std::string reason = "store_unreachable";
    Status read(const Work&) override { return gone(); }
    Status write(const Work&) override { return gone(); }

private:
    Error gone() const { return Error{Code::kUnavailable, reason, "the PostgreSQL store does not answer: refused", {}, {}}; }
};

}  // namespace

TEST_CASE("readiness: a store that does not answer now leaves the node ready, serving from its cache") {
    auto bundle = loadBundle(TEMPLATES_DIR);
    REQUIRE(bundle);
    const BundleSource bundles(bundle.value());
    AwayStore store;
    admin::Readiness r = checkReadiness(&store, &bundles);
    CHECK(r.ready);
    CHECK(r.report.rfind("store: unavailable: the PostgreSQL store does not answer: refused\ntemplates: ok (", 0) == 0);
    CHECK(r.report.find("\nserving: cache\nevents_spooled: 0\n") != std::string::npos);
    store.reason = "store_busy";  // SQLite past its busy timeout: the same
    CHECK(checkReadiness(&store, &bundles).ready);
    // Without templates the cache serves nothing it could render again: not ready.
    CHECK_FALSE(checkReadiness(&store, nullptr).ready);
    // Any other unavailability (a schema this build does not know, a server
    // that answers and refuses: a login, a missing table) is not a blip.
    for (const char* broken : {"schema_mismatch", "store_unavailable", "store_unreadable"}) {
        store.reason = broken;
        r = checkReadiness(&store, &bundles);
        CHECK_FALSE(r.ready);
        CHECK(r.report.find("\nserving: none\n") != std::string::npos);
    }
}

TEST_CASE("the exposition holds the build, the process and the server's families") {
    ScrapeSources none;
    none.start_time = 1732788000;
    const std::string text = scrapeMetrics(none);
    CHECK(text.find("# TYPE provisioner_build_info gauge\nprovisioner_build_info{version=\"" +
                    std::string(buildVersion()) + "\",revision=\"") != std::string::npos);
    CHECK(!buildVersion().empty());
    CHECK(text.find("\nprocess_start_time_seconds 1732788000\n") != std::string::npos);
    CHECK(text.find("\nprocess_resident_memory_bytes ") != std::string::npos);
    CHECK(text.find("\nprocess_open_fds ") != std::string::npos);
    CHECK(text.find("# TYPE provisioner_fetches_total counter\n") != std::string::npos);
    CHECK(text.find("# TYPE provisioner_fetch_duration_seconds histogram\n") != std::string::npos);
    CHECK(text.find("# TYPE provisioner_fetches_from_cache_total counter\n") != std::string::npos);
    // Parts not there: their gauges are left out, not written as zero.
    CHECK(text.find("provisioner_event_queue_depth") == std::string::npos);
    CHECK(text.find("provisioner_http_connections") == std::string::npos);
}

// The background import table: what happens when no thread starts, and how
// much it keeps.

#include "provisioner/admin/import_jobs.h"

#include <catch2/catch.hpp>
#include <system_error>

#include "provisioner/core/clock.h"

using namespace prov;
using namespace prov::admin;

TEST_CASE("import jobs: a thread that cannot start is a 503 no_thread, and the next import runs") {
    FakeClock clock;
    ImportJobs jobs(clock);
    bool ran = false;
    jobs.setSpawn([](std::function<void()>) -> std::thread {
        throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again));
    });
    auto refused = jobs.start([&](const ImportJobs::Progress&) {
        ran = true;
        return ImportOutcome{true, "{}"};
    });
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Code::kUnavailable);
    CHECK(refused.error().reason == "no_thread");
    CHECK_FALSE(jobs.get(1));  // no job left behind as running
    jobs.wait();               // returns: nothing is marked running

    jobs.setSpawn([](std::function<void()> body) { return std::thread(std::move(body)); });
    auto id = jobs.start([&](const ImportJobs::Progress&) {
        ran = true;
        return ImportOutcome{true, "{}"};
    });
    REQUIRE(id);  // not import_running: the failed start did not wedge the table
    jobs.wait();
    CHECK(ran);
    CHECK(jobs.get(id.value())->state == ImportState::kDone);
}

TEST_CASE("import jobs: reports are kept up to a byte budget, the newest always") {
    FakeClock clock;
    ImportJobs jobs(clock, 16, 3600, 1000);
    const std::string big = "\"" + std::string(598, 'x') + "\"";  // 600 bytes of JSON
    std::vector<int64_t> ids;
    for (int i = 0; i < 3; ++i) {
        auto id = jobs.start([&](const ImportJobs::Progress&) {
            return ImportOutcome{false, big};
        });
        REQUIRE(id);
        jobs.wait();
        ids.push_back(id.value());
    }
    CHECK_FALSE(jobs.get(ids[0]));
    CHECK_FALSE(jobs.get(ids[1]));  // 1200 bytes with the newest: over 1000
    auto newest = jobs.get(ids[2]);
    REQUIRE(newest);
    CHECK(newest->report == big);

    // One report over the whole budget is still kept: the caller polls for it.
    const std::string huge = "\"" + std::string(2000, 'y') + "\"";
    auto id = jobs.start([&](const ImportJobs::Progress&) { return ImportOutcome{true, huge}; });
    REQUIRE(id);
    jobs.wait();
    CHECK(jobs.get(id.value()));
    CHECK_FALSE(jobs.get(ids[2]));
}

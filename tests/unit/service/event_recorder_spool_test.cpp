// The event writer with a store that goes away: batches go to the spool on
// disk, are stored from it in order and exactly once when the store is back
// (or at the next start), the spool's bound drops and counts, damaged files
// are set aside, and an error other than "unavailable" holds the replay
// without losing a batch, unless one batch is refused again and again.

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <thread>

#include "fakes/inventory_fixture.h"
#include "provisioner/service/event_recorder.h"
#include "temp_dir.h"

using namespace prov;
using namespace std::chrono_literals;

namespace {

// The fixture's store, made unavailable (as PostgreSQL stopped is) or
// broken (as a bug is) on demand; it may also lose the answer of a commit
// it made, as a connection dropped during COMMIT does.
class OutageStore final : public Store {
  public:
    explicit OutageStore(Store& inner) : inner_(inner) {}
    std::atomic<bool> down{false};
    std::atomic<bool> broken{false};
    std::atomic<int> answers_to_lose{0};
    std::atomic<int> writes{0};

    Status read(const Work& work) override {
        if (down) return away();
        return inner_.read(work);
    }
    Status write(const Work& work) override {
        ++writes;
        if (down) return away();
        if (broken) return Error::internal("store: event: a bug");
        Status st = inner_.write(work);
        if (st && answers_to_lose.load() > 0) {
            --answers_to_lose;
            return away();
        }
        return st;
    }

  private:
    static Error away() {
        return Error{Code::kUnavailable, "store_unavailable", "down for the test", {}, {}};
    }
    Store& inner_;
};

struct Fixture : testing::InventoryFixture {
    testing::TempDir dir;
    std::string spool_dir = dir.path() + "/spool";
    OutageStore outage{*store};
    std::unique_ptr<EventRecorder> events;
    int next = 0;  // the next fetch's number: its path is "f<n>"

    Fixture() { start(); }
    void start(uint64_t spool_bytes = 1 << 20, std::chrono::milliseconds spool_retry = 20ms) {
        EventRecorderOptions o;
        o.store_attempts = 2;
        o.store_retry = 1ms;
        o.spool_retry = spool_retry;
        o.gather = 200ms;  // cut short by flush(): one batch per fetches() call
        events = std::make_unique<EventRecorder>(outage, random, o,
                                                 EventSpool::open(spool_dir, spool_bytes).value());
    }
    void stop() { events.reset(); }
    // `n` fetches, one batch.
    void fetches(int n) {
        for (int i = 0; i < n; ++i) {
            Event e;
            e.at = clock.nowSeconds();
            e.peer_ip = "10.0.0.7";
            e.protocol = "http";
            e.path = "f" + std::to_string(next++);
            e.outcome = "not_found";
            events->record(e);
        }
        events->flush();
    }
    // The paths of the stored events, oldest first.
    std::vector<std::string> stored() {
        std::vector<std::string> out;
        REQUIRE(store->read([&](StoreTx& tx) -> Status {
            for (const Event& e : TRY(tx.listEvents({}, Page{10000, 0})).items)
                out.push_back(e.path);
            return okStatus();
        }));
        std::reverse(out.begin(), out.end());  // listed newest first
        return out;
    }
    std::vector<std::string> expected(int from, int to) {
        std::vector<std::string> out;
        for (int i = from; i < to; ++i) out.push_back("f" + std::to_string(i));
        return out;
    }
    // Waits (5 s at most) for the spool to be stored.
    bool drained() {
        for (int i = 0; i < 500 && events->spooledBatches() > 0; ++i)
            std::this_thread::sleep_for(10ms);
        return events->spooledBatches() == 0;
    }
    std::vector<std::string> spoolFiles(const std::string& suffix = ".batch") {
        std::vector<std::string> out;
        for (const auto& f : std::filesystem::directory_iterator(spool_dir)) {
            const std::string name = f.path().filename().string();
            if (name.size() > suffix.size() &&
                name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
                out.push_back(name);
        }
        std::sort(out.begin(), out.end());
        return out;
    }
};

}  // namespace

TEST_CASE(
    "with the store away, events are spooled and none stored, and back, each is stored once, in "
    "order") {
    Fixture f;
    f.fetches(2);  // stored directly
    f.outage.down = true;
    f.fetches(4);
    f.fetches(3);
    f.fetches(5);
    CHECK(f.events->spooledBatches() == 3);
    CHECK(f.events->spooledEvents() == 12);
    CHECK(f.spoolFiles().size() == 3);
    CHECK(f.stored() == f.expected(0, 2));
    f.outage.down = false;
    REQUIRE(f.drained());
    f.fetches(2);  // after the spool, straight to the store again
    CHECK(f.stored() == f.expected(0, 16));
    CHECK(f.spoolFiles().empty());
    CHECK(f.events->spooledEvents() == 0);
    CHECK(f.events->spoolDropped() == 0);
}

TEST_CASE(
    "a batch stored twice counts once: a lost commit answer, and a spool file replayed after a "
    "crash") {
    Fixture f;
    // The commit is made but its answer lost: tried again, the batch id is
    // found and nothing more is stored.
    f.outage.answers_to_lose = 1;
    f.fetches(3);
    CHECK(f.stored() == f.expected(0, 3));
    CHECK(f.events->spooledBatches() == 0);

    // A spooled batch stored, and its file back (a crash between the commit
    // and the unlink), replayed at the next start.
    f.outage.down = true;
    f.fetches(4);
    const auto files = f.spoolFiles();
    REQUIRE(files.size() == 1);
    const std::string kept = f.dir.path() + "/kept";
    std::filesystem::copy_file(f.spool_dir + "/" + files[0], kept);
    f.outage.down = false;
    REQUIRE(f.drained());
    CHECK(f.stored() == f.expected(0, 7));
    f.stop();
    std::filesystem::copy_file(kept, f.spool_dir + "/" + files[0]);
    f.start();
    REQUIRE(f.drained());
    CHECK(f.spoolFiles().empty());
    CHECK(f.stored() == f.expected(0, 7));
}

TEST_CASE("a spool left by a stopped server is stored at its next start, before what comes after") {
    Fixture f;
    f.outage.down = true;
    f.fetches(3);
    f.fetches(2);
    f.stop();  // the store still away: the batches stay on disk
    REQUIRE(f.spoolFiles().size() == 2);
    CHECK(f.stored().empty());
    f.outage.down = false;
    f.start();
    f.fetches(1);  // spooled behind the others, or stored after them
    REQUIRE(f.drained());
    CHECK(f.stored() == f.expected(0, 6));
}

TEST_CASE(
    "past the spool's size, batches are dropped and counted, and the spooled ones are still stored") {
    Fixture f;
    f.stop();
    // Room for three batches of two fetches (a little less than four).
    EventBatch two{std::string(kEventBatchIdLength, 'a'), std::vector<Event>(2)};
    for (Event& e : two.events) {
        e.at = f.clock.nowSeconds();
        e.peer_ip = "10.0.0.7";
        e.protocol = "http";
        e.path = "f10";
        e.outcome = "not_found";
    }
    const size_t size = encodeEventBatch(two).size();
    f.start(size * 3 + size / 2);
    f.outage.down = true;
    int spooled = 0;
    for (int b = 0; b < 10; ++b) {
        f.fetches(2);
        if (f.events->spoolDropped() == 0) spooled = f.next;
    }
    REQUIRE(spooled == 6);
    CHECK(f.events->spooledEvents() == 6);
    CHECK(f.events->spoolDropped() == 14);
    f.outage.down = false;
    REQUIRE(f.drained());
    CHECK(f.stored() == f.expected(0, spooled));
}

TEST_CASE("with the spool full, the first batch after the store is back is stored, not dropped") {
    Fixture f;
    f.stop();
    EventBatch two{std::string(kEventBatchIdLength, 'a'), std::vector<Event>(2)};
    for (Event& e : two.events) {
        e.at = f.clock.nowSeconds();
        e.peer_ip = "10.0.0.7";
        e.protocol = "http";
        e.path = "f10";
        e.outcome = "not_found";
    }
    const size_t size = encodeEventBatch(two).size();
    // Room for three batches of two; the spool not tried on its own during
    // the test (spool_retry 60 s).
    f.start(size * 3 + size / 2, 60s);
    f.outage.down = true;
    for (int b = 0; b < 4; ++b) f.fetches(2);
    REQUIRE(f.events->spoolDropped() == 2);  // f6 and f7
    f.outage.down = false;
    f.fetches(2);  // f8 and f9: the spool stored first, to make room
    CHECK(f.events->spoolDropped() == 2);
    REQUIRE(f.drained());
    std::vector<std::string> want = f.expected(0, 6);
    want.push_back("f8");
    want.push_back("f9");
    CHECK(f.stored() == want);
}

TEST_CASE("a damaged spool file is set aside as .bad, and the batches after it are stored") {
    Fixture f;
    f.outage.down = true;
    f.fetches(2);
    f.fetches(3);
    f.stop();
    const auto files = f.spoolFiles();
    REQUIRE(files.size() == 2);
    f.dir.write("spool/" + files[0], "provisioner-event-batch 1\nid edited by hand\n");
    f.outage.down = false;
    f.start();
    REQUIRE(f.drained());
    CHECK(f.stored() == f.expected(2, 5));
    CHECK(f.spoolFiles(".bad") == std::vector<std::string>{files[0] + ".bad"});
}

TEST_CASE(
    "an error of the store that is not its being away (disk full) spools the batch and holds the "
    "replay, and once it clears every batch is stored, once, in order") {
    Fixture f;
    f.outage.down = true;
    f.fetches(2);
    f.fetches(1);
    REQUIRE(f.events->spooledBatches() == 2);
    f.outage.down = false;
    f.outage.broken = true;  // an internal error, as PostgreSQL's disk full comes back
    const int before = f.outage.writes;
    f.fetches(1);  // behind the spooled ones
    // Two refused replays, fewer than kSpoolFailuresBeforeAside.
    for (int i = 0; i < 500 && f.outage.writes < before + 2; ++i)
        std::this_thread::sleep_for(1ms);
    REQUIRE(f.outage.writes >= before + 2);
    CHECK(f.events->spooledBatches() == 3);
    CHECK(f.spoolFiles().size() == 3);
    CHECK(f.spoolFiles(".bad").empty());
    f.outage.broken = false;
    REQUIRE(f.drained());
    CHECK(f.stored() == f.expected(0, 4));
    CHECK(f.spoolFiles(".bad").empty());
}

TEST_CASE("a direct batch the store refuses goes to the spool, stored once the store takes it") {
    Fixture f;
    f.outage.broken = true;
    f.fetches(2);
    CHECK(f.events->spooledBatches() == 1);
    f.outage.broken = false;
    REQUIRE(f.drained());
    f.fetches(1);
    CHECK(f.stored() == f.expected(0, 3));
}

TEST_CASE("a spooled batch the store refuses again and again is set aside, and the rest go on") {
    Fixture f;
    f.outage.broken = true;
    f.fetches(2);
    REQUIRE(f.spoolFiles().size() == 1);
    const std::string first = f.spoolFiles()[0];
    // kSpoolFailuresBeforeAside refusals, spool_retry (20 ms) apart.
    for (int i = 0; i < 500 && f.spoolFiles(".bad").empty(); ++i)
        std::this_thread::sleep_for(10ms);
    CHECK(f.spoolFiles(".bad") == std::vector<std::string>{first + ".bad"});
    CHECK(f.outage.writes >= kSpoolFailuresBeforeAside);
    f.outage.broken = false;
    f.fetches(1);
    REQUIRE(f.drained());
    CHECK(f.stored() == std::vector<std::string>{"f2"});
}

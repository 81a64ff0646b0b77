// The resync dispatcher on a node that does not lead the fleet
// (DispatcherOptions::leads): queued devices stay queued for the leader;
// once this node leads, it takes them.

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "fakes/test_store.h"
#include "provisioner/resync/dispatcher.h"
#include "provisioner/tls/crypto.h"

using namespace prov;

namespace {

std::string resyncOf(Store& store, const std::string& mac) {
    std::string out;
    REQUIRE(store.read([&](StoreTx& tx) -> Status {
        auto d = TRY(tx.getDevice(mac));
        REQUIRE(d);
        out = d->resync;
        return okStatus();
    }));
    return out;
}

}  // namespace

TEST_CASE(
    "dispatcher: a node that does not lead leaves the queue to the leader, then takes it when it "
    "leads") {
    SystemClock clock;  // the dispatcher's thread waits on real time
    auto store = testing::openTestStore(clock);
    const std::string mac = "001565aabb01";
    REQUIRE(store->write([&](StoreTx& tx) -> Status {
        Device d;
        d.mac = mac;
        d.make = "Yealink";
        d.model = "T46U";
        d.state = DeviceState::kProvisioned;
        TRY(tx.insertDevice(d));
        (void)TRY(tx.queueResync(mac, "", clock.nowSeconds()));
        return okStatus();
    }));
    tls::CtrDrbgRandom random;
    tls::Sha256Hasher hasher;
    std::atomic<bool> leading{false};
    resync::DispatcherOptions o;
    o.bind = "127.0.0.1";
    o.scan_interval_ms = 50;
    o.leads = [&] { return leading.load(); };
    resync::Dispatcher dispatcher(*store, clock, random, hasher, nullptr, o);
    REQUIRE(dispatcher.start());

    for (int i = 0; i < 6; ++i) {  // several scans, and a wake
        dispatcher.wake();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    CHECK(resyncOf(*store, mac) == "queued");

    leading = true;
    dispatcher.wake();
    std::string now = "queued";
    for (int i = 0; i < 100 && now == "queued"; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        now = resyncOf(*store, mac);
    }
    // No line registered: nothing to reach it by, so taken and given up.
    CHECK(now == "gave_up");
    dispatcher.stop();
}

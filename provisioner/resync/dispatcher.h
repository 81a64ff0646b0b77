#pragma once

// The resync push subsystem: one thread that asks devices to fetch their
// config now instead of at their next daily resync. Started by app/ (never
// on a fetch path). On wake() (the inventory changed) and every
// scan_interval_ms it queues the stale devices (StoreTx::queueStaleResyncs)
// and takes the queued ones (nextResync: the API's and the CLI's too, which
// only write the queue), at most `rate` a second (TokenBucket). For each it
// picks a line (planPush) and sends a SIP NOTIFY over UDP
// (NotifyTransaction, many at once on one socket) or runs the hook
// (HookProcess), then records the outcome: a resync_pushes row, an events
// row (protocol "sip" or "hook"), and devices.resync = pushed or failed.
// On a store several nodes share, only the fleet's leader does this
// (DispatcherOptions::leads); the others' API requests only queue.
//
//   Dispatcher d(store, clock, random, hasher, vendors, options);
//   TRY(d.start());
//   inventory.setChangeListener([&] { d.wake(); });
//   ...
//   d.stop();   // pushes under way are dropped; their devices stay queued

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>

#include "provisioner/core/clock.h"
#include "provisioner/core/random_source.h"
#include "provisioner/core/result.h"
#include "provisioner/core/sockets.h"
#include "provisioner/resync/hook.h"
#include "provisioner/resync/plan.h"
#include "provisioner/resync/token_bucket.h"
#include "provisioner/resync/transaction.h"
#include "provisioner/store/store.h"

namespace prov::resync {

struct DispatcherOptions {
    Route route = Route::kNotify;
    std::optional<HookCommand> hook;  // none: resync.hook not set
    int64_t rate = 10;                // pushes a second, all routes together
    std::string bind = "0.0.0.0";     // the NOTIFY socket
    int port = 0;                     // 0: any free port
    // Our address in Via, From, Contact and the Call-ID; "": the bound
    // address, or for a wildcard bind the one the system sends from toward
    // the phone.
    std::string advertise;
    int64_t t1_ms = 500;
    int64_t hook_timeout_ms = 10'000;
    // A device still pushed (it never fetched) or failed is pushed again
    // after this long if it is still stale.
    int64_t retry_after_seconds = 300;
    int64_t scan_interval_ms = 2'000;
    size_t max_in_flight = 256;
    std::string user_agent = "Provisioner";
    // Several nodes on one store: whether this one leads the fleet
    // (Store::leads). Only the leader takes queued devices, so resync.rate
    // holds for the fleet; a node that stops leading drops the devices it
    // had taken but not started (they are still queued in the store) and
    // sees its pushes under way to their outcome. Unset: always.
    std::function<bool()> leads;
};

// A device's make (as stored) -> its vendor's folder and resync event
// (VendorSpec::resync_event); nullopt for a make no vendor has.
struct VendorEvent {
    std::string vendor;
    std::string event;
};
using VendorEvents = std::function<std::optional<VendorEvent>(const std::string& make)>;

class Dispatcher {
  public:
    Dispatcher(Store& store, const Clock& clock, RandomSource& random, const Hasher& hasher,
               VendorEvents vendors, DispatcherOptions options);
    ~Dispatcher();
    Dispatcher(const Dispatcher&) = delete;
    Dispatcher& operator=(const Dispatcher&) = delete;

    // Binds the NOTIFY socket (route notify; an error names resync.port)
    // and starts the thread.
    Status start();
    // From any thread: scan the queue now.
    void wake();
    // Ends the thread; pushes under way are dropped, their devices stay queued.
    void stop();
    // The NOTIFY socket's port; 0 when there is none.
    int port() const { return port_; }

  private:
    struct Push;

    void run();
    // One pass of run(): scan, launch, wait, receive, time out, record.
    void turn(int64_t& next_scan);
    // Whether this node takes pushes now (DispatcherOptions::leads).
    bool leading();
    void scan();
    void launch(int64_t now_us);
    void begin(const Device& device, int64_t now_us);
    Status sendNotify(Push& push, const Extension& line, int64_t now_us);
    void startHook(Push& push, const PushPlan& plan);
    void waitForWork(int64_t now_us, int64_t next_scan_us);
    void receive(int64_t now_us);
    void tick(int64_t now_us);
    void finishDone(int64_t now_us);
    void finish(Push& push, PushResult result, int status, int attempts, std::string detail,
                int64_t now_us);
    void record(Push& push);
    bool sendTo(Push& push, const std::string& datagram);
    std::string localHostToward(const net::SockAddr& to) const;

    Store& store_;
    const Clock& clock_;
    RandomSource& random_;
    const Hasher& hasher_;
    VendorEvents vendors_;
    DispatcherOptions options_;
    TokenBucket bucket_;
    int socket_ = -1;
    int wake_fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> woken_{false};
    std::thread thread_;
    // Only the thread touches these.
    std::deque<Device> pending_;   // taken from the queue, waiting for a token
    std::set<std::string> known_;  // MACs pending or in flight
    std::map<std::string, std::unique_ptr<Push>> in_flight_;  // by MAC
    std::unordered_map<std::string, std::string> by_branch_;  // NOTIFY branch -> MAC
    std::string receive_buffer_;
};

}  // namespace prov::resync

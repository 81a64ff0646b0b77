#pragma once

// Fetch events, recorded without blocking the phone: the hot path appends to
// a bounded queue; one writer thread stores them in batches, one transaction
// per batch, and updates each device's last-seen fields.
//
// A store that is away loses no event: a batch it cannot take (unavailable
// after a few tries) goes to the spool on disk (event_spool.h), and so does
// every batch after it, in order, while the spool holds any; the oldest
// spooled batch is tried every spool_retry, and once the store answers the
// spool is stored oldest first, each file deleted after its commit. Each
// batch has a random id stored with its events (StoreTx::addEventBatch), so
// a batch tried again (a commit whose answer was lost, a spool file replayed
// after a crash) is stored once. Past the spool's size, batches are dropped
// and counted. Any other error of the store (disk full, a bug, a
// constraint) spools the batch too, and stops a replay until the next
// spool_retry, the file kept; a spooled batch the store refuses
// kSpoolFailuresBeforeAside times in a row is set aside as .bad. Without a
// spool, a batch the store refuses is logged and dropped.

#include <atomic>
#include <chrono>
#include <functional>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "provisioner/core/random_source.h"
#include "provisioner/model/records.h"
#include "provisioner/service/event_spool.h"
#include "provisioner/store/store.h"

namespace prov {

class EventSink {
public:
    virtual ~EventSink() = default;
    virtual void record(Event event) = 0;
};

// Refusals of the same spooled batch, in a row and spool_retry apart at
// least, before it is set aside.
inline constexpr int kSpoolFailuresBeforeAside = 5;

struct EventRecorderOptions {
    size_t max_queue = 100000;
    size_t batch = 512;
    // How long the writer waits for a batch to fill after the first event.
    std::chrono::milliseconds gather{50};
    // Phones not in the store are recorded as `unassigned` devices up to this
    // many, so that a sweep of made-up MACs cannot fill the store.
    size_t max_unassigned = 10000;
    // Whether a phone at this address may have one more unknown device
    // recorded now (a per-source cap: SweepGuard::mayRecordUnknown); unset: yes.
    std::function<bool(const std::string& peer_ip)> may_record_unknown;
    // Fetches still off the firmware target, after the one that told the
    // phone to upgrade, before it is `failed` (firmware_status.h).
    int firmware_failed_after = 3;
    // With a spool: tries of a batch before it is spooled, and the pause
    // between them (SQLite's own busy wait comes on top). Without one, a
    // batch is tried for 30 s and then dropped.
    int store_attempts = 3;
    std::chrono::milliseconds store_retry{200};
    // How often the oldest spooled batch is tried while the store is away.
    std::chrono::milliseconds spool_retry{1000};
};

// Besides storing events, the writer keeps the devices' side of them:
//  - a fetch naming a MAC the store does not have adds an `unassigned` device
//    (vendor, model, firmware, address, first and last seen);
//  - each delivery of a device's own config moves its staging state by
//    staging::next (inventory/staging.h), as kRedelivered when the phone
//    already had those bytes (304, or the same hash as last time for that
//    file), else as kDelivered;
//  - each fetch of the file that carries its firmware keys moves its
//    firmware status (firmware_status.h).
class EventRecorder final : public EventSink {
public:
    // `random` draws the batch ids; `spool` null: no spool. A spool that
    // holds batches (left by a previous run) is stored first.
    EventRecorder(Store& store, RandomSource& random, EventRecorderOptions options = {},
                  std::unique_ptr<EventSpool> spool = nullptr);
    ~EventRecorder() override;  // flushes what is queued (to the spool, if the store is away)

    void record(Event event) override;
    // Blocks until every event recorded so far is stored, spooled or
    // dropped (tests, shutdown).
    void flush();
    // Events dropped because the memory queue was full.
    uint64_t dropped() const { return dropped_.load(); }
    // Events recorded and not yet taken by the writer.
    size_t queued();
    // What the spool holds now (0 without one), for /metrics and /readyz.
    uint64_t spooledBatches() const { return spool_ ? spool_->batches() : 0; }
    uint64_t spooledEvents() const { return spool_ ? spool_->events() : 0; }
    // Events dropped because the spool was full (or could not be written).
    uint64_t spoolDropped() const { return spool_dropped_.load(); }

private:
    // event_recorder.cpp: the rules of one batch, in one transaction.
    Status store(const EventBatch& batch);
    Status discover(StoreTx& tx, const Event& e, std::optional<int64_t>& room);
    Status advance(StoreTx& tx, const std::vector<const Event*>& events);
    Status followFirmware(StoreTx& tx, const std::vector<const Event*>& events);

    // event_writer.cpp: the writer thread, the retries and the spool.
    void run();
    void write(EventBatch batch);
    Status storeTrying(const EventBatch& batch);
    void toSpool(const EventBatch& batch);
    bool replaySpool();
    void replaySpoolNow();
    void dropForSpool(size_t events, const std::string& why);
    bool pauseOrStop(std::chrono::milliseconds pause);
    bool stopRequested();
    bool batchWaiting();

    Store& store_;
    RandomSource& random_;
    EventRecorderOptions options_;
    std::unique_ptr<EventSpool> spool_;
    std::atomic<uint64_t> spool_dropped_{0};
    // Writer thread only: the spool's warnings, one line a minute at most.
    uint64_t spool_drops_unlogged_ = 0;
    std::optional<std::chrono::steady_clock::time_point> spool_drop_logged_at_;
    // Writer thread only: when the spool is tried next.
    std::chrono::steady_clock::time_point next_spool_try_;
    bool full_logged_ = false;  // warned that max_unassigned is reached
    // Writer thread only: the spooled batch the store last refused, and how
    // many times in a row.
    std::string failing_batch_;
    int failing_tries_ = 0;
    std::chrono::steady_clock::time_point failing_counted_at_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable drained_;
    std::deque<Event> queue_;
    uint64_t queued_total_ = 0;
    uint64_t stored_total_ = 0;
    std::atomic<uint64_t> dropped_{0};
    bool stopping_ = false;
    uint64_t flushes_wanted_ = 0;  // flush() is waiting: write without gathering
    std::thread writer_;
};

}  // namespace prov

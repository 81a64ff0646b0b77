#pragma once

// Fetch events, recorded without blocking the phone: the hot path appends to
// a bounded queue; one writer thread stores them in batches, one transaction
// per batch, and updates each device's last-seen fields.

#include <atomic>
#include <chrono>
#include <functional>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "provisioner/model/records.h"
#include "provisioner/store/store.h"

namespace prov {

class EventSink {
public:
    virtual ~EventSink() = default;
    virtual void record(Event event) = 0;
};

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
    explicit EventRecorder(Store& store, EventRecorderOptions options = {});
    ~EventRecorder() override;  // flushes what is queued

    void record(Event event) override;
    // Blocks until every event recorded so far is stored (tests, shutdown).
    void flush();
    uint64_t dropped() const { return dropped_.load(); }
    // Events recorded and not yet taken by the writer.
    size_t queued();

private:
    void run();
    Status store(const std::vector<Event>& batch);
    Status discover(StoreTx& tx, const Event& e, std::optional<int64_t>& room);
    Status advance(StoreTx& tx, const std::vector<const Event*>& events);
    Status followFirmware(StoreTx& tx, const std::vector<const Event*>& events);

    Store& store_;
    EventRecorderOptions options_;
    bool full_logged_ = false;  // warned that max_unassigned is reached
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

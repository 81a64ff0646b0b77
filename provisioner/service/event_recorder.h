#pragma once

// Fetch events, recorded without blocking the phone: the hot path appends to
// a bounded queue; one writer thread stores them in batches, one transaction
// per batch, and updates each device's last-seen fields.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>

#include "provisioner/model/records.h"
#include "provisioner/store/store.h"

namespace prov {

class EventSink {
public:
    virtual ~EventSink() = default;
    virtual void record(Event event) = 0;
};

class EventRecorder final : public EventSink {
public:
    explicit EventRecorder(Store& store, size_t max_queue = 100000, size_t batch = 512);
    ~EventRecorder() override;  // flushes what is queued

    void record(Event event) override;
    // Blocks until every event recorded so far is stored (tests, shutdown).
    void flush();
    uint64_t dropped() const { return dropped_; }

private:
    void run();
    Status store(const std::vector<Event>& batch);

    Store& store_;
    size_t max_queue_;
    size_t batch_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable drained_;
    std::deque<Event> queue_;
    uint64_t queued_total_ = 0;
    uint64_t stored_total_ = 0;
    uint64_t dropped_ = 0;
    bool stopping_ = false;
    std::thread writer_;
};

}  // namespace prov

#include "provisioner/service/event_recorder.h"

#include <Poco/Logger.h>

#include <unordered_map>

namespace prov {

EventRecorder::EventRecorder(Store& store, size_t max_queue, size_t batch)
    : store_(store), max_queue_(max_queue), batch_(batch), writer_([this] { run(); }) {}

EventRecorder::~EventRecorder() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    writer_.join();
}

void EventRecorder::record(Event event) {
    {
        std::lock_guard lock(mutex_);
        if (queue_.size() >= max_queue_) {
            ++dropped_;  // the store is far behind: keep serving phones
            return;
        }
        queue_.push_back(std::move(event));
        ++queued_total_;
    }
    wake_.notify_one();
}

void EventRecorder::flush() {
    std::unique_lock lock(mutex_);
    const uint64_t target = queued_total_;
    wake_.notify_one();
    drained_.wait(lock, [&] { return stored_total_ >= target || stopping_; });
}

Status EventRecorder::store(const std::vector<Event>& batch) {
    return store_.write([&](StoreTx& tx) -> Status {
        if (auto st = tx.insertEvents(batch); !st) return st;
        // One last-seen update per device per batch: the latest fetch wins,
        // and the last served one sets the file and hash.
        std::unordered_map<std::string, const Event*> latest;
        for (const Event& e : batch) {
            if (!e.mac.empty()) latest[e.mac] = &e;
        }
        for (const Event& e : batch) {
            if (e.mac.empty() || latest[e.mac] != &e) continue;
            const bool served = e.outcome == "served";
            if (auto st = tx.touchDevice(e.mac, e.at, e.peer_ip, e.user_agent, e.firmware, e.path, e.config_hash,
                                         served && !e.config_hash.empty());
                !st)
                return st;
        }
        return okStatus();
    });
}

void EventRecorder::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty() && stopping_) break;
        std::vector<Event> batch;
        while (!queue_.empty() && batch.size() < batch_) {
            batch.push_back(std::move(queue_.front()));
            queue_.pop_front();
        }
        lock.unlock();
        Status st = store(batch);
        if (!st) Poco::Logger::get("events").error("cannot store %z events: %s", batch.size(), st.error().message);
        lock.lock();
        stored_total_ += batch.size();
        drained_.notify_all();
    }
}

}  // namespace prov

// EventRecorder's writer thread: batches taken from the memory queue and
// stored, tried again while the store is busy, spooled while it is away,
// and the spool stored in order once it answers (event_recorder.h).

#include <Poco/Logger.h>

#include "provisioner/service/event_recorder.h"

namespace prov {

namespace {

using SteadyClock = std::chrono::steady_clock;

// Without a spool, a batch waits out a store held by another writer (a long
// CLI import) for 30 s, as before the spool existed.
constexpr int kAttemptsWithoutSpool = 61;
constexpr std::chrono::milliseconds kRetryWithoutSpool{500};
constexpr std::chrono::seconds kDropLogInterval{60};

Poco::Logger& log() { return Poco::Logger::get("events"); }

bool unavailable(const Status& st) { return !st && st.error().code == Code::kUnavailable; }

}  // namespace

void EventRecorder::run() {
    // A spool left by a previous run is tried at once.
    next_spool_try_ = SteadyClock::now();
    if (spool_ && !spool_->empty())
        log().warning(
            "%s events of a previous run wait in the spool %s; stored once the store answers",
            std::to_string(spool_->events()), spool_->dir());
    std::unique_lock lock(mutex_);
    for (;;) {
        const auto ready = [&] { return stopping_ || !queue_.empty(); };
        if (spool_ && !spool_->empty()) {
            wake_.wait_until(lock, next_spool_try_, ready);
        } else {
            wake_.wait(lock, ready);
        }
        if (queue_.empty() && stopping_) break;  // a spool left is stored at the next start
        std::vector<Event> events;
        if (!queue_.empty()) {
            // Gather for a moment: one transaction for many fetches, not one each.
            wake_.wait_for(lock, options_.gather, [&] {
                return stopping_ || flushes_wanted_ > 0 || queue_.size() >= options_.batch;
            });
            while (!queue_.empty() && events.size() < options_.batch) {
                events.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
        }
        lock.unlock();
        const size_t taken = events.size();
        if (taken > 0) write(EventBatch{random_.alnum(kEventBatchIdLength), std::move(events)});
        if (spool_ && !spool_->empty() && SteadyClock::now() >= next_spool_try_) replaySpoolNow();
        lock.lock();
        stored_total_ += taken;
        if (queue_.empty()) flushes_wanted_ = 0;
        drained_.notify_all();
    }
}

// Stored, or spooled (with a spool, whatever the store's error: disk full or
// out of memory on PostgreSQL come back as internal errors and pass), or,
// without one, logged and dropped.
void EventRecorder::write(EventBatch batch) {
    // Behind the batches spooled before it, or the order of events would
    // not be the order of fetches.
    if (spool_ && !spool_->empty()) return toSpool(batch);
    const Status st = storeTrying(batch);
    if (st) return;
    if (spool_) {
        if (unavailable(st))
            log().warning(
                "the store is unavailable (%s): events go to the spool %s until it answers",
                st.error().message, spool_->dir());
        else
            log().error("cannot store %z events (%s): they go to the spool %s, tried again",
                        batch.events.size(), st.error().message, spool_->dir());
        return toSpool(batch);
    }
    log().error("cannot store %z events: %s", batch.events.size(), st.error().message);
}

Status EventRecorder::storeTrying(const EventBatch& batch) {
    const int attempts = spool_ ? options_.store_attempts : kAttemptsWithoutSpool;
    const auto pause = spool_ ? options_.store_retry : kRetryWithoutSpool;
    Status st = store(batch);
    for (int attempt = 1; unavailable(st) && attempt < attempts; ++attempt) {
        log().warning("store busy, %z events wait (attempt %d)", batch.events.size(), attempt);
        if (pauseOrStop(pause)) break;
        st = store(batch);
    }
    return st;
}

void EventRecorder::toSpool(const EventBatch& batch) {
    auto added = spool_->append(batch);
    // Full, but the store may be back: the spool stored first makes room,
    // rather than this batch dropped while the store answers. Not held to
    // spool_retry: the batch is lost otherwise.
    if (added && added.value() == EventSpool::Added::kFull) {
        replaySpoolNow();
        added = spool_->append(batch);
    }
    if (!added)
        return dropForSpool(batch.events.size(),
                            "cannot write to the spool: " + added.error().message);
    if (added.value() == EventSpool::Added::kFull)
        dropForSpool(batch.events.size(),
                     "the spool " + spool_->dir() + " is full (events.spool_max_mb)");
}

// One line a minute at most, however many batches a long outage drops.
void EventRecorder::dropForSpool(size_t events, const std::string& why) {
    spool_dropped_ += events;
    spool_drops_unlogged_ += events;
    const auto now = SteadyClock::now();
    if (spool_drop_logged_at_ && now - *spool_drop_logged_at_ < kDropLogInterval) return;
    log().error("%s: %s events dropped since the last such line", why,
                std::to_string(spool_drops_unlogged_));
    spool_drops_unlogged_ = 0;
    spool_drop_logged_at_ = now;
}

// After a try that failed, run() tries again after spool_retry; else at once.
void EventRecorder::replaySpoolNow() {
    const bool again = replaySpool();
    next_spool_try_ = SteadyClock::now();
    if (!again) next_spool_try_ += options_.spool_retry;
}

// The spool stored oldest first, each file deleted after its batch's commit
// (a crash between the two replays it once more: its id makes that
// harmless). Stops early, returning true, for a stop or for a full batch in
// the memory queue, which run() then spools behind the rest before coming
// back. False: try again after spool_retry, the files kept (the store is
// still unavailable or failing, or the oldest file could not be read).
bool EventRecorder::replaySpool() {
    uint64_t stored = 0;
    while (!spool_->empty()) {
        if (stopRequested() || batchWaiting()) return true;
        auto next = spool_->oldest();
        if (!next) {
            log().error("cannot read the spool, tried again: %s", next.error().message);
            return false;
        }
        const std::optional<EventBatch>& batch = next.value();
        if (!batch) break;  // only damaged files were left, now set aside
        const Status st = store(*batch);
        if (unavailable(st)) return false;
        if (!st) {
            // An error of the store (disk full, a bug) is most often the
            // store's, not the batch's: the replay waits and tries the same
            // file again. A batch refused kSpoolFailuresBeforeAside times in
            // a row is set aside, so that one bad batch cannot hold the rest;
            // refusals count spool_retry apart at least, however often a
            // full spool has it tried (toSpool).
            const auto now = SteadyClock::now();
            if (batch->id != failing_batch_) failing_tries_ = 0;
            failing_batch_ = batch->id;
            if (failing_tries_ == 0 || now - failing_counted_at_ >= options_.spool_retry) {
                ++failing_tries_;
                failing_counted_at_ = now;
            }
            if (failing_tries_ < kSpoolFailuresBeforeAside) {
                log().error("cannot store a spooled batch (try %d of %d), tried again: %s",
                            failing_tries_, kSpoolFailuresBeforeAside, st.error().message);
                return false;
            }
            spool_->setAsideOldest("the store refused it " +
                                   std::to_string(kSpoolFailuresBeforeAside) +
                                   " times: " + st.error().message);
            failing_tries_ = 0;
            continue;
        }
        failing_tries_ = 0;
        stored += batch->events.size();
        if (auto removed = spool_->removeOldest(); !removed)
            log().error("%s", removed.error().message);
    }
    if (stored > 0)
        log().information("the store answers again; the spool is empty, its last %s events stored",
                          std::to_string(stored));
    return true;
}

// True when the recorder is stopping (the pause is cut short by it).
bool EventRecorder::pauseOrStop(std::chrono::milliseconds pause) {
    std::unique_lock lock(mutex_);
    return wake_.wait_for(lock, pause, [&] { return stopping_; });
}

bool EventRecorder::stopRequested() {
    std::lock_guard lock(mutex_);
    return stopping_;
}

bool EventRecorder::batchWaiting() {
    std::lock_guard lock(mutex_);
    return queue_.size() >= options_.batch;
}

}  // namespace prov

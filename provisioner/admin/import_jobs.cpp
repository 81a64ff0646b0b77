#include "provisioner/admin/import_jobs.h"

#include <algorithm>

#include "provisioner/model/json_encode.h"

namespace prov::admin {

const char* toString(ImportState state) {
    switch (state) {
        case ImportState::kRunning: return "running";
        case ImportState::kDone: return "done";
        case ImportState::kFailed: return "failed";
    }
    return "failed";
}

ImportJobs::ImportJobs(const Clock& clock, size_t keep, int64_t keep_seconds, size_t keep_bytes)
    : clock_(clock),
      keep_(keep < 1 ? 1 : keep),
      keep_seconds_(keep_seconds),
      keep_bytes_(keep_bytes),
      spawn_([](std::function<void()> body) { return std::thread(std::move(body)); }) {}

ImportJobs::~ImportJobs() {
    wait();
    if (worker_.joinable()) worker_.join();
}

Result<int64_t> ImportJobs::start(Work work) {
    std::unique_lock lock(mutex_);
    if (running_) {
        return Error{Code::kConflict, "import_running",
                     "an import is running; wait for it (GET /api/v1/imports/{id}) and send this one again", {}, {}};
    }
    // The last worker has finished (running_ is false): joining is immediate.
    if (worker_.joinable()) worker_.join();
    const int64_t id = next_id_++;
    ImportJob job;
    job.id = id;
    jobs_.push_back(job);
    forgetOld();
    running_ = true;
    try {
        worker_ = spawn_([this, id, w = std::move(work)] { run(id, w); });
    } catch (const std::exception&) {
        // No thread (out of threads or memory): nothing runs, so nothing may
        // stay marked running, or every later import would be refused.
        running_ = false;
        std::erase_if(jobs_, [id](const ImportJob& j) { return j.id == id; });
        return Error{Code::kUnavailable,
                     "no_thread",
                     "the import could not start now; try again later",
                     {},
                     {}};
    }
    return id;
}

void ImportJobs::run(int64_t id, const Work& work) {
    const Progress progress = [this, id](const char* phase, size_t done, size_t total) {
        std::lock_guard lock(mutex_);
        if (ImportJob* j = find(id)) {
            j->phase = phase;
            j->rows_done = done;
            j->rows_total = total;
        }
    };
    ImportOutcome outcome;
    try {
        outcome = work(progress);
    } catch (const std::exception& e) {
        // A thread must not end on an exception; the job says what happened.
        outcome.ok = false;
        auto err = json::newObject();
        err->set("code", std::string("internal"));
        err->set("message", std::string("internal error: ") + e.what());
        auto body = json::newObject();
        body->set("error", err);
        outcome.report = json::stringify(body);
    }
    std::lock_guard lock(mutex_);
    if (ImportJob* j = find(id)) {
        j->state = outcome.ok ? ImportState::kDone : ImportState::kFailed;
        if (outcome.ok) j->rows_done = j->rows_total;
        j->report = std::move(outcome.report);
        j->finished_at = clock_.nowSeconds();
    }
    forgetOld();
    running_ = false;
    idle_.notify_all();
}

std::optional<ImportJob> ImportJobs::get(int64_t id) {
    std::lock_guard lock(mutex_);
    forgetOld();
    if (ImportJob* j = find(id)) return *j;
    return std::nullopt;
}

void ImportJobs::wait() {
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [this] { return !running_; });
}

ImportJob* ImportJobs::find(int64_t id) {
    for (ImportJob& j : jobs_) {
        if (j.id == id) return &j;
    }
    return nullptr;
}

// Drops finished jobs past their time, then the oldest finished ones over
// `keep_`, then the oldest finished ones while their reports pass
// `keep_bytes_`, the newest finished one always kept (the running one is
// never dropped). Called with the mutex held.
void ImportJobs::forgetOld() {
    const int64_t now = clock_.nowSeconds();
    std::erase_if(jobs_, [&](const ImportJob& j) {
        return j.state != ImportState::kRunning && now - j.finished_at > keep_seconds_;
    });
    while (jobs_.size() > keep_) {
        auto it = std::find_if(jobs_.begin(), jobs_.end(),
                               [](const ImportJob& j) { return j.state != ImportState::kRunning; });
        if (it == jobs_.end()) break;
        jobs_.erase(it);
    }
    size_t bytes = 0;
    for (const ImportJob& j : jobs_) bytes += j.report.size();
    while (bytes > keep_bytes_) {
        auto it = std::find_if(jobs_.begin(), jobs_.end(),
                               [](const ImportJob& j) { return j.state != ImportState::kRunning; });
        const auto finished = std::count_if(jobs_.begin(), jobs_.end(), [](const ImportJob& j) {
            return j.state != ImportState::kRunning;
        });
        if (it == jobs_.end() || finished <= 1) break;
        bytes -= it->report.size();
        jobs_.erase(it);
    }
}

}  // namespace prov::admin

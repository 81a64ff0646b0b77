#pragma once

// Imports run in the background (POST /api/v1/imports?async=true): one at a
// time on a worker thread of their own, their progress and outcome kept in
// memory for a while so the portal can poll GET /api/v1/imports/{id}.
//
//   ImportJobs jobs(clock);
//   auto id = jobs.start([&](const ImportJobs::Progress& p) { ...; return outcome; });
//   ...  jobs.get(*id)->state == ImportState::kDone
//
// Bounded: at most `keep` finished jobs, each kept at most `keep_seconds`,
// their reports together at most `keep_bytes` (the newest finished job is
// always kept, its report is capped by its maker: api_bulk.cpp).

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "provisioner/core/clock.h"
#include "provisioner/core/result.h"

namespace prov::admin {

enum class ImportState { kRunning, kDone, kFailed };
const char* toString(ImportState state);

struct ImportOutcome {
    bool ok = false;
    std::string report;  // JSON text: what the synchronous import answers
};

struct ImportJob {
    int64_t id = 0;
    ImportState state = ImportState::kRunning;
    // "checking", "writing", "finished"; "" before the first report. Within
    // a phase rows_done only grows; a new phase starts at 0 of its total.
    std::string phase;
    size_t rows_done = 0;
    size_t rows_total = 0;
    std::string report;  // JSON text; empty while running
    int64_t finished_at = 0;
};

class ImportJobs {
public:
    using Progress = std::function<void(const char* phase, size_t done, size_t total)>;
    using Work = std::function<ImportOutcome(const Progress&)>;

    // Starts a thread running `body`; throws std::system_error when it cannot
    // (std::thread's own contract). Replaceable for tests.
    using Spawn = std::function<std::thread(std::function<void()> body)>;

    explicit ImportJobs(const Clock& clock, size_t keep = 16, int64_t keep_seconds = 3600,
                        size_t keep_bytes = size_t{8} << 20);
    // Waits for the running import: it is one transaction, never cut short.
    ~ImportJobs();
    ImportJobs(const ImportJobs&) = delete;
    ImportJobs& operator=(const ImportJobs&) = delete;

    // Starts `work` on the worker thread; its id. Conflict `import_running`
    // while another runs; Unavailable `no_thread` when no thread could start.
    Result<int64_t> start(Work work);
    void setSpawn(Spawn spawn) { spawn_ = std::move(spawn); }
    // A copy of the job as it stands; nullopt for an id never given or forgotten.
    std::optional<ImportJob> get(int64_t id);
    // Blocks until no import runs (tests, shutdown).
    void wait();

private:
    void run(int64_t id, const Work& work);
    ImportJob* find(int64_t id);
    void forgetOld();

    const Clock& clock_;
    const size_t keep_;
    const int64_t keep_seconds_;
    const size_t keep_bytes_;
    Spawn spawn_;
    std::mutex mutex_;
    std::condition_variable idle_;
    bool running_ = false;
    int64_t next_id_ = 1;
    std::deque<ImportJob> jobs_;  // oldest first
    std::thread worker_;
};

}  // namespace prov::admin

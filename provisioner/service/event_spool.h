#pragma once

// The event writer's spool: batches of fetch events that the store could not
// take because it was unavailable (PostgreSQL down, SQLite held by another
// writer), kept on disk in the order they were formed until the store
// answers again, and across a restart.
//
//   auto spool = TRY(EventSpool::open("var/events-spool", 64 << 20));
//   if (TRY(spool->append(batch)) == EventSpool::Added::kFull) ...;  // dropped
//   while (auto next = TRY(spool->oldest())) {                      // in order
//       if (!store(*next)) break;
//       TRY(spool->removeOldest());
//   }
//
// One file per batch, named by a sequence number (20 digits, so names sort
// in order), written 0600 to a temporary name, fsync'd and renamed: a crash
// leaves whole files only. A file that does not parse (edited by hand, cut
// short by a full disk) is renamed "<name>.bad" with one log line and
// skipped; a file that cannot be read now (EMFILE, EIO) is kept. Not thread safe: the writer thread alone uses it, except the
// counters, which any thread may read.

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "provisioner/core/result.h"
#include "provisioner/model/records.h"

namespace prov {

// A batch of fetch events as the writer forms it. Its id is stored with its
// events (StoreTx::addEventBatch), so the batch is stored once however often
// it is tried.
struct EventBatch {
    std::string id;  // kEventBatchIdLength characters from [A-Za-z0-9]
    std::vector<Event> events;
};

inline constexpr size_t kEventBatchIdLength = 32;

// A spool file's bytes, format version 1:
//
//   provisioner-event-batch 1\n
//   id <id>\n
//   events <count> <fields per event>\n
//   then for each event its fields in Event's order (at, mac, ... wipe,
//   device_config, fw_file, fw_target, fw_told, not_modified), each as
//   <length>:<bytes>\n, integers in decimal, flags 0 or 1
//   end <FNV-1a 64 of every byte before this line, 16 hex digits>\n
//
// Event::id is not kept (the store gives one). Lengths make any byte of a
// phone's User-Agent safe; the checksum catches an edit that keeps the shape.
std::string encodeEventBatch(const EventBatch& batch);
// The batch, or an error saying what is wrong; nothing is taken on trust.
Result<EventBatch> decodeEventBatch(std::string_view bytes);

class EventSpool {
  public:
    enum class Added { kSpooled, kFull };

    // The spool in `dir`, made 0700 when missing, holding at most
    // `max_bytes` of files, locked (dir/lock, flock) while this object
    // lives: a second process on the same folder is refused. Batches left
    // there by a previous run are counted (parsed: those that do not parse
    // are set aside) and come first; temporary files a crash left are removed.
    static Result<std::unique_ptr<EventSpool>> open(const std::string& dir, uint64_t max_bytes);
    ~EventSpool();
    EventSpool(const EventSpool&) = delete;
    EventSpool& operator=(const EventSpool&) = delete;

    // Writes `batch` after every batch already there. kFull: it would take
    // the spool past max_bytes, and nothing was written.
    Result<Added> append(const EventBatch& batch);
    // The oldest batch, read from its file; nullopt when the spool is empty.
    // Files that do not parse on the way are set aside; an error: the
    // oldest file could not be read (it is kept, to be tried again).
    Result<std::optional<EventBatch>> oldest();
    // Deletes the oldest batch's file (once the store holds its events).
    Status removeOldest();
    // Renames the oldest batch's file "<name>.bad" and logs `why`: a batch
    // the store refused again and again (EventRecorder).
    void setAsideOldest(const std::string& why);

    const std::string& dir() const { return dir_; }
    bool empty() const { return batches_.load() == 0; }
    uint64_t batches() const { return batches_.load(); }
    uint64_t events() const { return events_.load(); }
    uint64_t bytes() const { return bytes_.load(); }

  private:
    struct File {
        std::string name;  // in dir_
        uint64_t bytes = 0;
        uint64_t events = 0;
    };

    EventSpool(std::string dir, uint64_t max_bytes) : dir_(std::move(dir)), max_bytes_(max_bytes) {}
    Status scan();
    void dropFront();
    void setAside(const std::string& name, const std::string& why);

    std::string dir_;
    uint64_t max_bytes_;
    int lock_fd_ = -1;
    std::deque<File> files_;  // oldest first
    uint64_t next_sequence_ = 1;
    std::atomic<uint64_t> batches_{0};
    std::atomic<uint64_t> events_{0};
    std::atomic<uint64_t> bytes_{0};
};

}  // namespace prov

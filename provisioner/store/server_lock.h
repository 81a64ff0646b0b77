#pragma once

// One server per SQLite store. `serve` holds an exclusive lock on
// "<store>.lock" (0600, beside the store) for as long as it runs, so a second
// `serve` on the same store is refused at start instead of serving phones
// from the same file with its own caches, keys and sweep counts. The other
// commands (backup, import, token, export, ...) take no such lock: SQLite's
// own locking lets them work beside a running server. A PostgreSQL back end
// would take none either: several nodes share it on purpose.
//
//   auto lock = TRY(ServerLock::take("var/provisioner.db"));   // held until destroyed

#include <memory>
#include <string>

#include "provisioner/core/result.h"

namespace prov {

class ServerLock {
  public:
    // Takes the lock without waiting. Held by another process: an error
    // with reason "in_use" and one line naming the store (and the holder's
    // process id, which the holder writes into the lock file). The lock file
    // is created when absent and never removed (see the .cpp).
    static Result<std::unique_ptr<ServerLock>> take(const std::string& store_path);
    // Releases the lock; so does the process's end, however it ends.
    ~ServerLock();
    ServerLock(const ServerLock&) = delete;
    ServerLock& operator=(const ServerLock&) = delete;

    const std::string& path() const { return path_; }

  private:
    ServerLock(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
    std::string path_;
    int fd_;
};

}  // namespace prov

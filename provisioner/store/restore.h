#pragma once

// Putting a backup (`provisioner backup FILE`) back in place of the store.
// The caller holds the store's server lock (server_lock.h), so no server
// serves from the file while it is replaced.
//
//   auto lock = TRY(ServerLock::take(store));
//   RestoreReport r = TRY(restoreStore("monday.db", store, store + ".before-restore-...", clock));
//
// The backup itself is never written to: it is copied beside the store
// (0600), and the copy is checked, then renamed over the store. A backup
// that fails a check leaves the store as it was.

#include <string>

#include "provisioner/core/clock.h"
#include "provisioner/core/result.h"

namespace prov {

struct RestoreReport {
    int schema_version = 0;  // the backup's; older than this build's: migrate before use
    std::string aside;       // where the replaced store went; "" when there was none
};

// Checks a copy of `backup`: a SQLite file whose PRAGMA integrity_check says
// ok, a store of this provisioner (its migrations are this build's, by
// number and name) and not newer than this build. A failed check is an
// error with reason "bad_backup" naming `backup`. Then moves the store at
// `store_path` (if any) to `aside` -- with its write-ahead log folded in
// first, so `aside` is one file a `restore` can take back -- and the copy
// into its place.
Result<RestoreReport> restoreStore(const std::string& backup, const std::string& store_path,
                                   const std::string& aside, const Clock& clock);

// "<store>.before-restore-20261130T171500Z" for `now`, or with "-2", "-3",
// ... when one of that name exists (two restores within a second).
std::string asideName(const std::string& store_path, int64_t now);

}  // namespace prov

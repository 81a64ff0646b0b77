#pragma once

// Copying a SQLite store into a new PostgreSQL one (`provisioner
// migrate-store`): every row of every table, in one PostgreSQL transaction,
// both sides read back and compared table by table inside it (the source in
// the one read transaction the copy read, the target before COMMIT), and
// committed only when every table matches.
//
//   auto report = copySqliteToPostgres("var/provisioner.db", "postgresql://prov@db/prov", clock);
//   for (const TableCopy& t : report.value().tables) ... t.matches() ...
//   report.value().committed   // false: a table differed, nothing was stored
//
// The target is migrated to this build's schema first (when new) and must
// hold no row: a copy never merges into, or overwrites, a store in use.
// The tables and columns copied are this build's schema's (read from the
// migrated target), never names taken from the source.

#include <cstdint>
#include <string>
#include <vector>

#include "provisioner/core/clock.h"
#include "provisioner/core/result.h"

namespace prov {

struct TableCopy {
    std::string table;
    int64_t source_rows = 0;
    int64_t target_rows = 0;
    // Order-independent: the sum of each row's FNV-1a 64 over its values
    // (NULL told from ""), so the two databases' row orders do not matter.
    uint64_t source_checksum = 0;
    uint64_t target_checksum = 0;
    bool matches() const { return source_rows == target_rows && source_checksum == target_checksum; }
};

struct StoreCopyReport {
    std::vector<TableCopy> tables;
    // Whether the copy was committed: exactly when every table matches.
    bool committed = false;
    bool matches() const;
};

// Refused (nothing written): a source that is missing, not at this build's
// schema version, or has a table or column the copy does not know (or lacks
// one); a target that cannot be reached or holds any row. A copy whose
// comparison differs is rolled back and reported (committed false).
Result<StoreCopyReport> copySqliteToPostgres(const std::string& sqlite_path, const std::string& url,
                                             const Clock& clock);

}  // namespace prov

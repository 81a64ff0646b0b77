#pragma once

// The embedded extension store: one SQLite file in WAL mode with foreign keys
// on. Readers run concurrently on pooled connections; writers take the write
// lock up front (BEGIN IMMEDIATE) so a unit of work never fails half way on a
// lock upgrade.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <sys/types.h>

#include "provisioner/core/clock.h"
#include "provisioner/store/sqlite_connection.h"
#include "provisioner/store/store.h"

namespace prov {

class SqliteStore final : public Store {
public:
    // Opens the store at `path` (":memory:" for tests) and checks that its
    // schema is not newer than this build. Does not migrate.
    static Result<std::unique_ptr<SqliteStore>> open(const std::string& path, const Clock& clock);
    ~SqliteStore() override;

    Status read(const Work& work) override;
    Status write(const Work& work) override;
    Status readBulk(const Work& work) override;
    Status writeBulk(const Work& work) override;

    Result<MigrationReport> migrate();
    Result<int> schemaVersion();
    // Whether the store answers now (the server's /readyz): its file is
    // still the one opened, not deleted or replaced under the running
    // server (which would go on writing to the old one, lost at its stop),
    // and a read of it succeeds. The error's message says which failed.
    Status probe() override;
    static int latestVersion();
    // An online backup into `destination`, consistent with one moment even
    // while writers run; written to a temporary file and renamed into place.
    Status backup(const std::string& destination);
    // "ok", or the problems PRAGMA integrity_check found.
    Result<std::string> integrityCheck();
    // Every stored value of the setting `key`: (scope, value), the global
    // scope "" first, then devices by MAC. For reports such as `migrate`'s.
    Result<std::vector<std::pair<std::string, std::string>>> settingValues(const std::string& key);

private:
    // Refuses a store whose recorded migrations are not this build's (by name).
    Status checkMigrationNames();
    SqliteStore(std::string path, const Clock& clock, size_t max_connections);
    class Lease;
    Result<std::unique_ptr<sqlite::Connection>> connect();
    Result<Lease> acquire();
    void release(std::unique_ptr<sqlite::Connection> conn);
    Status run(const Work& work, const char* begin, bool bulk);
    Status runIn(sqlite::Connection& conn, const Work& work, const char* begin);

    std::string path_;
    const Clock& clock_;
    // The file opened (device and inode), for probe(); none for ":memory:".
    struct FileId {
        dev_t dev;
        ino_t ino;
    };
    std::optional<FileId> file_;
    size_t max_connections_;
    size_t open_connections_ = 0;
    std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<sqlite::Connection>> idle_;
};

}  // namespace prov

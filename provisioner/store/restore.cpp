#include "provisioner/store/restore.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "provisioner/store/sqlite_connection.h"
#include "provisioner/store/sqlite_store.h"

namespace prov {

namespace {

Error badBackup(const std::string& message) {
    return Error{Code::kInvalidArgument, "bad_backup", message, {}, {}};
}

std::string errnoText() { return std::strerror(errno); }

bool exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

// Closes a descriptor whatever happens.
struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

// The bytes of `from` into `to`, created 0600 (it will hold the store's
// secrets), flushed to disk. `from` must be a regular file: a FIFO or a
// device would never end.
Status copyFile(const std::string& from, const std::string& to) {
    Fd in{::open(from.c_str(), O_RDONLY | O_CLOEXEC)};
    if (in.fd < 0) return badBackup("cannot read " + from + ": " + errnoText());
    struct stat st {};
    if (::fstat(in.fd, &st) != 0 || !S_ISREG(st.st_mode))
        return badBackup(from + " is not a regular file");
    Fd out{::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)};
    if (out.fd < 0) return Error::internal("restore: cannot create " + to + ": " + errnoText());
    (void)::fchmod(out.fd, 0600);
    char buf[65536];
    // Bounded by the file's size at the start (and a reader's end of file).
    for (off_t left = st.st_size; left > 0;) {
        const ssize_t n = ::read(in.fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return badBackup("cannot read " + from + ": " + errnoText());
        if (n == 0) break;
        for (ssize_t done = 0; done < n;) {
            const ssize_t w = ::write(out.fd, buf + done, static_cast<size_t>(n - done));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) return Error::internal("restore: cannot write " + to + ": " + errnoText());
            done += w;
        }
        left -= n;
    }
    if (::fsync(out.fd) != 0)
        return Error::internal("restore: cannot flush " + to + ": " + errnoText());
    return okStatus();
}

void removeFiles(const std::string& db) {
    for (const std::string& p : {db, db + "-wal", db + "-shm", db + "-journal"})
        std::remove(p.c_str());
}

std::string replaceAll(std::string text, const std::string& from, const std::string& to) {
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

// The copy at `copy` of `backup`, checked as the header says; its schema
// version. Errors name `backup`, never the copy.
Result<int> checkCopy(const std::string& backup, const std::string& copy, const Clock& clock) {
    auto opened = SqliteStore::open(copy, clock);
    if (!opened) {
        const Error& e = opened.error();
        if (e.reason == "schema_too_new" || e.reason == "schema_mismatch")
            return badBackup(replaceAll(e.message, copy, backup));
        // "cannot use the store at COPY: file is not a database": SQLite's words.
        const size_t colon = e.message.rfind(": ");
        return badBackup(backup + " is not a store this provisioner can restore (" +
                         (colon == std::string::npos ? e.message : e.message.substr(colon + 2)) +
                         ")");
    }
    std::unique_ptr<SqliteStore> store = std::move(opened).value();
    // Not TRY: GCC 12 takes the moved-from string for uninitialised (-Wmaybe-uninitialized).
    const Result<std::string> integrity = store->integrityCheck();
    if (!integrity) return integrity.error();
    const std::string& problems = integrity.value();
    if (problems != "ok")
        return badBackup(
            backup + " fails SQLite's integrity check: " + problems.substr(0, problems.find('\n')));
    const int version = TRY(store->schemaVersion());
    if (version == 0)
        return badBackup(backup + " is not a provisioner store: it records no schema migrations");
    store.reset();
    // One file, no write-ahead log beside it: the server turns WAL on again
    // when it opens the store.
    auto conn = TRY(sqlite::Connection::open(copy));
    TRY(conn->exec("PRAGMA journal_mode=DELETE"));
    return version;
}

// The store's write-ahead log folded into it (best effort: a damaged store
// is restored over too), then the store moved to `aside`, with what is left
// of its log.
Status moveAside(const std::string& store_path, const std::string& aside) {
    if (auto conn = sqlite::Connection::open(store_path))
        (void)conn.value()->exec("PRAGMA wal_checkpoint(TRUNCATE)");
    if (::rename(store_path.c_str(), aside.c_str()) != 0)
        return Error::internal("restore: cannot move " + store_path + " to " + aside + ": " +
                               errnoText());
    (void)::chmod(aside.c_str(), 0600);
    const std::string wal = store_path + "-wal";
    struct stat st {};
    if (::stat(wal.c_str(), &st) == 0 && st.st_size > 0) {
        if (::rename(wal.c_str(), (aside + "-wal").c_str()) != 0)
            return Error::internal("restore: cannot move " + wal + ": " + errnoText());
    } else {
        std::remove(wal.c_str());
    }
    std::remove((store_path + "-shm").c_str());
    std::remove((store_path + "-journal").c_str());
    return okStatus();
}

void syncFolderOf(const std::string& path) {
    const size_t slash = path.rfind('/');
    const std::string folder = slash == std::string::npos ? "."
                               : slash == 0               ? "/"
                                                          : path.substr(0, slash);
    Fd dir{::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (dir.fd >= 0) (void)::fsync(dir.fd);
}

}  // namespace

std::string asideName(const std::string& store_path, int64_t now) {
    const std::time_t t = static_cast<std::time_t>(now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    const std::string base = store_path + ".before-restore-" + stamp;
    if (!exists(base)) return base;
    for (int n = 2; n < 1000; ++n) {
        const std::string name = base + "-" + std::to_string(n);
        if (!exists(name)) return name;
    }
    return base + "-" + std::to_string(now);
}

Result<RestoreReport> restoreStore(const std::string& backup, const std::string& store_path,
                                   const std::string& aside, const Clock& clock) {
    const std::string copy = store_path + ".restore-partial";
    removeFiles(copy);  // left by a restore that was killed
    RestoreReport report;
    auto done = [&]() -> Status {
        TRY(copyFile(backup, copy));
        report.schema_version = TRY(checkCopy(backup, copy, clock));
        if (exists(store_path)) {
            TRY(moveAside(store_path, aside));
            report.aside = aside;
        }
        if (::rename(copy.c_str(), store_path.c_str()) != 0) {
            const std::string why = errnoText();
            // Put back what was there rather than leave no store.
            if (!report.aside.empty()) (void)::rename(aside.c_str(), store_path.c_str());
            return Error::internal("restore: cannot move the copy to " + store_path + ": " + why);
        }
        syncFolderOf(store_path);
        return okStatus();
    }();
    removeFiles(copy);
    if (!done) return done.error();
    return report;
}

}  // namespace prov

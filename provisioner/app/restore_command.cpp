// provisioner restore FILE: a backup back in place of the store, with the
// server stopped; the store it replaces is kept beside it.

#include <sys/stat.h>

#include <iostream>

#include "provisioner/app/command_table.h"
#include "provisioner/app/commands.h"
#include "provisioner/store/restore.h"
#include "provisioner/store/sqlite_store.h"

namespace prov::app {

namespace {

int fail(const std::string& line, int code) {
    std::cerr << "provisioner: " << line << "\n";
    return code;
}

}  // namespace

int runRestore(const Invocation& in) {
    if (in.line.words.size() != 2)
        return fail("usage: provisioner " + usageLine(in.command), kExitUsage);
    const std::string& backup = in.line.words[1];
    const std::string& store = in.config.store_path;
    if (store == ":memory:")
        return fail("restore: store.path is :memory:, there is no file to restore", kExitConfig);
    if (!in.config.store_url.empty())
        return fail("restore: the store is PostgreSQL (store.url): restore it with pg_restore", kExitConfig);
    // The copy, the store moved aside and anything SQLite makes beside them
    // hold every secret of the store: its owner's alone.
    ::umask(077);
    // Held until the end, so that no server starts on a half-restored
    // store; refused while one runs (it would keep serving from its caches
    // and write over the restored file).
    auto lock = lockStore(in.config);
    if (!lock) {
        const Error& e = lock.error();
        if (e.reason == "in_use") return fail(e.message + "; stop it before a restore", kExitInUse);
        return fail(e.message, exitCodeFor(e));
    }
    const SystemClock clock;
    const std::string aside = asideName(store, clock.nowSeconds());
    auto report = restoreStore(backup, store, aside, clock);
    if (!report) {
        const Error& e = report.error();
        if (e.reason == "bad_backup")
            return fail(e.message + "; the store is unchanged", kExitData);
        return fail(e.message, 1);
    }
    const RestoreReport& r = report.value();
    std::cout << "restored " << backup << " into " << store << " (schema version "
              << r.schema_version << ")\n";
    if (!r.aside.empty()) std::cout << "the store it replaced is kept as " << r.aside << "\n";
    if (r.schema_version < SqliteStore::latestVersion())
        std::cout << "this provisioner's schema version is " << SqliteStore::latestVersion()
                  << ": the next 'provisioner serve' (or 'provisioner migrate') brings the store "
                     "up to it\n";
    return 0;
}

}  // namespace prov::app

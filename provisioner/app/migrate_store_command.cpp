// provisioner migrate-store --from sqlite:PATH --to postgresql://... (or
// --to-file FILE): the copy of store/store_copy.h, and its table of rows and
// checksums, printed whether the copy was committed or rolled back.

#include <cstdio>
#include <iostream>

#include "provisioner/app/command_table.h"
#include "provisioner/app/commands.h"
#include "provisioner/core/private_file.h"
#include "provisioner/store/store_copy.h"

namespace prov::app {

namespace {

int fail(const std::string& message, int code) {
    std::cerr << "provisioner: " << message << "\n";
    return code;
}

std::string hex(uint64_t v) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

// The target's URL: --to, or the first line of --to-file, which keeps a
// password in it out of `ps` and the shell's history (as PGPASSWORD or
// ~/.pgpass do for a URL without one: libpq reads them itself).
Result<std::string> targetUrl(const Invocation& in) {
    if (in.has("to") == in.has("to-file"))
        return Error::invalid("migrate-store: give the target as --to URL or --to-file FILE (one of them)");
    std::string url;
    if (in.has("to")) {
        url = in.flag("to");
    } else {
        url = TRY(readSecretLine(in.flag("to-file"), "--to-file"));
    }
    // Not echoed: it may carry a password.
    if (url.rfind("postgresql://", 0) != 0 && url.rfind("postgres://", 0) != 0)
        return Error::invalid(std::string("migrate-store: ") + (in.has("to") ? "--to" : "--to-file's line") +
                              " must be a postgresql:// URL");
    return url;
}

}  // namespace

int runMigrateStore(const Invocation& in) {
    if (in.line.words.size() != 1) return fail("usage: provisioner " + usageLine(in.command), kExitUsage);
    const std::string from = in.flag("from");
    if (from.rfind("sqlite:", 0) != 0 || from.size() == 7)
        return fail("migrate-store: --from must be sqlite:PATH (got '" + from + "')", kExitUsage);
    auto to = targetUrl(in);
    if (!to) return fail(to.error().message, kExitUsage);
    SystemClock clock;
    auto report = copySqliteToPostgres(from.substr(7), to.value(), clock);
    if (!report) return fail(report.error().message, exitCodeFor(report.error()));
    std::printf("%-20s %10s %10s  %-16s  %-16s  %s\n", "table", "sqlite", "postgresql", "sqlite sum", "postgresql sum",
                "");
    for (const TableCopy& t : report.value().tables) {
        std::printf("%-20s %10lld %10lld  %s  %s  %s\n", t.table.c_str(), static_cast<long long>(t.source_rows),
                    static_cast<long long>(t.target_rows), hex(t.source_checksum).c_str(),
                    hex(t.target_checksum).c_str(), t.matches() ? "ok" : "DIFFERS");
    }
    if (!report.value().committed)
        return fail("migrate-store: the copy differs from the source (above): rolled back, nothing was stored", 1);
    std::printf("copied: every table's rows and checksum match\n");
    return 0;
}

}  // namespace prov::app

// provisioner migrate-store --from sqlite:PATH --to postgresql://...: the
// copy of store/store_copy.h, and its table of rows and checksums.

#include <cstdio>
#include <iostream>

#include "provisioner/app/command_table.h"
#include "provisioner/app/commands.h"
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

}  // namespace

int runMigrateStore(const Invocation& in) {
    if (in.line.words.size() != 1) return fail("usage: provisioner " + usageLine(in.command), kExitUsage);
    const std::string from = in.flag("from");
    const std::string to = in.flag("to");
    if (from.rfind("sqlite:", 0) != 0 || from.size() == 7)
        return fail("migrate-store: --from must be sqlite:PATH (got '" + from + "')", kExitUsage);
    if (to.rfind("postgresql://", 0) != 0 && to.rfind("postgres://", 0) != 0)
        return fail("migrate-store: --to must be a postgresql:// URL", kExitUsage);
    SystemClock clock;
    auto report = copySqliteToPostgres(from.substr(7), to, clock);
    if (!report) return fail(report.error().message, exitCodeFor(report.error()));
    std::printf("%-20s %10s %10s  %-16s  %-16s  %s\n", "table", "sqlite", "postgresql", "sqlite sum", "postgresql sum",
                "");
    for (const TableCopy& t : report.value().tables) {
        std::printf("%-20s %10lld %10lld  %s  %s  %s\n", t.table.c_str(), static_cast<long long>(t.source_rows),
                    static_cast<long long>(t.target_rows), hex(t.source_checksum).c_str(),
                    hex(t.target_checksum).c_str(), t.matches() ? "ok" : "DIFFERS");
    }
    if (!report.value().matches()) return fail("migrate-store: the copy differs from the source (above)", 1);
    std::printf("copied: every table's rows and checksum match\n");
    return 0;
}

}  // namespace prov::app

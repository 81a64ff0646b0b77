// provisioner import: a device inventory CSV, all or nothing, with a progress
// bar on a terminal and one line per problem when it is refused.

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "provisioner/app/command_table.h"
#include "provisioner/app/commands.h"
#include "provisioner/inventory/spreadsheet.h"

namespace prov::app {

namespace {

int fail(const std::string& line, int code = 1) {
    std::cerr << "provisioner: " << line << "\n";
    return code;
}

std::string thousands(size_t n) {
    std::string s = std::to_string(n);
    for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
        s.insert(static_cast<size_t>(i), ",");
    return s;
}

std::string counts(const ImportCounts& c, const char* verb_created, const char* verb_changed) {
    return thousands(c.created) + " " + verb_created + ", " + thousands(c.changed) + " " +
           verb_changed + ", " + thousands(c.unchanged) + " unchanged";
}

}  // namespace

int runImport(const Invocation& in) {
    if (in.line.words.size() != 2)
        return fail("usage: provisioner " + usageLine(in.command), kExitUsage);
    const std::string& name = in.line.words[1];
    std::string bytes;
    if (name == "-") {
        std::ostringstream ss;
        ss << std::cin.rdbuf();
        bytes = ss.str();
    } else {
        std::ifstream in(name, std::ios::binary);
        if (!in) return fail("cannot read " + name);
        std::ostringstream ss;
        ss << in.rdbuf();
        bytes = ss.str();
    }
    // Before the store is opened: nothing of a workbook is read as CSV.
    if (const auto kind = spreadsheetKind(bytes, name == "-" ? "" : name))
        return fail(spreadsheetRefusal(*kind, name == "-" ? "standard input" : name).message, kExitData);
    auto s = in.open(Migrate::kYes);
    if (!s) return fail(s.error().message, exitCodeFor(s.error()));
    ImportOptions options;
    options.dry_run = in.has("dry-run");
    // A bar redrawn in place on a terminal; with --progress, also a line per
    // step into a file or pipe.
    const bool tty = isatty(STDERR_FILENO) != 0;
    if (tty || in.has("progress")) {
        options.progress = [tty](const char* phase, size_t done, size_t total) {
            const size_t width = 30;
            const size_t filled = total ? done * width / total : width;
            std::fprintf(stderr, "%s%-8s [%s%s] %s/%s rows%s", tty ? "\r" : "", phase,
                         std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(),
                         thousands(done).c_str(), thousands(total).c_str(), tty ? " " : "\n");
            std::fflush(stderr);
        };
    }
    auto report = s.value()->inventory->importCsv(bytes, options, Actor{"cli", Role::kAdmin});
    if (tty) std::fprintf(stderr, "\r%*s\r", 72, "");
    if (!report) return fail(name + ": " + report.error().message, kExitData);
    const ImportReport& r = report.value();
    if (!r.problems.empty()) {
        std::set<size_t> lines;
        for (const ImportProblem& p : r.problems) {
            std::cerr << name << ":" << p.line << ": " << (p.column.empty() ? "row" : p.column)
                      << ": " << p.reason << "\n";
            lines.insert(p.line);
        }
        return fail(thousands(r.problems.size()) + " problem" +
                        (r.problems.size() == 1 ? "" : "s") + " in " + thousands(lines.size()) +
                        " row" + (lines.size() == 1 ? "" : "s") + "; nothing was imported",
                    kExitData);
    }
    const bool nothing =
        r.extensions.created + r.extensions.changed + r.devices.created + r.devices.changed == 0;
    if (nothing) {
        std::cout << name << ": nothing to change: all " << thousands(r.rows)
                  << " rows already match the store" << (r.dry_run ? " (dry run)" : "") << "\n";
        return 0;
    }
    std::cout << name << ": " << (r.dry_run ? "dry run, nothing stored: would be " : "imported ")
              << thousands(r.rows) << " rows\n"
              << "  extensions: " << counts(r.extensions, "created", "changed") << "\n"
              << "  devices:    " << counts(r.devices, "created", "changed") << "\n";
    if (r.dry_run) {
        for (const auto& c : r.created) std::cout << "  create " << c << "\n";
        for (const auto& c : r.changed) std::cout << "  change " << c << "\n";
    }
    return 0;
}

}  // namespace prov::app

#include "provisioner/app/commands.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "provisioner/app/services.h"
#include "provisioner/core/mac_address.h"

namespace prov::app {

std::string usage() {
    return "usage: provisioner COMMAND [-c FILE] [-D key=value]...\n"
           "commands:\n"
           "  serve                                 run the provisioning server\n"
           "  migrate                               apply pending store migrations\n"
           "  token create --role ROLE [--name N]   print a new API token (admin, installer, viewer)\n"
           "  backup FILE                           write a consistent copy of the store to FILE\n"
           "  render MAC FILE [--user-agent UA]     print exactly the bytes a phone would get\n"
           "  import FILE [--dry-run] [--progress]  load a device inventory CSV, all or nothing ('-': stdin)\n"
           "  export FILE [--secrets]               write the inventory as CSV ('-': stdout)\n"
           "  staging [--site NAME] [--once]        the devices of a site and how far each has come, live\n";
}

bool parseCommandLine(int argc, char** argv, CommandLine& out, std::string& error) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&](std::string& value) {
            if (i + 1 >= argc) {
                error = a + " needs a value";
                return false;
            }
            value = argv[++i];
            return true;
        };
        if (a == "-c" || a == "--config") {
            if (!next(out.sources.file)) return false;
        } else if (a == "-D" || a == "--define" || (a.rfind("-D", 0) == 0 && a.size() > 2)) {
            std::string kv = a.size() > 2 && a[1] == 'D' ? a.substr(2) : "";
            if (kv.empty() && !next(kv)) return false;
            const size_t eq = kv.find('=');
            if (eq == std::string::npos || eq == 0) {
                error = "-D takes key=value (got '" + kv + "')";
                return false;
            }
            out.sources.defines.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
        } else if (a == "-h" || a == "--help") {
            out.words = {"help"};
            return true;
        } else if (a == "--dry-run" || a == "--secrets" || a == "--once" || a == "--progress") {
            out.flags[a.substr(2)] = "true";
        } else if (a.rfind("--", 0) == 0 && a.size() > 2) {
            std::string value;
            const size_t eq = a.find('=');
            if (eq != std::string::npos) {
                out.flags[a.substr(2, eq - 2)] = a.substr(eq + 1);
            } else {
                if (!next(value)) return false;
                out.flags[a.substr(2)] = value;
            }
        } else if (a.size() > 1 && a[0] == '-') {
            error = "unknown option " + a;
            return false;
        } else {
            out.words.push_back(a);
        }
    }
    if (out.words.empty()) {
        error = "no command given";
        return false;
    }
    return true;
}

namespace {

int fail(const std::string& line, int code = 1) {
    std::cerr << "provisioner: " << line << "\n";
    return code;
}

bool checkFlags(const CommandLine& cl, std::initializer_list<const char*> allowed, std::string& error) {
    for (const auto& [k, v] : cl.flags) {
        (void)v;
        bool ok = false;
        for (const char* a : allowed) ok = ok || k == a;
        if (!ok) {
            error = "unknown option --" + k + " for " + cl.words[0];
            return false;
        }
    }
    return true;
}

int runMigrate(const ServerConfig& config) {
    MigrationReport report;
    auto s = openServices(config, Migrate::kYes, &report);
    if (!s) return fail(s.error().message);
    if (report.applied.empty()) {
        std::cout << "store " << config.store_path << " is up to date at schema version "
                  << report.to_version << "\n";
    } else {
        std::cout << "store " << config.store_path << ": schema version " << report.from_version << " -> "
                  << report.to_version << "\n";
        for (const auto& m : report.applied) std::cout << "  applied " << m << "\n";
    }
    return 0;
}

int runToken(const CommandLine& cl, const ServerConfig& config) {
    if (cl.words.size() != 2 || cl.words[1] != "create") return fail("usage: token create --role ROLE", kExitUsage);
    auto role_it = cl.flags.find("role");
    if (role_it == cl.flags.end()) return fail("token create needs --role admin|installer|viewer", kExitUsage);
    auto role = parseRole(role_it->second);
    if (!role) return fail("--role must be admin, installer or viewer (got '" + role_it->second + "')", kExitUsage);
    auto name_it = cl.flags.find("name");
    const std::string name = name_it == cl.flags.end() ? "" : name_it->second;
    auto s = openServices(config, Migrate::kYes);
    if (!s) return fail(s.error().message);
    auto token = s.value()->inventory->createToken(*role, name);
    if (!token) return fail(token.error().message);
    std::cout << token.value() << "\n";
    return 0;
}

int runBackup(const CommandLine& cl, const ServerConfig& config) {
    if (cl.words.size() != 2) return fail("usage: backup FILE", kExitUsage);
    auto s = openServices(config, Migrate::kNo);
    if (!s) return fail(s.error().message);
    if (auto st = s.value()->store->backup(cl.words[1]); !st) return fail(st.error().message);
    std::cout << "backup of " << config.store_path << " written to " << cl.words[1] << "\n";
    return 0;
}

int runRender(const CommandLine& cl, const ServerConfig& config) {
    if (cl.words.size() != 3) return fail("usage: render MAC FILE", kExitUsage);
    auto mac = MacAddress::parse(cl.words[1]);
    if (!mac) return fail("'" + cl.words[1] + "' is not a MAC address", kExitUsage);
    auto s = openServices(config, Migrate::kNo);
    if (!s) return fail(s.error().message);
    auto ua = cl.flags.find("user-agent");
    auto bytes = s.value()->provisioning->preview(mac->canonical(), cl.words[2],
                                                  ua == cl.flags.end() ? "" : ua->second);
    if (!bytes) return fail(bytes.error().message);
    std::cout.write(bytes.value().data(), static_cast<std::streamsize>(bytes.value().size()));
    std::cout.flush();
    return 0;
}

std::string thousands(size_t n) {
    std::string s = std::to_string(n);
    for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
    return s;
}

std::string counts(const ImportCounts& c, const char* verb_created, const char* verb_changed) {
    return thousands(c.created) + " " + verb_created + ", " + thousands(c.changed) + " " + verb_changed + ", " +
           thousands(c.unchanged) + " unchanged";
}

int runImport(const CommandLine& cl, const ServerConfig& config) {
    if (cl.words.size() != 2) return fail("usage: import FILE [--dry-run]", kExitUsage);
    const std::string& name = cl.words[1];
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
    auto s = openServices(config, Migrate::kYes);
    if (!s) return fail(s.error().message);
    ImportOptions options;
    options.dry_run = cl.flags.count("dry-run") > 0;
    // A bar redrawn in place on a terminal; with --progress, also a line per
    // step into a file or pipe.
    const bool tty = isatty(STDERR_FILENO) != 0;
    if (tty || cl.flags.count("progress")) {
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
            std::cerr << name << ":" << p.line << ": " << (p.column.empty() ? "row" : p.column) << ": " << p.reason
                      << "\n";
            lines.insert(p.line);
        }
        return fail(thousands(r.problems.size()) + " problem" + (r.problems.size() == 1 ? "" : "s") + " in " +
                        thousands(lines.size()) + " row" + (lines.size() == 1 ? "" : "s") + "; nothing was imported",
                    kExitData);
    }
    const bool nothing = r.extensions.created + r.extensions.changed + r.devices.created + r.devices.changed == 0;
    if (nothing) {
        std::cout << name << ": nothing to change: all " << thousands(r.rows) << " rows already match the store"
                  << (r.dry_run ? " (dry run)" : "") << "\n";
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

int runExport(const CommandLine& cl, const ServerConfig& config) {
    if (cl.words.size() != 2) return fail("usage: export FILE [--secrets]", kExitUsage);
    auto s = openServices(config, Migrate::kNo);
    if (!s) return fail(s.error().message);
    auto bytes = s.value()->inventory->exportCsv(cl.flags.count("secrets") > 0);
    if (!bytes) return fail(bytes.error().message);
    const std::string& name = cl.words[1];
    if (name == "-") {
        std::cout.write(bytes.value().data(), static_cast<std::streamsize>(bytes.value().size()));
        std::cout.flush();
        return std::cout ? 0 : 1;
    }
    // Written beside the target and renamed: a reader never sees half a file.
    const std::string temp = name + ".partial";
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        out.write(bytes.value().data(), static_cast<std::streamsize>(bytes.value().size()));
        if (!out) {
            std::remove(temp.c_str());
            return fail("cannot write " + name);
        }
    }
    if (std::rename(temp.c_str(), name.c_str()) != 0) return fail("cannot write " + name);
    std::cerr << "exported to " << name << "\n";
    return 0;
}

}  // namespace

int runCommand(const CommandLine& cl) {
    const std::string& cmd = cl.words[0];
    if (cmd == "help") {
        std::cout << usage();
        return 0;
    }
    std::string error;
    const bool flags_ok = cmd == "token"    ? checkFlags(cl, {"role", "name"}, error)
                          : cmd == "render" ? checkFlags(cl, {"user-agent"}, error)
                          : cmd == "import" ? checkFlags(cl, {"dry-run", "progress"}, error)
                          : cmd == "export" ? checkFlags(cl, {"secrets"}, error)
                          : cmd == "staging" ? checkFlags(cl, {"site", "once", "interval"}, error)
                                            : checkFlags(cl, {}, error);
    if (!flags_ok) return fail(error, kExitUsage);
    auto config = loadConfig(cl.sources);
    if (!config) return fail(config.error().message, kExitConfig);
    if (cmd == "serve") {
        if (cl.words.size() != 1) return fail("serve takes no arguments", kExitUsage);
        return runServe(config.value());
    }
    if (cmd == "migrate") return runMigrate(config.value());
    if (cmd == "token") return runToken(cl, config.value());
    if (cmd == "backup") return runBackup(cl, config.value());
    if (cmd == "render") return runRender(cl, config.value());
    if (cmd == "import") return runImport(cl, config.value());
    if (cmd == "export") return runExport(cl, config.value());
    if (cmd == "staging") return runStaging(cl, config.value());
    std::cerr << "provisioner: unknown command '" << cmd << "'\n" << usage();
    return kExitUsage;
}

}  // namespace prov::app

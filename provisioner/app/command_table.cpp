#include "provisioner/app/command_table.h"

#include <algorithm>
#include <iterator>

#include "provisioner/app/commands.h"

namespace prov::app {

namespace {

int serve(const Invocation& in) { return runServe(in.config); }

}  // namespace

const std::vector<Command>& commands() {
    // clang-format off
    static const std::vector<Command> kCommands = {
        {"serve", "", "run the provisioning server", {}, Needs::kServer, true, serve},
        {"migrate", "", "apply pending store migrations", {}, Needs::kStore, true, runMigrate},
        {"migrate-store", "", "copy a SQLite store into a new PostgreSQL database, committed only when every "
                              "table's rows and checksum match",
         {{"from", "sqlite:PATH", "the SQLite store (at this version's schema: 'migrate' it first)", true},
          {"to", "URL", "the PostgreSQL database, postgresql://...; refused unless it holds no row (a password: "
                        "PGPASSWORD, ~/.pgpass or --to-file, not here where ps shows it)"},
          {"to-file", "FILE", "instead of --to: the URL is the file's first line (refused when its group or "
                              "others may read it)"}},
         Needs::kNothing, false, runMigrateStore},
        {"token", "create|list|revoke [ID|NAME]", "API tokens: print a new one, list them, revoke one",
         {{"role", "ROLE", "create: admin, installer or viewer (required)"},
          {"name", "NAME", "create: what it is for, unique (revoke takes it)"},
          {"expires", "WHEN", "create: 30d, 12h, 2026-12-31 or 2026-12-31T12:00:00Z (default: never)"}},
         Needs::kStore, true, runToken},
        {"user", "add|list|passwd|disable|enable|delete|unthrottle [NAME|IP]",
         "portal users: add one, list them, set a password, disable, enable or delete one; clear a "
         "sign-in throttle",
         {{"role", "ROLE", "add: admin, installer or viewer (required)"},
          {"password-file", "FILE", "add, passwd: the password is the file's first line (default: stdin, "
                                    "asked twice on a terminal); refused if group or others may read it"},
          {"force", "", "disable, delete: even the last enabled admin (the API refuses that; the host's "
                        "root may, to start over with 'user add')"}},
         Needs::kStore, true, runUser},
        {"backup", "FILE", "a consistent copy of the store, safe while serving", {},
         Needs::kStore, true, runBackup},
        {"restore", "FILE", "replace the store by a backup, the server stopped; the store it replaces is kept "
                            "beside it as STORE.before-restore-TIME",
         {}, Needs::kStore, true, runRestore},
        {"render", "MAC FILE", "print exactly the bytes a phone would get",
         {{"user-agent", "UA", "the phone's User-Agent, as it would send it"}}, Needs::kEverything, true,
         runRender},
        {"import", "FILE", "load a device inventory CSV, all or nothing ('-': stdin)",
         {{"dry-run", "", "check and list the changes, store nothing"},
          {"progress", "", "a line per step on standard error (a bar on a terminal anyway)"}},
         Needs::kStoreAndTemplates, true, runImport},
        {"export", "FILE", "write the inventory as CSV ('-': stdout)",
         {{"secrets", "", "include SIP passwords"}}, Needs::kStore, true, runExport},
        {"staging", "", "the devices of a site and how far each has come, live",
         {{"site", "NAME", "only this site's devices"},
          {"once", "", "print once and exit (also when not on a terminal)"},
          {"interval", "SECONDS", "redraw every SECONDS, 1 to 3600 (default 2)"}},
         Needs::kStore, true, runStaging},
        {"window", "open|list|close [ID]", "staging windows: let phones get their secrets once, for a while",
         {{"site", "NAME", "open: every device with this label"},
          {"macs", "MAC,...", "open: these devices"},
          {"minutes", "N", "open: how long, 1 to 1440 (default 30)"},
          {"max-devices", "N", "open: at most N devices, each once (default: the MACs listed, else 1)"}},
         Needs::kStore, true, runWindow},
        {"firmware", "add FILE|list|remove ID|target|targets|rollouts|rollout start|rollout show ID|"
                     "rollout halt ID|rollout rollback ID",
         "the firmware catalog (images checked by SHA-256) and the versions phones are told to run",
         {{"vendor", "VENDOR", "add, target: the vendor (vendor-templates folder or name); targets: only its"},
          {"models", "M1,M2", "add: the models the image is for, or * for every model of the vendor"},
          {"version", "VERSION", "add: the version phones report once running it; target: one of the catalog's, "
                                 "or none (leave what the phone has)"},
          {"sha256", "HEX", "add: the SHA-256 the vendor published; a file that differs is refused"},
          {"size", "BYTES", "add: the size the vendor published; a file that differs is refused"},
          {"name", "NAME", "add: the file name phones ask for (default: FILE's)"},
          {"model", "MODEL", "target: the model"},
          {"site", "NAME", "target: only the devices with this label"},
          {"mac", "MAC", "target: only this device"},
          {"clear", "", "target: remove the target instead of setting it"},
          {"canaries", "MAC,...", "rollout start: the devices that get the version first"},
          {"percent", "P", "rollout start: or this share of the model's devices (1-100), at least one"},
          {"window", "TIME", "rollout start: how long canaries have to report the version (90, 30m, 2h, 1d; "
                             "60 s to 7 days); past it the rollout halts by itself"},
          {"reason", "TEXT", "rollout halt: why (kept with the rollout)"}},
         Needs::kStoreAndTemplates, true, runFirmware},
        {"resync", "[MAC]", "ask phones to fetch their config now (a running server sends the NOTIFY or hook)",
         {{"site", "NAME", "every device with this label"},
          {"all", "", "every device"}},
         Needs::kStore, true, runResync},
        {"config", "", "print every configuration key (docs/configuration.md)",
         {{"reference", "", "the reference of every key: type, default, range, effect", true}}, Needs::kNothing,
         false, runConfig},
        {"help", "[COMMAND]", "list the commands, or one command's flags", {}, Needs::kNothing, false, runHelp},
        {"version", "", "print the version of this build (also --version)", {}, Needs::kNothing, false, runVersion},
        {"completion", "bash", "print the bash completion script (the package installs it; or: source <(provisioner "
                               "completion bash))",
         {}, Needs::kNothing, false, runCompletion},
        {"man", "", "print the manual page, roff (the package installs it; or: provisioner man | man -l -)", {},
         Needs::kNothing, false, runMan},
    };
    // clang-format on
    return kCommands;
}

const Command* findCommand(std::string_view name) {
    for (const Command& c : commands()) {
        if (c.name == name) return &c;
    }
    return nullptr;
}

bool isFlag(std::string_view name) {
    return std::any_of(commands().begin(), commands().end(), [&](const Command& c) {
        return std::any_of(c.flags.begin(), c.flags.end(), [&](const Flag& f) { return f.name == name; });
    });
}

bool isSwitch(std::string_view name) {
    return std::any_of(commands().begin(), commands().end(), [&](const Command& c) {
        return std::any_of(c.flags.begin(), c.flags.end(),
                           [&](const Flag& f) { return f.name == name && f.value.empty(); });
    });
}

std::string usageLine(const Command& command) {
    std::string out(command.name);
    if (!command.args.empty()) out += " " + std::string(command.args);
    for (const Flag& f : command.flags) {
        std::string flag =
            "--" + std::string(f.name) + (f.value.empty() ? "" : " " + std::string(f.value));
        out += " " + (f.required ? flag : "[" + flag + "]");
    }
    return out;
}

std::string usage() {
    // A usage line wider than this has its summary on the next line.
    constexpr size_t kWidth = 40;
    std::string out = "usage: provisioner COMMAND [-c FILE] [-D key=value]...\ncommands:\n";
    for (const Command& c : commands()) {
        const std::string line = usageLine(c);
        const std::string pad = line.size() < kWidth ? std::string(kWidth - line.size(), ' ')
                                                     : "\n" + std::string(kWidth + 2, ' ');
        out += "  " + line + pad + std::string(c.summary) + "\n";
    }
    out +=
        "'provisioner COMMAND --help' for one command; the keys of -c and -D: 'provisioner config "
        "--reference'\n";
    return out;
}

std::string commandHelp(const Command& command) {
    std::string out = "usage: provisioner " + usageLine(command) +
                      (command.reads_config ? " [-c FILE] [-D key=value]..." : "") + "\n" +
                      std::string(command.summary) + "\n";
    size_t width = 0;
    for (const Flag& f : command.flags) width = std::max(width, f.name.size() + f.value.size() + 3);
    for (const Flag& f : command.flags) {
        const std::string flag =
            "--" + std::string(f.name) + (f.value.empty() ? "" : " " + std::string(f.value));
        out += "  " + flag + std::string(width - flag.size() + 3, ' ') + std::string(f.doc) + "\n";
    }
    static const char* const kNeeds[] = {
        "nothing", "the store", "the store and the vendor templates",
        "the store, the vendor templates and the provisioning service",
        "the store, the vendor templates, the provisioning service and the event spool"};
    static_assert(std::size(kNeeds) == static_cast<size_t>(Needs::kServer) + 1, "a phrase for every Needs");
    if (command.needs != Needs::kNothing)
        out += "opens " + std::string(kNeeds[static_cast<int>(command.needs)]) + "\n";
    return out;
}

}  // namespace prov::app

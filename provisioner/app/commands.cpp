// The run functions of the commands that work on the store: migrate,
// backup, render, export (token: token_command.cpp); and config and help,
// which open nothing.

#include "provisioner/app/commands.h"

#include <iostream>

#include "provisioner/app/command_table.h"
#include "provisioner/app/config_keys.h"
#include "provisioner/core/mac_address.h"
#include "provisioner/model/json_encode.h"
#include "provisioner/model/settings.h"
#include "provisioner/store/sqlite_store.h"
#include "provisioner/core/private_file.h"

namespace prov::app {

namespace {

int fail(const std::string& line, int code = 1) {
    std::cerr << "provisioner: " << line << "\n";
    return code;
}

int usageError(const Invocation& in) {
    return fail("usage: provisioner " + usageLine(in.command), kExitUsage);
}

const Actor kCli{"cli", Role::kAdmin};

// {"key": value} as JSON.
template <typename T>
std::string jsonPair(const char* key, const T& value) {
    json::ObjectPtr o = json::newObject();
    o->set(key, value);
    return json::stringify(o);
}

void writeOut(const std::string& bytes) {
    std::cout.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    std::cout.flush();
}

}  // namespace

// The `timezone` values migration 8 could not convert (an offset no Etc zone
// has, such as +5:30): the admin chooses a city, since only a name carries a
// DST rule. They still render as a fixed offset until then.
static void reportOffsetTimezones(SqliteStore* store) {
    // A PostgreSQL store was made by this version (or copied from a
    // migrated SQLite one): none are left there.
    if (!store) return;
    auto values = store->settingValues("timezone");
    if (!values) return;
    bool first = true;
    for (const auto& [scope, value] : values.value()) {
        if (!legacyOffsetMinutes(value)) continue;
        if (first)
            std::cout << "timezone offsets left for you to replace with a zone name (such as Asia/Kolkata):\n";
        first = false;
        std::cout << "  " << (scope.empty() ? std::string("global settings") : "device " + scope) << ": "
                  << value << "\n";
    }
}

int runMigrate(const Invocation& in) {
    if (in.line.words.size() != 1) return usageError(in);
    MigrationReport report;
    auto s = in.open(Migrate::kYes, &report);
    if (!s) return fail(s.error().message, exitCodeFor(s.error()));
    const std::string path = storeName(in.config);
    if (report.applied.empty()) {
        std::cout << "store " << path << " is up to date at schema version " << report.to_version
                  << "\n";
    } else {
        std::cout << "store " << path << ": schema version " << report.from_version << " -> "
                  << report.to_version << "\n";
        for (const auto& m : report.applied) std::cout << "  applied " << m << "\n";
    }
    reportOffsetTimezones(s.value()->sqlite);
    return 0;
}

int runBackup(const Invocation& in) {
    if (in.line.words.size() != 2) return usageError(in);
    auto s = in.open(Migrate::kNo);
    if (!s) return fail(s.error().message, exitCodeFor(s.error()));
    if (!s.value()->sqlite)
        return fail("backup: the store is PostgreSQL (store.url): back it up with pg_dump", kExitUsage);
    if (auto st = s.value()->sqlite->backup(in.line.words[1]); !st) return fail(st.error().message);
    std::cout << "backup of " << in.config.store_path << " written to " << in.line.words[1] << "\n";
    return 0;
}

int runRender(const Invocation& in) {
    if (in.line.words.size() != 3) return usageError(in);
    auto mac = MacAddress::parse(in.line.words[1]);
    if (!mac) return fail("'" + in.line.words[1] + "' is not a MAC address", kExitUsage);
    auto s = in.open(Migrate::kNo);
    if (!s) return fail(s.error().message, exitCodeFor(s.error()));
    auto bytes =
        s.value()->provisioning->preview(mac->canonical(), in.line.words[2], in.flag("user-agent"));
    if (!bytes) return fail(bytes.error().message);
    // The file shows the device's secrets: audited, as the API's preview, before it is shown.
    const std::string what = jsonPair("file", in.line.words[2]);
    if (auto st = s.value()->inventory->auditAccess(kCli, "preview", "device", mac->canonical(), what); !st)
        return fail(st.error().message);
    writeOut(bytes.value());
    return 0;
}

int runExport(const Invocation& in) {
    if (in.line.words.size() != 2) return usageError(in);
    auto s = in.open(Migrate::kNo);
    if (!s) return fail(s.error().message, exitCodeFor(s.error()));
    auto bytes = s.value()->inventory->exportCsv(in.has("secrets"));
    if (!bytes) return fail(bytes.error().message);
    const std::string what = jsonPair("secrets", in.has("secrets"));
    if (auto st = s.value()->inventory->auditAccess(kCli, "export", "inventory", "csv", what); !st)
        return fail(st.error().message);
    const std::string& name = in.line.words[1];
    if (name == "-") {
        writeOut(bytes.value());
        return std::cout ? 0 : 1;
    }
    // 0600 whatever the umask: with --secrets it holds every SIP password.
    if (auto st = writePrivateFile(name, bytes.value()); !st) return fail(st.error().message);
    std::cerr << "exported to " << name << "\n";
    return 0;
}

int runConfig(const Invocation& in) {
    if (in.line.words.size() != 1) return usageError(in);
    std::cout << configReference();
    return 0;
}

int runHelp(const Invocation& in) {
    if (in.line.words.size() == 1) {
        std::cout << usage();
        return 0;
    }
    const Command* command = in.line.words.size() == 2 ? findCommand(in.line.words[1]) : nullptr;
    if (!command) return usageError(in);
    std::cout << commandHelp(*command);
    return 0;
}

}  // namespace prov::app

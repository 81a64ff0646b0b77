// Parsing the command line and dispatching it through the command table.

#include <iostream>

#include "provisioner/app/command_table.h"
#include "provisioner/app/commands.h"

namespace prov::app {

namespace {

int fail(const std::string& line, int code) {
    std::cerr << "provisioner: " << line << "\n";
    return code;
}

// Every flag given is the command's; every flag it requires is given.
bool checkFlags(const Command& command, const CommandLine& cl, std::string& error) {
    for (const auto& [name, value] : cl.flags) {
        (void)value;
        const bool known = std::any_of(command.flags.begin(), command.flags.end(),
                                       [&](const Flag& f) { return f.name == name; });
        if (!known) {
            error = "unknown option --" + name + " for " + std::string(command.name);
            return false;
        }
    }
    for (const Flag& f : command.flags) {
        if (f.required && !cl.flags.count(std::string(f.name))) {
            error = std::string(command.name) + " needs --" + std::string(f.name) + " " +
                    std::string(f.value) + " (" + std::string(f.doc) + ")";
            return false;
        }
    }
    return true;
}

}  // namespace

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
            out.flags["help"] = "true";
        } else if (a.rfind("--", 0) == 0 && a.size() > 2) {
            const size_t eq = a.find('=');
            if (eq != std::string::npos) {
                out.flags[a.substr(2, eq - 2)] = a.substr(eq + 1);
            } else if (isSwitch(a.substr(2))) {
                out.flags[a.substr(2)] = "true";
            } else if (!next(out.flags[a.substr(2)])) {
                return false;
            }
        } else if (a.size() > 1 && a[0] == '-') {
            error = "unknown option " + a;
            return false;
        } else {
            out.words.push_back(a);
        }
    }
    if (out.words.empty() && out.flags.count("help")) {
        out.words = {"help"};
        out.flags.erase("help");
    }
    if (out.words.empty()) {
        error = "no command given";
        return false;
    }
    return true;
}

int runCommand(const CommandLine& cl) {
    const Command* command = findCommand(cl.words[0]);
    if (!command) {
        std::cerr << "provisioner: unknown command '" << cl.words[0] << "'\n" << usage();
        return kExitUsage;
    }
    if (cl.flags.count("help")) {
        std::cout << commandHelp(*command);
        return 0;
    }
    std::string error;
    if (!checkFlags(*command, cl, error)) return fail(error, kExitUsage);
    ServerConfig config;
    if (command->reads_config) {
        auto loaded = loadConfig(cl.sources);
        if (!loaded) return fail(loaded.error().message, kExitConfig);
        config = std::move(loaded).value();
    }
    return command->run(Invocation{*command, cl, config});
}

Result<std::unique_ptr<Services>> Invocation::open(Migrate migrate, MigrationReport* report) const {
    return openServices(config, command.needs, migrate, report);
}

std::string Invocation::flag(const std::string& name, const std::string& fallback) const {
    const auto it = line.flags.find(name);
    return it == line.flags.end() ? fallback : it->second;
}

bool Invocation::has(const std::string& name) const { return line.flags.count(name) > 0; }

}  // namespace prov::app

// Parsing the command line and dispatching it through the command table.

#include <Poco/File.h>
#include <Poco/Path.h>

#include <algorithm>
#include <iostream>

#include "provisioner/app/command_table.h"
#include "provisioner/app/commands.h"
#include "provisioner/app/config_keys.h"
#include "provisioner/core/private_file.h"

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

// "unknown option --colour for token (provisioner token --help lists its options)"
std::string unknownOption(const std::string& option, const std::vector<std::string>& words) {
    const Command* command = words.empty() ? nullptr : findCommand(words[0]);
    if (!command) return "unknown option " + option + " ('provisioner --help' lists the commands)";
    return "unknown option " + option + " for " + std::string(command->name) + " ('provisioner " +
           std::string(command->name) + " --help' lists its options)";
}

// True when the command named first in `words` has the flag --name.
bool hasFlag(const std::vector<std::string>& words, std::string_view name) {
    const Command* command = words.empty() ? nullptr : findCommand(words[0]);
    return command && std::any_of(command->flags.begin(), command->flags.end(),
                                  [&](const Flag& f) { return f.name == name; });
}

// What a command is about to open must be usable, or it is the
// configuration's fault: said as such (exit 78) before anything is opened,
// rather than as whatever the library that tripped on it would say.
Status checkPaths(const ServerConfig& config, Needs needs) {
    if (needs == Needs::kNothing) return okStatus();
    if (config.store_path != ":memory:" && config.store_url.empty()) {
        const std::string folder = Poco::Path(config.store_path).parent().toString();
        if (auto st = makePrivateDirectories(folder.empty() ? "." : folder); !st)
            return configError("store.path", st.error().message);
    }
    if (needs == Needs::kStore) return okStatus();
    const Poco::File templates(config.templates_dir);
    if (!templates.exists() || !templates.isDirectory())
        return configError("templates.dir", "'" + config.templates_dir + "' is not a folder (the vendor templates)");
    return okStatus();
}

}  // namespace

int exitCodeFor(const Error& e) {
    if (isConfigError(e)) return kExitConfig;
    if (e.reason == "in_use") return kExitInUse;
    return 1;
}

bool parseCommandLine(int argc, char** argv, CommandLine& out, std::string& error) {
    bool version = false;
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
        } else if (a == "--version" && !hasFlag(out.words, "version")) {
            version = true;  // firmware's --version VERSION is its own
        } else if (a.rfind("--", 0) == 0 && a.size() > 2) {
            const size_t eq = a.find('=');
            const std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
            // Named here, before it could take the next word as its value.
            if (!isFlag(name)) {
                error = unknownOption("--" + name, out.words);
                return false;
            }
            if (eq != std::string::npos) {
                out.flags[name] = a.substr(eq + 1);
            } else if (isSwitch(name)) {
                out.flags[name] = "true";
            } else if (!next(out.flags[name])) {
                return false;
            }
        } else if (a.size() > 1 && a[0] == '-') {
            error = unknownOption(a, out.words);
            return false;
        } else {
            out.words.push_back(a);
        }
    }
    // --version is the version command, as --help alone is help.
    if (version) {
        out.words = {"version"};
        out.flags.clear();
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
        if (auto st = checkPaths(config, command->needs); !st) return fail(st.error().message, kExitConfig);
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

#pragma once

// The provisioner command line: `provisioner COMMAND [ARGS] [FLAGS] [-c FILE]
// [-D key=value]...`. The commands, their flags and what each opens are the
// table in command_table.cpp (`provisioner --help`).
// Exit codes: 0 done, 2 usage, 65 a refused input file, 75 another server
// holds the store or a port, 78 configuration (a bad key or value, or a path,
// address or port of the configuration that cannot be used), 1 anything else.

#include <map>
#include <string>
#include <vector>

#include "provisioner/app/server_config.h"

namespace prov::app {

struct Invocation;

inline constexpr int kExitUsage = 2;
inline constexpr int kExitData = 65;  // EX_DATAERR: the input file is refused
inline constexpr int kExitInUse = 75;  // EX_TEMPFAIL: another server holds the store or a port
inline constexpr int kExitConfig = 78;

// The exit code for an error that stops a command: 78 for a configuration
// error (config_keys.h, configError), 75 for a store or port in use, else 1.
int exitCodeFor(const Error& e);

struct CommandLine {
    std::vector<std::string> words;  // subcommand and its positional arguments
    std::map<std::string, std::string>
        flags;  // --role admin -> {"role", "admin"}; --help -> {"help", "true"}
    ConfigSources sources;
};

// False, with the line to print in `error`, when the line cannot be parsed.
bool parseCommandLine(int argc, char** argv, CommandLine& out, std::string& error);

// Looks the command up in the table, checks its flags, reads the
// configuration and runs it; the exit code.
int runCommand(const CommandLine& cl);

// The commands' run functions, one per row of the table.
int runServe(const ServerConfig& config);
int runMigrate(const Invocation& in);
// provisioner migrate-store --from sqlite:PATH --to postgresql://... (migrate_store_command.cpp)
int runMigrateStore(const Invocation& in);
int runToken(const Invocation& in);
// provisioner user add|list|passwd|disable|enable|delete|unthrottle: portal users (user_command.cpp)
int runUser(const Invocation& in);
int runBackup(const Invocation& in);
// provisioner restore FILE (restore_command.cpp)
int runRestore(const Invocation& in);
int runRender(const Invocation& in);
int runImport(const Invocation& in);
int runExport(const Invocation& in);
int runStaging(const Invocation& in);
int runWindow(const Invocation& in);
int runFirmware(const Invocation& in);
int runResync(const Invocation& in);
int runConfig(const Invocation& in);
int runHelp(const Invocation& in);
// version, completion bash, man: the command line describing itself (self_doc.cpp)
int runVersion(const Invocation& in);
int runCompletion(const Invocation& in);
int runMan(const Invocation& in);

}  // namespace prov::app

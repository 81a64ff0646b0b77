#pragma once

// Every command in one table: its name, arguments, flags, one line of what it
// does and what it needs opened. The table drives the command line's parsing
// of flags, dispatch, `provisioner --help` and `provisioner COMMAND --help`.
//
// Adding a command: a row in command_table.cpp and its run function.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "provisioner/app/services.h"

namespace prov::app {

struct CommandLine;
struct Invocation;

struct Flag {
    std::string_view name;   // "role" for --role
    std::string_view value;  // "ROLE"; empty for a switch (--dry-run)
    std::string_view doc;
    bool required = false;
};

struct Command {
    std::string_view name;
    std::string_view args;  // positional, as usage shows them: "MAC FILE"
    std::string_view summary;
    std::vector<Flag> flags;
    Needs needs;
    bool reads_config;  // false: runs without -c/-D (help, config --reference)
    int (*run)(const Invocation&);
};

// One run of a command: its row, its command line and its configuration.
struct Invocation {
    const Command& command;
    const CommandLine& line;
    const ServerConfig& config;

    // Opens what the command's row says it needs, nothing more: a command of
    // the store alone works without vendor-templates/.
    Result<std::unique_ptr<Services>> open(Migrate migrate,
                                           MigrationReport* report = nullptr) const;
    // The value of --name, or `fallback`.
    std::string flag(const std::string& name, const std::string& fallback = "") const;
    bool has(const std::string& name) const;
};

const std::vector<Command>& commands();
// The row named `name`, or null.
const Command* findCommand(std::string_view name);
// True when some command has the flag --name.
bool isFlag(std::string_view name);
// True when some command has the switch --name (so it takes no value).
bool isSwitch(std::string_view name);

// "token create --role ROLE [--name NAME]"
std::string usageLine(const Command& command);
// Every command, a line each: `provisioner --help`.
std::string usage();
// One command, its flags and what it opens: `provisioner COMMAND --help`.
std::string commandHelp(const Command& command);

}  // namespace prov::app

#pragma once

// The provisioner command line:
//   provisioner serve   [-c FILE] [-D key=value]...
//   provisioner migrate [-c FILE] [-D key=value]...
//   provisioner token create --role admin|installer|viewer [--name NAME] [-c FILE] [-D k=v]...
//   provisioner backup FILE [-c FILE] [-D key=value]...
//   provisioner import FILE [--dry-run] / export FILE [--secrets]
//   provisioner staging [--site NAME] [--once] [--interval SECONDS]
// Exit codes: 0 done, 2 usage, 65 a refused input file, 78 configuration, 1 anything else.

#include <map>
#include <string>
#include <vector>

#include "provisioner/app/server_config.h"

namespace prov::app {

inline constexpr int kExitUsage = 2;
inline constexpr int kExitData = 65;  // EX_DATAERR: the input file is refused
inline constexpr int kExitConfig = 78;

struct CommandLine {
    std::vector<std::string> words;  // subcommand and its positional arguments
    std::map<std::string, std::string> flags;  // --role admin -> {"role", "admin"}
    ConfigSources sources;
};

// nullopt-like: an error message in `error` when the line cannot be parsed.
bool parseCommandLine(int argc, char** argv, CommandLine& out, std::string& error);

int runCommand(const CommandLine& cl);
int runServe(const ServerConfig& config);
int runStaging(const CommandLine& cl, const ServerConfig& config);

std::string usage();

}  // namespace prov::app

#pragma once

// Every configuration key in one table, as nginx's ngx_command_t pairs a
// directive with its parser and the field it fills: name, type, default,
// allowed values, a line of documentation and the ServerConfig member. The
// table drives parsing and validation (server_config.cpp), the refusal of
// unknown and removed keys, and the reference (`provisioner config
// --reference`, docs/configuration.md, the man page and bash completion).
//
// Adding a key: a member in ServerConfig and a row in config_keys.cpp; then
// regenerate docs/configuration.md (a unit test says when it is stale).

#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "provisioner/app/server_config.h"
#include "provisioner/core/result.h"

namespace prov::app {

enum class KeyType {
    kText,      // any string; `non_empty` refuses ""
    kPath,      // a file or folder; relative: to the folder of the file that set it (loadConfig)
    kInteger,   // decimal digits, from `min` to `max`
    kBool,      // true or false
    kChoice,    // one of `choices` ("none,optional,required")
    kAddress,   // an IPv4 or IPv6 address
    kHostList,  // comma-separated host names or addresses
    kNetworks,  // comma-separated CIDR networks (policy/network_list.h); "" for the default list
};

using ConfigField =
    std::variant<std::string ServerConfig::*, int ServerConfig::*, int64_t ServerConfig::*,
                 bool ServerConfig::*, std::vector<std::string> ServerConfig::*>;

struct ConfigKey {
    std::string_view name;
    KeyType type;
    std::string_view default_value;  // read like a configured value
    std::string_view doc;            // one line, Markdown
    ConfigField field;
    int64_t min = 0;
    int64_t max = 0;
    std::string_view choices;
    bool non_empty = false;
    std::string_view shown_default;  // the reference's words when the default is "" with a meaning
};

// A key that no longer exists, and the one line that says why.
struct RemovedKey {
    std::string_view name;
    std::string_view reason;
};

std::span<const ConfigKey> configKeys();
std::span<const RemovedKey> removedKeys();

// The row named `name`, or null.
const ConfigKey* findKey(std::string_view name);

// Sets the member `key` fills from `value`. An error is the one line to
// print, naming the key: "config: http.port must be an integer from 0 to
// 65535 (got 'x')".
Status applyKey(const ConfigKey& key, const std::string& value, ServerConfig& config);

// A configuration error found after the keys were read (a folder that cannot
// be made, a file that cannot be read, a port that cannot be bound): one line
// naming the key, "config: certs.dir: cannot create /x: Permission denied",
// with reason "config", which every command exits 78 for (commands.h).
Error configError(std::string_view key, const std::string& problem);
bool isConfigError(const Error& e);

// A key's facts as the reference shows them, in Markdown (`code`): its type
// ("integer"), its default ("`8080`", or words such as "none") and the
// values it takes ("0 to 65535").
std::string_view typeName(KeyType type);
std::string shownDefault(const ConfigKey& key);
std::string keyValues(const ConfigKey& key);

// The reference as Markdown; docs/configuration.md is exactly this.
std::string configReference();

}  // namespace prov::app

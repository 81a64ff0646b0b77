#pragma once

// Every configuration key, read and validated once at start into an immutable
// struct. Nothing below app/ reads configuration keys.

#include <Poco/Util/LayeredConfiguration.h>

#include <cstdint>
#include <string>
#include <vector>

#include "provisioner/core/result.h"

namespace prov::app {

struct ServerConfig {
    std::string store_path = "var/provisioner.db";
    std::string templates_dir = "vendor-templates";
    std::string firmware_dir = "firmware";
    std::string certs_dir = "certs";
    int http_port = 8080;
    int https_port = 8443;
    int tftp_port = 6969;
    int admin_port = 9090;
    std::string admin_bind = "127.0.0.1";
    bool admin_tls = false;  // the admin API over HTTPS, with the phones' server certificate
    int64_t license_extensions = 100;
    int64_t status_unknown_after = 300;
    std::string ports_file;
    std::string log_level = "information";
    std::string http_bind = "0.0.0.0";
    std::string allow_networks;  // provisioning.allow_networks; empty = the default list
    std::string uploads_dir = "var/uploads";
    int64_t uploads_max_bytes = 1 << 20;
    int64_t templates_poll_seconds = 2;
    int64_t http_loops = 2;
    int64_t http_max_connections = 20000;
    std::string tftp_bind = "0.0.0.0";
    std::string https_bind = "0.0.0.0";
    std::vector<std::string> tls_server_names;  // empty: host name and local addresses
    bool tls_legacy_phones = false;
    std::string https_client_cert = "optional";  // none | optional | required
    bool secrets_require_client_cert = false;
    int64_t tftp_loops = 2;
    int64_t tftp_max_transfers = 4096;
    int64_t tftp_max_per_source = 512;
    int64_t events_keep_days = 90;          // 0 keeps events for ever
    int64_t devices_max_unassigned = 10000;  // phones not in the store that are recorded
    int64_t admin_max_import_bytes = 64 << 20;  // POST /api/v1/imports body
};

// Command-line sources of configuration: -c FILE and -D key=value.
struct ConfigSources {
    std::string file;
    std::vector<std::pair<std::string, std::string>> defines;
};

// Layers -D over the file over the defaults. A bad value is an error whose
// message is the one line to print.
Result<ServerConfig> loadConfig(const ConfigSources& sources);

}  // namespace prov::app

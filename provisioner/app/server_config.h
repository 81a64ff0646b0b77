#pragma once

// The configuration, read and validated once at start into an immutable
// struct. Nothing below app/ reads configuration keys. Each member is filled
// by one row of the key table (config_keys.cpp), which holds its key name,
// default, allowed values and documentation.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "provisioner/core/result.h"

namespace prov::app {

struct ServerConfig {
    std::string store_path;
    std::string store_url;  // postgresql://...: the shared store, instead of store_path
    int64_t store_lock_timeout_ms = 30000;  // PostgreSQL: a wait for a pooled connection or a lock
    std::string templates_dir;
    std::string templates_override_dir;
    int64_t templates_poll_seconds = 0;
    std::string firmware_dir;
    int64_t firmware_max_bytes = 512ll << 20;
    bool firmware_catalog_only = false;
    int64_t firmware_rescan_seconds = 30;
    int64_t firmware_failed_after = 3;
    std::string certs_dir;
    std::string uploads_dir;
    int64_t uploads_max_bytes = 0;
    int http_port = 0;
    std::string http_bind;
    int64_t http_loops = 0;
    int64_t http_max_connections = 0;
    int64_t http_max_per_address = 0;
    int https_port = 0;
    std::string https_bind;
    int64_t https_max_connections = 0;
    std::string https_client_cert;              // none | optional | required
    std::vector<std::string> tls_server_names;  // empty: host name and local addresses
    bool tls_legacy_phones = false;
    int64_t tls_ticket_rotation_seconds = 86400;
    bool trust_deliver = true;
    std::string trust_ca_file;  // empty: the root of certs.dir/server.crt
    bool secrets_require_client_cert = false;
    std::string allow_networks;  // provisioning.allow_networks; empty = none
    int64_t staging_window_grace = 600;
    int64_t sweep_budget = 64;
    int64_t sweep_block_seconds = 60;
    int64_t sweep_max_block_seconds = 3600;
    int64_t sweep_unknown_per_hour = 16;
    int tftp_port = 0;
    std::string tftp_bind;
    int64_t tftp_loops = 0;
    int64_t tftp_max_transfers = 0;
    int64_t tftp_max_per_source = 0;
    int64_t tftp_max_unverified_per_source = 0;
    int64_t tftp_unverified_seconds = 0;
    int64_t tftp_max_memory_bytes = 0;
    int admin_port = 0;
    std::string admin_bind;
    bool admin_tls = false;
    std::string portal_dir;
    // admin.tls was off and admin.bind is not a loopback address, so
    // loadConfig turned HTTPS on (server.cpp says so at start).
    bool admin_tls_automatic = false;
    int64_t admin_header_timeout = 0;
    int64_t admin_max_import_bytes = 0;
    int64_t admin_auth_failures = 10;
    int64_t admin_auth_block_seconds = 60;
    int64_t admin_auth_max_block_seconds = 3600;
    int64_t portal_streams = 8;        // staging streams open at once
    int64_t portal_stream_max = 600;   // seconds a staging stream lasts
    int64_t portal_session_idle = 1800;
    int64_t portal_session_max = 43200;
    int64_t license_extensions = 0;
    int64_t status_unknown_after = 0;
    int64_t events_keep_days = 0;  // 0 keeps events for ever
    // Where event batches wait while the store is away; loadConfig sets
    // "<store.path's folder>/events-spool" when none is configured.
    std::string events_spool_dir;
    int64_t events_spool_max_mb = 64;
    int64_t devices_max_unassigned = 0;
    std::string resync_route;  // notify | hook | off
    std::string resync_hook;   // as configured; "" none
    // resync.hook split into words (resync/hook.h) when the configuration is read.
    std::vector<std::string> resync_hook_argv;
    int64_t resync_rate = 10;
    std::string resync_bind;
    int resync_port = 0;
    std::string resync_advertise;
    int64_t resync_t1_ms = 500;
    int64_t resync_hook_timeout = 10;
    int64_t resync_retry_after = 300;
    std::string ports_file;
    std::string log_level;
    std::string log_format;         // text | json (app/log_format.h)
    std::string log_syslog_prefix;  // auto | true | false
    int64_t log_refusal_lines = 20;
    int64_t log_refusal_interval = 60;

    // The e-mail relay of invitations (mail/smtp_client.h) and its outbox.
    std::string smtp_host;  // "" = no relay: invitations are refused
    int smtp_port = 25;
    std::string smtp_starttls;  // off | on | required
    std::string smtp_user;
    std::string smtp_password;  // never logged
    std::string smtp_from;
    std::string smtp_ca_file;
    bool smtp_tls_verify = true;
    bool smtp_allow_plain_auth = false;
    int64_t smtp_timeout = 30;
    std::string smtp_retry;  // as configured: "60,300,900,3600"
    std::vector<int64_t> smtp_retry_seconds;  // parsed from smtp_retry
    int64_t smtp_max_tries = 5;
    std::string invitations_base_url;
    std::string invitations_valid_for;  // as configured: "7d"
    int64_t invitations_valid_seconds = 7 * 86400;

};

// Command-line sources of configuration: -c FILE and -D key=value.
struct ConfigSources {
    std::string file;
    std::vector<std::pair<std::string, std::string>> defines;
};

// Layers -D over the file over the table's defaults. A relative path (a key
// of type kPath) set in the file is taken from the file's folder; one from -D
// or a default, from the working directory. An unknown or removed key or a
// bad value is an error whose message is the one line to print.
Result<ServerConfig> loadConfig(const ConfigSources& sources);

}  // namespace prov::app

#include "provisioner/app/config_keys.h"

#include <Poco/Net/IPAddress.h>

#include "provisioner/core/text.h"
#include "provisioner/policy/network_list.h"

namespace prov::app {

namespace {

using C = ServerConfig;
using T = KeyType;

// Each row names only the fields it uses; GCC 12 warns of the rest although
// they have defaults (fixed in GCC 14).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
// clang-format off
const ConfigKey kKeys[] = {
    {.name = "store.path", .type = T::kPath, .default_value = "var/provisioner.db",
     .doc = "the SQLite extension store; its folder is created", .field = &C::store_path, .non_empty = true},
    {.name = "store.url", .type = T::kText, .default_value = "",
     .doc = "a PostgreSQL store (`postgresql://user@host:port/db`, libpq's URI) instead of `store.path`: "
            "any number of nodes share it (docs/postgresql.md)",
     .field = &C::store_url, .shown_default = "none: the SQLite store of `store.path`"},
    {.name = "store.lock_timeout_ms", .type = T::kInteger, .default_value = "30000",
     .doc = "with `store.url`: the longest a unit of work waits for one of the node's PostgreSQL connections, "
            "and a write for the writers' lock (or any lock) another node holds; past it the request fails "
            "with 503 and nothing is written",
     .field = &C::store_lock_timeout_ms, .min = 1, .max = 3600000},
    {.name = "templates.dir", .type = T::kPath, .default_value = "vendor-templates",
     .doc = "the vendor catalog and templates (`vendor-templates/README.md`)", .field = &C::templates_dir},
    {.name = "templates.override_dir", .type = T::kText, .default_value = "",
     .doc = "an admin's own files: `<vendor>/<file>` here is used instead of the same file of "
            "`templates.dir` (vendor.json too), a vendor folder only here adds a vendor; a missing folder "
            "overrides nothing. The package sets `/etc/provisioner/vendor-templates`",
     .field = &C::templates_override_dir, .shown_default = "none"},
    {.name = "templates.poll_seconds", .type = T::kInteger, .default_value = "2",
     .doc = "how often `serve` looks for changed templates; 0: only on SIGHUP",
     .field = &C::templates_poll_seconds, .min = 0, .max = 3600},
    {.name = "firmware.dir", .type = T::kPath, .default_value = "firmware",
     .doc = "firmware images, served by name at the root over HTTP, HTTPS and TFTP; the catalog's images "
            "(`provisioner firmware add`, `POST /api/v1/firmware`) only while their SHA-256 checks out; "
            "`manifest.json` there lists them",
     .field = &C::firmware_dir},
    {.name = "firmware.max_bytes", .type = T::kInteger, .default_value = "536870912",
     .doc = "the largest firmware image `POST /api/v1/firmware` takes (streamed to disk, never held in "
            "memory); past it 413",
     .field = &C::firmware_max_bytes, .min = 1, .max = int64_t{1} << 40},
    {.name = "firmware.catalog_only", .type = T::kBool, .default_value = "false",
     .doc = "serve only the catalog's images from `firmware.dir`; false: other files there (ringtones, "
            "logos, images added by hand) are served as found, catalog images always checked, under any name "
            "(a link to one too)",
     .field = &C::firmware_catalog_only},
    {.name = "firmware.rescan_interval", .type = T::kInteger, .default_value = "30",
     .doc = "seconds between looks (a stat, no hash) at each catalog image; one whose size, time or inode "
            "changed is refused until it has been hashed again",
     .field = &C::firmware_rescan_seconds, .min = 1, .max = 86400},
    {.name = "firmware.failed_after", .type = T::kInteger, .default_value = "3",
     .doc = "a phone told to upgrade is `failed` once this many more fetches of its config report another "
            "firmware than its target (one that reports none, over TFTP, is `unknown`, never `failed`); a "
            "rollout halts when a canary fails",
     .field = &C::firmware_failed_after, .min = 1, .max = 100},
    {.name = "certs.dir", .type = T::kPath, .default_value = "certs",
     .doc = "`server.crt` and `server.key` (generated when absent), `vendor-ca/<vendor>/*.pem`",
     .field = &C::certs_dir},
    {.name = "uploads.dir", .type = T::kPath, .default_value = "var/uploads",
     .doc = "where files phones upload are kept, a folder per MAC", .field = &C::uploads_dir},
    {.name = "uploads.max_bytes", .type = T::kInteger, .default_value = "1048576",
     .doc = "the largest upload or request body a phone may send", .field = &C::uploads_max_bytes,
     .min = 0, .max = 64 << 20},
    {.name = "http.port", .type = T::kInteger, .default_value = "8080",
     .doc = "phones' HTTP port; 0 picks a free one", .field = &C::http_port, .min = 0, .max = 65535},
    {.name = "http.bind", .type = T::kAddress, .default_value = "0.0.0.0",
     .doc = "the address phones' HTTP listens on", .field = &C::http_bind},
    {.name = "http.loops", .type = T::kInteger, .default_value = "2",
     .doc = "event loops (threads) for each of phones' HTTP and HTTPS", .field = &C::http_loops,
     .min = 1, .max = 64},
    {.name = "http.max_connections", .type = T::kInteger, .default_value = "20000",
     .doc = "open phone connections, HTTP and HTTPS each; past it 503 with Retry-After",
     .field = &C::http_max_connections, .min = 1, .max = 1'000'000},
    {.name = "http.max_per_address", .type = T::kInteger, .default_value = "64",
     .doc = "open connections from one address, HTTP and HTTPS each (phones behind a NAT share one); "
            "past it a new one is reset unanswered",
     .field = &C::http_max_per_address, .min = 1, .max = 1'000'000},
    {.name = "https.port", .type = T::kInteger, .default_value = "8443",
     .doc = "phones' HTTPS port; 0 picks a free one", .field = &C::https_port, .min = 0, .max = 65535},
    {.name = "https.bind", .type = T::kAddress, .default_value = "0.0.0.0",
     .doc = "the address phones' HTTPS listens on", .field = &C::https_bind},
    {.name = "https.max_connections", .type = T::kInteger, .default_value = "2048",
     .doc = "open HTTPS connections (each holds about 35 KiB of TLS state); past it a new one is "
            "reset before its handshake",
     .field = &C::https_max_connections, .min = 1, .max = 1'000'000},
    {.name = "https.client_cert", .type = T::kChoice, .default_value = "optional",
     .doc = "ask phones for a certificate; one chaining to its vendor's CA proves a MAC",
     .field = &C::https_client_cert, .choices = "none,optional,required"},
    {.name = "tls.server_names", .type = T::kHostList, .default_value = "",
     .doc = "the names a generated server certificate is for", .field = &C::tls_server_names,
     .shown_default = "host name, localhost, every local address"},
    {.name = "tls.legacy_phones", .type = T::kBool, .default_value = "false",
     .doc = "add CBC suites and RSA key exchange for old phones (no forward secrecy)",
     .field = &C::tls_legacy_phones},
    {.name = "tls.ticket_rotation_seconds", .type = T::kInteger, .default_value = "86400",
     .doc = "how often the session-ticket key changes; every node sharing the store uses the same key, "
            "so a phone resumes on any of them; a ticket is accepted for one to two of these periods",
     .field = &C::tls_ticket_rotation_seconds, .min = 300, .max = 604800},
    {.name = "trust.deliver", .type = T::kBool, .default_value = "true",
     .doc = "give phones the CA to trust for HTTPS resync and SIP over TLS, in each vendor's way, and "
            "serve it as `ca.pem` (`vendor-templates/README.md`, \"Trust\"); trust on first use when "
            "the config travels over HTTP or TFTP",
     .field = &C::trust_deliver},
    {.name = "trust.ca_file", .type = T::kPath, .default_value = "",
     .doc = "a PEM file holding the one CA certificate phones are given; none: the last certificate of "
            "`server.crt` (its root, or the self-signed certificate itself)",
     .field = &C::trust_ca_file, .shown_default = "none"},
    {.name = "policy.secrets_require_client_cert", .type = T::kBool, .default_value = "false",
     .doc = "send SIP secrets only to phones whose certificate proved their MAC",
     .field = &C::secrets_require_client_cert},
    {.name = "provisioning.allow_networks", .type = T::kNetworks, .default_value = "",
     .doc = "phones on these networks get SIP secrets without other proof (a standing proof; "
            "a warning at start for one wider than a /16 or holding public addresses)",
     .field = &C::allow_networks, .shown_default = "none"},
    {.name = "staging.window_grace", .type = T::kInteger, .default_value = "600",
     .doc = "seconds a device that used a staging window keeps it, for the other files of its boot",
     .field = &C::staging_window_grace, .min = 10, .max = 86400},
    {.name = "sweep.budget", .type = T::kInteger, .default_value = "64",
     .doc = "made-up MACs one address may try before it is blocked (fetches of known phones earn it back)",
     .field = &C::sweep_budget, .min = 1, .max = 1'000'000},
    {.name = "sweep.block_seconds", .type = T::kInteger, .default_value = "60",
     .doc = "an address's first block for sweeping MACs; each next one lasts twice as long",
     .field = &C::sweep_block_seconds, .min = 1, .max = 86400},
    {.name = "sweep.max_block_seconds", .type = T::kInteger, .default_value = "3600",
     .doc = "the longest block", .field = &C::sweep_max_block_seconds, .min = 1, .max = 604800},
    {.name = "sweep.unknown_per_hour", .type = T::kInteger, .default_value = "16",
     .doc = "unknown phones one address may get recorded as unassigned devices per hour",
     .field = &C::sweep_unknown_per_hour, .min = 0, .max = 1'000'000},
    {.name = "tftp.port", .type = T::kInteger, .default_value = "6969",
     .doc = "phones' TFTP port; 0 picks a free one", .field = &C::tftp_port, .min = 0, .max = 65535},
    {.name = "tftp.bind", .type = T::kAddress, .default_value = "0.0.0.0",
     .doc = "the address TFTP listens on", .field = &C::tftp_bind},
    {.name = "tftp.loops", .type = T::kInteger, .default_value = "2",
     .doc = "event loops (threads) serving TFTP", .field = &C::tftp_loops, .min = 1, .max = 64},
    {.name = "tftp.max_transfers", .type = T::kInteger, .default_value = "4096",
     .doc = "TFTP transfers at once", .field = &C::tftp_max_transfers, .min = 1, .max = 1'000'000},
    {.name = "tftp.max_per_source", .type = T::kInteger, .default_value = "64",
     .doc = "TFTP transfers under way at once from one address whose peer has ACKed (a NAT of phones "
            "fetching firmware); past it \"Server busy\"", .field = &C::tftp_max_per_source,
     .min = 1, .max = 1'000'000},
    {.name = "tftp.max_unverified_per_source", .type = T::kInteger, .default_value = "8",
     .doc = "TFTP requests at once from one address whose peer has not ACKed yet (its source may be "
            "forged); each is held `tftp.unverified_seconds` at most. Raise it for a NAT whose phones "
            "all boot at once", .field = &C::tftp_max_unverified_per_source, .min = 1, .max = 1'000'000},
    {.name = "tftp.unverified_seconds", .type = T::kInteger, .default_value = "3",
     .doc = "how long a TFTP peer has to ACK the one packet it gets before it has ACKed (the OACK or "
            "DATA 1, never sent again); its `timeout` option cannot make it longer",
     .field = &C::tftp_unverified_seconds, .min = 1, .max = 60},
    {.name = "tftp.max_memory_bytes", .type = T::kInteger, .default_value = "67108864",
     .doc = "memory all TFTP transfers may hold at once: rendered files, and about 4 KiB a transfer "
            "(files are read a block at a time); past it \"Server busy\"",
     .field = &C::tftp_max_memory_bytes, .min = 1 << 20, .max = int64_t{1} << 40},
    {.name = "admin.port", .type = T::kInteger, .default_value = "9090",
     .doc = "the admin API's port; 0 picks a free one", .field = &C::admin_port, .min = 0, .max = 65535},
    {.name = "admin.bind", .type = T::kAddress, .default_value = "127.0.0.1",
     .doc = "the address the admin API listens on", .field = &C::admin_bind},
    {.name = "admin.tls", .type = T::kBool, .default_value = "false",
     .doc = "serve the admin API over HTTPS with the server certificate; always on when `admin.bind` is not "
            "a loopback address (portal passwords and session cookies never cross a network in the clear)",
     .field = &C::admin_tls},
    {.name = "portal.dir", .type = T::kPath, .default_value = "portal",
     .doc = "the admin portal's files, served on the admin port for every path outside `/api/` (`/` is "
            "`index.html`); empty: none",
     .field = &C::portal_dir},
    {.name = "admin.header_timeout", .type = T::kInteger, .default_value = "5",
     .doc = "seconds an admin API client has to send a whole request head (over TLS, its handshake "
            "too); it holds no thread meanwhile",
     .field = &C::admin_header_timeout, .min = 1, .max = 300},
    {.name = "admin.max_import_bytes", .type = T::kInteger, .default_value = "67108864",
     .doc = "the largest CSV `POST /api/v1/imports` takes (64 MiB: about 650k rows)",
     .field = &C::admin_max_import_bytes, .min = 1024, .max = int64_t{1} << 32},
    {.name = "admin.auth_failures", .type = T::kInteger, .default_value = "10",
     .doc = "failed authentications one address may make in a minute; the next request is answered 429",
     .field = &C::admin_auth_failures, .min = 1, .max = 100000},
    {.name = "admin.auth_block_seconds", .type = T::kInteger, .default_value = "60",
     .doc = "an address's first 429 block, even with a good token; each next one lasts twice as long",
     .field = &C::admin_auth_block_seconds, .min = 1, .max = 86400},
    {.name = "admin.auth_max_block_seconds", .type = T::kInteger, .default_value = "3600",
     .doc = "the longest 429 block", .field = &C::admin_auth_max_block_seconds, .min = 1, .max = 604800},
    {.name = "portal.streams", .type = T::kInteger, .default_value = "8",
     .doc = "staging streams (`GET /api/v1/staging/stream`) open at once; past it 503. Each holds an admin "
            "thread, and the admin server has this many threads more than its 8",
     .field = &C::portal_streams, .min = 1, .max = 256},
    {.name = "portal.stream_max", .type = T::kInteger, .default_value = "600",
     .doc = "seconds a staging stream lasts before it ends (the browser reconnects)",
     .field = &C::portal_stream_max, .min = 1, .max = 86400},
    {.name = "portal.session_idle", .type = T::kInteger, .default_value = "1800",
     .doc = "seconds a portal session lives without a request; then its user signs in again",
     .field = &C::portal_session_idle, .min = 1, .max = 86400 * 30},
    {.name = "portal.session_max", .type = T::kInteger, .default_value = "43200",
     .doc = "seconds a portal session lives at most, however busy", .field = &C::portal_session_max,
     .min = 1, .max = 86400 * 365},
    {.name = "license.extensions", .type = T::kInteger, .default_value = "100",
     .doc = "extensions the license allows", .field = &C::license_extensions, .min = 0, .max = 10'000'000},
    {.name = "status.unknown_after", .type = T::kInteger, .default_value = "300",
     .doc = "seconds after which an unreachable extension's registration reads as unknown",
     .field = &C::status_unknown_after, .min = 1, .max = 86400 * 365},
    {.name = "events.keep_days", .type = T::kInteger, .default_value = "90",
     .doc = "days fetch events are kept, pruned at start and hourly; 0 keeps them",
     .field = &C::events_keep_days, .min = 0, .max = 36500},
    {.name = "events.spool_dir", .type = T::kPath, .default_value = "",
     .doc = "where batches of fetch events wait, 0600 files in order, while the store is unavailable "
            "(PostgreSQL down, SQLite held by another writer); stored from there, each once, when it answers, "
            "and at the next start. One `serve` per folder (it is locked)",
     .field = &C::events_spool_dir,
     .shown_default = "`events-spool` in the folder of `store.path` (with `store.url` too)"},
    {.name = "events.spool_max_mb", .type = T::kInteger, .default_value = "64",
     .doc = "the spool's size in MiB; past it batches are dropped, counted in "
            "`provisioner_events_spool_dropped_total` and logged once a minute",
     .field = &C::events_spool_max_mb, .min = 1, .max = 1 << 20},
    {.name = "devices.max_unassigned", .type = T::kInteger, .default_value = "10000",
     .doc = "phones not in the inventory that are recorded, at most", .field = &C::devices_max_unassigned,
     .min = 0, .max = 10'000'000},
    {.name = "resync.route", .type = T::kChoice, .default_value = "notify",
     .doc = "how a stale device (or one named by `POST /api/v1/devices/{mac}/resync`, `provisioner resync`) is "
            "asked to fetch its config now: `notify` sends a SIP NOTIFY with its vendor's event to the address "
            "its PBX reported over UDP (TCP and TLS registrations go through `resync.hook`); `hook` runs "
            "`resync.hook` for every push; `off` sends nothing",
     .field = &C::resync_route, .choices = "notify,hook,off"},
    {.name = "resync.hook", .type = T::kText, .default_value = "",
     .doc = "`exec:/path/to/program arg ...`, run without a shell once per push (exit 0: done); quotes group "
            "words; placeholders `{mac}` `{extension}` `{ip}` `{port}` `{transport}` `{event}` `{vendor}` "
            "`{site}` are replaced in each word; e.g. `exec:/usr/sbin/asterisk -rx \"pjsip send notify "
            "{vendor}-check-sync endpoint {extension}\"` (README, \"Resync push\", for FreeSWITCH and AMI)",
     .field = &C::resync_hook, .shown_default = "none"},
    {.name = "resync.rate", .type = T::kInteger, .default_value = "10",
     .doc = "pushes a second at most, every route together; more wait their turn, none is dropped",
     .field = &C::resync_rate, .min = 1, .max = 1000},
    {.name = "resync.bind", .type = T::kAddress, .default_value = "0.0.0.0",
     .doc = "the address NOTIFYs are sent from (and answers received on)", .field = &C::resync_bind},
    {.name = "resync.port", .type = T::kInteger, .default_value = "0",
     .doc = "the UDP port NOTIFYs are sent from; 0 picks a free one", .field = &C::resync_port,
     .min = 0, .max = 65535},
    {.name = "resync.advertise", .type = T::kText, .default_value = "",
     .doc = "our address in the NOTIFY's Via, From and Contact (behind a NAT); none: `resync.bind`, or the "
            "address the system sends from toward the phone",
     .field = &C::resync_advertise, .shown_default = "none"},
    {.name = "resync.t1_ms", .type = T::kInteger, .default_value = "500",
     .doc = "SIP timer T1 in milliseconds: a NOTIFY is sent again after T1, 2*T1, ... (at most 4 s apart) "
            "until a final answer, and given up after 64*T1",
     .field = &C::resync_t1_ms, .min = 10, .max = 10000},
    {.name = "resync.hook_timeout", .type = T::kInteger, .default_value = "10",
     .doc = "seconds a hook may run before it is killed (and the push counted as a timeout)",
     .field = &C::resync_hook_timeout, .min = 1, .max = 600},
    {.name = "resync.retry_after", .type = T::kInteger, .default_value = "300",
     .doc = "seconds after which a device still stale is pushed again when its last push failed or it has "
            "not fetched since",
     .field = &C::resync_retry_after, .min = 10, .max = 604800},
    {.name = "smtp.host", .type = T::kText, .default_value = "",
     .doc = "the SMTP relay invitations are sent through (`POST /api/v1/extensions/{ext}/invitations`); "
            "none: invitations are refused",
     .field = &C::smtp_host, .shown_default = "none"},
    {.name = "smtp.port", .type = T::kInteger, .default_value = "25",
     .doc = "its port (587 for submission)", .field = &C::smtp_port, .min = 1, .max = 65535},
    {.name = "smtp.starttls", .type = T::kChoice, .default_value = "required",
     .doc = "`required`: never send without STARTTLS; `on` (opportunistic): STARTTLS when the relay's EHLO "
            "offers it, in the clear when it does not (an offered STARTTLS refused or failing is retried, "
            "never skipped); `off`: never",
     .field = &C::smtp_starttls, .choices = "off,on,required"},
    {.name = "smtp.user", .type = T::kText, .default_value = "",
     .doc = "the AUTH user (PLAIN or LOGIN, whichever the relay offers); none: no AUTH",
     .field = &C::smtp_user, .shown_default = "none"},
    {.name = "smtp.password", .type = T::kText, .default_value = "",
     .doc = "the AUTH password; never logged", .field = &C::smtp_password, .shown_default = "none"},
    {.name = "smtp.from", .type = T::kText, .default_value = "",
     .doc = "the sender address of invitations (needed with `smtp.host`)", .field = &C::smtp_from,
     .shown_default = "none"},
    {.name = "smtp.ca_file", .type = T::kPath, .default_value = "",
     .doc = "PEM CA certificates the relay's certificate is checked against; none: the system's "
            "(`/etc/ssl/certs/ca-certificates.crt`)",
     .field = &C::smtp_ca_file, .shown_default = "system"},
    {.name = "smtp.tls_verify", .type = T::kBool, .default_value = "true",
     .doc = "check the relay's certificate and name under STARTTLS; false only for a relay you trust by "
            "other means",
     .field = &C::smtp_tls_verify},
    {.name = "smtp.allow_plain_auth", .type = T::kBool, .default_value = "false",
     .doc = "allow AUTH (which sends the password) on a connection without TLS",
     .field = &C::smtp_allow_plain_auth},
    {.name = "smtp.timeout", .type = T::kInteger, .default_value = "30",
     .doc = "seconds each wait of an SMTP dialogue (connect, each reply, TLS handshake) may take; "
            "the whole dialogue, 4 times as long",
     .field = &C::smtp_timeout, .min = 1, .max = 600},
    {.name = "smtp.retry", .type = T::kText, .default_value = "1m,5m,15m,60m",
     .doc = "waits between tries of an e-mail that met a temporary failure (4xx reply, no connection), "
            "the last repeated; a 5xx reply fails it at once",
     .field = &C::smtp_retry},
    {.name = "smtp.max_tries", .type = T::kInteger, .default_value = "6",
     .doc = "tries of one e-mail before it is `failed`", .field = &C::smtp_max_tries, .min = 1, .max = 100},
    {.name = "invitations.base_url", .type = T::kText, .default_value = "",
     .doc = "the public `https://` address of the phones' HTTPS port that invitation links start with, "
            "e.g. `https://phones.example.com:8443`; none: invitations are refused",
     .field = &C::invitations_base_url, .shown_default = "none"},
    {.name = "invitations.valid_for", .type = T::kText, .default_value = "7d",
     .doc = "how long an invitation link works (`30m`, `12h`, `7d`; 1m to 90d); sending a new one revokes "
            "the older ones at once",
     .field = &C::invitations_valid_for},
    {.name = "ports.file", .type = T::kPath, .default_value = "",
     .doc = "receives `{\"http\": N, \"https\": N, \"tftp\": N, \"admin\": N}` once bound",
     .field = &C::ports_file, .shown_default = "none"},
    {.name = "log.level", .type = T::kChoice, .default_value = "information",
     .doc = "the least severe log line written (standard error)", .field = &C::log_level,
     .choices = "fatal,critical,error,warning,notice,information,debug,trace"},
    {.name = "log.format", .type = T::kChoice, .default_value = "text",
     .doc = "how log lines are written: `text` (`<UTC time> <Priority> <logger>: <message>`, what "
            "`deploy/fail2ban/` matches) or `json` (one object a line: `time`, `level`, `logger`, `message`)",
     .field = &C::log_format, .choices = "text,json"},
    {.name = "log.syslog_prefix", .type = T::kChoice, .default_value = "auto",
     .doc = "start each line with its syslog priority, `<N>` (sd-daemon), so that the journal keeps each "
            "line's level (`journalctl -p warning`); `auto`: when standard error is the journal (systemd "
            "sets `JOURNAL_STREAM`)",
     .field = &C::log_syslog_prefix, .choices = "auto,true,false"},
    {.name = "log.refusal_lines", .type = T::kInteger, .default_value = "20",
     .doc = "lines of one kind of refusal written per interval; the rest are counted in one line "
            "(`docs/security-log.md`)",
     .field = &C::log_refusal_lines, .min = 1, .max = 1'000'000},
    {.name = "log.refusal_interval", .type = T::kInteger, .default_value = "60",
     .doc = "seconds of that interval", .field = &C::log_refusal_interval, .min = 1, .max = 86400},
};
#pragma GCC diagnostic pop

constexpr std::string_view kOneEngine =
    "phones' HTTP and HTTPS always run on the event loops (http.loops, http.max_connections)";

const RemovedKey kRemoved[] = {
    {"http.engine", kOneEngine},
    {"http.max_threads", kOneEngine},
    {"http.overload_queue", kOneEngine},
};
// clang-format on

Error bad(const ConfigKey& key, const std::string& must, const std::string& value) {
    return Error::invalid("config: " + std::string(key.name) + " must be " + must + " (got '" +
                          value + "')");
}

// "none,optional,required" -> "none, optional or required"
std::string choiceList(std::string_view choices) {
    std::string out(choices);
    for (size_t i = out.find(','); i != std::string::npos; i = out.find(',', i + 2))
        out.replace(i, 1, ", ");
    const size_t last = out.rfind(", ");
    if (last != std::string::npos) out.replace(last, 2, " or ");
    return out;
}

bool isChoice(std::string_view choices, std::string_view value) {
    size_t start = 0;
    while (start <= choices.size()) {
        size_t comma = choices.find(',', start);
        if (comma == std::string_view::npos) comma = choices.size();
        if (choices.substr(start, comma - start) == value) return true;
        start = comma + 1;
    }
    return false;
}

Result<std::vector<std::string>> hostList(const ConfigKey& key, const std::string& value) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start < value.size()) {
        size_t comma = value.find(',', start);
        if (comma == std::string::npos) comma = value.size();
        const std::string host = text::trim(std::string_view(value).substr(start, comma - start));
        if (!host.empty() && !text::isHost(host))
            return Error::invalid("config: " + std::string(key.name) + ": '" + host +
                                  "' is not a host name or address");
        if (!host.empty()) out.push_back(host);
        start = comma + 1;
    }
    return out;
}

// The value checked against the key's type, or the line saying what it must be.
Status check(const ConfigKey& key, const std::string& value) {
    Poco::Net::IPAddress address;
    switch (key.type) {
        case T::kText:
        case T::kPath:
            if (key.non_empty && value.empty())
                return Error::invalid("config: " + std::string(key.name) + " must not be empty");
            return okStatus();
        case T::kInteger:
            if (!text::isDigits(value) || value.size() > 12 || std::stoll(value) < key.min ||
                std::stoll(value) > key.max)
                return bad(
                    key,
                    "an integer from " + std::to_string(key.min) + " to " + std::to_string(key.max),
                    value);
            return okStatus();
        case T::kBool:
            if (value != "true" && value != "false") return bad(key, "true or false", value);
            return okStatus();
        case T::kChoice:
            if (!isChoice(key.choices, value)) return bad(key, choiceList(key.choices), value);
            return okStatus();
        case T::kAddress:
            if (!Poco::Net::IPAddress::tryParse(value, address))
                return bad(key, "an IP address", value);
            return okStatus();
        case T::kHostList:
            return okStatus();  // each name is checked as it is split
        case T::kNetworks:
            if (value.empty()) return okStatus();
            if (auto networks = policy::NetworkList::parse(value); !networks)
                return Error::invalid("config: " + std::string(key.name) + ": " +
                                      networks.error().message);
            return okStatus();
    }
    return okStatus();
}

}  // namespace

std::span<const ConfigKey> configKeys() { return kKeys; }
std::span<const RemovedKey> removedKeys() { return kRemoved; }

const ConfigKey* findKey(std::string_view name) {
    for (const ConfigKey& k : kKeys) {
        if (k.name == name) return &k;
    }
    return nullptr;
}

Status applyKey(const ConfigKey& key, const std::string& value, ServerConfig& config) {
    TRY(check(key, value));
    if (auto* m = std::get_if<std::string C::*>(&key.field)) config.*(*m) = value;
    if (auto* m = std::get_if<int C::*>(&key.field))
        config.*(*m) = static_cast<int>(std::stoll(value));
    if (auto* m = std::get_if<int64_t C::*>(&key.field)) config.*(*m) = std::stoll(value);
    if (auto* m = std::get_if<bool C::*>(&key.field)) config.*(*m) = value == "true";
    if (auto* m = std::get_if<std::vector<std::string> C::*>(&key.field))
        config.*(*m) = TRY(hostList(key, value));
    return okStatus();
}

}  // namespace prov::app

#pragma once

// The plain records of the extension store (design.md, "The extension store").
// No behaviour beyond naming: rules live in validation.* and inventory/.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace prov {

enum class DeviceType { kSip, kIax2, kDahdi, kVirtual, kSipVirtual };
std::optional<DeviceType> parseDeviceType(std::string_view s);
std::string_view toString(DeviceType t);
// VIRTUAL and SIP-VIRTUAL use no licence; every other type counts.
bool usesLicence(DeviceType t);
// Only extensions that register from a phone may be bound to a MAC.
bool mayHaveDevice(DeviceType t);

enum class RegStatus { kBlank, kOk, kUnreachable, kUnknown, kUnmonitored };
std::optional<RegStatus> parseRegStatus(std::string_view s);
std::string_view toString(RegStatus s);

enum class Role { kAdmin, kInstaller, kViewer };
std::optional<Role> parseRole(std::string_view s);
std::string_view toString(Role r);

struct Extension {
    int64_t id = 0;
    std::string extension;
    DeviceType device_type = DeviceType::kSip;
    std::string callerid_name;
    std::string user;
    bool voicemail_enabled = false;
    std::string voicemail_pin;
    std::string voicemail_email;
    std::string did;
    std::string twinning_number;
    std::string external_callerid;
    std::string call_forward;
    std::string class_of_service;
    std::string phone_group;
    std::string notes;  // free text the portal shows
    std::string secret;
    std::string mac;  // canonical, or empty when unbound
    int phone_reg = 0;  // registration slot on the device; 0 when unbound
    // Shown and accepted on the extension, stored on its device.
    std::string phone_make;
    std::string phone_model;
    // Read-only: set by the PBX through PUT .../registration.
    std::string agent;
    RegStatus status = RegStatus::kBlank;
    int64_t status_changed_at = 0;
    std::string ip;
    int port = 0;
    // The transport of that registration: "udp", "tcp", "tls", or "" (not
    // reported). A resync NOTIFY goes only to UDP ones (resync/plan.h).
    std::string reg_transport;
    int64_t created_at = 0;
    int64_t updated_at = 0;
    int64_t version = 0;
};

struct Button {
    int index = 0;       // 1-based key position on the phone
    std::string type;    // line, blf, speed_dial, park, voicemail, dnd, transfer, ...
    std::string value;   // extension, number or park slot, depending on type
    std::string label;
    int line = 1;        // which line (registration) the key acts on
};
bool isButtonType(std::string_view s);
std::string_view buttonTypeList();

enum class DeviceState { kNew, kUnassigned, kStaged, kProvisioned, kApplied, kStale };
std::optional<DeviceState> parseDeviceState(std::string_view s);
std::string_view toString(DeviceState s);

struct Device {
    std::string mac;  // canonical
    std::string make;
    std::string model;
    std::string serial;
    std::string label;  // site or location
    // Key expansion modules attached: a module the model takes (vendor.json
    // `expansion`), and how many. Their keys continue the model's key
    // indexes (catalog/vendor_catalog.h, KeySpace).
    std::string expansion_model;
    int expansion_count = 0;
    DeviceState state = DeviceState::kNew;
    int64_t first_seen_at = 0;  // the first fetch from this MAC
    int64_t last_seen_at = 0;
    std::string last_seen_ip;
    std::string last_seen_ua;
    std::string last_firmware;
    std::string last_file;
    std::string last_hash;
    // Who put it in the inventory: "admin" (API, import, CLI), "installer"
    // (an installer's token), "phone" (discovered by its first fetch).
    std::string origin = "admin";
    // Firmware (issue 14), moved by the server: the target version its last
    // config carried ("" none), and how far the phone is from it: "",
    // "unknown" (it reports no firmware), "upgrading", "on_target", "failed".
    std::string fw_target;
    std::string fw_status;
    // Resync push state: "", "queued", "pushed", "refetched", "applied", "failed",
    // "gave_up" (nothing more is tried until a line registers or an admin asks).
    std::string resync;
    int64_t created_at = 0;
    int64_t updated_at = 0;
    int64_t version = 0;
};

// A firmware image of the catalog (firmware/catalog.h): a file at the root of
// firmware.dir, its vendor (vendor.json folder name), the models it is for
// (uppercase, as vendor.json; {"*"}: every model of the vendor), the version
// the phones report once running it, and what was verified: its size and
// SHA-256, and the file's mtime and inode then (a change of either means it
// is hashed again before it is served).
struct FirmwareImage {
    int64_t id = 0;
    std::string vendor;
    std::string version;
    std::vector<std::string> models;
    std::string file;
    int64_t size = 0;
    std::string sha256;  // lowercase hex
    int64_t mtime_ns = 0;
    int64_t inode = 0;
    std::string state = "ok";  // ok, verifying, corrupt, missing
    int64_t verified_at = 0;
    std::string source = "cli";  // manifest, upload, cli
    int64_t created_at = 0;
    std::string created_by;
    bool forModel(std::string_view model) const;
};

// A firmware target: the version phones of (vendor, model) should run, for
// every such phone (scope "model", key ""), those of a site (scope "site",
// key = device label) or one device (scope "device", key = MAC). "none":
// leave what the phone has, even where a wider scope names a version.
struct FirmwareTarget {
    int64_t id = 0;
    std::string vendor;
    std::string model;  // uppercase
    std::string scope = "model";
    std::string scope_key;
    std::string version;
    int64_t rollout_id = 0;  // 0: set by hand, not by a rollout
    int64_t updated_at = 0;
    std::string updated_by;
};
inline constexpr std::string_view kFirmwareNone = "none";

// Whether two firmware versions are the same as phones report them: blanks
// around them and letter case do not count ("2.12.16.17" = " 2.12.16.17").
bool sameFirmware(std::string_view a, std::string_view b);

// How far a device is from its firmware target, as the event writer moves
// it (service/firmware_status.h): the target its last config carried (""
// none), "", "unknown", "upgrading", "on_target" or "failed", when its
// config first told it to upgrade (0: not told), and how many fetches since
// still reported another version.
struct FirmwareProgress {
    std::string target;
    std::string status;
    int64_t told_at = 0;
    int misses = 0;
};

// A staged firmware rollout (firmware/rollouts.h): a target moved to
// `to_version` for the canaries first, then for every device of (vendor,
// model[, site]) once they all run it; halted by itself when a canary fails
// or the window ends first.
struct Rollout {
    int64_t id = 0;
    std::string vendor;  // vendor.json folder name
    std::string model;   // uppercase
    std::string site;    // a device label; "" every site
    std::string to_version;
    std::string previous;  // the version the scope's target had ("" none), restored by a rollback
    std::vector<std::string> canaries;  // MACs
    int canary_percent = 0;             // how they were chosen; 0: listed
    int64_t window_s = 0;
    std::string state = "canary";  // canary, complete, halted, rolled_back
    int64_t stage_started_at = 0;
    std::string reason;  // why it halted or was rolled back
    int64_t created_at = 0;
    std::string created_by;
};

// One ask for a device to fetch its config again (issue 14's resync push):
// a SIP NOTIFY to the address its PBX reported, or the PBX hook. Written
// when queued and again with its outcome (resync_pushes, migration 12).
struct ResyncPush {
    int64_t id = 0;
    std::string mac;
    std::string extension;     // the line it went to; "" when none was registered
    std::string route = "notify";  // notify, hook
    std::string event;         // the SIP event sent (check-sync, check-sync;reboot=false, resync)
    std::string target;        // "ip:port", or what the hook was given
    int64_t queued_at = 0;
    int64_t sent_at = 0;       // 0: not sent
    int64_t done_at = 0;       // 0: no outcome yet
    // "", ok, timeout, challenged, rejected, error, skipped, rate_limited
    std::string result;
    int status = 0;            // the final SIP or HTTP status; 0: none
    int attempts = 0;
    std::string detail;
};

// A device's own provisioning credentials (HTTP Digest) and AES key, created
// at its first secret-bearing render and rotated by an admin. The previous
// pair keeps working until the phone has fetched once with the current one.
struct DeviceCredentials {
    std::string mac;
    std::string user;
    std::string password;
    std::string prev_user;
    std::string prev_password;
    std::string aes_key;       // 16 characters
    std::string prev_aes_key;  // after a rotation, until the phone used the new pair
    int64_t created_at = 0;
    int64_t delivered_at = 0;  // a config carrying the current pair first went out; 0 = not yet
    int64_t used_at = 0;  // the phone's first fetch with the current pair; 0 = not yet
    int64_t key_sent_at = 0;  // when a config carrying aes_key first went out; 0 = not yet
};

// A device deleted after it was given accounts: until it has fetched its
// config once more, it gets a wipe config (every account disabled and blank,
// every key reset), and proves itself with the credentials it last held.
// Delivery is counted when the file is handed to the transport, which may
// still lose it: the wipe is served again for kWipeGraceSeconds after that
// (a phone whose TFTP transfer failed retries within seconds). One never
// fetched goes after kWipeExpirySeconds: a phone silent for that long is
// off the network, and its row would only keep old credentials alive.
struct PendingWipe {
    std::string mac;
    std::string make;
    std::string model;
    // Its provisioning credentials when it was deleted, both pairs and keys
    // of a rotation it had not yet acted on, with their times.
    DeviceCredentials credentials;
    int64_t deleted_at = 0;
    int64_t delivered_at = 0;  // the wipe first went out; 0 = not yet
};

inline constexpr int64_t kWipeGraceSeconds = 600;
inline constexpr int64_t kWipeExpirySeconds = 180 * 24 * 3600;

// A staging window: for a while, the devices it covers (a MAC list, or every
// device with a label) may get their secrets once without other proof.
struct StagingWindow {
    int64_t id = 0;
    std::string label;              // a site; "" when it lists MACs
    std::vector<std::string> macs;  // canonical
    int64_t max_devices = 0;
    std::string actor;
    Role role = Role::kAdmin;
    int64_t opened_at = 0;
    int64_t closes_at = 0;
    int64_t closed_at = 0;  // 0 = not closed early
    int64_t used = 0;       // devices that used it (filled by reads)
};

struct ApiToken {
    int64_t id = 0;
    std::string name;
    Role role = Role::kViewer;
    std::string hash;  // SHA-256 of the token; the token itself is never stored
    int64_t created_at = 0;
    int64_t expires_at = 0;    // 0: never
    int64_t last_used_at = 0;  // 0: never; kept to the minute (Inventory::authenticate)
    int64_t revoked_at = 0;    // 0: not revoked; a revoked token stays listed, its id never reused
};

// Someone who signs in to the portal with a name and password.
struct PortalUser {
    int64_t id = 0;
    std::string name;
    Role role = Role::kViewer;
    std::string password_hash;  // Argon2id, encoded ("$argon2id$v=19$m=...$salt$hash"); never the password
    bool disabled = false;
    int64_t created_at = 0;
    int64_t last_sign_in_at = 0;  // 0: never
};

// A portal session. Only a hash of its id (the cookie) is kept; its CSRF
// token is derived from the id, so the table alone yields neither.
struct PortalSession {
    int64_t id = 0;
    std::string hash;  // SHA-256 hex of the cookie's value
    int64_t user_id = 0;
    int64_t created_at = 0;
    int64_t last_seen_at = 0;
    int64_t expires_at = 0;  // absolute end (portal.session_max); idle end is last_seen_at + session_idle
    std::string source;      // the address it signed in from
};

// Failed sign-ins against one key: "source:<ip>" or "user:<name>".
struct SignInThrottle {
    std::string key;
    int64_t failures = 0;         // in the current run (since window_start)
    int64_t window_start = 0;     // the run's first failure
    int64_t last_failure_at = 0;
    int64_t blocked_until = 0;    // 0: not blocked
    int64_t blocks = 0;           // blocks in this run: each lasts twice the one before
};

// "active", "expired" (at `now`) or "revoked".
std::string_view tokenState(const ApiToken& token, int64_t now);

struct AuditEntry {
    int64_t id = 0;
    int64_t at = 0;
    std::string actor;      // "token:3 (admin)", "cli"
    std::string action;     // create, update, delete, ...
    std::string entity;     // extension, device, settings, buttons, registration
    std::string entity_id;
    std::string before;     // JSON, secrets redacted; empty for a create
    std::string after;      // JSON, secrets redacted; empty for a delete
    std::string source = "";  // the API client's address; "" from the command line
};

struct Event {
    int64_t id = 0;
    int64_t at = 0;
    std::string mac;
    std::string peer_ip;
    std::string protocol;  // http, https, tftp
    std::string path;
    std::string user_agent;
    std::string vendor;
    std::string model;
    std::string firmware;
    std::string outcome;   // served, not_found, denied, error
    int64_t bytes = 0;
    int64_t duration_us = 0;
    std::string config_hash;
    std::string auth;  // how the fetch was authorised: network, client_cert, none
    bool wipe = false;  // the answer was a deleted device's wipe config
    // Not stored: what the event writer needs to advance the staging state.
    bool device_config = false;  // the file is the device's own config (a {mac} route)
    bool fw_file = false;        // the file is its vendor's one that carries the firmware keys
    std::string fw_target;       // the firmware target that config carried ("" none)
    bool fw_told = false;        // it told the phone to upgrade to fw_target
    bool not_modified = false;   // answered 304: the phone already had these bytes
};

// An e-mail waiting in, or gone through, the outbox (migration 14). Its
// text is made when it is sent (mail/outbox.h), from the row it refers to.
struct OutboxRow {
    int64_t id = 0;
    std::string kind = "invitation";
    int64_t ref_id = 0;  // the invitation's id
    std::string recipient;
    std::string state = "queued";  // queued, sending, sent, failed
    int64_t tries = 0;
    int64_t next_try_at = 0;  // 0: none (sent or failed)
    std::string smtp_reply;   // the relay's last reply, "250 2.0.0 Ok", or why no reply
    int64_t created_at = 0;
    int64_t sent_at = 0;
};

// A softphone invitation (migration 14): a one-time link mailed to the
// extension's user. Only the SHA-256 of its token is kept.
struct Invitation {
    int64_t id = 0;
    std::string extension;
    std::string email;
    std::string token_hash;  // "" until its e-mail is written
    int64_t created_at = 0;
    int64_t expires_at = 0;
    bool revoked = false;
    int64_t revealed_at = 0;  // 0: not yet
    std::string created_by;
    // The extension row it was made for: a link never outlives its extension,
    // even when one of the same number is made again (0: made before
    // migration 15, bound by number only).
    int64_t extension_id = 0;
    OutboxRow mail;  // its e-mail (id 0: none)
};

struct Page {
    int64_t limit = 100;
    int64_t offset = 0;
};

template <typename T>
struct Listing {
    std::vector<T> items;
    int64_t total = 0;
};

}  // namespace prov

#include "provisioner/store/migrations.h"

namespace prov::sqlite {

namespace {

constexpr std::string_view kInitial = R"SQL(
CREATE TABLE devices (
    mac            TEXT PRIMARY KEY CHECK (length(mac) = 12 AND mac NOT GLOB '*[^0-9a-f]*'),
    make           TEXT NOT NULL DEFAULT '',
    model          TEXT NOT NULL DEFAULT '',
    serial         TEXT NOT NULL DEFAULT '',
    label          TEXT NOT NULL DEFAULT '',
    state          TEXT NOT NULL DEFAULT 'new'
                   CHECK (state IN ('new','unassigned','staged','provisioned','applied','stale')),
    last_seen_at   INTEGER,
    last_seen_ip   TEXT NOT NULL DEFAULT '',
    last_seen_ua   TEXT NOT NULL DEFAULT '',
    last_firmware  TEXT NOT NULL DEFAULT '',
    last_file      TEXT NOT NULL DEFAULT '',
    last_hash      TEXT NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX devices_state ON devices(state);
CREATE INDEX devices_label ON devices(label);

CREATE TABLE extensions (
    id                 INTEGER PRIMARY KEY,
    extension          TEXT NOT NULL UNIQUE,
    device_type        TEXT NOT NULL
                       CHECK (device_type IN ('SIP','IAX2','DAHDI','VIRTUAL','SIP-VIRTUAL')),
    callerid_name      TEXT NOT NULL,
    user               TEXT NOT NULL DEFAULT '',
    voicemail_enabled  INTEGER NOT NULL DEFAULT 0,
    voicemail_pin      TEXT NOT NULL DEFAULT '',
    voicemail_email    TEXT NOT NULL DEFAULT '',
    did                TEXT NOT NULL DEFAULT '',
    twinning_number    TEXT NOT NULL DEFAULT '',
    external_callerid  TEXT NOT NULL DEFAULT '',
    call_forward       TEXT NOT NULL DEFAULT '',
    class_of_service   TEXT NOT NULL DEFAULT '',
    phone_group        TEXT NOT NULL DEFAULT '',
    secret             TEXT NOT NULL,
    mac                TEXT REFERENCES devices(mac),
    phone_reg          INTEGER,
    agent              TEXT NOT NULL DEFAULT '',
    status             TEXT NOT NULL DEFAULT ''
                       CHECK (status IN ('','OK','UNREACHABLE','UNKNOWN','UNMONITORED')),
    status_changed_at  INTEGER,
    ip                 TEXT NOT NULL DEFAULT '',
    port               INTEGER,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    version            INTEGER NOT NULL DEFAULT 1,
    CHECK ((mac IS NULL) = (phone_reg IS NULL)),
    CHECK (device_type <> 'VIRTUAL' OR mac IS NULL),
    UNIQUE (mac, phone_reg)
);
-- Licensed extensions, kept by triggers so the licence check is O(1) at any size.
CREATE TABLE licence_usage (id INTEGER PRIMARY KEY CHECK (id = 1), used INTEGER NOT NULL);
INSERT INTO licence_usage (id, used) VALUES (1, 0);
CREATE TRIGGER licence_on_insert AFTER INSERT ON extensions
    WHEN NEW.device_type NOT IN ('VIRTUAL','SIP-VIRTUAL')
    BEGIN UPDATE licence_usage SET used = used + 1 WHERE id = 1; END;
CREATE TRIGGER licence_on_delete AFTER DELETE ON extensions
    WHEN OLD.device_type NOT IN ('VIRTUAL','SIP-VIRTUAL')
    BEGIN UPDATE licence_usage SET used = used - 1 WHERE id = 1; END;
CREATE TRIGGER licence_on_update AFTER UPDATE OF device_type ON extensions
    BEGIN UPDATE licence_usage SET used = used
        + (NEW.device_type NOT IN ('VIRTUAL','SIP-VIRTUAL'))
        - (OLD.device_type NOT IN ('VIRTUAL','SIP-VIRTUAL')) WHERE id = 1; END;
CREATE INDEX extensions_call_forward ON extensions(call_forward) WHERE call_forward <> '';

CREATE TABLE buttons (
    extension_id  INTEGER NOT NULL REFERENCES extensions(id) ON DELETE CASCADE,
    idx           INTEGER NOT NULL,
    type          TEXT NOT NULL,
    value         TEXT NOT NULL DEFAULT '',
    label         TEXT NOT NULL DEFAULT '',
    line          INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (extension_id, idx)
);
CREATE INDEX buttons_blf ON buttons(value) WHERE type = 'blf';

CREATE TABLE settings (
    scope  TEXT NOT NULL,   -- '' for the global defaults, else a device MAC
    key    TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    at           INTEGER NOT NULL,
    mac          TEXT NOT NULL DEFAULT '',
    peer_ip      TEXT NOT NULL DEFAULT '',
    protocol     TEXT NOT NULL,
    path         TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT '',
    vendor       TEXT NOT NULL DEFAULT '',
    model        TEXT NOT NULL DEFAULT '',
    firmware     TEXT NOT NULL DEFAULT '',
    outcome      TEXT NOT NULL CHECK (outcome IN ('served','not_found','denied','error')),
    bytes        INTEGER NOT NULL DEFAULT 0,
    duration_us  INTEGER NOT NULL DEFAULT 0,
    config_hash  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_mac_at ON events(mac, at);
CREATE INDEX events_at ON events(at);

CREATE TABLE users (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL CHECK (role IN ('admin','installer','viewer')),
    created_at  INTEGER NOT NULL
);

CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL DEFAULT '',
    role        TEXT NOT NULL CHECK (role IN ('admin','installer','viewer')),
    token_hash  TEXT NOT NULL UNIQUE,
    user_id     INTEGER REFERENCES users(id),
    created_at  INTEGER NOT NULL
);

CREATE TABLE audit (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    entity     TEXT NOT NULL,
    entity_id  TEXT NOT NULL,
    before     TEXT,
    after      TEXT
);
CREATE INDEX audit_entity ON audit(entity, entity_id);
)SQL";

// A counter that moves whenever anything a phone's config is rendered from
// changes, in this process or another (the CLI), so rendered files can be
// cached and dropped exactly when they go stale. Last-seen updates and
// events do not move it.
constexpr std::string_view kConfigGeneration = R"SQL(
CREATE TABLE config_generation (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL);
INSERT INTO config_generation (id, value) VALUES (1, 0);
CREATE TRIGGER gen_ext_ins AFTER INSERT ON extensions BEGIN UPDATE config_generation SET value = value + 1; END;
CREATE TRIGGER gen_ext_upd AFTER UPDATE ON extensions BEGIN UPDATE config_generation SET value = value + 1; END;
CREATE TRIGGER gen_ext_del AFTER DELETE ON extensions BEGIN UPDATE config_generation SET value = value + 1; END;
CREATE TRIGGER gen_dev_ins AFTER INSERT ON devices BEGIN UPDATE config_generation SET value = value + 1; END;
CREATE TRIGGER gen_dev_upd AFTER UPDATE OF make, model, serial, label, state, last_firmware ON devices
    WHEN OLD.make IS NOT NEW.make OR OLD.model IS NOT NEW.model OR OLD.serial IS NOT NEW.serial
      OR OLD.label IS NOT NEW.label OR OLD.state IS NOT NEW.state OR OLD.last_firmware IS NOT NEW.last_firmware
    BEGIN UPDATE config_generation SET value = value + 1; END;
CREATE TRIGGER gen_dev_del AFTER DELETE ON devices BEGIN UPDATE config_generation SET value = value + 1; END;
CREATE TRIGGER gen_btn_ins AFTER INSERT ON buttons BEGIN UPDATE config_generation SET value = value + 1; END;
CREATE TRIGGER gen_btn_upd AFTER UPDATE ON buttons BEGIN UPDATE config_generation SET value = value + 1; END;
CREATE TRIGGER gen_btn_del AFTER DELETE ON buttons BEGIN UPDATE config_generation SET value = value + 1; END;
CREATE TRIGGER gen_set_ins AFTER INSERT ON settings BEGIN UPDATE config_generation SET value = value + 1; END;
CREATE TRIGGER gen_set_upd AFTER UPDATE ON settings BEGIN UPDATE config_generation SET value = value + 1; END;
CREATE TRIGGER gen_set_del AFTER DELETE ON settings BEGIN UPDATE config_generation SET value = value + 1; END;
)SQL";

constexpr std::string_view kEventAuth = R"SQL(
ALTER TABLE events ADD COLUMN auth TEXT NOT NULL DEFAULT '';
)SQL";

// Staging: when a device was first seen, and which config bytes (by hash)
// each of its files last carried, so a later fetch can tell "applied". The
// staging state and discovered (unassigned) phones change nothing a config is
// rendered from, so they no longer move the config generation.
constexpr std::string_view kStaging = R"SQL(
ALTER TABLE devices ADD COLUMN first_seen_at INTEGER;
UPDATE devices SET first_seen_at = last_seen_at;
CREATE TABLE served_configs (
    mac   TEXT NOT NULL REFERENCES devices(mac) ON DELETE CASCADE,
    file  TEXT NOT NULL,
    hash  TEXT NOT NULL,
    at    INTEGER NOT NULL,
    PRIMARY KEY (mac, file)
);
DROP TRIGGER gen_dev_ins;
CREATE TRIGGER gen_dev_ins AFTER INSERT ON devices WHEN NEW.state <> 'unassigned'
    BEGIN UPDATE config_generation SET value = value + 1; END;
DROP TRIGGER gen_dev_upd;
CREATE TRIGGER gen_dev_upd AFTER UPDATE OF make, model, serial, label, last_firmware ON devices
    WHEN OLD.make IS NOT NEW.make OR OLD.model IS NOT NEW.model OR OLD.serial IS NOT NEW.serial
      OR OLD.label IS NOT NEW.label OR OLD.last_firmware IS NOT NEW.last_firmware
    BEGIN UPDATE config_generation SET value = value + 1; END;
)SQL";

constexpr std::string_view kExtensionNotes = R"SQL(
ALTER TABLE extensions ADD COLUMN notes TEXT NOT NULL DEFAULT '';
)SQL";

// Phone proofs (design.md "Defaults that keep secrets safe"): each device's
// own provisioning credentials (the previous pair kept until the phone has
// used the new one), its own AES key for encrypted configs, where each device
// came from (an installer's device waits for an admin's staging window),
// staging windows and which devices used them, and the server's own keys
// (HMAC of served hashes, digest nonces), generated at first start.
// Credentials are made at a device's first secret-bearing render, before any
// render of it is cached, so only a change (rotation) moves the generation.
constexpr std::string_view kPhoneProofs = R"SQL(
CREATE TABLE device_credentials (
    mac            TEXT PRIMARY KEY REFERENCES devices(mac) ON DELETE CASCADE,
    user           TEXT NOT NULL,
    password       TEXT NOT NULL,
    prev_user      TEXT NOT NULL DEFAULT '',
    prev_password  TEXT NOT NULL DEFAULT '',
    aes_key        TEXT NOT NULL DEFAULT '',
    prev_aes_key   TEXT NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    delivered_at   INTEGER,
    used_at        INTEGER,
    key_sent_at    INTEGER
);
CREATE INDEX device_credentials_user ON device_credentials(user);
CREATE INDEX device_credentials_prev_user ON device_credentials(prev_user);
CREATE TRIGGER gen_cred_del AFTER DELETE ON device_credentials BEGIN UPDATE config_generation SET value = value + 1; END;
CREATE TRIGGER gen_cred_upd AFTER UPDATE OF user, password, aes_key ON device_credentials
    WHEN OLD.user IS NOT NEW.user OR OLD.password IS NOT NEW.password OR OLD.aes_key IS NOT NEW.aes_key
    BEGIN UPDATE config_generation SET value = value + 1; END;
ALTER TABLE devices ADD COLUMN origin TEXT NOT NULL DEFAULT 'admin' CHECK (origin IN ('admin','installer','phone'));
UPDATE devices SET origin = 'phone' WHERE state = 'unassigned';
CREATE TABLE staging_windows (
    id           INTEGER PRIMARY KEY,
    label        TEXT NOT NULL DEFAULT '',
    macs         TEXT NOT NULL DEFAULT '',
    max_devices  INTEGER NOT NULL,
    actor        TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('admin','installer')),
    opened_at    INTEGER NOT NULL,
    closes_at    INTEGER NOT NULL,
    closed_at    INTEGER
);
CREATE TABLE staging_window_uses (
    window_id  INTEGER NOT NULL REFERENCES staging_windows(id) ON DELETE CASCADE,
    mac        TEXT NOT NULL,
    at         INTEGER NOT NULL,
    PRIMARY KEY (window_id, mac)
);
CREATE TABLE server_keys (name TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Hashes shown so far were plain SHA-256 of bodies that carry secrets: gone.
UPDATE events SET config_hash = '' WHERE config_hash <> '';
UPDATE devices SET last_hash = '' WHERE last_hash <> '';
DELETE FROM served_configs;
)SQL";

// API tokens that expire, are revoked (the row stays, so its id is never
// reused and the audit log's "token:N" keeps its meaning) and say when they
// were last used; and the address each audited request came from.
constexpr std::string_view kTokens = R"SQL(
ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER;
ALTER TABLE api_tokens ADD COLUMN last_used_at INTEGER;
ALTER TABLE api_tokens ADD COLUMN revoked_at INTEGER;
ALTER TABLE audit ADD COLUMN source TEXT NOT NULL DEFAULT '';
)SQL";

// `timezone` takes a zone name now (the name gives the phones the DST rule).
// A whole-hour offset becomes the Etc zone of that offset, whose sign POSIX
// inverts ("+1" -> "Etc/GMT-1"), so phones keep the clock they had. Other
// offsets ("+5:30", "-13") are left for the admin to choose a city; the
// `migrate` command lists them.
constexpr std::string_view kTimezoneNames = R"SQL(
UPDATE settings SET value = 'Etc/GMT' ||
    CASE WHEN CAST(substr(value, 2, 2) AS INTEGER) = 0 THEN ''
         WHEN substr(value, 1, 1) = '+' THEN '-' || CAST(substr(value, 2, 2) AS INTEGER)
         ELSE '+' || CAST(substr(value, 2, 2) AS INTEGER) END
WHERE key = 'timezone'
  AND (value GLOB '[+-][0-9]' OR value GLOB '[+-][0-9][0-9]'
       OR value GLOB '[+-][0-9]:00' OR value GLOB '[+-][0-9][0-9]:00')
  AND CAST(substr(value, 2, 2) AS INTEGER) <= CASE substr(value, 1, 1) WHEN '+' THEN 14 ELSE 12 END;
)SQL";

// Deleted devices that were given accounts, until they fetch their wipe
// config once (design: a deleted device gets every account disabled and
// blank), with the credentials they hold, so they can still prove their
// MAC; and which fetches got one. Adding or removing one changes what the
// MAC is rendered as.
constexpr std::string_view kPendingWipes = R"SQL(
CREATE TABLE pending_wipes (
    mac         TEXT PRIMARY KEY CHECK (length(mac) = 12 AND mac NOT GLOB '*[^0-9a-f]*'),
    make        TEXT NOT NULL DEFAULT '',
    model       TEXT NOT NULL DEFAULT '',
    user        TEXT NOT NULL DEFAULT '',
    password    TEXT NOT NULL DEFAULT '',
    aes_key     TEXT NOT NULL DEFAULT '',
    key_sent    INTEGER NOT NULL DEFAULT 0,
    deleted_at  INTEGER NOT NULL
);
CREATE TRIGGER gen_wipe_ins AFTER INSERT ON pending_wipes BEGIN UPDATE config_generation SET value = value + 1; END;
CREATE TRIGGER gen_wipe_del AFTER DELETE ON pending_wipes BEGIN UPDATE config_generation SET value = value + 1; END;
ALTER TABLE events ADD COLUMN wipe INTEGER NOT NULL DEFAULT 0;
)SQL";

// A wipe is kept for a grace period after it first goes out (the transport
// may lose it), and holds both credential pairs of a rotation the phone had
// not acted on yet (records.h). key_sent now keeps the time, as
// device_credentials.key_sent_at does (old rows hold 1: sent, time unknown).
constexpr std::string_view kWipeGrace = R"SQL(
ALTER TABLE pending_wipes ADD COLUMN delivered_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE pending_wipes ADD COLUMN prev_user TEXT NOT NULL DEFAULT '';
ALTER TABLE pending_wipes ADD COLUMN prev_password TEXT NOT NULL DEFAULT '';
ALTER TABLE pending_wipes ADD COLUMN prev_aes_key TEXT NOT NULL DEFAULT '';
ALTER TABLE pending_wipes ADD COLUMN creds_created_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE pending_wipes ADD COLUMN creds_delivered_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE pending_wipes ADD COLUMN creds_used_at INTEGER NOT NULL DEFAULT 0;
-- Rows written before: their pair went out and was used, as the proof code
-- then took it.
UPDATE pending_wipes SET creds_created_at = deleted_at, creds_delivered_at = deleted_at,
    creds_used_at = deleted_at;
-- Zone names are now those tzdata.zi lists: the database's posix/ and right/
-- copies of a zone were accepted before and name the same zone without them.
UPDATE settings SET value = substr(value, 7)
WHERE key = 'timezone' AND (value LIKE 'posix/%' OR value LIKE 'right/%');
)SQL";

// Key expansion modules on a device (a module its model takes, and how
// many): their keys are rendered, so a change of either is a config change.
constexpr std::string_view kExpansionModules = R"SQL(
ALTER TABLE devices ADD COLUMN expansion_model TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN expansion_count INTEGER NOT NULL DEFAULT 0 CHECK (expansion_count >= 0);
CREATE TRIGGER gen_dev_exp AFTER UPDATE OF expansion_model, expansion_count ON devices
    WHEN OLD.expansion_model IS NOT NEW.expansion_model OR OLD.expansion_count IS NOT NEW.expansion_count
    BEGIN UPDATE config_generation SET value = value + 1; END;
)SQL";

// Issue 14 in one migration, so that the firmware, rollout and resync work
// never race on schema numbers. Firmware images (the catalog: what was
// verified, so a change of size, time or inode is noticed without hashing),
// targets per model, site label or device ('none': leave what the phone
// has), rollouts in rings and their members, each device's firmware and
// resync state, the transport each registration uses, and every resync push.
// A target or an image that changes what a config carries moves the config
// generation.
constexpr std::string_view kFirmware = R"SQL(
CREATE TABLE firmware_images (
    id           INTEGER PRIMARY KEY,
    vendor       TEXT NOT NULL,
    version      TEXT NOT NULL,
    models       TEXT NOT NULL,
    file         TEXT NOT NULL UNIQUE,
    size         INTEGER NOT NULL CHECK (size >= 0),
    sha256       TEXT NOT NULL CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
    mtime_ns     INTEGER NOT NULL,
    inode        INTEGER NOT NULL,
    state        TEXT NOT NULL DEFAULT 'ok' CHECK (state IN ('ok','verifying','corrupt','missing')),
    verified_at  INTEGER,
    source       TEXT NOT NULL CHECK (source IN ('manifest','upload','cli')),
    created_at   INTEGER NOT NULL,
    created_by   TEXT NOT NULL DEFAULT '',
    UNIQUE (vendor, version, file)
);
CREATE TABLE rollouts (
    id                INTEGER PRIMARY KEY,
    vendor            TEXT NOT NULL,
    model             TEXT NOT NULL,
    site              TEXT NOT NULL DEFAULT '',
    to_version        TEXT NOT NULL,
    previous          TEXT NOT NULL,
    canary_macs       TEXT NOT NULL DEFAULT '',
    canary_percent    INTEGER NOT NULL DEFAULT 0 CHECK (canary_percent BETWEEN 0 AND 100),
    window_s          INTEGER NOT NULL CHECK (window_s BETWEEN 60 AND 604800),
    state             TEXT NOT NULL CHECK (state IN ('canary','complete','halted','rolled_back')),
    stage_started_at  INTEGER NOT NULL,
    reason            TEXT NOT NULL DEFAULT '',
    created_at        INTEGER NOT NULL,
    created_by        TEXT NOT NULL DEFAULT ''
);
CREATE TABLE firmware_targets (
    id          INTEGER PRIMARY KEY,
    vendor      TEXT NOT NULL,
    model       TEXT NOT NULL,
    scope       TEXT NOT NULL CHECK (scope IN ('model','site','device')),
    scope_key   TEXT NOT NULL DEFAULT '',
    version     TEXT NOT NULL,
    rollout_id  INTEGER REFERENCES rollouts(id) ON DELETE SET NULL,
    updated_at  INTEGER NOT NULL,
    updated_by  TEXT NOT NULL DEFAULT '',
    CHECK ((scope = 'model') = (scope_key = '')),
    UNIQUE (vendor, model, scope, scope_key)
);
CREATE TABLE rollout_members (
    rollout_id  INTEGER NOT NULL REFERENCES rollouts(id) ON DELETE CASCADE,
    mac         TEXT NOT NULL,
    ring        INTEGER NOT NULL CHECK (ring IN (0,1)),
    PRIMARY KEY (rollout_id, mac)
);
ALTER TABLE devices ADD COLUMN fw_target TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN fw_status TEXT NOT NULL DEFAULT ''
    CHECK (fw_status IN ('','unknown','upgrading','on_target','failed'));
ALTER TABLE devices ADD COLUMN fw_told_at INTEGER;
ALTER TABLE devices ADD COLUMN fw_misses INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN resync TEXT NOT NULL DEFAULT ''
    CHECK (resync IN ('','queued','pushed','refetched','applied','failed','gave_up'));
ALTER TABLE devices ADD COLUMN resync_at INTEGER;
ALTER TABLE devices ADD COLUMN resync_tries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE extensions ADD COLUMN reg_transport TEXT NOT NULL DEFAULT ''
    CHECK (reg_transport IN ('','udp','tcp','tls'));
CREATE TABLE resync_pushes (
    id         INTEGER PRIMARY KEY,
    mac        TEXT NOT NULL,
    extension  TEXT NOT NULL DEFAULT '',
    route      TEXT NOT NULL CHECK (route IN ('notify','hook')),
    event      TEXT NOT NULL,
    target     TEXT NOT NULL,
    queued_at  INTEGER NOT NULL,
    sent_at    INTEGER,
    done_at    INTEGER,
    result     TEXT NOT NULL DEFAULT ''
               CHECK (result IN ('','ok','timeout','challenged','rejected','error','skipped','rate_limited')),
    status     INTEGER,
    attempts   INTEGER NOT NULL DEFAULT 0,
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX resync_pushes_mac ON resync_pushes(mac, queued_at);
CREATE INDEX devices_resync ON devices(resync) WHERE resync <> '';
CREATE TRIGGER gen_fw_target_ins AFTER INSERT ON firmware_targets BEGIN UPDATE config_generation SET value = value + 1; END;
CREATE TRIGGER gen_fw_target_upd AFTER UPDATE ON firmware_targets BEGIN UPDATE config_generation SET value = value + 1; END;
CREATE TRIGGER gen_fw_target_del AFTER DELETE ON firmware_targets BEGIN UPDATE config_generation SET value = value + 1; END;
-- An image offered to phones only while it verifies: its coming, going or
-- change of state changes the configs that point at it.
CREATE TRIGGER gen_fw_image_ins AFTER INSERT ON firmware_images BEGIN UPDATE config_generation SET value = value + 1; END;
CREATE TRIGGER gen_fw_image_del AFTER DELETE ON firmware_images BEGIN UPDATE config_generation SET value = value + 1; END;
CREATE TRIGGER gen_fw_image_state AFTER UPDATE OF state ON firmware_images WHEN OLD.state IS NOT NEW.state
    BEGIN UPDATE config_generation SET value = value + 1; END;
)SQL";

// Portal sign-in (issue 15): a password hash on users (Argon2id, encoded),
// sessions kept only as a hash of their id, and the failed sign-ins the
// throttle counts, in the store so that `provisioner user unthrottle` can
// clear them and a restart does not.
constexpr std::string_view kPortalUsers = R"SQL(
ALTER TABLE users ADD COLUMN password_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1));
ALTER TABLE users ADD COLUMN last_sign_in_at INTEGER;
CREATE TABLE sessions (
    id            INTEGER PRIMARY KEY,
    session_hash  TEXT NOT NULL UNIQUE,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    source        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE TABLE sign_in_throttle (
    key              TEXT PRIMARY KEY,
    failures         INTEGER NOT NULL DEFAULT 0,
    window_start     INTEGER NOT NULL,
    last_failure_at  INTEGER NOT NULL,
    blocked_until    INTEGER NOT NULL DEFAULT 0,
    blocks           INTEGER NOT NULL DEFAULT 0
);
)SQL";

// Softphone extensions carry their make and model (no device); the e-mail
// outbox and the invitations it carries. An invitation's token is stored only
// as its SHA-256; the e-mail that carries it is written when it is sent, so no
// table ever holds the token itself.
constexpr std::string_view kInvitations = R"SQL(
ALTER TABLE extensions ADD COLUMN phone_make TEXT NOT NULL DEFAULT '';
ALTER TABLE extensions ADD COLUMN phone_model TEXT NOT NULL DEFAULT '';
CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('invitation')),
    ref_id       INTEGER NOT NULL,
    recipient    TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued','sending','sent','failed')),
    tries        INTEGER NOT NULL DEFAULT 0,
    next_try_at  INTEGER,
    smtp_reply   TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    sent_at      INTEGER
);
CREATE INDEX outbox_due ON outbox(state, next_try_at);
CREATE TABLE invitations (
    id           INTEGER PRIMARY KEY,
    extension    TEXT NOT NULL,
    email        TEXT NOT NULL,
    token_hash   TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    revoked      INTEGER NOT NULL DEFAULT 0,
    revealed_at  INTEGER,
    created_by   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX invitations_extension ON invitations(extension, id);
CREATE INDEX invitations_token ON invitations(token_hash) WHERE token_hash <> '';
)SQL";

// Invitations are bound to their extension's row, and the links of
// extensions deleted before the delete revoked them stop working.
constexpr const char* kInvitationExtensionId = R"SQL(
ALTER TABLE invitations ADD COLUMN extension_id INTEGER NOT NULL DEFAULT 0;
UPDATE invitations SET extension_id = COALESCE(
    (SELECT e.id FROM extensions e WHERE e.extension = invitations.extension), 0);
UPDATE invitations SET revoked = 1 WHERE revoked = 0 AND extension_id = 0;
)SQL";

// The ids of the event batches stored, written in the batch's own
// transaction: a batch tried again after a commit whose answer was lost (or
// replayed from the spool after a crash) is recognised and skipped whole.
constexpr const char* kEventBatches = R"SQL(
CREATE TABLE event_batches (
    id         TEXT PRIMARY KEY,
    stored_at  INTEGER NOT NULL
);
CREATE INDEX event_batches_stored_at ON event_batches(stored_at);
)SQL";

// Each node's MAC-sweep spending per source, appended every few seconds and
// read back by the other nodes (service/sweep_merge.h); rows live minutes.
// AUTOINCREMENT: an id is never used twice, as readers go on from the last
// one they saw.
constexpr const char* kSweepSpend = R"SQL(
CREATE TABLE sweep_spend (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    node         TEXT NOT NULL,
    source       TEXT NOT NULL,
    spent_milli  INTEGER NOT NULL,
    at           INTEGER NOT NULL
);
CREATE INDEX sweep_spend_at ON sweep_spend(at);
)SQL";

// A registration update from the PBX (status, address, agent) changes
// nothing a phone's file holds: it no longer moves the config generation, so
// a PBX reporting registrations does not empty every render cache (and a
// node's memory of the phones it served) several times a minute. The columns
// are every one an admin writes (model/extension_fields.cpp, kEditable and
// kKey); a store test checks the list against that table.
constexpr const char* kGenerationIgnoresRegistration = R"SQL(
DROP TRIGGER gen_ext_upd;
CREATE TRIGGER gen_ext_upd AFTER UPDATE OF extension, device_type, callerid_name, user, voicemail_enabled,
    voicemail_pin, voicemail_email, did, twinning_number, external_callerid, call_forward, class_of_service,
    phone_group, notes, secret, phone_make, phone_model, mac, phone_reg ON extensions
BEGIN UPDATE config_generation SET value = value + 1; END;
)SQL";

}  // namespace

const std::vector<Migration>& migrations() {
    static const std::vector<Migration> kMigrations = {
        {1, "initial schema", kInitial},
        {2, "config generation counter", kConfigGeneration},
        {3, "how each fetch was authorised", kEventAuth},
        {4, "staging: first seen, configs served", kStaging},
        {5, "free-text notes on extensions", kExtensionNotes},
        {6, "phone proofs: device credentials, staging windows, server keys", kPhoneProofs},
        {7, "API tokens: expiry, revocation, last use; audit source", kTokens},
        {8, "time zones: whole-hour offsets become Etc zones", kTimezoneNames},
        {9, "wipe configs for deleted devices", kPendingWipes},
        {10, "wipes kept for a grace period, with both credential pairs; zone names without posix/, right/",
         kWipeGrace, {"wipes kept for a grace period, with both credential pairs"}},
        {11, "key expansion modules on devices", kExpansionModules},
        {12, "firmware catalog, targets, rollouts; firmware and resync state; resync pushes", kFirmware},
        {13, "portal users: password hash, sessions, sign-in throttle", kPortalUsers},
        {14, "softphone make and model on extensions; e-mail outbox; invitations", kInvitations},
        {15, "invitations bound to their extension's row", kInvitationExtensionId},
        {16, "event batches stored, by id", kEventBatches},
        {17, "MAC-sweep budgets merged across nodes", kSweepSpend},
        {18, "registration updates leave the config generation alone", kGenerationIgnoresRegistration},
    };
    return kMigrations;
}

}  // namespace prov::sqlite

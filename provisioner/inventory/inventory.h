#pragma once

// The rules of the extension store (design.md "Rules from the portal"),
// shared by the admin API and the CLI. Every operation runs in one store
// transaction: it either applies whole, audited, or stores nothing.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "provisioner/core/clock.h"
#include "provisioner/core/random_source.h"
#include "provisioner/core/result.h"
#include "provisioner/model/records.h"
#include "provisioner/model/settings.h"
#include "provisioner/model/validation.h"
#include "provisioner/catalog/vendor_catalog.h"
#include "provisioner/inventory/password.h"
#include "provisioner/inventory/sign_in_gate.h"
#include "provisioner/inventory/sign_in_throttle.h"
#include "provisioner/store/store.h"

namespace prov {

struct Actor {
    std::string name;  // "token:3 (admin)", "cli"
    Role role = Role::kAdmin;
    std::string source = "";  // the API client's address; "" on the command line
    // Signed in through the portal (a session cookie), not an API token:
    // secrets are masked for every role and shown only through an explicit,
    // audited reveal. Scripts with admin tokens keep getting them in GETs.
    bool portal = false;
};

// A token to make: `name` (optional, unique among tokens not revoked, not all
// digits) and `expires` ("30d", "12h", "2026-12-31", "2026-12-31T12:00:00Z";
// "" never) as the CLI and the API take them.
struct TokenSpec {
    Role role = Role::kViewer;
    std::string name;
    std::string expires;
};

// A token made: its record, and the token itself, shown this once.
struct NewToken {
    ApiToken record;
    std::string secret;
};

enum class TokenCheck { kValid, kUnknown, kExpired, kRevoked };

struct TokenAuth {
    TokenCheck check = TokenCheck::kUnknown;
    ApiToken token;  // set unless kUnknown
};

// A staging window to open: a site label or a MAC list, for `minutes`, at
// most `max_devices` devices, each once.
struct WindowSpec {
    std::string label;
    std::vector<std::string> macs;  // any common spelling
    int64_t minutes = 30;
    int64_t max_devices = 1;
};
constexpr int64_t kMaxWindowMinutes = 24 * 60;
constexpr int64_t kMaxWindowDevices = 1000;

// A device's fresh provisioning credentials and AES key.
DeviceCredentials newCredentials(RandomSource& random, const std::string& mac, int64_t now);

struct InventoryOptions {
    int64_t licence_limit = 0;            // license.extensions
    int64_t unknown_after_seconds = 300;  // status.unknown_after
};

struct Registration {
    std::string status;
    std::string ip;
    int port = 0;
    std::string agent;
    std::string transport;  // udp, tcp, tls or ""
};

// Inventory CSV (docs/inventory-csv.md):
// one row per extension, or per device that carries none. See csv_format.h,
// csv_import.cpp and csv_export.cpp.
struct ImportProblem {
    size_t line = 0;     // line of the file where the row starts (the header is line 1)
    std::string column;  // the header name, or "" for the row as a whole
    std::string reason;
};

struct ImportOptions {
    bool dry_run = false;
    // Called with a phase ("checking", "writing") and rows done of its total:
    // at the phase's start (0), every 2000 rows, and at its end (total).
    std::function<void(const char* phase, size_t done, size_t total)> progress;
};

struct ImportCounts {
    size_t created = 0;
    size_t changed = 0;
    size_t unchanged = 0;
};

struct ImportReport {
    bool dry_run = false;
    size_t rows = 0;
    ImportCounts extensions;
    ImportCounts devices;
    // What was (or would be) created and changed, the first kMaxListed of each.
    std::vector<std::string> created;
    std::vector<std::string> changed;
    // Non-empty: nothing was stored.
    std::vector<ImportProblem> problems;
    static constexpr size_t kMaxListed = 1000;
};

struct StagingEntry {
    Device device;
    std::vector<std::string> extensions;  // in line order
};

// What to push a resync to: one device (canonical MAC), every device of a
// site (label), or every device (all). Exactly one.
struct ResyncTarget {
    std::string mac;
    std::string site;
    bool all = false;
};

// Portal sign-in (users.cpp, sessions.cpp): how long a session lives, how
// passwords are hashed, how failed sign-ins are throttled.
struct PortalOptions {
    int64_t session_idle_seconds = 30 * 60;     // portal.session_idle
    int64_t session_max_seconds = 12 * 60 * 60;  // portal.session_max
    PasswordParams password;
    throttle::Rules throttle;
    // The key of device cookies (device_cookie.h), a server key kept in the
    // store; "": none are issued or accepted.
    std::string device_key;
    int64_t device_cookie_seconds = 180 * 24 * 60 * 60;
};

// A user to make; `password` at least kMinPasswordLength characters.
struct UserSpec {
    std::string name;
    Role role = Role::kViewer;
    std::string password;
};

// What to change on a user; a new password or disabling ends its sessions.
struct UserChange {
    std::optional<Role> role;
    std::optional<std::string> password;
    std::optional<bool> disabled;
};

// Whether a user change may take away the last enabled admin: refused
// (Conflict, "last_admin") unless the caller is the host's root at the CLI
// and said --force.
enum class LastAdmin { kKeep, kMayRemove };

// A live session as the API shows it. `cookie` (the session id) is set only
// by signIn: the store keeps its hash alone.
struct SessionView {
    PortalUser user;
    std::string cookie;
    std::string csrf_token;
    int64_t expires_at = 0;
    int64_t idle_expires_at = 0;
};

// kInFlight: another sign-in on one of this one's throttle keys is under
// way on this node (sign_in_gate.h); kBusy: no password hash place came free
// in time (password.h). Neither looked at the password nor counts as a failure.
enum class SignInCheck { kSignedIn, kRefused, kThrottled, kInFlight, kBusy };

// What a sign-in came to. kRefused has one message for every cause; `reason`
// (unknown_user, bad_password, disabled, no_password, changed) is for the log only.
struct SignInResult {
    SignInCheck check = SignInCheck::kRefused;
    SessionView session;      // kSignedIn
    // kSignedIn: a fresh device cookie for this browser ("" when no device
    // key is configured).
    std::string device_cookie;
    int64_t retry_after = 0;  // kThrottled: seconds
    std::string reason;       // kRefused
    // The name tried, when it is a user's; "" for an unknown name (people
    // type passwords into the name box: it is never logged or audited).
    std::string known_name;
    // kRefused: the keys this failure blocked ("source:..", "user:..",
    // "device:.."), with the block's seconds, for the security log; an
    // unknown name's key reads "user:(unknown)".
    std::vector<std::pair<std::string, int64_t>> blocked;
};

struct LicenceUsage {
    int64_t allowed = 0;
    int64_t used = 0;
};

class Inventory {
public:
    // Applies a request onto the current record inside the transaction; it
    // reports bad fields into the FieldErrors it is given.
    using ExtensionEdit = std::function<void(Extension&, FieldErrors&, std::optional<int64_t>& version)>;
    using DeviceEdit = std::function<void(Device&, FieldErrors&, std::optional<int64_t>& version)>;

    Inventory(Store& store, RandomSource& random, const Hasher& hasher, const Clock& clock,
              const ModelCatalog& models, InventoryOptions options);
    // Called after every committed change (rendered configs may be stale).
    void setChangeListener(std::function<void()> listener) { on_change_ = std::move(listener); }

    // Extensions. The Extension passed to create is fully built by the caller.
    Result<Extension> createExtension(Extension e, const Actor& actor);
    Result<Extension> getExtension(const std::string& extension);
    Result<Listing<Extension>> listExtensions(const ExtensionFilter& filter, Page page);
    Result<Extension> editExtension(const std::string& extension, const ExtensionEdit& edit,
                                    const Actor& actor);
    Status deleteExtension(const std::string& extension, bool force, const Actor& actor);
    // What still uses the extension (call forward, voicemail, forwarders,
    // BLF watchers, phone group, its phone): the list a delete without
    // force is refused with (extension_in_use), in the same words.
    Result<std::vector<std::string>> extensionReferences(const std::string& extension);
    Result<Extension> setRegistration(const std::string& extension, const Registration& reg,
                                      const Actor& actor);
    Result<std::vector<Button>> getButtons(const std::string& extension);
    Result<std::vector<Button>> setButtons(const std::string& extension, std::vector<Button> buttons,
                                           const Actor& actor);

    // Devices.
    Result<Device> createDevice(Device d, const Actor& actor);
    Result<Device> getDevice(const std::string& mac);
    Result<Listing<Device>> listDevices(const DeviceFilter& filter, Page page);
    Result<Device> editDevice(const std::string& mac, const DeviceEdit& edit, const Actor& actor);
    Status deleteDevice(const std::string& mac, bool force, const Actor& actor);
    // Every device of a site (label; "" for every device) with its extensions, by MAC.
    Result<std::vector<StagingEntry>> staging(const std::string& site);

    // Staging windows (windows.cpp): admins and installers open them (an
    // installer only for devices an admin added) and close them early.
    Result<StagingWindow> openWindow(const WindowSpec& spec, const Actor& actor);
    Result<std::vector<StagingWindow>> listWindows(bool open_only);
    Result<StagingWindow> closeWindow(int64_t id, const Actor& actor);
    // Device credentials: a fresh pair (the old one works until the phone
    // has used the new one), and the current one, for admins only.
    Result<DeviceCredentials> rotateCredentials(const std::string& mac, const Actor& actor);
    // Re-enrolment (a phone reset to factory settings): the device's
    // credentials and key are dropped; it gets new ones at its next proven
    // first contact (a staging window), like a new phone.
    Status forgetCredentials(const std::string& mac, const Actor& actor);
    Result<std::optional<DeviceCredentials>> deviceCredentials(const std::string& mac);

    // Settings: scope "" is global, a canonical MAC is that device's overrides.
    // A value the vendor of a phone it reaches cannot express is refused
    // (InvalidArgument, the field naming the vendor): for a device, its make;
    // for global values, each device without its own value for the key.
    Result<SettingsMap> getSettings(const std::string& scope);
    Result<SettingsMap> putSettings(const std::string& scope, const SettingsMap& values, const Actor& actor,
                                    const std::vector<std::string>& removals = {});

    Result<LicenceUsage> licence();

    // Resync pushes (resync.cpp). Queues `target`'s devices (never
    // unassigned ones) for the server to ask them to fetch their config now
    // (an admin's; audited); how many. A MAC the store does not have is
    // NotFound; an unassigned one a Conflict.
    Result<int64_t> queueResync(const ResyncTarget& target, const Actor& actor);
    // The latest pushes, of `mac` when not "", newest first.
    Result<std::vector<ResyncPush>> listPushes(const std::string& mac, int64_t limit);

    // All or nothing, in one transaction. An error is the file's shape (one
    // line: binary, wrong columns); problems with rows are in the report.
    Result<ImportReport> importCsv(std::string_view bytes, const ImportOptions& options, const Actor& actor);
    // The same format: devices by MAC with their extensions by line, then
    // extensions on no device. Unassigned devices (seen, never added) are not
    // inventory and are left out; SIP secrets only when asked for.
    Result<std::string> exportCsv(bool with_secrets);

    // Tokens (tokens.cpp): the plain token is returned once and only its
    // hash is kept. Creation and revocation are audited.
    Result<NewToken> createToken(const TokenSpec& spec, const Actor& actor);
    // Every token, revoked ones too, by id.
    Result<std::vector<ApiToken>> listTokens();
    // By id (digits), or by name: the one token not revoked that has it.
    Result<ApiToken> revokeToken(const std::string& id_or_name, const Actor& actor);
    // What `token` is. A valid token's last use is stored, at most once a minute.
    Result<TokenAuth> authenticate(const std::string& token);
    // Revoked tokens too: a store whose tokens were all revoked is not new.
    Result<int64_t> tokenCount();

    // Portal users (users.cpp), audited; never a password in the audit.
    Result<PortalUser> createUser(const UserSpec& spec, const Actor& actor);
    Result<std::vector<PortalUser>> listUsers();
    Result<PortalUser> getUser(const std::string& name);
    // Neither may take away the last enabled admin unless `last` says so.
    Result<PortalUser> changeUser(const std::string& name, const UserChange& change, const Actor& actor,
                                  LastAdmin last = LastAdmin::kKeep);
    Status deleteUser(const std::string& name, const Actor& actor, LastAdmin last = LastAdmin::kKeep);
    // Clears the sign-in throttle of a user name and of an address with this
    // text (an IPv6 address: its /64); whether there was anything to clear.
    // Audited.
    Result<bool> unthrottle(const std::string& name_or_ip, const Actor& actor);

    // Sessions (sessions.cpp). Checks the throttle of `source` and of `name`
    // before the password; a success starts a session, audited; a failure
    // counts against both keys, audited. `device_cookie` (the browser's, or
    // ""), when it vouches for `name`, stands for the name: its own key is
    // checked and counted instead, so a block on the name does not hold it.
    // One attempt at a time per key on this node (sign_in_gate.h).
    Result<SignInResult> signIn(const std::string& name, const std::string& password, const std::string& source,
                                const std::string& device_cookie = "");
    // The live session whose cookie is `cookie`, marked as seen; none once it
    // idled past session_idle, passed session_max, or its user is disabled.
    Result<std::optional<SessionView>> session(const std::string& cookie);
    // Ends the session of `cookie` (audited); nothing when there is none.
    Status signOut(const std::string& cookie, const std::string& source);
    // How many throttle keys sign-ins under way hold now (sign_in_gate.h).
    size_t signInKeysHeld() const { return sign_in_gate_.held(); }
    // The CSRF token of a session: derived from its id, so never stored.
    std::string csrfToken(const std::string& cookie) const;
    void setPortalOptions(const PortalOptions& options) { portal_ = options; }
    const PortalOptions& portalOptions() const { return portal_; }

    // An audit entry for something read, not changed: a preview or an export
    // that shows secrets, a failed authentication. `after` is JSON or "". Its
    // own transaction; no change listener.
    Status auditAccess(const Actor& actor, const char* action, const char* entity, const std::string& id,
                       const std::string& after);

    Result<Listing<AuditEntry>> listAudit(const AuditFilter& filter, Page page);
    Result<Listing<Event>> listEvents(const EventFilter& filter, Page page);
    // Deletes up to `limit` events older than `keep_days` days; returns how many.
    Result<int64_t> pruneEvents(int64_t keep_days, int64_t limit);
    // Drops the wipe configs of deleted devices past their grace period or
    // expiry, and the old credentials they kept.
    Result<int64_t> purgeWipes();

    // What a reader sees: UNREACHABLE for longer than unknown_after reads UNKNOWN.
    Extension effective(Extension e) const;

private:
    friend class CsvImport;  // csv_import.cpp: the API's rules, row by row
    // `keys_checked_after`: the caller checks every button on the phone once
    // its whole write is done (a CSV row that also replaces the extension's
    // buttons: CsvImport::checkKeyCounts), so the stored buttons, about to
    // be replaced, are not checked here.
    Status checkExtensionRules(StoreTx& tx, Extension& e, const std::optional<Extension>& before,
                               const Actor& actor, bool keys_checked_after = false);
    // `new_bind`: the extension was not on this device before.
    Status bindDevice(StoreTx& tx, Extension& e, FieldErrors& errors, const Actor& actor, bool new_bind,
                      bool keys_checked_after);
    static Result<std::vector<std::string>> referencesTo(StoreTx& tx, const Extension& e);
    static Status installerMayBind(StoreTx& tx, const Extension& e, const Extension& before);
    void checkSoftphone(Extension& e, FieldErrors& errors) const;
    // 400 naming field and vendor for a setting a reached phone cannot express.
    Status checkVendors(StoreTx& tx, const std::string& scope, const SettingsMap& values);
    // The config of the device with `mac` changed: staging::next(state,
    // kConfigEdited), applied by the store in one statement (StoreTx::markStale;
    // tests/unit/inventory/staging_test.cpp holds it to that function). No-op
    // for "" (an extension on no device).
    static Status configChanged(StoreTx& tx, const std::string& mac);
    // sessions.cpp: the parts of signIn.
    std::vector<std::string> signInKeys(const std::string& name, const std::string& source,
                                        const std::string& device_cookie, int64_t now) const;
    Status recordSignInFailure(const std::vector<std::string>& keys, const std::string& source, int64_t now,
                               SignInResult& out);
    // `name_key`: the throttle key that stood for the name (its own, or the device's).
    Status startSession(PortalUser user, const std::string& name_key, const std::string& source, int64_t now,
                        SignInResult& out);
    Status audit(StoreTx& tx, const Actor& actor, const char* action, const char* entity,
                 const std::string& id, const std::string& before, const std::string& after);
    std::string auditJson(const Extension& e, const Extension* other) const;

    Store& store_;
    RandomSource& random_;
    const Clock& clock_;
    const ModelCatalog& models_;
    const Hasher& hasher_;
    InventoryOptions options_;
    PortalOptions portal_;
    SignInGate sign_in_gate_;
    std::function<void()> on_change_;
    Status writeTx(const Store::Work& work);
    Status writeBulkTx(const Store::Work& work);  // writeTx as a Store::writeBulk
};

}  // namespace prov

#pragma once

// The extension store as an interface (design.md). Rules live above it
// (inventory/); a Store only keeps records and runs each unit of work in one
// transaction, so that a refused request stores nothing.
//
//   store.write([&](StoreTx& tx) -> Status {
//       auto n = tx.countLicensed();
//       if (!n) return n.error();
//       ...
//       return tx.insertExtension(ext);
//   });
//
// An error returned from the function rolls the whole unit back.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "provisioner/core/result.h"
#include "provisioner/model/records.h"
#include "provisioner/model/settings.h"

namespace prov {

enum class SortOrder { kAsc, kDesc };

// How a list is ordered: `sort` is an API field name from the list's
// sortKeys ("" = the list's own order); the store maps it to a column of
// its own, so no text from a client ever reaches the SQL.
struct ListOrder {
    std::string sort;
    SortOrder order = SortOrder::kAsc;
};

// The fields GET /extensions and GET /devices may be sorted by.
const std::vector<std::string>& extensionSortKeys();
const std::vector<std::string>& deviceSortKeys();

struct ExtensionFilter {
    // Case-insensitive substring of the text a list shows: extension,
    // caller ID name, user, DID, external caller ID, voicemail email, class
    // of service, phone group, the phone's MAC (any spelling), make and model.
    std::string q;
    std::optional<DeviceType> device_type;
    std::string mac;
    std::string phone_group;
    ListOrder order;
};

struct DeviceFilter {
    std::optional<DeviceState> state;
    std::string make;
    std::string model;
    std::string label;
    // Case-insensitive substring of MAC (any spelling), make, model, label
    // (site), serial, last IP and firmware.
    std::string q;
    ListOrder order;
};

struct EventFilter {
    std::string mac;
    std::string outcome;
    int64_t since = 0;
};

struct AuditFilter {
    std::string entity;
    std::string entity_id;
    int64_t since = 0;
};

// What one node's MAC-sweep guard spent of one source's budget over a merge
// period: distinct unknown MACs missed less what hits earned back, in
// thousandths (a hit may earn back a fraction).
struct SweepSpend {
    int64_t id = 0;
    std::string node;    // the writing process's random name
    std::string source;  // the peer address, as the guard keys it
    int64_t spent_milli = 0;
    int64_t at = 0;  // when it was written, seconds since the epoch
};

class StoreTx {
public:
    virtual ~StoreTx() = default;

    virtual Result<std::optional<Extension>> getExtension(const std::string& extension) = 0;
    virtual Result<Listing<Extension>> listExtensions(const ExtensionFilter& filter, Page page) = 0;
    // Sets id, version 1 and the timestamps on `e`.
    virtual Status insertExtension(Extension& e) = 0;
    // Writes every editable field and bumps the version on `e`.
    virtual Status updateExtension(Extension& e) = 0;
    virtual Status updateRegistration(const Extension& e) = 0;
    virtual Status deleteExtension(int64_t id) = 0;
    virtual Result<int64_t> countLicensed() = 0;
    // Extensions bound to `mac`, in phone_reg order.
    virtual Result<std::vector<Extension>> extensionsOnDevice(const std::string& mac) = 0;
    virtual Result<std::vector<std::string>> forwardersTo(const std::string& extension) = 0;
    virtual Result<std::vector<std::string>> blfWatchersOf(const std::string& extension) = 0;

    virtual Result<std::vector<Button>> getButtons(int64_t extension_id) = 0;
    virtual Status replaceButtons(int64_t extension_id, const std::vector<Button>& buttons) = 0;

    virtual Result<std::optional<Device>> getDevice(const std::string& mac) = 0;
    virtual Result<Listing<Device>> listDevices(const DeviceFilter& filter, Page page) = 0;
    virtual Status insertDevice(Device& d) = 0;
    virtual Status updateDevice(Device& d) = 0;
    virtual Status deleteDevice(const std::string& mac) = 0;
    // Records a fetch on a known device (no version bump: not an admin edit).
    // last_file/last_hash change only when `served`; first_seen_at is set
    // once; the last_* fields only when `at` is not older than last_seen_at
    // (a replayed spool does not undo newer fetches). False when no device
    // has this MAC (true for a device whose fields stayed).
    virtual Result<bool> touchDevice(const std::string& mac, int64_t at, const std::string& ip,
                                     const std::string& ua, const std::string& firmware, const std::string& file,
                                     const std::string& hash, bool served) = 0;
    // Staging (no version bump either: the phone moves these, not an admin).
    virtual Status setDeviceState(const std::string& mac, DeviceState state) = 0;
    // provisioned/applied -> stale for `mac`, or for every device when it is "".
    virtual Status markStale(const std::string& mac) = 0;
    // The hash of the config last served to `mac` as `file`, if any.
    virtual Result<std::optional<std::string>> servedHash(const std::string& mac, const std::string& file) = 0;
    virtual Status putServedHash(const std::string& mac, const std::string& file, const std::string& hash,
                                 int64_t at) = 0;

    // Only the keys stored for `scope` ("" is global, else a MAC).
    virtual Result<SettingsMap> getSettings(const std::string& scope) = 0;
    virtual Status putSettings(const std::string& scope, const SettingsMap& values) = 0;
    virtual Status deleteSetting(const std::string& scope, const std::string& key) = 0;

    // Phone proofs (sqlite_tx_proofs.cpp).
    virtual Result<std::optional<DeviceCredentials>> getCredentials(const std::string& mac) = 0;
    // The credentials whose user is `user` (users are random, so unique).
    virtual Result<std::optional<DeviceCredentials>> credentialsOfUser(const std::string& user) = 0;
    virtual Status deleteCredentials(const std::string& mac) = 0;
    // A config carrying the current pair went out.
    virtual Status credentialsDelivered(const std::string& mac, int64_t at) = 0;
    // Inserts or replaces the row for c.mac.
    virtual Status putCredentials(const DeviceCredentials& c) = 0;
    // The phone fetched with its current pair: the previous one stops working.
    // (Only while `user` is still the current pair: a rotation may have come between.)
    virtual Status credentialsUsed(const std::string& mac, const std::string& user, int64_t at) = 0;
    // A config carrying the device's AES key went out: its next ones are encrypted.
    virtual Status keySent(const std::string& mac, int64_t at) = 0;
    // Deleted devices waiting for their wipe config (inventory deleteDevice).
    virtual Status putWipe(const PendingWipe& w) = 0;
    virtual Result<std::optional<PendingWipe>> getWipe(const std::string& mac) = 0;
    // The wipe went out: false when another fetch took it first.
    virtual Result<bool> wipeDelivered(const std::string& mac) = 0;
    // Drops wipes past their grace period or expiry (records.h), with the
    // credentials they kept; the number dropped.
    virtual Result<int64_t> purgeWipes() = 0;
    virtual Status insertWindow(StagingWindow& w) = 0;
    virtual Result<std::optional<StagingWindow>> getWindow(int64_t id) = 0;
    // Windows, newest first, at most `limit`; open_only: not closed early and closes_at > now.
    virtual Result<std::vector<StagingWindow>> listWindows(bool open_only, int64_t now, int64_t limit) = 0;
    virtual Status closeWindow(int64_t id, int64_t at) = 0;
    // Open windows (at `now`) naming `mac` or `label`, oldest first.
    virtual Result<std::vector<StagingWindow>> windowsCovering(const std::string& mac, const std::string& label,
                                                               int64_t now) = 0;
    // When `mac` first used window `id`; 0 if it has not.
    virtual Result<int64_t> windowUse(int64_t id, const std::string& mac) = 0;
    virtual Status insertWindowUse(int64_t id, const std::string& mac, int64_t at) = 0;
    // A server key by name; the first caller's `fresh` value wins (several nodes).
    virtual Result<std::string> serverKey(const std::string& name, const std::string& fresh) = 0;
    // Sets a server key, whatever it was.
    virtual Status putServerKey(const std::string& name, const std::string& value) = 0;
    // Drops the server keys named `prefix` followed by a decimal number below
    // `number` (keys of past periods, such as TLS ticket keys).
    virtual Status dropServerKeysBefore(const std::string& prefix, int64_t number) = 0;

    // Sets id and created_at on `token`.
    virtual Status insertToken(ApiToken& token) = 0;
    // The token with this hash, revoked or expired ones too.
    virtual Result<std::optional<ApiToken>> findToken(const std::string& hash) = 0;
    // Every token, revoked ones too, by id.
    virtual Result<std::vector<ApiToken>> listTokens() = 0;
    // Revoked ones too: a store whose tokens were all revoked is not new.
    virtual Result<int64_t> countTokens() = 0;
    virtual Status revokeToken(int64_t id, int64_t at) = 0;
    virtual Status tokenUsed(int64_t id, int64_t at) = 0;

    // Portal users (sqlite_tx_users.cpp). Sets id and created_at.
    virtual Status insertUser(PortalUser& user) = 0;
    virtual Result<std::optional<PortalUser>> getUser(const std::string& name) = 0;
    virtual Result<std::optional<PortalUser>> getUserById(int64_t id) = 0;
    virtual Result<std::vector<PortalUser>> listUsers() = 0;
    // Role, password hash, disabled and last sign-in of the user with user.id.
    virtual Status updateUser(const PortalUser& user) = 0;
    virtual Status deleteUser(int64_t id) = 0;
    // Sessions, by the hash of their id. Sets id on `session`.
    virtual Status insertSession(PortalSession& session) = 0;
    virtual Result<std::optional<PortalSession>> findSession(const std::string& hash) = 0;
    virtual Status sessionSeen(int64_t id, int64_t at) = 0;
    virtual Status deleteSession(int64_t id) = 0;
    // How many sessions of the user ended.
    virtual Result<int64_t> deleteUserSessions(int64_t user_id) = 0;
    // Sessions past their absolute end or idle since before `idle_before`.
    virtual Result<int64_t> purgeSessions(int64_t now, int64_t idle_before) = 0;
    // Sign-in throttling, by key ("source:<ip>", "user:<name>").
    virtual Result<std::optional<SignInThrottle>> getThrottle(const std::string& key) = 0;
    virtual Status putThrottle(const SignInThrottle& throttle) = 0;
    virtual Result<bool> deleteThrottle(const std::string& key) = 0;
    // Deletes up to `limit` rows whose max(last_failure_at, blocked_until)
    // is at or before `ended_at`; how many.
    virtual Result<int64_t> purgeThrottles(int64_t ended_at, int64_t limit) = 0;

    virtual Status insertAudit(AuditEntry& entry) = 0;
    virtual Result<Listing<AuditEntry>> listAudit(const AuditFilter& filter, Page page) = 0;

    // The firmware catalog and targets (sqlite_tx_firmware.cpp, migration 12).
    // Sets id and created_at on `image`; a file name already taken is AlreadyExists.
    virtual Status insertFirmwareImage(FirmwareImage& image) = 0;
    // Every image, by id.
    virtual Result<std::vector<FirmwareImage>> listFirmwareImages() = 0;
    virtual Result<std::optional<FirmwareImage>> getFirmwareImage(int64_t id) = 0;
    // What a verification found: state, and the size, mtime and inode it saw.
    virtual Status putFirmwareCheck(int64_t id, const std::string& state, int64_t size, int64_t mtime_ns,
                                    int64_t inode, int64_t verified_at) = 0;
    virtual Status deleteFirmwareImage(int64_t id) = 0;
    // Every target; of one vendor when `vendor` is not "".
    virtual Result<std::vector<FirmwareTarget>> listFirmwareTargets(const std::string& vendor) = 0;
    // Inserts or replaces the row of (vendor, model, scope, scope_key); sets id and updated_at.
    virtual Status putFirmwareTarget(FirmwareTarget& target) = 0;
    // False when there was no such row.
    virtual Result<bool> deleteFirmwareTarget(const std::string& vendor, const std::string& model,
                                              const std::string& scope, const std::string& scope_key) = 0;
    // provisioned/applied -> stale for the devices of `make` (vendor id or
    // name, any case) and `model` (any case), of site `label` when not "".
    virtual Status markStaleModel(const std::string& make, const std::string& model, const std::string& label) = 0;
    // The firmware progress of device `mac` (nullopt: no such device), and
    // its new value (service/firmware_status.h moves it).
    virtual Result<std::optional<FirmwareProgress>> getFirmwareProgress(const std::string& mac) = 0;
    virtual Status putFirmwareProgress(const std::string& mac, const FirmwareProgress& progress) = 0;
    // Deletes the targets rollout `rollout_id` wrote: the device row of
    // `mac`, or every one of them when `mac` is ""; how many. A row set by
    // hand (or by another rollout) for the same key is never one of them.
    virtual Result<int64_t> deleteRolloutTargets(int64_t rollout_id, const std::string& mac) = 0;

    // Rollouts (sqlite_tx_rollouts.cpp). Sets id and created_at.
    virtual Status insertRollout(Rollout& rollout) = 0;
    virtual Result<std::optional<Rollout>> getRollout(int64_t id) = 0;
    // Newest first; only those in `state` when not "".
    virtual Result<std::vector<Rollout>> listRollouts(const std::string& state) = 0;
    virtual Status putRolloutState(int64_t id, const std::string& state, const std::string& reason,
                                   int64_t stage_started_at) = 0;
    // ring 0: a canary; 1: the rest, as the rollout found them when it started.
    virtual Status insertRolloutMember(int64_t id, const std::string& mac, int ring) = 0;
    virtual Result<std::vector<std::pair<std::string, int>>> listRolloutMembers(int64_t id) = 0;

    // Resync pushes (sqlite_tx_resync.cpp). devices.resync says where a
    // device is: "", queued, pushed, refetched, applied, failed.
    // Queues the devices that are stale and not already on their way:
    // resync "", applied or refetched (edited again since the last push was
    // answered), or pushed or failed at or before `retry_before` (a phone
    // that never fetched, or was not reached). How many.
    virtual Result<int64_t> queueStaleResyncs(int64_t at, int64_t retry_before) = 0;
    // Queues on demand, whatever their state: the device `mac`, else every
    // device of site `label`, else (both "") every device; never unassigned
    // ones. How many.
    virtual Result<int64_t> queueResync(const std::string& mac, const std::string& label, int64_t at) = 0;
    // Up to `limit` queued devices, longest waiting first.
    virtual Result<std::vector<Device>> nextResync(int64_t limit) = 0;
    virtual Status setResyncState(const std::string& mac, const std::string& state, int64_t at) = 0;
    // The dispatcher takes a queued device (queued -> pushed, resync_at =
    // `at`); false when it is no longer queued.
    virtual Result<bool> claimResync(const std::string& mac, int64_t at) = 0;
    // A push's outcome: `state` (pushed, failed, gave_up) with one more try
    // counted, failed becoming gave_up at kMaxResyncTries; only while the
    // device is still as claimResync left it at `claimed_at` (a request or a
    // fetch since wins).
    virtual Status settleResync(const std::string& mac, const std::string& state, int64_t at,
                                int64_t claimed_at) = 0;
    // A device whose pushes failed or gave up, and that is still stale, is
    // queued again (a line of it has just registered); how many (0 or 1).
    virtual Result<int64_t> queueRegistered(const std::string& mac, int64_t at) = 0;
    // Inserts `push` when its id is 0 (setting it), else updates its outcome.
    virtual Status recordPush(ResyncPush& push) = 0;
    // The latest pushes, of `mac` when not "", newest first.
    virtual Result<std::vector<ResyncPush>> listPushes(const std::string& mac, int64_t limit) = 0;

    // The e-mail outbox (migration 14; mail/outbox.h works it).
    virtual Status insertOutbox(OutboxRow& row) = 0;
    // Queued rows due at `now`, oldest first.
    virtual Result<std::vector<OutboxRow>> dueOutbox(int64_t now, int64_t limit) = 0;
    // queued -> sending with one more try; false when no longer queued.
    virtual Result<bool> claimOutbox(int64_t id) = 0;
    // A try's outcome: state sent (sent_at = at), queued (again at
    // next_try_at) or failed, with the relay's reply. Only while the row is
    // still `sending` with the `tries` its sender's claim gave it: false,
    // and nothing changed, when it was taken back and claimed again since
    // (its hold lost while the sender lived), or settled by another.
    virtual Result<bool> settleOutbox(int64_t id, int64_t tries, const std::string& state,
                                      const std::string& smtp_reply, int64_t next_try_at,
                                      int64_t at) = 0;
    // Rows left `sending` by a server that stopped mid-try go back to
    // queued, due at once; how many. Not a row some process holds
    // (Store::holdOutbox): its sender is alive.
    virtual Result<int64_t> requeueSending(int64_t at) = 0;
    virtual Result<std::optional<OutboxRow>> getOutbox(int64_t id) = 0;
    // The earliest next_try_at of a queued row, or 0.
    virtual Result<int64_t> nextOutboxDue() = 0;

    // MAC-sweep budgets merged across nodes (migration 17; service/sweep_merge.h).
    // Appends a node's spending; sets spend.id.
    virtual Status insertSweepSpend(SweepSpend& spend) = 0;
    // Up to `limit` rows with an id above `after_id`, by id. Every write takes
    // the store's single-writer lock, so ids are committed in order: a reader
    // that goes on from the last id it saw misses none.
    virtual Result<std::vector<SweepSpend>> sweepSpendAfter(int64_t after_id, int64_t limit) = 0;
    // The highest id there is, or 0.
    virtual Result<int64_t> lastSweepSpend() = 0;
    // Deletes the rows written before `before`; how many.
    virtual Result<int64_t> pruneSweepSpend(int64_t before) = 0;

    // Invitations (migration 14), each with its e-mail.
    virtual Status insertInvitation(Invitation& invitation) = 0;
    // Revokes every invitation of `extension` but `keep`; how many were live.
    virtual Result<int64_t> revokeInvitations(const std::string& extension, int64_t keep) = 0;
    virtual Result<std::vector<Invitation>> listInvitations(const std::string& extension, int64_t limit) = 0;
    virtual Result<std::optional<Invitation>> getInvitation(int64_t id) = 0;
    virtual Result<std::optional<Invitation>> invitationByToken(const std::string& token_hash) = 0;
    virtual Status setInvitationToken(int64_t id, const std::string& token_hash) = 0;
    // Marks it revealed at `at`; false when it already was (a second reveal).
    virtual Result<bool> revealInvitation(int64_t id, int64_t at) = 0;

    // Moves whenever config data changes (see migration 2).
    virtual Result<int64_t> configGeneration() = 0;

    virtual Status insertEvents(const std::vector<Event>& events) = 0;
    // Records the event batch `id` (migration 16) as stored now, in this
    // transaction; false when it already was. The event writer calls it
    // before inserting a batch's events and skips the batch on false: a
    // batch tried again after a commit whose answer was lost, or replayed
    // from the spool after a crash, is then stored once.
    virtual Result<bool> addEventBatch(const std::string& id) = 0;
    virtual Result<Listing<Event>> listEvents(const EventFilter& filter, Page page) = 0;
    // Deletes up to `limit` events older than `before`, and up to `limit`
    // event batch ids recorded before it; returns how many events.
    virtual Result<int64_t> pruneEvents(int64_t before, int64_t limit) = 0;
};

// What a migration of a store did.
struct MigrationReport {
    int from_version = 0;
    int to_version = 0;
    std::vector<std::string> applied;  // "1 initial schema"
};

// Pushes per stale period before a device is left `gave_up`.
inline constexpr int64_t kMaxResyncTries = 3;

class Store {
public:
    using Work = std::function<Status(StoreTx&)>;
    virtual ~Store() = default;
    // A consistent snapshot for reading.
    virtual Status read(const Work& work) = 0;
    // One write transaction; rolled back when `work` returns an error.
    virtual Status write(const Work& work) = 0;
    // The same for a unit of work that goes through much of the store (an
    // import, an export): it may keep far more of it in memory meanwhile.
    virtual Status readBulk(const Work& work) { return read(work); }
    virtual Status writeBulk(const Work& work) { return write(work); }
    // Fleet leadership: of the nodes sharing a store, the one that runs the
    // fleet's chores (event pruning, resync pushes, ...). tryLead() takes it
    // when it is free, or checks that it is still held; the server calls it
    // every few seconds. leads() is its last answer, for any thread. A store
    // only one server may hold (SQLite: store/server_lock.h) always leads.
    virtual Result<bool> tryLead() { return true; }
    virtual bool leads() const { return true; }

    // While the returned Hold lives, this process is sending outbox row `id`:
    // requeueSending, run by any process of the store, leaves the row alone.
    // The mark ends with the Hold, or with the process or its connection, so
    // a row whose sender died goes back to the queue. null: another process
    // is taking the row back right now (try it at a later pass). A store only
    // one server may hold has nobody else to tell: an empty Hold.
    class Hold {
      public:
        virtual ~Hold() = default;
    };
    virtual Result<std::unique_ptr<Hold>> holdOutbox(int64_t /*id*/) { return std::make_unique<Hold>(); }

    // Whether the store answers now (the server's /readyz); the error's
    // message says what failed. By default: a read of the config generation.
    virtual Status probe() {
        return read([](StoreTx& tx) -> Status {
            auto generation = tx.configGeneration();
            if (!generation) return generation.error();
            return okStatus();
        });
    }
};

}  // namespace prov

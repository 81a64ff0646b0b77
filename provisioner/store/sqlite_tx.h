#pragma once

#include "provisioner/core/clock.h"
#include "provisioner/store/sqlite_connection.h"
#include "provisioner/store/store.h"

namespace prov::sqlite {

// StoreTx over one connection inside an open transaction. One file per
// kind of record: sqlite_tx_extensions.cpp (extensions, buttons),
// sqlite_tx_devices.cpp (devices, staging), sqlite_tx_events.cpp (events,
// config generation), sqlite_tx_firmware.cpp (firmware catalog, targets),
// sqlite_tx_resync.cpp (resync queue and pushes),
// sqlite_tx_users.cpp (portal users, sessions, sign-in throttling),
// sqlite_tx.cpp (settings, tokens, audit).
class SqliteTx final : public StoreTx {
public:
    SqliteTx(Connection& conn, const Clock& clock) : conn_(conn), clock_(clock) {}

    Result<std::optional<Extension>> getExtension(const std::string& extension) override;
    Result<Listing<Extension>> listExtensions(const ExtensionFilter& filter, Page page) override;
    Status insertExtension(Extension& e) override;
    Status updateExtension(Extension& e) override;
    Status updateRegistration(const Extension& e) override;
    Status deleteExtension(int64_t id) override;
    Result<int64_t> countLicensed() override;
    Result<std::vector<Extension>> extensionsOnDevice(const std::string& mac) override;
    Result<std::vector<std::string>> forwardersTo(const std::string& extension) override;
    Result<std::vector<std::string>> blfWatchersOf(const std::string& extension) override;

    Result<std::vector<Button>> getButtons(int64_t extension_id) override;
    Status replaceButtons(int64_t extension_id, const std::vector<Button>& buttons) override;

    Result<std::optional<Device>> getDevice(const std::string& mac) override;
    Result<Listing<Device>> listDevices(const DeviceFilter& filter, Page page) override;
    Status insertDevice(Device& d) override;
    Status updateDevice(Device& d) override;
    Status deleteDevice(const std::string& mac) override;
    Status putWipe(const PendingWipe& w) override;
    Result<std::optional<PendingWipe>> getWipe(const std::string& mac) override;
    Result<bool> wipeDelivered(const std::string& mac) override;
    Result<int64_t> purgeWipes() override;
    Result<bool> touchDevice(const std::string& mac, int64_t at, const std::string& ip, const std::string& ua,
                       const std::string& firmware, const std::string& file, const std::string& hash,
                       bool served) override;

    Result<SettingsMap> getSettings(const std::string& scope) override;
    Status putSettings(const std::string& scope, const SettingsMap& values) override;
    Status deleteSetting(const std::string& scope, const std::string& key) override;

    Result<std::optional<DeviceCredentials>> getCredentials(const std::string& mac) override;
    Result<std::optional<DeviceCredentials>> credentialsOfUser(const std::string& user) override;
    Status deleteCredentials(const std::string& mac) override;
    Status credentialsDelivered(const std::string& mac, int64_t at) override;
    Status putCredentials(const DeviceCredentials& c) override;
    Status credentialsUsed(const std::string& mac, const std::string& user, int64_t at) override;
    Status keySent(const std::string& mac, int64_t at) override;
    Status insertWindow(StagingWindow& w) override;
    Result<std::optional<StagingWindow>> getWindow(int64_t id) override;
    Result<std::vector<StagingWindow>> listWindows(bool open_only, int64_t now, int64_t limit) override;
    Status closeWindow(int64_t id, int64_t at) override;
    Result<std::vector<StagingWindow>> windowsCovering(const std::string& mac, const std::string& label,
                                                       int64_t now) override;
    Result<int64_t> windowUse(int64_t id, const std::string& mac) override;
    Status insertWindowUse(int64_t id, const std::string& mac, int64_t at) override;
    Result<std::string> serverKey(const std::string& name, const std::string& fresh) override;
    Status putServerKey(const std::string& name, const std::string& value) override;
    Status dropServerKeysBefore(const std::string& prefix, int64_t number) override;

    Status insertToken(ApiToken& token) override;
    Result<std::optional<ApiToken>> findToken(const std::string& hash) override;
    Result<std::vector<ApiToken>> listTokens() override;
    Result<int64_t> countTokens() override;
    Status revokeToken(int64_t id, int64_t at) override;
    Status tokenUsed(int64_t id, int64_t at) override;

    Status insertUser(PortalUser& user) override;
    Result<std::optional<PortalUser>> getUser(const std::string& name) override;
    Result<std::optional<PortalUser>> getUserById(int64_t id) override;
    Result<std::vector<PortalUser>> listUsers() override;
    Status updateUser(const PortalUser& user) override;
    Status deleteUser(int64_t id) override;
    Status insertSession(PortalSession& session) override;
    Result<std::optional<PortalSession>> findSession(const std::string& hash) override;
    Status sessionSeen(int64_t id, int64_t at) override;
    Status deleteSession(int64_t id) override;
    Result<int64_t> deleteUserSessions(int64_t user_id) override;
    Result<int64_t> purgeSessions(int64_t now, int64_t idle_before) override;
    Result<std::optional<SignInThrottle>> getThrottle(const std::string& key) override;
    Status putThrottle(const SignInThrottle& throttle) override;
    Result<bool> deleteThrottle(const std::string& key) override;
    Result<int64_t> purgeThrottles(int64_t ended_at, int64_t limit) override;

    Status insertAudit(AuditEntry& entry) override;
    Result<Listing<AuditEntry>> listAudit(const AuditFilter& filter, Page page) override;

    Status insertFirmwareImage(FirmwareImage& image) override;
    Result<std::vector<FirmwareImage>> listFirmwareImages() override;
    Result<std::optional<FirmwareImage>> getFirmwareImage(int64_t id) override;
    Status putFirmwareCheck(int64_t id, const std::string& state, int64_t size, int64_t mtime_ns, int64_t inode,
                            int64_t verified_at) override;
    Status deleteFirmwareImage(int64_t id) override;
    Result<std::vector<FirmwareTarget>> listFirmwareTargets(const std::string& vendor) override;
    Status putFirmwareTarget(FirmwareTarget& target) override;
    Result<bool> deleteFirmwareTarget(const std::string& vendor, const std::string& model, const std::string& scope,
                                      const std::string& scope_key) override;
    Status markStaleModel(const std::string& make, const std::string& model, const std::string& label) override;
    Result<std::optional<FirmwareProgress>> getFirmwareProgress(const std::string& mac) override;
    Status putFirmwareProgress(const std::string& mac, const FirmwareProgress& progress) override;
    Result<int64_t> deleteRolloutTargets(int64_t rollout_id, const std::string& mac) override;
    Status insertRollout(Rollout& rollout) override;
    Result<std::optional<Rollout>> getRollout(int64_t id) override;
    Result<std::vector<Rollout>> listRollouts(const std::string& state) override;
    Status putRolloutState(int64_t id, const std::string& state, const std::string& reason,
                           int64_t stage_started_at) override;
    Status insertRolloutMember(int64_t id, const std::string& mac, int ring) override;
    Result<std::vector<std::pair<std::string, int>>> listRolloutMembers(int64_t id) override;
    Result<int64_t> queueStaleResyncs(int64_t at, int64_t retry_before) override;
    Result<int64_t> queueResync(const std::string& mac, const std::string& label, int64_t at) override;
    Result<std::vector<Device>> nextResync(int64_t limit) override;
    Status setResyncState(const std::string& mac, const std::string& state, int64_t at) override;
    Result<bool> claimResync(const std::string& mac, int64_t at) override;
    Status settleResync(const std::string& mac, const std::string& state, int64_t at, int64_t claimed_at) override;
    Result<int64_t> queueRegistered(const std::string& mac, int64_t at) override;
    Status recordPush(ResyncPush& push) override;
    Result<std::vector<ResyncPush>> listPushes(const std::string& mac, int64_t limit) override;

    Result<int64_t> configGeneration() override;
    Status insertEvents(const std::vector<Event>& events) override;
    Result<bool> addEventBatch(const std::string& id) override;
    Result<Listing<Event>> listEvents(const EventFilter& filter, Page page) override;
    Result<int64_t> pruneEvents(int64_t before, int64_t limit) override;
    Status setDeviceState(const std::string& mac, DeviceState state) override;
    Status markStale(const std::string& mac) override;
    Result<std::optional<std::string>> servedHash(const std::string& mac, const std::string& file) override;
    Status putServedHash(const std::string& mac, const std::string& file, const std::string& hash,
                         int64_t at) override;

    Status insertOutbox(OutboxRow& row) override;
    Result<std::vector<OutboxRow>> dueOutbox(int64_t now, int64_t limit) override;
    Result<bool> claimOutbox(int64_t id) override;
    Result<bool> settleOutbox(int64_t id, int64_t tries, const std::string& state, const std::string& smtp_reply,
                              int64_t next_try_at, int64_t at) override;
    Result<int64_t> requeueSending(int64_t at) override;
    Result<int64_t> nextOutboxDue() override;
    Result<std::optional<OutboxRow>> getOutbox(int64_t id) override;
    Status insertSweepSpend(SweepSpend& spend) override;
    Result<std::vector<SweepSpend>> sweepSpendAfter(int64_t after_id, int64_t limit) override;
    Result<int64_t> lastSweepSpend() override;
    Result<int64_t> pruneSweepSpend(int64_t before) override;
    Status insertInvitation(Invitation& invitation) override;
    Result<int64_t> revokeInvitations(const std::string& extension, int64_t keep) override;
    Result<std::vector<Invitation>> listInvitations(const std::string& extension, int64_t limit) override;
    Result<std::optional<Invitation>> getInvitation(int64_t id) override;
    Result<std::optional<Invitation>> invitationByToken(const std::string& token_hash) override;
    Status setInvitationToken(int64_t id, const std::string& token_hash) override;
    Result<bool> revealInvitation(int64_t id, int64_t at) override;

private:
    Error failure(const std::string& what) const;
    // Steps a statement that returns no rows.
    Status done(Stmt& s, const char* what);
    Status putSoftphone(const Extension& e);
    Connection& conn_;
    const Clock& clock_;
};

}  // namespace prov::sqlite

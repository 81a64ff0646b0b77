#pragma once

// The rules of the extension store (design.md "Rules from the portal"),
// shared by the admin API and the CLI. Every operation runs in one store
// transaction: it either applies whole, audited, or stores nothing.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "provisioner/core/clock.h"
#include "provisioner/core/random_source.h"
#include "provisioner/core/result.h"
#include "provisioner/model/records.h"
#include "provisioner/model/settings.h"
#include "provisioner/model/validation.h"
#include "provisioner/catalog/vendor_catalog.h"
#include "provisioner/store/store.h"

namespace prov {

struct Actor {
    std::string name;  // "token:3 (admin)", "cli"
    Role role = Role::kAdmin;
};

struct InventoryOptions {
    int64_t licence_limit = 0;            // license.extensions
    int64_t unknown_after_seconds = 300;  // status.unknown_after
};

struct Registration {
    std::string status;
    std::string ip;
    int port = 0;
    std::string agent;
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

    // Settings: scope "" is global, a canonical MAC is that device's overrides.
    Result<SettingsMap> getSettings(const std::string& scope);
    Result<SettingsMap> putSettings(const std::string& scope, const SettingsMap& values, const Actor& actor,
                                    const std::vector<std::string>& removals = {});

    Result<LicenceUsage> licence();

    // Tokens: the plain token is returned once and only its hash is kept.
    Result<std::string> createToken(Role role, const std::string& name);
    Result<std::optional<ApiToken>> authenticate(const std::string& token);
    Result<int64_t> tokenCount();

    Result<Listing<AuditEntry>> listAudit(const AuditFilter& filter, Page page);
    Result<Listing<Event>> listEvents(const EventFilter& filter, Page page);

    // What a reader sees: UNREACHABLE for longer than unknown_after reads UNKNOWN.
    Extension effective(Extension e) const;

private:
    Status checkExtensionRules(StoreTx& tx, Extension& e, const std::optional<Extension>& before,
                               const Actor& actor);
    Status bindDevice(StoreTx& tx, Extension& e, FieldErrors& errors, const Actor& actor);
    Status audit(StoreTx& tx, const Actor& actor, const char* action, const char* entity,
                 const std::string& id, const std::string& before, const std::string& after);
    std::string auditJson(const Extension& e, const Extension* other) const;

    Store& store_;
    RandomSource& random_;
    const Clock& clock_;
    const ModelCatalog& models_;
    const Hasher& hasher_;
    InventoryOptions options_;
    std::function<void()> on_change_;
    Status writeTx(const Store::Work& work);
};

}  // namespace prov

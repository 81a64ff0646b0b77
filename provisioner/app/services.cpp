#include "provisioner/app/services.h"

#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/Path.h>

namespace prov::app {

namespace {

// The catalog of a command opened without templates: it knows no vendor.
// Only import checks models, and it opens the templates.
class NoModels final : public ModelCatalog {
  public:
    std::optional<ModelInfo> findModel(const std::string&, const std::string&) const override {
        return std::nullopt;
    }
    std::string findMake(const std::string&) const override { return ""; }
    std::vector<std::string> makes() const override { return {}; }
};

Status createStoreFolder(const std::string& store_path) {
    if (store_path == ":memory:") return okStatus();
    const Poco::Path parent = Poco::Path(store_path).parent();
    try {
        if (!parent.toString().empty()) Poco::File(parent).createDirectories();
    } catch (const Poco::Exception& e) {
        return Error::invalid("store: cannot create " + parent.toString() + ": " + e.displayText());
    }
    return okStatus();
}

Status openStore(Services& s, Migrate migrate, MigrationReport* report) {
    TRY(createStoreFolder(s.config.store_path));
    s.store = TRY(SqliteStore::open(s.config.store_path, s.clock));
    if (migrate == Migrate::kYes) {
        MigrationReport r = TRY(s.store->migrate());
        if (report) *report = r;
        return okStatus();
    }
    const auto version = TRY(s.store->schemaVersion());
    if (version < SqliteStore::latestVersion())
        return Error::invalid("store at " + s.config.store_path + " is at schema version " +
                              std::to_string(version) + "; run 'provisioner migrate' first");
    return okStatus();
}

Status openInventory(Services& s, const ModelCatalog& models) {
    try {
        s.random = std::make_unique<tls::CtrDrbgRandom>();
    } catch (const std::exception& e) {
        return Error::internal(e.what());
    }
    s.inventory = std::make_unique<Inventory>(
        *s.store, *s.random, s.hasher, s.clock, models,
        InventoryOptions{s.config.license_extensions, s.config.status_unknown_after});
    return okStatus();
}

Status openProvisioning(Services& s) {
    const ServerConfig& config = s.config;
    auto networks = policy::NetworkList::parse(config.allow_networks.empty()
                                                   ? policy::NetworkList::defaultNetworks()
                                                   : config.allow_networks);
    if (!networks)
        return Error::invalid("config: provisioning.allow_networks: " + networks.error().message);
    s.policy = std::make_unique<policy::Config>(
        policy::Config{std::move(networks).value(), config.secrets_require_client_cert});
    s.generation = std::make_unique<ConfigGeneration>(*s.store, *s.bundles);
    s.generation->refresh();
    s.inventory->setChangeListener([gen = s.generation.get()] { gen->refresh(); });
    EventRecorderOptions events;
    events.max_unassigned = static_cast<size_t>(config.devices_max_unassigned);
    s.events = std::make_unique<EventRecorder>(*s.store, events);
    s.provisioning = std::make_unique<ProvisioningService>(
        *s.store, *s.bundles, *s.policy, *s.events, s.hasher, s.clock, *s.generation,
        ServiceOptions{config.firmware_dir, config.uploads_dir,
                       static_cast<size_t>(config.uploads_max_bytes)});
    return okStatus();
}

}  // namespace

Result<std::unique_ptr<Services>> openServices(const ServerConfig& config, Needs needs,
                                               Migrate migrate, MigrationReport* report) {
    auto s = std::make_unique<Services>();
    s->config = config;
    if (needs == Needs::kNothing) return s;
    TRY(openStore(*s, migrate, report));
    if (needs == Needs::kStore) {
        static const NoModels kNoModels;
        TRY(openInventory(*s, kNoModels));
        return s;
    }
    s->bundles = std::make_unique<BundleSource>(TRY(loadBundle(config.templates_dir)));
    TRY(openInventory(*s, *s->bundles));
    if (needs == Needs::kEverything) TRY(openProvisioning(*s));
    return s;
}

}  // namespace prov::app

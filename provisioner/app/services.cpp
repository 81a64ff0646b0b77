#include "provisioner/app/services.h"

#include <Poco/File.h>
#include <Poco/Path.h>

namespace prov::app {

Result<std::unique_ptr<Services>> openServices(const ServerConfig& config, Migrate migrate,
                                               MigrationReport* report) {
    auto s = std::make_unique<Services>();
    s->config = config;
    if (config.store_path != ":memory:") {
        const Poco::Path parent = Poco::Path(config.store_path).parent();
        try {
            if (!parent.toString().empty()) Poco::File(parent).createDirectories();
        } catch (const Poco::Exception& e) {
            return Error::invalid("store: cannot create " + parent.toString() + ": " + e.displayText());
        }
    }
    s->store = TRY(SqliteStore::open(config.store_path, s->clock));
    if (migrate == Migrate::kYes) {
        const MigrationReport done = TRY(s->store->migrate());
        if (report) *report = done;
    } else {
        const int version = TRY(s->store->schemaVersion());
        if (version < SqliteStore::latestVersion())
            return Error::invalid("store at " + config.store_path + " is at schema version " +
                                  std::to_string(version) + "; run 'provisioner migrate' first");
    }
    s->bundles = std::make_unique<BundleSource>(TRY(loadBundle(config.templates_dir)));
    auto networks = policy::NetworkList::parse(config.allow_networks.empty() ? policy::NetworkList::defaultNetworks()
                                                                             : config.allow_networks);
    if (!networks) return Error::invalid("config: provisioning.allow_networks: " + networks.error().message);
    s->policy = std::make_unique<policy::Config>(
        policy::Config{std::move(networks).value(), config.secrets_require_client_cert});
    try {
        s->random = std::make_unique<tls::CtrDrbgRandom>();
    } catch (const std::exception& e) {
        return Error::internal(e.what());
    }
    s->inventory = std::make_unique<Inventory>(
        *s->store, *s->random, s->hasher, s->clock, *s->bundles,
        InventoryOptions{config.license_extensions, config.status_unknown_after});
    s->generation = std::make_unique<ConfigGeneration>(*s->store, *s->bundles);
    s->generation->refresh();
    s->inventory->setChangeListener([gen = s->generation.get()] { gen->refresh(); });
    EventRecorderOptions events;
    events.max_unassigned = static_cast<size_t>(config.devices_max_unassigned);
    s->events = std::make_unique<EventRecorder>(*s->store, events);
    s->provisioning = std::make_unique<ProvisioningService>(
        *s->store, *s->bundles, *s->policy, *s->events, s->hasher, s->clock, *s->generation,
        ServiceOptions{config.firmware_dir, config.uploads_dir,
                       static_cast<size_t>(config.uploads_max_bytes)});
    return s;
}

}  // namespace prov::app

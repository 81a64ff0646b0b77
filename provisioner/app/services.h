#pragma once

// The objects a command needs, built from a ServerConfig in one place; a
// command opens only what its row in the command table names.

#include <memory>

#include "provisioner/app/server_config.h"
#include "provisioner/core/clock.h"
#include "provisioner/core/security_log.h"
#include "provisioner/firmware/catalog.h"
#include "provisioner/inventory/inventory.h"
#include "provisioner/invite/invitations.h"
#include "provisioner/mail/outbox.h"
#include "provisioner/policy/access_policy.h"
#include "provisioner/policy/auth_guard.h"
#include "provisioner/render/bundle.h"
#include "provisioner/render/trust_source.h"
#include "provisioner/resync/dispatcher.h"
#include "provisioner/service/event_recorder.h"
#include "provisioner/service/provisioning_service.h"
#include "provisioner/service/sweep_merge.h"
#include "provisioner/store/server_lock.h"
#include "provisioner/store/pg_listener.h"
#include "provisioner/store/pg_store.h"
#include "provisioner/store/sqlite_store.h"
#include "provisioner/tls/crypto.h"

namespace prov::app {

// What a command needs opened.
enum class Needs {
    kNothing,            // help, config --reference
    kStore,              // the store and the inventory on it (no vendor catalog)
    kStoreAndTemplates,  // and the vendor catalog and templates (import checks models)
    kEverything,         // and the access policy, event recorder and provisioning service
    kServer,             // and the event recorder's spool (events.spool_dir): serve alone
};

// Members are null beyond what was asked for.
struct Services {
    ServerConfig config;
    SystemClock clock;
    // The store every subsystem uses, and the same object as its back end
    // (one of the two is set) for what only that back end does (backup).
    std::unique_ptr<Store> store;
    SqliteStore* sqlite = nullptr;
    PgStore* postgres = nullptr;
    std::unique_ptr<BundleSource> bundles;  // kStoreAndTemplates and kEverything
    // The firmware catalog (kStoreAndTemplates and kEverything); `serve` starts it.
    std::unique_ptr<firmware::Catalog> firmware;
    std::unique_ptr<tls::CtrDrbgRandom> random;
    tls::Sha256Hasher hasher;
    tls::AesCipher cipher;
    std::unique_ptr<Inventory> inventory;
    std::unique_ptr<policy::Config> policy;
    std::unique_ptr<EventRecorder> events;
    std::unique_ptr<ConfigGeneration> generation;  // of the render cache; see render_cache.h
    std::unique_ptr<PhoneProofs> proofs;
    std::unique_ptr<policy::SweepGuard> sweep;
    // Merges `sweep` with the other nodes' through the store (serve's chores).
    std::unique_ptr<SweepMerge> sweep_merge;
    // The "security" logger, refusals rate-limited (docs/security-log.md).
    std::unique_ptr<SecurityLog::Sink> security_sink;
    std::unique_ptr<SecurityLog> security_log;
    std::unique_ptr<policy::AuthGuard> auth_guard;  // the admin API's failed authentications
    // The CA certificate phones are given (reloaded with the server certificate).
    std::unique_ptr<TrustSource> trust;
    std::unique_ptr<ProvisioningService> provisioning;
    // The resync push dispatcher: made and started by `serve` (Server::start),
    // woken by every inventory change.
    std::unique_ptr<resync::Dispatcher> resync;
    // Softphone invitations (kEverything) and the e-mail outbox that sends
    // them: made and started by `serve` (Server::start).
    std::unique_ptr<invite::Invitations> invitations;
    std::unique_ptr<mail::Outbox> outbox;
    // On a PostgreSQL store (serve only): other nodes' config changes drop
    // this node's renders as they commit (Server::start).
    std::unique_ptr<PgConfigListener> config_listener;

    ~Services() {
        config_listener.reset();  // its thread refreshes `generation`
        outbox.reset();  // its thread writes to the store
        resync.reset();  // its thread writes to the store
        provisioning.reset();
        firmware.reset();  // its thread tells `generation` of changes
        proofs.reset();
        events.reset();  // flushes queued events before the store closes
    }
};

enum class Migrate { kYes, kNo };

// The e-mail outbox `serve` runs (the SMTP relay of smtp.*), not started.
std::unique_ptr<mail::Outbox> makeOutbox(Services& services);

// The resync dispatcher `serve` runs (route not off), not started; null for
// resync.route=off.
std::unique_ptr<resync::Dispatcher> makeResync(Services& services);

// Opens the store (creating its folder), migrates it or checks that it is
// migrated, then, as `needs` says, loads the vendor templates and wires the
// rest. A failure is one line to print.
Result<std::unique_ptr<Services>> openServices(const ServerConfig& config, Needs needs,
                                               Migrate migrate, MigrationReport* report = nullptr);
// For `serve`, before anything else: creates the store's folder and takes
// the store's server lock (store/server_lock.h: one server per SQLite store),
// held until the result is destroyed; null for ":memory:". The lock is the
// SQLite back end's: a PostgreSQL one (design.md) would take none, its nodes
// share it on purpose.
Result<std::unique_ptr<ServerLock>> lockStore(const ServerConfig& config);

// The store as a line of a report names it: store.path, or store.url with
// its password (if any) hidden.
std::string storeName(const ServerConfig& config);

// Everything (serve).
inline Result<std::unique_ptr<Services>> openServices(const ServerConfig& config, Migrate migrate,
                                                      MigrationReport* report = nullptr) {
    return openServices(config, Needs::kServer, migrate, report);
}

}  // namespace prov::app

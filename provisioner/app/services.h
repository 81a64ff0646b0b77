#pragma once

// The objects a command needs, built from a ServerConfig in one place.

#include <memory>

#include "provisioner/app/server_config.h"
#include "provisioner/core/clock.h"
#include "provisioner/inventory/inventory.h"
#include "provisioner/render/vendor_catalog.h"
#include "provisioner/store/sqlite_store.h"
#include "provisioner/tls/crypto.h"

namespace prov::app {

struct Services {
    ServerConfig config;
    SystemClock clock;
    std::unique_ptr<SqliteStore> store;
    std::unique_ptr<VendorCatalog> catalog;
    std::unique_ptr<tls::CtrDrbgRandom> random;
    tls::Sha256Hasher hasher;
    std::unique_ptr<Inventory> inventory;
};

enum class Migrate { kYes, kNo };

// Opens the store (creating its folder), optionally migrates it, loads the
// vendor catalog and wires the inventory. A failure is one line to print.
Result<std::unique_ptr<Services>> openServices(const ServerConfig& config, Migrate migrate,
                                               MigrationReport* report = nullptr);

}  // namespace prov::app

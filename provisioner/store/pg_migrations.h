#pragma once

// The PostgreSQL dialect of the numbered migrations (migrations.h): one per
// SQLite migration, of the same number and name, leaving the same tables,
// columns, constraints and counters. SQLite's INTEGER is 64-bit, so integer
// columns are BIGINT; its triggers become trigger functions; a change of the
// config generation is also announced with NOTIFY (kConfigChannel).

#include <string_view>
#include <vector>

#include "provisioner/store/migrations.h"

namespace prov::pg {

// The channel the config generation's changes are announced on.
inline constexpr const char* kConfigChannel = "provisioner_config";

// Migrations 1..N, named as sqlite::migrations() names them.
const std::vector<sqlite::Migration>& migrations();

}  // namespace prov::pg

#pragma once

// The admin API token made at a store's first start (`serve`). On a terminal
// it is printed, as "admin token: prov_..."; otherwise (systemd, a pipe) it is
// written to `admin-token` beside the store, mode 0600, so that it never lands
// in the journal or a log file.

#include <string>

#include "provisioner/core/result.h"

namespace prov::app {

// <the store's folder>/admin-token ("admin-token" for a store in the working
// folder or in memory).
std::string adminTokenPath(const std::string& store_path);

// `bytes` in a new file `path`, mode 0600, written whole beside it and
// renamed over whatever was there (a symbolic link is replaced, not followed).
Status writeSecretFile(const std::string& path, const std::string& bytes);

}  // namespace prov::app

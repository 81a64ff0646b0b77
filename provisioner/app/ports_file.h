#pragma once

// ports.file: the ports `serve` bound, as {"http": 8080, "https": 8443, ...},
// for tests and scripts that start it on port 0.

#include <string>
#include <utility>
#include <vector>

#include "provisioner/core/result.h"

namespace prov::app {

using BoundPorts = std::vector<std::pair<std::string, int>>;

// Written whole to `path`.tmp and renamed, so a reader never sees half.
Status writePortsFile(const std::string& path, const BoundPorts& ports);

}  // namespace prov::app

#pragma once

// What GET /api/v1/catalog shows of a vendor catalog.

#include <vector>

#include "provisioner/admin/api_request.h"
#include "provisioner/catalog/vendor_catalog.h"

namespace prov::admin {

// Every vendor by id, each with its models by name (as vendor.json spells
// them), with their SIP lines and programmable keys; softphone from
// vendor.json `"softphone": true`.
std::vector<CatalogVendor> catalogOf(const VendorCatalog& catalog);

}  // namespace prov::admin

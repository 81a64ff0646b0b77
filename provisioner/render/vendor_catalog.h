#pragma once

// The vendors and models described as data in vendor-templates/<vendor>/vendor.json.
// Loaded once at start (and again on reload); read-only afterwards.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "provisioner/core/result.h"

namespace prov {

struct ModelInfo {
    std::string vendor;  // folder name, e.g. "yealink"
    std::string vendor_name;  // display name, e.g. "Yealink"
    std::string model;   // e.g. "T46U"
    int lines = 0;       // SIP accounts the phone registers
    int keys = 0;        // programmable line keys
};

class ModelCatalog {
public:
    virtual ~ModelCatalog() = default;
    // Case-insensitive on both; `make` matches the vendor id or display name.
    virtual std::optional<ModelInfo> findModel(const std::string& make, const std::string& model) const = 0;
};

class VendorCatalog final : public ModelCatalog {
public:
    // Reads every <dir>/*/vendor.json. A malformed file is an error naming it.
    static Result<VendorCatalog> load(const std::string& dir);

    std::optional<ModelInfo> findModel(const std::string& make, const std::string& model) const override;
    size_t vendorCount() const { return vendors_.size(); }

private:
    struct Vendor {
        std::string id;
        std::string name;
        std::map<std::string, ModelInfo> models;  // key: uppercase model
    };
    std::vector<Vendor> vendors_;
};

}  // namespace prov

#pragma once

// The vendor catalog and its compiled templates, swapped whole on reload so a
// request always renders with one consistent pair.

#include <memory>
#include <mutex>

#include "provisioner/catalog/vendor_catalog.h"
#include "provisioner/render/template_set.h"

namespace prov {

struct Bundle {
    VendorCatalog catalog;
    std::shared_ptr<const TemplateSet> templates;
};

// Loads catalog and templates from `dir`, each file taken from
// `override_dir` where it has one (VendorCatalog::load); any error leaves
// nothing half-loaded.
Result<std::shared_ptr<const Bundle>> loadBundle(const std::string& dir,
                                                 const std::string& override_dir = "");

class BundleSource final : public ModelCatalog {
public:
    explicit BundleSource(std::shared_ptr<const Bundle> initial) : current_(std::move(initial)) {}
    std::shared_ptr<const Bundle> current() const {
        std::lock_guard lock(mutex_);
        return current_;
    }
    void replace(std::shared_ptr<const Bundle> next) {
        std::lock_guard lock(mutex_);
        current_ = std::move(next);
    }
    std::optional<ModelInfo> findModel(const std::string& make, const std::string& model) const override {
        return current()->catalog.findModel(make, model);
    }
    std::string findMake(const std::string& make) const override { return current()->catalog.findMake(make); }
    std::vector<std::string> makes() const override { return current()->catalog.makes(); }
    bool isSoftphone(const std::string& make) const override { return current()->catalog.isSoftphone(make); }
    std::vector<AppDownload> downloads(const std::string& make) const override {
        return current()->catalog.downloads(make);
    }
    std::optional<std::string> settingProblem(const std::string& make, const std::string& model,
                                              const std::string& key, const std::string& value) const override {
        return current()->catalog.settingProblem(make, model, key, value);
    }
    std::optional<std::string> valueProblem(const std::string& make, const std::string& model,
                                            const std::string& value, bool key) const override {
        return current()->catalog.valueProblem(make, model, value, key);
    }

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const Bundle> current_;
};

}  // namespace prov

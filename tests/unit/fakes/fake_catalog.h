#pragma once

#include "provisioner/core/random_source.h"
#include "provisioner/catalog/vendor_catalog.h"

namespace prov::testing {

// A model table with one known phone, Yealink T31 (2 lines), and one
// softphone, IntellaPhone (models "IntellaPhone PC" and "IntellaPhone iOS").
class FakeCatalog final : public ModelCatalog {
public:
    std::optional<ModelInfo> findModel(const std::string& make, const std::string& model) const override {
        if ((make == "Yealink" || make == "yealink") && (model == "T31" || model == "t31"))
            return ModelInfo{"yealink", "Yealink", "T31", 2, 2, {}};
        if (isSoftphone(make) && (model == "IntellaPhone PC" || model == "intellaphone pc"))
            return ModelInfo{"intellaphone", "IntellaPhone", "IntellaPhone PC", 1, 0, {}};
        if (isSoftphone(make) && model == "IntellaPhone iOS")
            return ModelInfo{"intellaphone", "IntellaPhone", "IntellaPhone iOS", 1, 0, {}};
        return std::nullopt;
    }
    std::string findMake(const std::string& make) const override {
        if (isSoftphone(make)) return "IntellaPhone";
        return make == "Yealink" || make == "yealink" ? "Yealink" : "";
    }
    std::vector<std::string> makes() const override { return {"IntellaPhone", "Yealink"}; }
    bool isSoftphone(const std::string& make) const override {
        return make == "IntellaPhone" || make == "intellaphone";
    }
    // As the shipped table: Yealink has no automatic DTMF mode.
    std::optional<std::string> settingProblem(const std::string& make, const std::string& model,
                                              const std::string& key, const std::string& value) const override {
        (void)model;
        if (findMake(make) == "Yealink" && key == "dtmf_mode" && value == "auto")
            return "Yealink phones cannot express dtmf_mode auto";
        return std::nullopt;
    }
};

// Deterministic "randomness" for tests that need to predict a secret.
class CountingRandom final : public RandomSource {
public:
    std::string alnum(size_t length) override {
        std::string s = "gen" + std::to_string(++n_);
        s.resize(length, 'x');
        return s;
    }

private:
    int n_ = 0;
};

}  // namespace prov::testing

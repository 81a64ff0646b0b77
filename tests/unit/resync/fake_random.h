#pragma once

// Randomness a test can predict: "r1", "r2", ... padded with 'x' to the
// length asked.

#include <string>

#include "provisioner/core/random_source.h"

class CountingRandom final : public prov::RandomSource {
  public:
    std::string alnum(size_t length) override {
        std::string s = "r" + std::to_string(++n_);
        s.resize(length, 'x');
        return s;
    }

  private:
    int n_ = 0;
};

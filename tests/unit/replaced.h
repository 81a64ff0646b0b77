#pragma once

// `text` with the first `from` replaced by `to`, for tests that vary one
// part of a fixture (a vendor.json); a `from` not in `text` is a test bug.

#include <stdexcept>
#include <string>

namespace prov::testing {

inline std::string replaced(std::string text, const std::string& from, const std::string& to) {
    const size_t at = text.find(from);
    if (at == std::string::npos) throw std::logic_error("test bug: no " + from);
    return text.replace(at, from.size(), to);
}

}  // namespace prov::testing

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace prov {

// 1700000000 -> "2023-11-14T22:13:20Z"
std::string formatUtc(int64_t epoch_seconds);

// Accepts "2023-11-14T22:13:20Z" or plain epoch seconds.
std::optional<int64_t> parseUtc(std::string_view text);

}  // namespace prov

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

// When something given "for 30d" from `now` ends: "<N>d" (days, 1 to 36500),
// "<N>h" (hours, 1 to 876000), a date "2026-12-31" (its start, 00:00:00Z) or a
// time "2026-12-31T12:00:00Z". Nullopt for anything else (a bare number too:
// seconds or days?). The time may be in the past: the caller decides.
std::optional<int64_t> parseExpiry(std::string_view text, int64_t now);

}  // namespace prov

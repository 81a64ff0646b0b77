#pragma once

// A device MAC address. Parsed from every spelling vendors and spreadsheets use
// (00:15:65:4A:A9:37, 00-15-65-4a-a9-37, 0015.654a.a937, 0015654AA937) and
// stored canonical: 12 lowercase hex digits.

#include <optional>
#include <string>
#include <string_view>

namespace prov {

class MacAddress {
public:
    // nullopt unless `text` is exactly one MAC in a supported spelling.
    static std::optional<MacAddress> parse(std::string_view text);

    const std::string& canonical() const { return hex_; }  // "0015654aa937"
    std::string upper() const;                              // "0015654AA937"
    std::string colons() const;                             // "00:15:65:4a:a9:37"
    bool operator==(const MacAddress&) const = default;

private:
    explicit MacAddress(std::string hex) : hex_(std::move(hex)) {}
    std::string hex_;
};

}  // namespace prov

#include "provisioner/core/mac_address.h"

#include <cctype>

namespace prov {

namespace {

bool isHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// Checks `text` against a shape such as "xx:xx:xx:xx:xx:xx" where x is a hex
// digit and every other character must match literally.
bool matchesShape(std::string_view text, std::string_view shape) {
    if (text.size() != shape.size()) return false;
    for (size_t i = 0; i < text.size(); ++i) {
        if (shape[i] == 'x') {
            if (!isHex(text[i])) return false;
        } else if (text[i] != shape[i]) {
            return false;
        }
    }
    return true;
}

}  // namespace

std::optional<MacAddress> MacAddress::parse(std::string_view text) {
    static constexpr std::string_view kShapes[] = {
        "xxxxxxxxxxxx", "xx:xx:xx:xx:xx:xx", "xx-xx-xx-xx-xx-xx", "xxxx.xxxx.xxxx",
    };
    for (std::string_view shape : kShapes) {
        if (!matchesShape(text, shape)) continue;
        std::string hex;
        hex.reserve(12);
        for (char c : text) {
            if (isHex(c)) hex.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        }
        return MacAddress(std::move(hex));
    }
    return std::nullopt;
}

std::string MacAddress::upper() const {
    std::string out = hex_;
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

std::string MacAddress::colons() const {
    std::string out;
    for (size_t i = 0; i < hex_.size(); i += 2) {
        if (i) out.push_back(':');
        out.append(hex_, i, 2);
    }
    return out;
}

}  // namespace prov

#pragma once

// A file-name pattern from vendor.json, such as "snom{model}-{mac}.htm".
// Placeholders: {mac} 12 hex digits, {model} a model name (checked by the
// caller), {num} one or more digits. Literal parts match case-insensitively.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "provisioner/core/result.h"

namespace prov {

struct PathCaptures {
    std::string mac;    // as written in the request
    std::string model;
    std::string num;
};

class PathPattern {
public:
    static Result<PathPattern> compile(std::string_view pattern);

    // Captures when `name` matches the whole pattern. `is_model` says whether
    // a candidate text is a model this vendor knows.
    std::optional<PathCaptures> match(std::string_view name,
                                      const std::function<bool(std::string_view)>& is_model) const {
        PathCaptures caps;
        if (matchFrom(0, name, caps, is_model)) return caps;
        return std::nullopt;
    }

    bool hasMac() const { return has_mac_; }
    // Literal characters: more literal means more specific.
    size_t literalLength() const { return literal_length_; }
    const std::string& text() const { return text_; }

private:
    enum class Kind { kLiteral, kMac, kModel, kNum };
    struct Token {
        Kind kind;
        std::string literal;
    };
    bool matchFrom(size_t token, std::string_view rest, PathCaptures& caps,
                   const std::function<bool(std::string_view)>& is_model) const;

    std::vector<Token> tokens_;
    bool has_mac_ = false;
    size_t literal_length_ = 0;
    std::string text_;
};

}  // namespace prov

#include "provisioner/catalog/path_pattern.h"

#include <cctype>

namespace prov {

namespace {

bool iequalPrefix(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i])))
            return false;
    }
    return true;
}

bool isModelChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }

}  // namespace

Result<PathPattern> PathPattern::compile(std::string_view pattern) {
    PathPattern p;
    p.text_ = std::string(pattern);
    size_t i = 0;
    while (i < pattern.size()) {
        if (pattern[i] == '{') {
            const size_t close = pattern.find('}', i);
            if (close == std::string_view::npos) return Error::invalid("unclosed { in path " + p.text_);
            const std::string_view name = pattern.substr(i + 1, close - i - 1);
            Kind kind;
            if (name == "mac") {
                kind = Kind::kMac;
                p.has_mac_ = true;
            } else if (name == "model") {
                kind = Kind::kModel;
            } else if (name == "num") {
                kind = Kind::kNum;
            } else {
                return Error::invalid("unknown placeholder {" + std::string(name) + "} in path " + p.text_);
            }
            if (!p.tokens_.empty() && p.tokens_.back().kind != Kind::kLiteral)
                return Error::invalid("two placeholders must be separated by text in path " + p.text_);
            p.tokens_.push_back({kind, ""});
            i = close + 1;
        } else {
            const size_t next = pattern.find('{', i);
            const std::string_view lit = pattern.substr(i, next == std::string_view::npos ? next : next - i);
            for (char c : lit) {
                if (c == '/' || c == '\\' || c == '}' || static_cast<unsigned char>(c) < 0x21)
                    return Error::invalid("path " + p.text_ + " may only name a file");
            }
            p.tokens_.push_back({Kind::kLiteral, std::string(lit)});
            p.literal_length_ += lit.size();
            i += lit.size();
        }
    }
    if (p.tokens_.empty()) return Error::invalid("empty path pattern");
    return p;
}

bool PathPattern::matchFrom(size_t token, std::string_view rest, PathCaptures& caps,
                                  const std::function<bool(std::string_view)>& is_model) const {
    if (token == tokens_.size()) return rest.empty();
    const Token& t = tokens_[token];
    switch (t.kind) {
        case Kind::kLiteral:
            return iequalPrefix(rest, t.literal) &&
                   matchFrom(token + 1, rest.substr(t.literal.size()), caps, is_model);
        case Kind::kMac: {
            if (rest.size() < 12) return false;
            for (size_t k = 0; k < 12; ++k) {
                if (!std::isxdigit(static_cast<unsigned char>(rest[k]))) return false;
            }
            caps.mac = std::string(rest.substr(0, 12));
            return matchFrom(token + 1, rest.substr(12), caps, is_model);
        }
        case Kind::kNum:
        case Kind::kModel: {
            size_t n = 0;
            while (n < rest.size() && (t.kind == Kind::kNum ? std::isdigit(static_cast<unsigned char>(rest[n]))
                                                             : isModelChar(rest[n])))
                ++n;
            // Longest first, then shorter: "snom{model}-{mac}" needs the model to stop before '-'.
            for (; n > 0; --n) {
                const std::string_view cand = rest.substr(0, n);
                if (t.kind == Kind::kModel && !is_model(cand)) continue;
                if (matchFrom(token + 1, rest.substr(n), caps, is_model)) {
                    (t.kind == Kind::kNum ? caps.num : caps.model) = std::string(cand);
                    return true;
                }
            }
            return false;
        }
    }
    return false;
}

}  // namespace prov

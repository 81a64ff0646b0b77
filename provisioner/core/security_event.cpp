#include "provisioner/core/security_event.h"

#include "provisioner/core/text.h"

namespace prov {

SecurityEvent::SecurityEvent(std::string_view name, std::string_view source) : name_(name) {
    word("event", name);
    word("src", source.empty() ? std::string_view("-") : source);
}

bool SecurityEvent::isBare(std::string_view value) {
    if (value.empty()) return false;
    for (const char c : value) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == '_' || c == ':' || c == '/' || c == '@' || c == '+' || c == '-';
        if (!ok) return false;
    }
    return true;
}

SecurityEvent& SecurityEvent::word(std::string_view key, std::string_view value) {
    if (!isBare(value)) return text(key, value);
    if (!line_.empty()) line_ += ' ';
    line_.append(key).append("=").append(value);
    return *this;
}

SecurityEvent& SecurityEvent::text(std::string_view key, std::string_view value) {
    if (!line_.empty()) line_ += ' ';
    line_.append(key).append("=").append(text::forLog(value));
    return *this;
}

SecurityEvent& SecurityEvent::number(std::string_view key, int64_t value) {
    return word(key, std::to_string(value));
}

}  // namespace prov

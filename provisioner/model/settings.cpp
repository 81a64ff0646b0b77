#include "provisioner/model/settings.h"

#include <cctype>

#include "provisioner/core/text.h"

namespace prov {

const std::vector<SettingSpec>& settingSpecs() {
    static const std::vector<SettingSpec> kSpecs = {
        {"sip_server", SettingType::kText, ""},
        {"sip_port", SettingType::kInteger, "5060"},
        {"sip_transport", SettingType::kText, "udp"},
        {"voicemail_number", SettingType::kText, "*97"},
        {"ntp_server", SettingType::kText, "pool.ntp.org"},
        {"timezone", SettingType::kText, "UTC"},
        {"phone_admin_password", SettingType::kSecret, ""},
        {"provisioning_url", SettingType::kText, ""},
        {"resync_interval", SettingType::kInteger, "86400"},
        {"dial_plan", SettingType::kText, ""},
    };
    return kSpecs;
}

const SettingSpec* findSetting(std::string_view key) {
    for (const auto& spec : settingSpecs()) {
        if (spec.key == key) return &spec;
    }
    return nullptr;
}

SettingsMap defaultSettings() {
    SettingsMap out;
    for (const auto& spec : settingSpecs()) out[std::string(spec.key)] = std::string(spec.default_value);
    return out;
}

namespace {

bool isTimezone(const std::string& v) {
    // An IANA name (Europe/Paris, America/Argentina/Buenos_Aires, UTC) or a
    // UTC offset such as +1, -05:30.
    if (v.empty() || v.size() > 64) return false;
    if (v[0] == '+' || v[0] == '-') {
        const std::string rest = v.substr(1);
        const size_t colon = rest.find(':');
        const std::string hours = rest.substr(0, colon);
        if (!text::isDigits(hours) || hours.size() > 2 || std::stoi(hours) > 14) return false;
        if (colon == std::string::npos) return true;
        const std::string minutes = rest.substr(colon + 1);
        return text::isDigits(minutes) && minutes.size() == 2 && std::stoi(minutes) < 60;
    }
    for (char c : v) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' || c == '+'))
            return false;
    }
    return true;
}

bool isUrl(const std::string& v) {
    for (const char* scheme : {"http://", "https://", "tftp://"}) {
        const std::string s = scheme;
        if (v.rfind(s, 0) == 0 && v.size() > s.size() && v.size() <= 512) {
            for (char c : v) {
                if (c <= 0x20 || c >= 0x7F || c == '"' || c == '<' || c == '>') return false;
            }
            return true;
        }
    }
    return false;
}

std::optional<std::string> checkInteger(const std::string& v, long min, long max) {
    if (!text::isDigits(v) || v.size() > 9 || std::stol(v) < min || std::stol(v) > max)
        return "must be an integer from " + std::to_string(min) + " to " + std::to_string(max);
    return std::nullopt;
}

}  // namespace

std::optional<std::string> checkSetting(std::string_view key, const std::string& v) {
    if (key == "sip_server" || key == "ntp_server") {
        if (!v.empty() && !text::isHost(v)) return "must be a host name or an IP address";
    } else if (key == "sip_port") {
        return checkInteger(v, 1, 65535);
    } else if (key == "sip_transport") {
        if (v != "udp" && v != "tcp" && v != "tls") return "must be udp, tcp or tls";
    } else if (key == "voicemail_number") {
        if (!v.empty() && (v.size() > 32 || !text::isDialable(v))) return "must be a dialable number";
    } else if (key == "timezone") {
        if (!isTimezone(v)) return "must be an IANA name such as Europe/Paris or an offset such as +1";
    } else if (key == "phone_admin_password") {
        if (!v.empty() && (v.size() < 4 || v.size() > 64)) return "must be 4 to 64 characters";
        for (char c : v) {
            if (c <= 0x20 || c >= 0x7F || c == '"' || c == '\'' || c == '<' || c == '>' || c == '&')
                return "must be printable ASCII without spaces, quotes, <, > or &";
        }
    } else if (key == "provisioning_url") {
        if (!v.empty() && !isUrl(v)) return "must be an http://, https:// or tftp:// URL";
    } else if (key == "resync_interval") {
        return checkInteger(v, 0, 604800);
    } else if (key == "dial_plan") {
        if (v.size() > 512 || !text::isPrintable(v)) return "must be printable, at most 512 characters";
    } else {
        return "is not a setting";
    }
    return std::nullopt;
}

}  // namespace prov

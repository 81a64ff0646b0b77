#include "provisioner/model/settings.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <set>

#include "provisioner/core/text.h"
#include "provisioner/tz/zone_database.h"

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
        // Issue 13's phone settings; vendor-templates/README.md ("Phone
        // settings") maps each to every vendor. "" leaves the phone's own.
        {"dtmf_mode", SettingType::kText, "rfc2833"},
        {"srtp", SettingType::kText, ""},  // "": optional with TLS, else off
        {"register_expiry", SettingType::kInteger, "3600"},
        {"outbound_proxy", SettingType::kText, ""},
        {"backup_sip_server", SettingType::kText, ""},
        {"mwi_subscribe", SettingType::kBoolean, "true"},
        {"codecs", SettingType::kText, ""},
        {"language", SettingType::kText, ""},
        {"tone_country", SettingType::kText, ""},
        {"pickup_code", SettingType::kText, ""},
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

std::optional<int> legacyOffsetMinutes(const std::string& v) {
    // "+1", "-5", "+05:30", "-10:00": the forms checkSetting took before zone
    // names were required, hours 0 to 14.
    if (v.size() < 2 || v.size() > 6 || (v[0] != '+' && v[0] != '-')) return std::nullopt;
    const std::string rest = v.substr(1);
    const size_t colon = rest.find(':');
    const std::string hours = rest.substr(0, colon);
    if (!text::isDigits(hours) || hours.size() > 2 || std::stoi(hours) > 14) return std::nullopt;
    int minutes = std::stoi(hours) * 60;
    if (colon != std::string::npos) {
        const std::string mm = rest.substr(colon + 1);
        if (!text::isDigits(mm) || mm.size() != 2 || std::stoi(mm) >= 60) return std::nullopt;
        minutes += std::stoi(mm);
    }
    return v[0] == '-' ? -minutes : minutes;
}

std::string etcZoneFor(int minutes) {
    // The Etc zones are whole hours from GMT+12 (UTC-12) to GMT-14 (UTC+14),
    // their sign the POSIX one: east of Greenwich is minus.
    if (minutes % 60 != 0 || minutes < -12 * 60 || minutes > 14 * 60) return "";
    const int hours = minutes / 60;
    if (hours == 0) return "Etc/GMT";
    return std::string("Etc/GMT") + (hours > 0 ? "-" : "+") + std::to_string(hours > 0 ? hours : -hours);
}

namespace {

// Why a zone name is refused, or nullopt. A name is good when the system's
// zone database has it (tz/zone_database.h); "UTC" and "GMT" also hold on a
// system without one. An offset ("+1") is refused now that a name says the
// DST rule too: the message names the Etc zone that keeps the same clock, or a
// city when no Etc zone has that offset.
std::optional<std::string> checkTimezone(const std::string& v) {
    if (const auto minutes = legacyOffsetMinutes(v)) {
        const std::string etc = etcZoneFor(*minutes);
        if (!etc.empty())
            return "is an offset; give a zone name: " + etc +
                   " keeps this fixed offset (Etc signs are inverted), a city such as Europe/Paris "
                   "also gives the phones its daylight-saving rule";
        return "is an offset; give a zone name, a city such as Asia/Kolkata (no Etc zone has this offset)";
    }
    if (v == "UTC" || v == "GMT") return std::nullopt;
    using namespace std::chrono;
    const int64_t now = duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
    if (v.size() > 64 || !tz::isSafeZoneName(v) || !tz::ZoneDatabase::system().find(v, now))
        return "must be a time zone name of the system's tz database, such as Europe/Paris";
    return std::nullopt;
}

// An http://, https:// or tftp:// URL the templates can take apart
// (render/provisioning_url.h): a host (an IPv6 one in brackets), an optional
// port and path; no user or password (common files, which carry it, are
// served to anyone), no query and no fragment (phones append the file name).
bool isUrl(const std::string& v) {
    if (v.size() > 512) return false;
    for (char c : v) {
        if (c <= 0x20 || c >= 0x7F || c == '"' || c == '<' || c == '>' || c == '?' || c == '#' || c == '@' ||
            c == '\\')
            return false;
    }
    for (const char* scheme : {"http://", "https://", "tftp://"}) {
        const std::string s = scheme;
        if (v.rfind(s, 0) != 0) continue;
        const std::string host = v.substr(s.size(), v.find('/', s.size()) - s.size());
        if (host.empty() || host[0] == ':') return false;
        if (host[0] == '[') return host.find(']') != std::string::npos;
        return std::count(host.begin(), host.end(), ':') <= 1;  // host:port; bare IPv6 needs brackets
    }
    return false;
}

// host or host:port, an IPv6 host in brackets: "sbc.example.net:5061",
// "[2001:db8::1]:5060".
bool isHostPort(const std::string& v) {
    std::string host = v;
    std::string port;
    if (!v.empty() && v[0] == '[') {
        const size_t close = v.find(']');
        if (close == std::string::npos) return false;
        host = v.substr(1, close - 1);
        if (host.find(':') == std::string::npos) return false;
        const std::string rest = v.substr(close + 1);
        if (!rest.empty() && rest[0] != ':') return false;
        if (!rest.empty()) port = rest.substr(1);
        if (!rest.empty() && port.empty()) return false;
    } else if (const size_t colon = v.find(':'); colon != std::string::npos) {
        host = v.substr(0, colon);
        port = v.substr(colon + 1);
        if (port.empty()) return false;
    }
    if (!text::isHost(host)) return false;
    if (port.empty()) return true;
    return text::isDigits(port) && port.size() <= 5 && std::stol(port) >= 1 && std::stol(port) <= 65535;
}

std::optional<std::string> checkCodecs(const std::string& v) {
    if (v.empty()) return std::nullopt;
    std::set<std::string> seen;
    for (const std::string& name : splitCodecs(v)) {
        const auto& known = knownCodecs();
        if (std::find(known.begin(), known.end(), name) == known.end())
            return "must be a comma-separated list of PCMU, PCMA, G722, G729, opus, iLBC (\"" + name +
                   "\" is none of them)";
        if (!seen.insert(name).second) return "names " + name + " twice";
    }
    return std::nullopt;
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
        return checkTimezone(v);
    } else if (key == "phone_admin_password") {
        if (!v.empty() && (v.size() < 4 || v.size() > 64)) return "must be 4 to 64 characters";
        for (char c : v) {
            if (c <= 0x20 || c >= 0x7F || c == '"' || c == '\'' || c == '<' || c == '>' || c == '&')
                return "must be printable ASCII without spaces, quotes, <, > or &";
        }
    } else if (key == "provisioning_url") {
        if (!v.empty() && !isUrl(v))
            return "must be an http://, https:// or tftp:// URL with a host (IPv6 in brackets) and no user, "
                   "query or fragment";
    } else if (key == "resync_interval") {
        return checkInteger(v, 0, 604800);
    } else if (key == "dial_plan") {
        if (v.size() > 512 || !text::isPrintable(v)) return "must be printable, at most 512 characters";
    } else if (key == "dtmf_mode") {
        if (v != "rfc2833" && v != "info" && v != "inband" && v != "auto" && !v.empty())
            return "must be rfc2833, info, inband or auto";
    } else if (key == "srtp") {
        if (v != "off" && v != "optional" && v != "required" && !v.empty()) return "must be off, optional or required";
    } else if (key == "register_expiry") {
        return checkInteger(v, 60, 86400);
    } else if (key == "outbound_proxy" || key == "backup_sip_server") {
        if (!v.empty() && (v.size() > 260 || !isHostPort(v)))
            return "must be a host name or an IP address, with an optional :port (IPv6 in brackets)";
    } else if (key == "mwi_subscribe") {
        // "": the phone's own behaviour (for a device whose vendor has no such parameter).
        if (v != "true" && v != "false" && !v.empty()) return "must be true, false or \"\"";
    } else if (key == "codecs") {
        return checkCodecs(v);
    } else if (key == "language") {
        // ISO 639-1: two lowercase letters.
        if (!v.empty() && (v.size() != 2 || !std::islower(static_cast<unsigned char>(v[0])) ||
                           !std::islower(static_cast<unsigned char>(v[1]))))
            return "must be an ISO 639-1 language code, two lowercase letters such as fr";
    } else if (key == "tone_country") {
        // ISO 3166-1 alpha-2: two uppercase letters.
        if (!v.empty() && (v.size() != 2 || !std::isupper(static_cast<unsigned char>(v[0])) ||
                           !std::isupper(static_cast<unsigned char>(v[1]))))
            return "must be an ISO 3166-1 alpha-2 country code, two uppercase letters such as FR";
    } else if (key == "pickup_code") {
        if (!v.empty() && (v.size() > 16 || !text::isDialable(v))) return "must be a dialable code such as *8";
    } else {
        return "is not a setting";
    }
    return std::nullopt;
}

const std::vector<std::string_view>& knownCodecs() {
    static const std::vector<std::string_view> kCodecs = {"PCMU", "PCMA", "G722", "G729", "opus", "iLBC"};
    return kCodecs;
}

std::vector<std::string> splitCodecs(const std::string& value) {
    std::vector<std::string> out;
    if (value.empty()) return out;
    size_t start = 0;
    while (true) {  // bounded: each turn moves past a comma or ends
        const size_t comma = value.find(',', start);
        out.push_back(value.substr(start, comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return out;
}

std::string effectiveSrtp(const SettingsMap& settings) {
    auto it = settings.find("srtp");
    if (it != settings.end() && !it->second.empty()) return it->second;
    auto transport = settings.find("sip_transport");
    return transport != settings.end() && transport->second == "tls" ? "optional" : "off";
}

}  // namespace prov

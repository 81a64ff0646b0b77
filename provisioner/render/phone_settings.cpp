#include "provisioner/render/phone_settings.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "provisioner/core/text.h"
#include "provisioner/model/settings.h"

namespace prov {

namespace {

using kainjow::mustache::data;

std::string setting(const SettingsMap& s, const char* key) {
    auto it = s.find(key);
    return it == s.end() ? "" : it->second;
}

data flag(bool b) { return b ? data(data::type::bool_true) : data(data::type::bool_false); }

// A phone setting in the vendor's terms: `<key>_code` is the vendor's code
// (vendor.json setting_values; a string, or an object of named parts), or
// the value itself for a setting the vendor does not map; `has_<key>` is
// false when the value is "" (the phone keeps its own) or one the vendor
// cannot express (the API refuses those; a device whose make changed
// afterwards gets nothing written rather than a wrong code).
void addVendorSetting(data& ctx, const VendorSpec& vendor, const std::string& key, const std::string& value) {
    const bool has = !value.empty() && !settingProblem(vendor, key, value);
    ctx.set("has_" + key, flag(has));
    auto map = vendor.setting_values.find(key);
    if (!has) {
        ctx.set(key + "_code", flag(false));
    } else if (map == vendor.setting_values.end()) {
        ctx.set(key + "_code", value);
    } else if (auto found = map->second.find(value); found == map->second.end()) {
        ctx.set(key + "_code", flag(false));  // unreachable: settingProblem found it
    } else {
        const VendorSpec::SettingCode& parts = found->second;
        if (auto only = parts.find(""); parts.size() == 1 && only != parts.end()) {
            // "" is true to Mustache: a code that writes nothing is `false`.
            const std::string& code = only->second;
            if (code.empty()) {
                ctx.set(key + "_code", flag(false));
            } else {
                ctx.set(key + "_code", code);
            }
        } else {
            data o;
            for (const auto& [part, code] : parts) o.set(part, code);
            ctx.set(key + "_code", o);
        }
    }
}

// host[:port] (IPv6 in brackets) as host and port, the port `fallback`
// when none is given.
std::pair<std::string, std::string> splitHostPort(const std::string& v, const std::string& fallback) {
    const size_t close = v.rfind(']');
    const size_t colon = v.rfind(':');
    if (colon == std::string::npos || (close != std::string::npos && colon < close) ||
        (close == std::string::npos && v.find(':') != colon))
        return {v, fallback};
    return {v.substr(0, colon), v.substr(colon + 1)};
}

// The codecs in the list's order, and every codec the vendor has with its
// place in that order (0: off), for vendors that write each codec.
void addCodecs(data& ctx, const VendorSpec& vendor, const std::string& value) {
    const bool has = !value.empty() && !settingProblem(vendor, "codecs", value);
    const auto map = vendor.setting_values.find("codecs");
    ctx.set("has_codecs", flag(has && map != vendor.setting_values.end()));
    data ordered(data::type::list);
    data table(data::type::list);
    std::string csv;
    const std::vector<std::string> names = has ? splitCodecs(value) : std::vector<std::string>{};
    // A codec's code is one string (the catalog refuses other shapes), so
    // "" here only guards the lookups: nothing a loaded catalog can reach.
    auto codeIn = [](const VendorSpec::SettingCode& parts) {
        auto it = parts.find("");
        return it == parts.end() ? std::string() : it->second;
    };
    auto codeOf = [&](const std::string& name) {
        auto it = map->second.find(name);
        return it == map->second.end() ? std::string() : codeIn(it->second);
    };
    for (int i = 1; i <= 8; ++i) ctx.set("codec" + std::to_string(i), flag(false));
    if (has && map != vendor.setting_values.end()) {
        for (size_t i = 0; i < names.size(); ++i) {
            data c;
            c.set("name", names[i]);
            c.set("code", codeOf(names[i]));
            c.set("position", std::to_string(i + 1));
            ordered.push_back(c);
            csv += (csv.empty() ? "" : ",") + codeOf(names[i]);
            if (i < 8) ctx.set("codec" + std::to_string(i + 1), codeOf(names[i]));
        }
        for (const auto& [name, parts] : map->second) {
            const auto at = std::find(names.begin(), names.end(), name);
            data c;
            c.set("name", name);
            c.set("code", codeIn(parts));
            c.set("enabled", flag(at != names.end()));
            c.set("priority", at == names.end() ? "0" : std::to_string(at - names.begin() + 1));
            table.push_back(c);
        }
    }
    ctx.set("codecs", ordered);
    ctx.set("codec_table", table);
    ctx.set("codecs_csv", csv);
}

}  // namespace

void addPhoneSettings(data& ctx, const RenderInput& in) {
    const SettingsMap& s = in.settings;
    const VendorSpec& vendor = *in.vendor;
    addVendorSetting(ctx, vendor, "dtmf_mode", setting(s, "dtmf_mode"));
    addVendorSetting(ctx, vendor, "srtp", effectiveSrtp(s));
    ctx.set("srtp", effectiveSrtp(s));
    const std::string expiry = setting(s, "register_expiry");
    const long seconds = text::isDigits(expiry) && expiry.size() < 10 ? std::stol(expiry) : 3600;
    ctx.set("register_expiry", std::to_string(seconds));
    ctx.set("register_expiry_minutes", std::to_string((seconds + 59) / 60));
    for (const char* key : {"outbound_proxy", "backup_sip_server"}) {
        const std::string v = setting(s, key);
        addVendorSetting(ctx, vendor, key, v);
        ctx.set(key, v);
        const auto [host, port] = splitHostPort(v, setting(s, "sip_port"));
        const std::string stem = std::string(key) == "outbound_proxy" ? "outbound_proxy" : "backup_sip";
        ctx.set(stem + "_host", host);
        ctx.set(stem + "_port", port);
    }
    addVendorSetting(ctx, vendor, "mwi_subscribe", setting(s, "mwi_subscribe"));
    ctx.set("mwi_subscribe_on", flag(setting(s, "mwi_subscribe") == "true"));
    addCodecs(ctx, vendor, setting(s, "codecs"));
    for (const char* key : {"language", "tone_country", "pickup_code"}) {
        addVendorSetting(ctx, vendor, key, setting(s, key));
        ctx.set(key, setting(s, key));
    }
}

}  // namespace prov

#include "provisioner/model/json_codec.h"

#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <algorithm>

#include <functional>
#include <sstream>

#include "provisioner/core/mac_address.h"
#include "provisioner/core/time_format.h"

namespace prov::json {

using Poco::Dynamic::Var;
using Poco::JSON::Object;

ObjectPtr newObject() { return new Object(Poco::JSON_PRESERVE_KEY_ORDER); }

std::string stringify(const Var& value) {
    std::ostringstream out;
    Poco::JSON::Stringifier::condense(value, out);
    return out.str();
}

namespace {

Var timeOrNull(int64_t t) { return t ? Var(formatUtc(t)) : Var(); }

// Field readers: each returns nullopt (and records an error) on a wrong type.
std::optional<std::string> readString(const Object& obj, const std::string& key, FieldErrors& errors) {
    const Var v = obj.get(key);
    if (v.isEmpty()) return std::string();  // null clears
    if (!v.isString()) {
        errors[key] = "must be a string";
        return std::nullopt;
    }
    return v.extract<std::string>();
}

std::optional<bool> readBool(const Object& obj, const std::string& key, FieldErrors& errors) {
    const Var v = obj.get(key);
    if (!v.isBoolean()) {
        errors[key] = "must be true or false";
        return std::nullopt;
    }
    return v.convert<bool>();
}

std::optional<int64_t> readInt(const Object& obj, const std::string& key, FieldErrors& errors,
                               bool null_is_zero) {
    const Var v = obj.get(key);
    if (v.isEmpty() && null_is_zero) return 0;
    if (!v.isInteger() || v.isBoolean()) {
        errors[key] = "must be an integer";
        return std::nullopt;
    }
    try {
        return v.convert<int64_t>();
    } catch (const Poco::Exception&) {
        errors[key] = "is out of range";
        return std::nullopt;
    }
}

using Setter = std::function<void(const Object&, const std::string&, FieldErrors&)>;

void applyFields(const Object& obj, const std::map<std::string, Setter>& setters,
                 const std::map<std::string, std::string>& read_only, FieldErrors& errors,
                 std::optional<int64_t>& version) {
    for (const auto& [key, value] : obj) {
        (void)value;
        if (key == "version") {
            if (auto v = readInt(obj, key, errors, false)) version = *v;
        } else if (auto it = setters.find(key); it != setters.end()) {
            it->second(obj, key, errors);
        } else if (auto ro = read_only.find(key); ro != read_only.end()) {
            errors[key] = ro->second;
        } else {
            errors[key] = "is not a known field";
        }
    }
}

Setter stringInto(std::string& target) {
    return [&target](const Object& obj, const std::string& key, FieldErrors& errors) {
        if (auto v = readString(obj, key, errors)) target = *v;
    };
}

Setter macInto(std::string& target) {
    return [&target](const Object& obj, const std::string& key, FieldErrors& errors) {
        auto v = readString(obj, key, errors);
        if (!v) return;
        if (v->empty()) {
            target.clear();
        } else if (auto mac = MacAddress::parse(*v)) {
            target = mac->canonical();
        } else {
            errors[key] = "must be a MAC address such as 00:15:65:4a:a9:37";
        }
    };
}

}  // namespace

ObjectPtr toJson(const Extension& e, Masking masking) {
    const bool mask = masking == Masking::kSecrets;
    ObjectPtr o = newObject();
    o->set("extension", e.extension);
    o->set("device_type", std::string(toString(e.device_type)));
    o->set("callerid_name", e.callerid_name);
    o->set("user", e.user);
    o->set("voicemail_enabled", e.voicemail_enabled);
    o->set("voicemail_pin", mask && !e.voicemail_pin.empty() ? std::string(kMask) : e.voicemail_pin);
    o->set("voicemail_email", e.voicemail_email);
    o->set("did", e.did);
    o->set("twinning_number", e.twinning_number);
    o->set("external_callerid", e.external_callerid);
    o->set("call_forward", e.call_forward);
    o->set("class_of_service", e.class_of_service);
    o->set("phone_group", e.phone_group);
    o->set("secret", mask ? std::string(kMask) : e.secret);
    o->set("phone_make", e.phone_make);
    o->set("phone_model", e.phone_model);
    o->set("mac", e.mac.empty() ? Var() : Var(MacAddress::parse(e.mac)->colons()));
    o->set("phone_reg", e.phone_reg ? Var(e.phone_reg) : Var());
    o->set("agent", e.agent);
    o->set("status", std::string(toString(e.status)));
    o->set("ip", e.ip);
    o->set("port", e.port ? Var(e.port) : Var());
    o->set("created_at", timeOrNull(e.created_at));
    o->set("updated_at", timeOrNull(e.updated_at));
    o->set("version", e.version);
    return o;
}

ObjectPtr toJson(const Device& d) {
    ObjectPtr o = newObject();
    o->set("mac", MacAddress::parse(d.mac) ? MacAddress::parse(d.mac)->colons() : d.mac);
    o->set("make", d.make);
    o->set("model", d.model);
    o->set("serial", d.serial);
    o->set("label", d.label);
    o->set("state", std::string(toString(d.state)));
    o->set("first_seen_at", timeOrNull(d.first_seen_at));
    o->set("last_seen_at", timeOrNull(d.last_seen_at));
    o->set("last_seen_ip", d.last_seen_ip);
    o->set("last_seen_ua", d.last_seen_ua);
    o->set("last_firmware", d.last_firmware);
    o->set("last_file", d.last_file);
    o->set("last_hash", d.last_hash);
    o->set("created_at", timeOrNull(d.created_at));
    o->set("updated_at", timeOrNull(d.updated_at));
    o->set("version", d.version);
    return o;
}

ObjectPtr toJson(const Button& b) {
    ObjectPtr o = newObject();
    o->set("index", b.index);
    o->set("type", b.type);
    o->set("value", b.value);
    o->set("label", b.label);
    o->set("line", b.line);
    return o;
}

ArrayPtr toJson(const std::vector<Button>& buttons) {
    ArrayPtr a = new Poco::JSON::Array();
    for (const Button& b : buttons) a->add(toJson(b));
    return a;
}

ObjectPtr toJson(const AuditEntry& a) {
    ObjectPtr o = newObject();
    o->set("id", a.id);
    o->set("at", formatUtc(a.at));
    o->set("actor", a.actor);
    o->set("action", a.action);
    o->set("entity", a.entity);
    o->set("entity_id", a.entity_id);
    Poco::JSON::Parser parser;
    o->set("before", a.before.empty() ? Var() : parser.parse(a.before));
    parser.reset();
    o->set("after", a.after.empty() ? Var() : parser.parse(a.after));
    return o;
}

ObjectPtr toJson(const Event& e) {
    ObjectPtr o = newObject();
    o->set("id", e.id);
    o->set("at", formatUtc(e.at));
    o->set("mac", e.mac);
    o->set("peer_ip", e.peer_ip);
    o->set("protocol", e.protocol);
    o->set("path", e.path);
    o->set("user_agent", e.user_agent);
    o->set("vendor", e.vendor);
    o->set("model", e.model);
    o->set("firmware", e.firmware);
    o->set("outcome", e.outcome);
    o->set("bytes", e.bytes);
    o->set("duration_us", e.duration_us);
    o->set("config_hash", e.config_hash);
    o->set("auth", e.auth);
    return o;
}

ObjectPtr settingsToJson(const SettingsMap& settings, Masking masking) {
    ObjectPtr o = newObject();
    for (const auto& spec : settingSpecs()) {
        const std::string key(spec.key);
        auto it = settings.find(key);
        const std::string value = it == settings.end() ? std::string(spec.default_value) : it->second;
        if (spec.type == SettingType::kInteger && !value.empty()) {
            o->set(key, std::stoll(value));
        } else if (spec.type == SettingType::kSecret && masking == Masking::kSecrets && !value.empty()) {
            o->set(key, std::string(kMask));
        } else {
            o->set(key, value);
        }
    }
    return o;
}

void applyExtension(const Object& obj, Extension& e, FieldErrors& errors,
                    std::optional<int64_t>& version) {
    const std::string by_pbx = "is read-only: the PBX sets it through PUT .../registration";
    const std::string server = "is read-only: the server sets it";
    const std::map<std::string, std::string> read_only = {
        {"agent", by_pbx},       {"status", by_pbx},      {"ip", by_pbx}, {"port", by_pbx},
        {"created_at", server}, {"updated_at", server}, {"id", server},
    };
    const std::map<std::string, Setter> setters = {
        {"extension", stringInto(e.extension)},
        {"device_type",
         [&e](const Object& o, const std::string& k, FieldErrors& err) {
             auto v = readString(o, k, err);
             if (!v) return;
             if (auto t = parseDeviceType(*v)) {
                 e.device_type = *t;
             } else {
                 err[k] = "must be one of SIP, IAX2, DAHDI, VIRTUAL, SIP-VIRTUAL";
             }
         }},
        {"callerid_name", stringInto(e.callerid_name)},
        {"user", stringInto(e.user)},
        {"voicemail_enabled",
         [&e](const Object& o, const std::string& k, FieldErrors& err) {
             if (auto v = readBool(o, k, err)) e.voicemail_enabled = *v;
         }},
        {"voicemail_pin", stringInto(e.voicemail_pin)},
        {"voicemail_email", stringInto(e.voicemail_email)},
        {"did", stringInto(e.did)},
        {"twinning_number", stringInto(e.twinning_number)},
        {"external_callerid", stringInto(e.external_callerid)},
        {"call_forward", stringInto(e.call_forward)},
        {"class_of_service", stringInto(e.class_of_service)},
        {"phone_group", stringInto(e.phone_group)},
        {"secret", stringInto(e.secret)},
        {"phone_make", stringInto(e.phone_make)},
        {"phone_model", stringInto(e.phone_model)},
        {"mac", macInto(e.mac)},
        {"phone_reg",
         [&e](const Object& o, const std::string& k, FieldErrors& err) {
             if (auto v = readInt(o, k, err, true)) {
                 if (*v < 0 || *v > 1000) {
                     err[k] = "must be 1 to 1000";
                 } else {
                     e.phone_reg = static_cast<int>(*v);
                 }
             }
         }},
    };
    applyFields(obj, setters, read_only, errors, version);
}

void applyDevice(const Object& obj, Device& d, FieldErrors& errors, std::optional<int64_t>& version) {
    const std::string seen = "is read-only: recorded when the phone fetches its config";
    const std::map<std::string, std::string> read_only = {
        {"last_seen_at", seen}, {"last_seen_ip", seen}, {"last_seen_ua", seen}, {"first_seen_at", seen},
        {"last_firmware", seen}, {"last_file", seen},  {"last_hash", seen},
        {"created_at", "is read-only: the server sets it"},
        {"updated_at", "is read-only: the server sets it"},
    };
    const std::map<std::string, Setter> setters = {
        {"mac", macInto(d.mac)},
        {"make", stringInto(d.make)},
        {"model", stringInto(d.model)},
        {"serial", stringInto(d.serial)},
        {"label", stringInto(d.label)},
        {"state",
         [&d](const Object& o, const std::string& k, FieldErrors& err) {
             auto v = readString(o, k, err);
             if (!v) return;
             if (auto s = parseDeviceState(*v)) {
                 d.state = *s;
             } else {
                 err[k] = "must be one of new, unassigned, staged, provisioned, applied, stale";
             }
         }},
    };
    applyFields(obj, setters, read_only, errors, version);
}

std::vector<Button> readButtons(const Poco::JSON::Array& arr, FieldErrors& errors) {
    std::vector<Button> out;
    for (size_t i = 0; i < arr.size(); ++i) {
        const std::string at = "buttons[" + std::to_string(i) + "]";
        if (!arr.isObject(i)) {
            errors[at] = "must be an object {index, type, value, label, line}";
            continue;
        }
        const ObjectPtr o = arr.getObject(static_cast<unsigned>(i));
        Button b;
        FieldErrors local;
        for (const auto& [key, value] : *o) {
            (void)value;
            if (key == "index") {
                if (auto v = readInt(*o, key, local, false)) b.index = static_cast<int>(std::clamp<int64_t>(*v, -1, 100000));
            } else if (key == "line") {
                if (auto v = readInt(*o, key, local, false)) b.line = static_cast<int>(std::clamp<int64_t>(*v, -1, 100000));
            } else if (key == "type" || key == "value" || key == "label") {
                auto v = readString(*o, key, local);
                if (v) (key == "type" ? b.type : key == "value" ? b.value : b.label) = *v;
            } else {
                local[key] = "is not a known field";
            }
        }
        if (!o->has("index")) local["index"] = "is required";
        if (!o->has("type")) local["type"] = "is required";
        for (const auto& [k, msg] : local) errors[at + "." + k] = msg;
        out.push_back(std::move(b));
    }
    return out;
}

SettingsMap readSettings(const Object& obj, FieldErrors& errors) {
    SettingsMap out;
    for (const auto& [key, value] : obj) {
        const SettingSpec* spec = findSetting(key);
        if (!spec) {
            errors[key] = "is not a setting";
            continue;
        }
        if (value.isEmpty()) {
            out[key] = std::string(spec->default_value);
        } else if (spec->type == SettingType::kInteger && value.isInteger() && !value.isBoolean()) {
            out[key] = std::to_string(value.convert<int64_t>());
        } else if (value.isString()) {
            out[key] = value.extract<std::string>();
        } else {
            errors[key] = spec->type == SettingType::kInteger ? "must be an integer" : "must be a string";
            continue;
        }
        if (auto problem = checkSetting(key, out[key])) errors[key] = *problem;
    }
    return out;
}

}  // namespace prov::json

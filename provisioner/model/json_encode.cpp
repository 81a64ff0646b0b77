#include "provisioner/model/json_encode.h"

#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <sstream>

#include "provisioner/core/mac_address.h"
#include "provisioner/core/time_format.h"
#include "provisioner/model/fields.h"

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

bool masked(Secrecy secrecy, const std::string& value) {
    return secrecy == Secrecy::kSecret || (secrecy == Secrecy::kMasked && !value.empty());
}

template <typename R>
Var valueOf(const Field<R>& f, const R& r, Masking masking) {
    const bool nullable = f.has(kNullable);
    switch (f.kind) {
        case FieldKind::kText: {
            const std::string& v = textOf(f, r);
            return masking == Masking::kSecrets && masked(f.secrecy, v) ? Var(std::string(kMask)) : Var(v);
        }
        case FieldKind::kBool: return boolOf(f, r);
        case FieldKind::kInt: {
            const int64_t v = intOf(f, r);
            return nullable && v == 0 ? Var() : Var(v);
        }
        case FieldKind::kTime: return timeOrNull(intOf(f, r));
        case FieldKind::kMac: {
            const std::string& v = textOf(f, r);
            if (v.empty() && nullable) return Var();
            auto mac = MacAddress::parse(v);
            return mac ? mac->colons() : v;
        }
        case FieldKind::kEnum: return std::string(enumOf(f, r));
    }
    return Var();
}

template <typename R>
ObjectPtr encode(const FieldTable<R>& table, const R& r, Masking masking) {
    ObjectPtr o = newObject();
    for (const auto& f : table) {
        if (f.json.empty() || f.has(kNotShown)) continue;
        o->set(std::string(f.json), valueOf(f, r, masking));
    }
    return o;
}

}  // namespace

ObjectPtr toJson(const Extension& e, Masking masking) { return encode(extensionFields(), e, masking); }

ObjectPtr toJson(const Device& d) { return encode(deviceFields(), d, Masking::kNone); }

ObjectPtr auditView(const Extension& e, const Extension* before) {
    ObjectPtr o = toJson(e, Masking::kSecrets);
    if (!before) return o;
    for (const auto& f : extensionFields()) {
        if (f.secrecy == Secrecy::kPlain || f.kind != FieldKind::kText || sameValue(f, e, *before)) continue;
        if (masked(f.secrecy, textOf(f, e))) o->set(std::string(f.json), std::string(kMask) + " (changed)");
    }
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
    o->set("source", a.source);
    return o;
}

ObjectPtr toJson(const ApiToken& t, int64_t now) {
    ObjectPtr o = newObject();
    o->set("id", t.id);
    o->set("name", t.name);
    o->set("role", std::string(toString(t.role)));
    o->set("state", std::string(tokenState(t, now)));
    o->set("created_at", formatUtc(t.created_at));
    o->set("expires_at", timeOrNull(t.expires_at));
    o->set("last_used_at", timeOrNull(t.last_used_at));
    o->set("revoked_at", timeOrNull(t.revoked_at));
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
    o->set("wipe", e.wipe);
    return o;
}

ObjectPtr toJson(const ResyncPush& p) {
    auto time = [](int64_t t) { return t ? Poco::Dynamic::Var(formatUtc(t)) : Poco::Dynamic::Var(); };
    ObjectPtr o = newObject();
    o->set("id", p.id);
    o->set("mac", p.mac);
    o->set("extension", p.extension);
    o->set("route", p.route);
    o->set("event", p.event);
    o->set("target", p.target);
    o->set("queued_at", time(p.queued_at));
    o->set("sent_at", time(p.sent_at));
    o->set("done_at", time(p.done_at));
    o->set("result", p.result);
    o->set("status", p.status ? Poco::Dynamic::Var(p.status) : Poco::Dynamic::Var());
    o->set("attempts", p.attempts);
    o->set("detail", p.detail);
    return o;
}

ObjectPtr toJson(const StagingWindow& w) {
    ObjectPtr o = newObject();
    o->set("id", w.id);
    o->set("label", w.label);
    Poco::JSON::Array::Ptr macs = new Poco::JSON::Array();
    for (const std::string& m : w.macs) {
        const auto mac = MacAddress::parse(m);
        macs->add(mac ? mac->colons() : m);
    }
    o->set("macs", macs);
    o->set("max_devices", w.max_devices);
    o->set("used", w.used);
    o->set("actor", w.actor);
    o->set("role", std::string(toString(w.role)));
    o->set("opened_at", formatUtc(w.opened_at));
    o->set("closes_at", formatUtc(w.closes_at));
    o->set("closed_at", timeOrNull(w.closed_at));
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
        } else if (spec.type == SettingType::kBoolean && (value == "true" || value == "false")) {
            o->set(key, value == "true");
        } else if (spec.type == SettingType::kSecret && masking == Masking::kSecrets && !value.empty()) {
            o->set(key, std::string(kMask));
        } else {
            o->set(key, value);
        }
    }
    return o;
}

}  // namespace prov::json

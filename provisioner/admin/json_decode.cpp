#include "provisioner/admin/json_decode.h"

#include <algorithm>

#include "provisioner/core/mac_address.h"
#include "provisioner/model/fields.h"

namespace prov::json {

using Poco::Dynamic::Var;
using Poco::JSON::Object;

namespace {

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
    std::string problem;
    auto n = integerOf(v, problem);
    if (!n) errors[key] = problem;
    return n;
}

const char* readOnlyReason(Access access) {
    switch (access) {
        case Access::kByPbx: return "is read-only: the PBX sets it through PUT .../registration";
        case Access::kBySeen: return "is read-only: recorded when the phone fetches its config";
        default: return "is read-only: the server sets it";
    }
}

// One editable field from the body onto `r`, by its kind.
template <typename R>
void readField(const Object& obj, const std::string& key, const Field<R>& f, R& r, FieldErrors& errors) {
    switch (f.kind) {
        case FieldKind::kText:
            if (auto v = readString(obj, key, errors)) textOf(f, r) = *v;
            return;
        case FieldKind::kBool:
            if (auto v = readBool(obj, key, errors)) setBool(f, r, *v);
            return;
        case FieldKind::kInt:
            if (auto v = readInt(obj, key, errors, f.has(kNullable))) {
                if (*v < 0 || *v > f.limit) {
                    errors[key] = std::string(f.has(kNullable) ? "must be 1 to " : "must be 0 to ") +
                                  std::to_string(f.limit);
                } else {
                    setInt(f, r, *v);
                }
            }
            return;
        case FieldKind::kTime: errors[key] = readOnlyReason(Access::kByServer); return;
        case FieldKind::kMac: {
            auto v = readString(obj, key, errors);
            if (!v) return;
            if (v->empty()) {
                textOf(f, r).clear();
            } else if (auto mac = MacAddress::parse(*v)) {
                textOf(f, r) = mac->canonical();
            } else {
                errors[key] = "must be a MAC address such as 00:15:65:4a:a9:37";
            }
            return;
        }
        case FieldKind::kEnum: {
            auto v = readString(obj, key, errors);
            if (v && !setEnum(f, r, *v)) errors[key] = "must be one of " + std::string(enumChoices(f));
            return;
        }
    }
}

template <typename R>
void applyFields(const Object& obj, const FieldTable<R>& table, R& r, FieldErrors& errors,
                 std::optional<int64_t>& version) {
    for (const auto& [key, value] : obj) {
        (void)value;
        const Field<R>* f = findField(table, key);
        if (key == "version") {
            if (auto v = readInt(obj, key, errors, false)) {
                if (*v < 1) errors[key] = "must be 1 or more (the version you read)";
                else version = *v;
            }
        } else if (!f) {
            errors[key] = "is not a known field";
        } else if (!f->editable()) {
            errors[key] = readOnlyReason(f->access);
        } else {
            readField(obj, key, *f, r, errors);
        }
    }
}

}  // namespace

void applyExtension(const Object& obj, Extension& e, FieldErrors& errors, std::optional<int64_t>& version) {
    applyFields(obj, extensionFields(), e, errors, version);
}

void applyDevice(const Object& obj, Device& d, FieldErrors& errors, std::optional<int64_t>& version) {
    applyFields(obj, deviceFields(), d, errors, version);
}

std::vector<Button> readButtons(const Poco::JSON::Array& arr, FieldErrors& errors) {
    std::vector<Button> out;
    for (size_t i = 0; i < arr.size(); ++i) {
        const std::string at = "buttons[" + std::to_string(i) + "]";
        if (!arr.isObject(i)) {
            errors[at] = "must be an object {index, type, value, label, line}";
            continue;
        }
        const Poco::JSON::Object::Ptr o = arr.getObject(static_cast<unsigned>(i));
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
        std::string problem;
        if (value.isEmpty()) {
            out[key] = std::string(spec->default_value);
        } else if (spec->type == SettingType::kInteger && value.isInteger() && !value.isBoolean()) {
            auto n = integerOf(value, problem);
            if (!n) {
                errors[key] = problem;
                continue;
            }
            out[key] = std::to_string(*n);
        } else if (spec->type == SettingType::kBoolean && value.isBoolean()) {
            out[key] = value.extract<bool>() ? "true" : "false";
        } else if (value.isString()) {
            out[key] = value.extract<std::string>();
        } else {
            errors[key] = spec->type == SettingType::kInteger   ? "must be an integer"
                          : spec->type == SettingType::kBoolean ? "must be true, false or \"\""
                                                                : "must be a string";
            continue;
        }
        if (auto problem = checkSetting(key, out[key])) errors[key] = *problem;
    }
    return out;
}

}  // namespace prov::json

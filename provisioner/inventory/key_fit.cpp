#include "provisioner/inventory/key_fit.h"

#include <map>

namespace prov {

void checkExpansion(const ModelCatalog& models, Device& d, FieldErrors& errors) {
    if (errors.count("expansion_model") || errors.count("expansion_count")) return;
    if (d.expansion_model.empty()) {
        if (d.expansion_count > 0) errors["expansion_model"] = "is required when expansion_count is above 0";
        return;
    }
    const std::optional<ModelInfo> model = models.findModel(d.make, d.model);
    if (!model) {
        errors["expansion_model"] = "needs a make and model the catalog knows";
        return;
    }
    const std::string phone = "a " + model->vendor_name + " " + model->model;
    if (model->expansion.empty()) {
        errors["expansion_model"] = phone + " takes no expansion module";
        return;
    }
    const ExpansionModule* m = model->findExpansion(d.expansion_model);
    if (!m) {
        std::string known;
        for (const ExpansionModule& e : model->expansion) known += (known.empty() ? "" : ", ") + e.name;
        errors["expansion_model"] = "must be one of " + known + " (the modules " + phone + " takes)";
        return;
    }
    d.expansion_model = m->name;
    if (d.expansion_count > m->max)
        errors["expansion_count"] = "must be 0 to " + std::to_string(m->max) + ": " + phone + " takes at most " +
                                    std::to_string(m->max) + " " + m->name;
}

std::optional<DeviceKeys> deviceKeys(const ModelCatalog& models, const Device& d) {
    std::optional<ModelInfo> model = models.findModel(d.make, d.model);
    if (!model) return std::nullopt;
    DeviceKeys k{*model, keySpace(*model, d.expansion_model, d.expansion_count)};
    return k;
}

std::string describeKeys(const DeviceKeys& k) {
    std::string out = std::to_string(k.space.total()) + " keys (a " + k.model.vendor_name + " " + k.model.model;
    if (k.space.modules > 0)
        out += ": " + std::to_string(k.space.base) + ", and " + std::to_string(k.space.modules) + " " +
               k.space.module_name + " of " + std::to_string(k.space.module_keys);
    return out + ")";
}

namespace {

// A line on a key of a module whose keys take none (vendor.json
// "line_keys": false): the one rule past the count itself.
bool lineOnModuleKey(const Button& b, const KeySpace& space) {
    return b.index > space.base && b.index <= space.total() && b.type == "line" && !space.module_line_keys;
}

// A line on one of the phone's own keys that take none: past its on-screen
// ones (ModelInfo::virtual_keys: Grandstream MPKs, whose key modes have no
// line, F grandstream/gxp2135/{$mac}.xml:3279-3285), or on-screen past its
// fixed ones (ModelInfo::line_keys: dynamic VPKs, :3010-3031).
bool lineOnPhysicalKey(const Button& b, const DeviceKeys& keys) {
    const int split = keys.model.line_keys > 0 ? keys.model.line_keys : keys.model.virtual_keys;
    return split > 0 && b.index > split && b.index <= keys.space.base && b.type == "line";
}

std::string physicalKeyRule(const Button& b, const DeviceKeys& keys) {
    const bool physical = keys.model.virtual_keys > 0 && b.index > keys.model.virtual_keys;
    const int takes = keys.model.line_keys > 0 ? keys.model.line_keys : keys.model.virtual_keys;
    return std::string(physical ? "is a physical key" : "is an on-screen key past the fixed ones") + " of a " +
           keys.model.vendor_name + " " + keys.model.model + ", which takes no line: keys 1 to " +
           std::to_string(takes) + " do";
}


// The phone's own key range that holds a line button `b` and takes no line
// (a key table's `"line_keys": false`: Grandstream's MPKs), or null.
const KeyRange* lineOnRangeKey(const Button& b, const DeviceKeys& keys) {
    if (b.type != "line" || b.index > keys.space.base) return nullptr;
    const KeyRange* r = findKeyRange(keys.model.key_ranges, b.index);
    return r && !r->line_keys ? r : nullptr;
}

// "1 to 16", "1 to 3 and 7 to 9": the phone's own keys that take a line.
std::string lineKeysText(const DeviceKeys& keys) {
    std::string out;
    int start = 0;
    auto flush = [&](int end) {
        if (start == 0) return;
        out += (out.empty() ? "" : " and ") + std::to_string(start) + " to " + std::to_string(end);
        start = 0;
    };
    for (int k = 1; k <= keys.space.base; ++k) {
        const KeyRange* r = findKeyRange(keys.model.key_ranges, k);
        if (!r || r->line_keys) {
            if (start == 0) start = k;
        } else {
            flush(k - 1);
        }
    }
    flush(keys.space.base);
    return out.empty() ? "none" : out;
}

// "MPKs": what the phone calls the range's keys, as a plural.
std::string rangeKinds(const KeyRange& r) { return r.kind.empty() ? "keys" : r.kind + "s"; }

// The run of keys around `r` of its kind that take no line ("17 to 40":
// Grandstream's MPKs are three ranges of P-values but one row of keys).
std::string kindSpan(const KeyRange& r, const DeviceKeys& keys) {
    auto same = [&](int k) {
        const KeyRange* o = findKeyRange(keys.model.key_ranges, k);
        return o && o->kind == r.kind && !o->line_keys;
    };
    int first = r.from, last = r.to;
    while (first > 1 && same(first - 1)) --first;  // bounded: stops at key 1
    while (last < keys.space.base && same(last + 1)) ++last;  // bounded: stops at the phone's last key
    return std::to_string(first) + " to " + std::to_string(last);
}

// Why `b` cannot sit where it is although the phone has its key, or "".
std::string lineKeyProblem(const Button& b, const DeviceKeys& keys) {
    if (lineOnModuleKey(b, keys.space))
        return "is a " + keys.space.module_name + " key, which takes no line: keys 1 to " +
               std::to_string(keys.space.base) + " do (the module's take BLF, speed dial and park)";
    if (lineOnPhysicalKey(b, keys)) return physicalKeyRule(b, keys);
    if (const KeyRange* r = lineOnRangeKey(b, keys))
        return "is key " + std::to_string(b.index) + ", one of the " + rangeKinds(*r) + " of a " +
               keys.model.vendor_name + " " + keys.model.model + " (keys " + kindSpan(*r, keys) +
               "), which take no line: keys " + lineKeysText(keys) + " do";
    return "";
}

}  // namespace

void checkButtonsFit(const std::vector<Button>& buttons, const DeviceKeys& keys, FieldErrors& errors) {
    const int total = keys.space.total();
    for (size_t i = 0; i < buttons.size(); ++i) {
        const std::string at = "buttons[" + std::to_string(i) + "].index";
        if (errors.count(at)) continue;
        if (buttons[i].index > total) {
            errors[at] = total == 0 ? "the phone has no keys: " + describeKeys(keys)
                                    : "must be 1 to " + std::to_string(total) + ": the phone has " + describeKeys(keys);
        } else if (std::string problem = lineKeyProblem(buttons[i], keys); !problem.empty()) {
            errors[at] = problem;
        }
    }
}

Result<std::vector<PlacedButton>> buttonsOnDevice(StoreTx& tx, const std::string& mac, int64_t skip) {
    std::vector<PlacedButton> out;
    if (mac.empty()) return out;
    for (const Extension& e : TRY(tx.extensionsOnDevice(mac))) {
        if (e.id == skip) continue;
        for (Button& b : TRY(tx.getButtons(e.id))) out.push_back({e.extension, std::move(b)});
    }
    return out;
}

std::string sharedKeys(const std::vector<PlacedButton>& buttons) {
    std::map<int, const PlacedButton*> first;
    std::string names;
    size_t n = 0;
    for (const PlacedButton& p : buttons) {
        auto [it, fresh] = first.emplace(p.button.index, &p);
        if (fresh || it->second->extension == p.extension) continue;
        if (++n > 10) continue;  // the message stays readable; the count says how many
        names += (names.empty() ? "" : ", ") + std::string("key ") + std::to_string(p.button.index) +
                 " holds extension " + it->second->extension + "'s " + it->second->button.type +
                 " and extension " + p.extension + "'s " + p.button.type;
    }
    if (n == 0) return "";
    if (n > 10) names += " and " + std::to_string(n - 10) + " more";
    return names + ": a key takes one button; move or remove one of them first";
}

std::string buttonsPastKeys(const std::vector<PlacedButton>& buttons, const DeviceKeys& keys) {
    const int total = keys.space.total();
    std::string names;
    size_t n = 0;
    for (const PlacedButton& p : buttons) {
        const bool module_line = lineOnModuleKey(p.button, keys.space);
        const bool physical_line = lineOnPhysicalKey(p.button, keys);
        const KeyRange* range = lineOnRangeKey(p.button, keys);
        if (p.button.index <= total && !module_line && !physical_line && !range) continue;
        if (++n > 10) continue;  // the message stays readable; the count says how many
        std::string why;
        if (module_line) why = " (a " + keys.space.module_name + " key, which takes no line)";
        if (range) why = " (one of the " + rangeKinds(*range) + ", which take no line)";
        if (physical_line) why = " (a key that takes no line)";
        names += (names.empty() ? "" : ", ") + std::string("extension ") + p.extension + "'s " + p.button.type +
                 " button on key " + std::to_string(p.button.index) + why;
    }
    if (n == 0) return "";
    if (n > 10) names += " and " + std::to_string(n - 10) + " more";
    return names + " would not fit the phone's " + describeKeys(keys) +
           ": move or remove those buttons first";
}

// The fields of `e` a phone of `make` gets in its files (render_context's
// lineData) that those files cannot write: refused when written, not when a
// phone asks (ModelCatalog::valueProblem).
void checkLineValues(const ModelCatalog& models, const std::string& make, const std::string& model, const Extension& e,
                     FieldErrors& errors) {
    const std::pair<const char*, const std::string*> fields[] = {{"extension", &e.extension},
                                                                 {"callerid_name", &e.callerid_name},
                                                                 {"external_callerid", &e.external_callerid},
                                                                 {"secret", &e.secret}};
    for (const auto& [name, value] : fields) {
        if (errors.count(name)) continue;
        // A secret is not repeated, nor is any value: the reason says what is in it.
        if (auto why = models.valueProblem(make, model, *value, false)) errors[name] = *why;
    }
}

// The same for buttons (a key's label and value), named by their place.
void checkKeyValues(const ModelCatalog& models, const std::string& make, const std::string& model,
                    const std::vector<Button>& buttons, FieldErrors& errors, const std::string& field) {
    for (size_t i = 0; i < buttons.size(); ++i) {
        const std::string at = field + "[" + std::to_string(i) + "].";
        if (auto why = models.valueProblem(make, model, buttons[i].label, true)) errors[at + "label"] = *why;
        if (auto why = models.valueProblem(make, model, buttons[i].value, true)) errors[at + "value"] = *why;
    }
}


Result<std::string> unwritableOnDevice(StoreTx& tx, const ModelCatalog& models, const std::string& mac,
                                       const std::string& make, const std::string& model, int64_t skip) {
    for (const Extension& e : TRY(tx.extensionsOnDevice(mac))) {
        if (e.id == skip) continue;
        FieldErrors found;
        checkLineValues(models, make, model, e, found);
        checkKeyValues(models, make, model, TRY(tx.getButtons(e.id)), found);
        if (!found.empty()) return "extension " + e.extension + "'s " + found.begin()->first + " " + found.begin()->second;
    }
    // Its own settings, and the server-wide ones it inherits.
    const SettingsMap own = TRY(tx.getSettings(mac));
    for (const auto& [key, value] : own) {
        if (auto why = models.valueProblem(make, model, value, false)) return "setting " + key + " " + *why;
    }
    for (const auto& [key, value] : TRY(tx.getSettings(""))) {
        if (own.count(key)) continue;
        if (auto why = models.valueProblem(make, model, value, false))
            return "server-wide setting " + key + " " + *why;
    }
    return std::string();
}

}  // namespace prov

#include "provisioner/catalog/vendor_catalog.h"

#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Path.h>
#include <Poco/RegularExpression.h>
#include <Poco/String.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include "provisioner/model/settings.h"

namespace prov {

namespace {

using Poco::JSON::Object;

std::string upper(std::string s) { return Poco::toUpper(s); }

std::map<std::string, std::string> stringMap(const Object::Ptr& obj, const std::string& what) {
    std::map<std::string, std::string> out;
    if (!obj) return out;
    for (const auto& [k, v] : *obj) {
        if (!v.isString()) throw Poco::DataFormatException(what + "." + k + " must be a string");
        out[k] = v.extract<std::string>();
    }
    return out;
}

OutputFormat parseFormat(const std::string& s, const std::string& where) {
    if (s == "kv") return OutputFormat::kKv;
    if (s == "xml") return OutputFormat::kXml;
    if (s == "panasonic") return OutputFormat::kPanasonic;
    if (s == "set") return OutputFormat::kSet;
    if (s == "xml-quoted") return OutputFormat::kXmlQuoted;
    throw Poco::DataFormatException(where + ": format must be kv, xml, panasonic, set or xml-quoted");
}

void checkKeys(const Object& obj, const std::set<std::string>& allowed, const std::string& where) {
    for (const auto& [k, v] : obj) {
        (void)v;
        if (!allowed.count(k)) throw Poco::DataFormatException(where + ": unknown key \"" + k + "\"");
    }
}

// One setting's `setting_values` entry: our value -> the vendor's code (a
// string, or an object of named string parts). Refused here rather than at
// render: every key a setting (model/settings.h), every value one the API
// could store for it, and codes of the shape render/phone_settings.cpp reads
// (a codec is one string; it is written into lists and tables).
std::map<std::string, VendorSpec::SettingCode> parseSettingValues(const std::string& key, const Object::Ptr& values) {
    const std::string here = "setting_values." + key;
    if (!findSetting(key)) throw Poco::DataFormatException(here + ": " + key + " is not a setting");
    if (!values) throw Poco::DataFormatException(here + " must be an object");
    std::map<std::string, VendorSpec::SettingCode> codes;  // stays {} when empty: no value expressible
    for (const auto& [ours, code] : *values) {
        const std::string where = here + "." + ours;
        if (ours.empty()) throw Poco::DataFormatException(here + ": \"\" is not a value to map (it leaves the phone's own)");
        if (auto problem = checkSetting(key, ours))
            throw Poco::DataFormatException(where + ": " + ours + " is not a " + key + " value: " + *problem);
        if (key == "codecs") {
            if (ours.find(',') != std::string::npos)
                throw Poco::DataFormatException(where + ": map one codec at a time");
            if (!code.isString() || code.extract<std::string>().empty())
                throw Poco::DataFormatException(where + " must be a non-empty string (a codec's code)");
            codes[ours] = {{"", code.extract<std::string>()}};
        } else if (code.isString()) {
            codes[ours] = {{"", code.extract<std::string>()}};
        } else if (auto parts = values->getObject(ours)) {
            codes[ours] = stringMap(parts, where);
        } else {
            throw Poco::DataFormatException(where + " must be a string or an object of strings");
        }
    }
    return codes;
}

// A whole number in `lo..hi` at `obj.key`, or a refusal naming `where`.
int boundedInt(const Object& obj, const std::string& key, int lo, int hi, const std::string& where) {
    if (!obj.has(key)) throw Poco::DataFormatException(where + " needs \"" + key + "\"");
    const auto v = obj.get(key);
    if (!v.isInteger() || v.isBoolean() || v.convert<long long>() < lo || v.convert<long long>() > hi)
        throw Poco::DataFormatException(where + "." + key + " must be a whole number from " + std::to_string(lo) +
                                        " to " + std::to_string(hi));
    return v.convert<int>();
}

// A model's `key_pages`: refused unless its keys add up to the model's
// `keys`, so that the 400 at `keys` and the last page the template writes
// are the same key.
KeyPages parseKeyPages(const std::string& model, const Object::Ptr& obj, int keys) {
    const std::string where = "model " + model + ".key_pages";
    if (!obj) throw Poco::DataFormatException(where + " must be an object");
    checkKeys(*obj, {"side", "per_page", "pages"}, where);
    KeyPages p;
    p.side = boundedInt(*obj, "side", 0, 1000, where);
    p.per_page = boundedInt(*obj, "per_page", 1, 1000, where);
    p.pages = boundedInt(*obj, "pages", 1, 100, where);
    if (p.total() != keys)
        throw Poco::DataFormatException(where + ": " + std::to_string(p.side) + " side keys and " +
                                        std::to_string(p.pages) + " pages of " + std::to_string(p.per_page) +
                                        " are " + std::to_string(p.total()) + " keys, but \"keys\" is " +
                                        std::to_string(keys));
    return p;
}

// A vendor.json `families` entry, read before the models that name it: a
// model takes its family's key codes (and unused-key code) as its base.
struct FamilyDraft {
    Object::Ptr obj;
    std::optional<std::map<std::string, std::string>> button_types;
    std::string unused_key_code;
};

std::map<std::string, FamilyDraft> familyDrafts(const Object& root) {
    std::map<std::string, FamilyDraft> out;
    auto families = root.getObject("families");
    if (!families) return out;
    for (const auto& [name, value] : *families) {
        (void)value;
        const std::string where = "families." + name;
        FamilyDraft d;
        d.obj = families->getObject(name);
        if (!d.obj) throw Poco::DataFormatException(where + " must be an object");
        checkKeys(*d.obj,
                  {"templates", "setting_values", "transports", "provisioning_protocols", "button_types",
                   "unused_key_code", "format", "time_zone_names"},
                  where);
        if (d.obj->has("button_types")) d.button_types = stringMap(d.obj->getObject("button_types"), where + ".button_types");
        if (d.button_types && d.button_types->empty())
            throw Poco::DataFormatException(where + ".button_types must map at least one type");
        d.unused_key_code = d.obj->optValue<std::string>("unused_key_code", "");
        out.emplace(name, std::move(d));
    }
    return out;
}

// The family `name` of `vendor`: a copy with the family's maps in place of
// the vendor's. transports, provisioning_protocols and button_types are each
// one vocabulary and replaced whole; setting_values one setting at a time
// (a setting the family leaves out keeps the vendor's codes). Its templates
// replace routes' templates by name: each must be a route's, and the
// replacement a file in the vendor folder.
std::shared_ptr<const VendorSpec> familySpec(const VendorSpec& vendor, const std::string& name, const FamilyDraft& d) {
    const std::string where = "families." + name;
    auto f = std::make_shared<VendorSpec>(vendor);
    f->families.clear();
    if (d.obj->has("transports")) f->transports = stringMap(d.obj->getObject("transports"), where + ".transports");
    if (d.obj->has("provisioning_protocols"))
        f->provisioning_protocols = stringMap(d.obj->getObject("provisioning_protocols"), where + ".provisioning_protocols");
    if (d.button_types) f->button_types = *d.button_types;
    // A family whose files are of another format (Gigaset's N510: its own XML
    // dialect, escaped its own way) and whose zones the phone names otherwise.
    if (d.obj->has("format")) f->family_format = parseFormat(d.obj->optValue<std::string>("format", ""), where + ".format");
    if (d.obj->has("time_zone_names"))
        f->time_zone_names = stringMap(d.obj->getObject("time_zone_names"), where + ".time_zone_names");
    if (d.obj->has("setting_values")) {
        auto sv = d.obj->getObject("setting_values");
        if (!sv) throw Poco::DataFormatException(where + ".setting_values must be an object");
        for (const auto& [key, val] : *sv) {
            (void)val;
            f->setting_values[key] = parseSettingValues(key, sv->getObject(key));
        }
    }
    if (d.obj->has("templates")) {
        auto t = d.obj->getObject("templates");
        if (!t) throw Poco::DataFormatException(where + ".templates must be an object");
        for (const auto& [entry, value] : *t) {
            const std::string route_template = entry;  // clang 14 (the fuzz build) cannot capture a structured binding
            const std::string here = where + ".templates." + route_template;
            const bool routed = std::any_of(vendor.files.begin(), vendor.files.end(), [&](const FileRoute& r) {
                return r.template_name == route_template;
            });
            if (!routed) throw Poco::DataFormatException(here + ": no file of the vendor uses that template");
            if (!value.isString()) throw Poco::DataFormatException(here + " must be a string (a template file)");
            const std::string file = value.extract<std::string>();
            if (file.empty() || file.find('/') != std::string::npos || file.find("..") != std::string::npos)
                throw Poco::DataFormatException(here + ": template must be a file in the vendor folder");
            if (!Poco::File(vendor.file(file)).exists())
                throw Poco::DataFormatException(here + ": template " + file + " is not in the vendor folder");
            f->templates[route_template] = file;
        }
    }
    return f;
}

// The numbers a vendor's module keys take must be no other setting's: not
// a line's, not a key's of any of its models (their tables, or the vendor's
// formula up to key_params_max), nor another module key's.
void checkModuleKeyParams(const VendorSpec& v) {
    bool any = false;
    for (const auto& [id, module] : v.expansion_modules) any = any || module.key_params.any();
    if (!any) return;
    std::set<std::string> taken;
    for (const auto& line : v.line_params) {
        for (const auto& [param, number] : line) taken.insert(number);
    }
    for (const auto& [id, model] : v.models) {
        for (const KeyRange& r : model.key_ranges) {
            for (int k = r.from; k <= r.to; ++k) {
                for (const auto& [param, number] : keyRangeParams(model.key_ranges, k))
                    taken.insert("P" + std::to_string(number));
            }
        }
    }
    // The formula's keys: up to key_params_max, or with no such bound
    // (0), up to the most keys a model without a table of its own has.
    int formula_keys = v.key_params_max;
    if (formula_keys <= 0) {
        for (const auto& [id, model] : v.models) {
            if (model.key_ranges.empty()) formula_keys = std::max(formula_keys, model.keys);
        }
    }
    formula_keys = std::min(formula_keys, 1000);  // key_ranges.cpp kMaxTableKeys: no table numbers more
    for (int k = 1; k <= formula_keys; ++k) {
        for (const auto& [param, series] : v.key_params)
            taken.insert("P" + std::to_string(int64_t{series.first} + int64_t{series.second} * (k - 1)));
    }
    for (const auto& [id, module] : v.expansion_modules) {
        if (auto problem = moduleKeyParamsProblem(module.key_params, module.keys, module.max, taken))
            throw Poco::DataFormatException("expansion_modules." + module.name + ": " + *problem);
    }
}

std::unique_ptr<VendorSpec> parseVendor(const std::string& folder, const std::string& dir,
                                        const std::string& override_dir, const Object& root) {
    checkKeys(root, {"name", "format", "content_type", "mac_case", "user_agents", "files", "transports",
                     "button_types", "line_params", "key_params", "key_params_max", "models", "ouis", "provisioning_protocols",
                     "line_key_per_line", "time_zone_names", "setting_values", "codecs_max", "expansion_modules",
                     "families", "resync_event", "softphone", "downloads", "makes"},
              "vendor.json");
    auto v = std::make_unique<VendorSpec>();
    v->id = folder;
    v->dir = dir;
    v->override_dir = override_dir;
    v->name = root.optValue<std::string>("name", folder);
    if (root.has("makes") && !root.getArray("makes")) throw Poco::DataFormatException("makes must be an array of names");
    if (auto makes = root.getArray("makes")) {
        for (size_t i = 0; i < makes->size(); ++i) {
            const auto m = makes->get(static_cast<unsigned>(i));
            if (!m.isString() || m.extract<std::string>().empty())
                throw Poco::DataFormatException("makes[" + std::to_string(i) + "] must be a non-empty string");
            v->makes.push_back(m.extract<std::string>());
        }
    }
    const OutputFormat default_format = parseFormat(root.optValue<std::string>("format", "kv"), "vendor.json");
    const std::string default_type = root.optValue<std::string>("content_type", "text/plain");
    const std::string mac_case = root.optValue<std::string>("mac_case", "lower");
    if (mac_case != "lower" && mac_case != "upper")
        throw Poco::DataFormatException("mac_case must be lower or upper");
    v->mac_upper = mac_case == "upper";
    if (auto downloads = root.getArray("downloads")) {
        for (size_t i = 0; i < downloads->size(); ++i) {
            const std::string where = "downloads[" + std::to_string(i) + "]";
            auto d = downloads->getObject(static_cast<unsigned>(i));
            if (!d) throw Poco::DataFormatException(where + " must be an object");
            checkKeys(*d, {"platform", "url"}, where);
            AppDownload a{d->optValue<std::string>("platform", ""), d->optValue<std::string>("url", "")};
            // Links go into e-mails and pages as they are: https only, no quotes or spaces.
            if (a.platform.empty() || a.url.rfind("https://", 0) != 0 ||
                a.url.find_first_of("\"'<> \t\r\n") != std::string::npos)
                throw Poco::DataFormatException(where + " needs a \"platform\" and an https \"url\"");
            v->downloads.push_back(std::move(a));
        }
    }
    if (auto ouis = root.getArray("ouis")) {
        for (size_t i = 0; i < ouis->size(); ++i) {
            const std::string oui = ouis->getElement<std::string>(static_cast<unsigned>(i));
            if (oui.size() != 6 || oui.find_first_not_of("0123456789abcdef") != std::string::npos)
                throw Poco::DataFormatException("ouis[" + std::to_string(i) + "] must be 6 lowercase hex digits");
            v->ouis.push_back(oui);
        }
    }

    if (auto uas = root.getArray("user_agents")) {
        for (size_t i = 0; i < uas->size(); ++i) {
            auto u = uas->getObject(static_cast<unsigned>(i));
            if (!u) throw Poco::DataFormatException("user_agents[" + std::to_string(i) + "] must be an object");
            checkKeys(*u, {"regex", "model", "firmware", "mac"}, "user_agents[" + std::to_string(i) + "]");
            UaPattern p;
            p.regex = std::make_shared<Poco::RegularExpression>(u->getValue<std::string>("regex"));
            p.model = u->optValue<int>("model", 0);
            p.firmware = u->optValue<int>("firmware", 0);
            p.mac = u->optValue<int>("mac", 0);
            v->user_agents.push_back(std::move(p));
        }
    }
    v->resync_event = root.optValue<std::string>("resync_event", "check-sync");
    // It goes into a SIP header line as is: one printable ASCII line.
    if (v->resync_event.empty() ||
        std::any_of(v->resync_event.begin(), v->resync_event.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e; }))
        throw Poco::DataFormatException("resync_event must be a non-empty line of printable ASCII (no CR or LF)");
    v->transports = stringMap(root.getObject("transports"), "transports");
    v->button_types = stringMap(root.getObject("button_types"), "button_types");
    v->provisioning_protocols = stringMap(root.getObject("provisioning_protocols"), "provisioning_protocols");
    v->line_key_per_line = root.optValue<bool>("line_key_per_line", false);
    if (root.has("softphone") && !root.get("softphone").isBoolean())
        throw Poco::DataFormatException("softphone must be true or false");
    v->softphone = root.optValue<bool>("softphone", false);
    v->time_zone_names = stringMap(root.getObject("time_zone_names"), "time_zone_names");
    if (auto sv = root.getObject("setting_values")) {
        for (const auto& [key, val] : *sv) {
            (void)val;
            v->setting_values[key] = parseSettingValues(key, sv->getObject(key));
        }
    }
    if (root.has("codecs_max")) {
        // Absent: no limit. Present: how many codecs the phone puts in order.
        const auto max = root.get("codecs_max");
        if (!max.isInteger() || max.isBoolean() || max.convert<long long>() < 1 || max.convert<long long>() > 1000)
            throw Poco::DataFormatException("codecs_max must be a positive integer");
        v->codecs_max = max.convert<int>();
    }
    if (auto lp = root.getArray("line_params")) {
        for (size_t i = 0; i < lp->size(); ++i)
            v->line_params.push_back(stringMap(lp->getObject(static_cast<unsigned>(i)), "line_params"));
    }
    if (auto kp = root.getObject("key_params")) {
        for (const auto& [k, val] : *kp) {
            (void)val;
            auto arr = kp->getArray(k);
            if (!arr || arr->size() != 2) throw Poco::DataFormatException("key_params." + k + " must be [base, step]");
            v->key_params[k] = {arr->getElement<int>(0), arr->getElement<int>(1)};
        }
    }
    v->key_params_max = root.optValue<int>("key_params_max", 0);
    if (v->key_params_max < 0) throw Poco::DataFormatException("key_params_max must be >= 0");
    if (auto mods = root.getObject("expansion_modules")) {
        for (const auto& [name, value] : *mods) {
            (void)value;
            auto m = mods->getObject(name);
            if (!m) throw Poco::DataFormatException("expansion_modules." + name + " is not an object");
            checkKeys(*m, {"keys", "max", "line_keys", "key_params", "module_step"}, "expansion_modules." + name);
            ExpansionModule em{name, m->optValue<int>("keys", 0), m->optValue<int>("max", 0),
                               m->optValue<bool>("line_keys", true)};
            if (em.keys < 1 || em.max < 1)
                throw Poco::DataFormatException("expansion_modules." + name + " needs \"keys\" and \"max\" >= 1");
            em.key_params = parseModuleKeyParams(*m, "expansion_modules." + name);
            v->expansion_modules[upper(name)] = em;
        }
    }
    const std::map<std::string, FamilyDraft> families = familyDrafts(root);
    auto models = root.getObject("models");
    if (!models) throw Poco::DataFormatException("\"models\" is missing");
    for (const auto& [name, value] : *models) {
        (void)value;
        auto m = models->getObject(name);
        if (!m) throw Poco::DataFormatException("model " + name + " is not an object");
        ModelInfo info{v->id, v->name, name, m->optValue<int>("lines", 0), m->optValue<int>("keys", 0), {}, {}, "", {}};
        if (info.lines < 1) throw Poco::DataFormatException("model " + name + " needs \"lines\" >= 1");
        info.family = m->optValue<std::string>("family", "");
        const FamilyDraft* family = nullptr;
        if (!info.family.empty()) {
            auto found = families.find(info.family);
            if (found == families.end())
                throw Poco::DataFormatException("model " + name + ": family \"" + info.family +
                                                "\" is not in \"families\"");
            family = &found->second;
        }
        // The codes a model's own replace: its family's where it has them.
        const auto& base_types = family && family->button_types ? *family->button_types : v->button_types;
        info.button_types = stringMap(m->getObject("button_types"), "model " + name + ".button_types");
        for (const auto& [type, code] : info.button_types) {
            (void)code;
            if (!base_types.count(type))
                throw Poco::DataFormatException("model " + name + ".button_types." + type +
                                                ": the vendor's button_types has no such type");
        }
        // A model's codes replace the vendor's one by one.
        if (!info.button_types.empty()) {
            for (const auto& [type, code] : base_types) info.button_types.emplace(type, code);
        }
        info.unused_key_code = m->optValue<std::string>("unused_key_code", family ? family->unused_key_code : "");
        if (m->has("key_pages")) info.key_pages = parseKeyPages(name, m->getObject("key_pages"), info.keys);
        info.virtual_keys = m->optValue<int>("virtual_keys", 0);
        if (info.virtual_keys < 0 || info.virtual_keys > info.keys)
            throw Poco::DataFormatException("model " + name + ": \"virtual_keys\" must be 0 to its \"keys\"");
        if (m->has("bank_names") && !m->getArray("bank_names"))
            throw Poco::DataFormatException("model " + name + ".bank_names must be an array of names");
        if (auto banks = m->getArray("bank_names")) {
            const size_t want = info.virtual_keys > 0 ? 2 : 1;
            for (size_t i = 0; i < banks->size(); ++i) {
                const auto b = banks->get(static_cast<unsigned>(i));
                if (!b.isString() || b.extract<std::string>().empty())
                    throw Poco::DataFormatException("model " + name + ".bank_names[" + std::to_string(i) +
                                                    "] must be a non-empty string");
                info.bank_names.push_back(b.extract<std::string>());
            }
            if (info.bank_names.size() != want)
                throw Poco::DataFormatException("model " + name + ".bank_names needs " + std::to_string(want) +
                                                (want == 2 ? " names (on-screen, physical keys)"
                                                           : " name (it has one kind of key)"));
        }
        info.line_keys = m->optValue<int>("line_keys", 0);
        if (info.line_keys < 0 || info.line_keys > info.keys ||
            (info.virtual_keys > 0 && info.line_keys > info.virtual_keys))
            throw Poco::DataFormatException("model " + name +
                                            ": \"line_keys\" must be 0 to its on-screen keys (\"virtual_keys\")");
        if (auto ranges = m->getArray("key_ranges")) {
            const std::string where = "model " + name + ".key_ranges";
            info.key_ranges = parseKeyRanges(*ranges, where);
            std::set<std::string> names, taken;
            for (const auto& [param, series] : v->key_params) names.insert(param);
            for (const auto& line : v->line_params) {
                for (const auto& [param, number] : line) taken.insert(number);
            }
            if (auto problem = keyRangesProblem(info.key_ranges, info.keys, names, taken))
                throw Poco::DataFormatException("model " + name + ": " + *problem);
        }
        if (auto exp = m->getArray("expansion")) {
            // Each entry is a module's name, or {"name", "max"} where this
            // model takes fewer of it than the module's own `max` (Cisco 8851).
            for (unsigned i = 0; i < exp->size(); ++i) {
                const std::string where = "model " + name + ".expansion[" + std::to_string(i) + "]";
                std::string mod;
                int max = 0;
                if (auto o = exp->getObject(i)) {
                    checkKeys(*o, {"name", "max"}, where);
                    mod = o->optValue<std::string>("name", "");
                    max = o->optValue<int>("max", 0);
                    if (max < 1) throw Poco::DataFormatException(where + ": \"max\" must be >= 1");
                } else {
                    mod = exp->getElement<std::string>(i);
                }
                auto found = v->expansion_modules.find(upper(mod));
                if (found == v->expansion_modules.end())
                    throw Poco::DataFormatException("model " + name + ": expansion module " + mod +
                                                    " is not in \"expansion_modules\"");
                ExpansionModule em = found->second;
                if (max > em.max)
                    throw Poco::DataFormatException(where + ": \"max\" " + std::to_string(max) +
                                                    " is more than the module's " + std::to_string(em.max));
                if (max > 0) em.max = max;
                info.expansion.push_back(em);
            }
        }
        v->models[upper(name)] = info;
    }
    checkModuleKeyParams(*v);
    if (auto files = root.getArray("files")) {
        for (size_t i = 0; i < files->size(); ++i) {
            const std::string where = "files[" + std::to_string(i) + "]";
            auto f = files->getObject(static_cast<unsigned>(i));
            if (!f) throw Poco::DataFormatException(where + " must be an object");
            checkKeys(*f, {"path", "template", "kind", "secrets", "format", "content_type", "encrypt", "firmware"},
                      where);
            auto pattern = PathPattern::compile(f->getValue<std::string>("path"));
            if (!pattern) throw Poco::DataFormatException(where + ": " + pattern.error().message);
            FileRoute r{pattern.value(), f->optValue<std::string>("template", ""), FileKind::kCommon, false,
                        default_format, f->optValue<std::string>("content_type", default_type), ""};
            const std::string kind = f->optValue<std::string>("kind", "common");
            if (kind == "common") {
                r.kind = FileKind::kCommon;
            } else if (kind == "device") {
                r.kind = FileKind::kDevice;
                r.secrets = f->optValue<bool>("secrets", true);
            } else if (kind == "upload") {
                r.kind = FileKind::kUpload;
            } else {
                throw Poco::DataFormatException(where + ": kind must be common, device or upload");
            }
            if (f->has("format")) r.format = parseFormat(f->getValue<std::string>("format"), where);
            r.encrypt = f->optValue<std::string>("encrypt", "");
            if (!r.encrypt.empty() && r.encrypt != "aes-128-ecb")
                throw Poco::DataFormatException(where + ": encrypt must be aes-128-ecb");
            if (!r.encrypt.empty() && !(r.kind == FileKind::kDevice && r.secrets))
                throw Poco::DataFormatException(where + ": only a device file with secrets is encrypted");
            if ((r.kind == FileKind::kDevice || r.kind == FileKind::kUpload) && !r.pattern.hasMac())
                throw Poco::DataFormatException(where + ": a " + kind + " file needs {mac} in its path");
            r.firmware = f->optValue<bool>("firmware", false);
            if (r.firmware && r.kind != FileKind::kDevice)
                throw Poco::DataFormatException(where + ": only a device file carries the firmware keys");
            if (r.firmware && std::any_of(v->files.begin(), v->files.end(), [](const FileRoute& o) { return o.firmware; }))
                throw Poco::DataFormatException(where + ": one file of a vendor carries the firmware keys");
            if (r.kind != FileKind::kUpload && r.template_name.empty())
                throw Poco::DataFormatException(where + ": template is missing");
            if (r.template_name.find('/') != std::string::npos || r.template_name.find("..") != std::string::npos)
                throw Poco::DataFormatException(where + ": template must be a file in the vendor folder");
            v->files.push_back(std::move(r));
        }
    }
    if (v->softphone && (!v->files.empty() || !v->user_agents.empty()))
        throw Poco::DataFormatException("a softphone vendor serves no files and identifies no User-Agent");
    if (!v->softphone && !v->downloads.empty())
        throw Poco::DataFormatException("\"downloads\" is for softphone vendors");
    // Last: a family's spec is this vendor whole, with the family's parts in place.
    for (const auto& [name, draft] : families) v->families[name] = familySpec(*v, name, draft);
    return v;
}

}  // namespace

const ExpansionModule* ModelInfo::findExpansion(std::string_view name) const {
    for (const ExpansionModule& m : expansion) {
        if (Poco::icompare(m.name, std::string(name)) == 0) return &m;
    }
    return nullptr;
}

KeySpace keySpace(const ModelInfo& model, std::string_view module, int count) {
    KeySpace k;
    k.base = model.keys;
    const ExpansionModule* m = module.empty() ? nullptr : model.findExpansion(module);
    if (m && count > 0) {
        k.module_keys = m->keys;
        k.modules = std::min(count, m->max);
        k.module_name = m->name;
        k.module_line_keys = m->line_keys;
    }
    return k;
}

KeyPlace placeKey(const KeyPages& layout, int index) {
    if (!layout.any() || index <= layout.side) return {0, index};
    const int b = index - layout.side - 1;
    return {b / layout.per_page + 1, b % layout.per_page + 1};
}

namespace {

// Letters and digits only, upper case: "vvx-411", "VVX 411" and "VVX_411" read alike.
std::string squashModel(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (std::isalnum(static_cast<unsigned char>(c))) out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    }
    return out;
}

}  // namespace

const ModelInfo* VendorSpec::findModel(std::string_view model) const {
    if (auto it = models.find(upper(std::string(model))); it != models.end()) return &it->second;
    const std::string want = squashModel(model);
    if (want.empty()) return nullptr;
    for (const auto& [name, info] : models) {
        if (squashModel(name) == want) return &info;
    }
    return nullptr;
}

const VendorSpec& VendorSpec::forModel(std::string_view model) const {
    if (families.empty() || model.empty()) return *this;
    const ModelInfo* info = findModel(model);
    if (!info || info->family.empty()) return *this;
    auto family = families.find(info->family);
    return family == families.end() ? *this : *family->second;
}

std::string VendorSpec::file(const std::string& name) const {
    if (!override_dir.empty()) {
        const std::string local = Poco::Path(override_dir).append(name).toString();
        if (Poco::File(local).exists()) return local;
    }
    return Poco::Path(dir).append(name).toString();
}

const std::string& VendorSpec::templateFor(const std::string& template_name) const {
    auto it = templates.find(template_name);
    return it == templates.end() ? template_name : it->second;
}

bool VendorSpec::isModel(std::string_view model) const {
    char buf[64];
    if (model.size() >= sizeof buf) return false;
    for (size_t i = 0; i < model.size(); ++i) buf[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(model[i])));
    return models.count(std::string(buf, model.size())) > 0;
}

namespace {

// The vendor folders under `dir`, added to `folders`; nothing for a folder
// that is not there.
void vendorFolders(const std::string& dir, std::set<std::string>& folders) {
    Poco::File root(dir);
    if (!root.exists() || !root.isDirectory()) return;
    for (Poco::DirectoryIterator it(dir), end; it != end; ++it) {
        if (it->isDirectory()) folders.insert(it.name());
    }
}

}  // namespace

Result<VendorCatalog> VendorCatalog::load(const std::string& dir, const std::string& override_dir) {
    VendorCatalog catalog;
    Poco::File root(dir);
    if (!root.exists() || !root.isDirectory()) return Error::invalid("templates.dir " + dir + " is not a directory");
    std::set<std::string> folders;  // sorted: the order does not depend on the file system's
    vendorFolders(dir, folders);
    if (!override_dir.empty()) vendorFolders(override_dir, folders);
    for (const std::string& folder : folders) {
        const std::string vendor_dir = Poco::Path(dir).append(folder).toString();
        const std::string local_dir =
            override_dir.empty() ? std::string() : Poco::Path(override_dir).append(folder).toString();
        // vendor.json is looked for as the vendor's other files will be.
        VendorSpec folders_only;
        folders_only.dir = vendor_dir;
        folders_only.override_dir = local_dir;
        const std::string file = folders_only.file("vendor.json");
        if (!Poco::File(file).exists()) continue;
        std::ifstream in(file);
        std::stringstream text;
        text << in.rdbuf();
        try {
            Poco::JSON::Parser parser;
            auto obj = parser.parse(text.str()).extract<Object::Ptr>();
            catalog.vendors_.push_back(parseVendor(folder, vendor_dir, local_dir, *obj));
        } catch (const Poco::Exception& e) {
            return Error::invalid(file + ": " + e.displayText());
        } catch (const std::exception& e) {
            return Error::invalid(file + ": " + e.what());
        }
    }
    return catalog;
}

const VendorSpec* VendorCatalog::findVendor(const std::string& make) const {
    if (make.empty()) return nullptr;
    for (const auto& v : vendors_) {
        if (Poco::icompare(v->id, make) == 0 || Poco::icompare(v->name, make) == 0) return v.get();
        for (const std::string& alias : v->makes)
            if (Poco::icompare(alias, make) == 0) return v.get();
    }
    return nullptr;
}

std::string VendorCatalog::findMake(const std::string& make) const {
    const VendorSpec* v = findVendor(make);
    return v ? v->name : std::string();
}

std::optional<std::string> settingProblem(const VendorSpec& vendor, const std::string& key, const std::string& value) {
    auto it = vendor.setting_values.find(key);
    if (value.empty() || it == vendor.setting_values.end()) return std::nullopt;
    const auto& codes = it->second;
    if (key != "codecs") {
        if (codes.count(value)) return std::nullopt;
        if (codes.empty()) return vendor.name + " phones have no parameter for " + key;
        return vendor.name + " phones cannot express " + key + " " + value;
    }
    // An ordered list: every name must have a code, and the vendor must hold that many in order.
    size_t count = 0;
    size_t start = 0;
    while (true) {  // bounded: each turn moves past a comma or ends
        const size_t comma = value.find(',', start);
        const std::string name = value.substr(start, comma - start);
        ++count;
        if (!codes.count(name)) return vendor.name + " phones cannot express codec " + name;
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    if (vendor.codecs_max > 0 && count > static_cast<size_t>(vendor.codecs_max))
        return vendor.name + " phones order at most " + std::to_string(vendor.codecs_max) + " codecs";
    return std::nullopt;
}

std::optional<std::string> VendorCatalog::settingProblem(const std::string& make, const std::string& model,
                                                         const std::string& key, const std::string& value) const {
    const VendorSpec* v = findVendor(make);
    if (!v) return std::nullopt;
    if (auto why = prov::settingProblem(v->forModel(model), key, value)) return why;
    // A value its files cannot write at all (a '"' in a quoted format).
    if (auto why = valueProblem(make, model, value, false)) return key + " " + *why;
    return std::nullopt;
}

std::optional<std::string> VendorCatalog::valueProblem(const std::string& make, const std::string& model,
                                                       const std::string& value, bool key) const {
    const VendorSpec* v = findVendor(make);
    if (!v) return std::nullopt;
    // The formats the model's files render in (VendorSpec::formatOf); for
    // a model the catalog does not place, every family's too.
    std::vector<const VendorSpec*> specs;
    if (v->findModel(model)) {
        specs.push_back(&v->forModel(model));
    } else {
        specs.push_back(v);
        for (const auto& [name, family] : v->families) specs.push_back(family.get());
    }
    bool set_lines = false, panasonic = false, xml_quoted = false;
    for (const VendorSpec* spec : specs) {
        for (const FileRoute& r : v->files) {
            const OutputFormat f = spec->formatOf(r);
            set_lines = set_lines || f == OutputFormat::kSet;
            panasonic = panasonic || f == OutputFormat::kPanasonic;
            xml_quoted = xml_quoted || f == OutputFormat::kXmlQuoted;
        }
    }
    if ((set_lines || panasonic || xml_quoted) && value.find('"') != std::string::npos)
        return "holds a double quote (\"), which " + v->name + " phones' " +
               (set_lines ? "settings scripts" : "configuration files") + " cannot write inside a quoted value";
    if (set_lines && key && value.find(';') != std::string::npos)
        return "holds a semicolon (;), which separates the fields of a key in " + v->name + " phones' settings scripts";
    // The N510's file is ISO-8859-1: a character past U+00FF (UTF-8 lead
    // bytes past C3) has no byte there.
    if (xml_quoted) {
        for (char c : value) {
            if (static_cast<unsigned char>(c) >= 0xC4)
                return "holds a character ISO-8859-1 lacks, which " + v->name + " " + model +
                       " configuration files cannot write";
        }
    }
    return std::nullopt;
}

bool VendorCatalog::isSoftphone(const std::string& make) const {
    const VendorSpec* v = findVendor(make);
    return v && v->softphone;
}

std::vector<AppDownload> VendorCatalog::downloads(const std::string& make) const {
    const VendorSpec* v = findVendor(make);
    return v && v->softphone ? v->downloads : std::vector<AppDownload>{};
}

std::vector<std::string> VendorCatalog::makes() const {
    std::vector<std::string> out;
    for (const auto& v : vendors_) out.push_back(v->name);
    return out;
}

std::optional<ModelInfo> VendorCatalog::findModel(const std::string& make, const std::string& model) const {
    const VendorSpec* v = findVendor(make);
    if (!v) return std::nullopt;
    // Spreadsheets spell models loosely: "VVX 411", "VVX411" and "vvx-411" are VVX_411.
    const ModelInfo* found = v->findModel(model);
    return found ? std::optional<ModelInfo>(*found) : std::nullopt;
}

std::optional<UaMatch> VendorCatalog::identifyUserAgent(const std::string& ua) const {
    if (ua.empty() || ua.size() > 512) return std::nullopt;
    {
        std::lock_guard lock(memo_->mutex);
        if (auto it = memo_->user_agents.find(ua); it != memo_->user_agents.end()) return it->second;
    }
    auto found = identifyUncached(ua);
    std::lock_guard lock(memo_->mutex);
    if (memo_->user_agents.size() >= Memo::kMax) memo_->user_agents.clear();
    memo_->user_agents.emplace(ua, found);
    return found;
}

std::optional<UaMatch> VendorCatalog::identifyUncached(const std::string& ua) const {
    for (const auto& v : vendors_) {
        for (const UaPattern& p : v->user_agents) {
            Poco::RegularExpression::MatchVec groups;
            try {
                if (p.regex->match(ua, 0, groups) == 0) continue;
            } catch (const Poco::Exception&) {
                continue;
            }
            auto group = [&](int i) -> std::string {
                if (i <= 0 || static_cast<size_t>(i) >= groups.size() ||
                    groups[static_cast<size_t>(i)].offset == std::string::npos)
                    return "";
                return ua.substr(groups[static_cast<size_t>(i)].offset, groups[static_cast<size_t>(i)].length);
            };
            return UaMatch{v.get(), group(p.model), group(p.firmware), group(p.mac)};
        }
    }
    return std::nullopt;
}

std::vector<RouteMatch> VendorCatalog::matchFile(const std::string& file) const {
    {
        std::lock_guard lock(memo_->mutex);
        if (auto it = memo_->files.find(file); it != memo_->files.end()) return it->second;
    }
    auto found = matchUncached(file);
    std::lock_guard lock(memo_->mutex);
    if (memo_->files.size() >= Memo::kMax) memo_->files.clear();
    memo_->files.emplace(file, found);
    return found;
}

std::vector<RouteMatch> VendorCatalog::matchUncached(const std::string& file) const {
    std::vector<RouteMatch> out;
    for (const auto& v : vendors_) {
        const VendorSpec* spec = v.get();
        for (const FileRoute& r : spec->files) {
            auto caps = r.pattern.match(file, [spec](std::string_view m) { return spec->isModel(m); });
            if (caps) {
                out.push_back(RouteMatch{spec, &r, *caps});
                break;  // first match wins within a vendor
            }
        }
    }
    std::stable_sort(out.begin(), out.end(), [](const RouteMatch& a, const RouteMatch& b) {
        return a.route->pattern.literalLength() > b.route->pattern.literalLength();
    });
    return out;
}

}  // namespace prov

// The conformance check (tests/data/conformance/README.md): every model of
// every family in vendor-templates, rendered as a full phone, writes only
// names its vendor documents, each once per file, and each account's and
// key's values only into that slot's own parameters.

#include <catch2/catch.hpp>

#include <Poco/JSON/Parser.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "config_params.h"
#include "conformance_list.h"
#include "provisioner/catalog/vendor_catalog.h"
#include "provisioner/model/settings.h"
#include "provisioner/render/template_set.h"

using namespace prov;
using namespace prov::conformance;

namespace {

// The expansion modules vendor.json declares (top-level "expansion_modules":
// {"<MODULE>": {"keys": N, "max": M}}, per model "expansion": [...]), read
// here because the catalog may not carry them.
struct Module {
    std::string name;
    int keys = 0;
    int max = 0;
    bool line_keys = true;  // a line may sit on its keys
};

std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

std::map<std::string, std::vector<Module>> modulesByModel(const VendorSpec& vendor) {
    std::map<std::string, std::vector<Module>> out;
    std::ifstream in(vendor.dir + "/vendor.json");
    std::stringstream text;
    text << in.rdbuf();
    Poco::JSON::Parser parser;
    const auto root = parser.parse(text.str()).extract<Poco::JSON::Object::Ptr>();
    const auto modules = root->getObject("expansion_modules");
    const auto models = root->getObject("models");
    if (!modules || !models) return out;
    for (const auto& [model, value] : *models) {
        const auto info = value.extract<Poco::JSON::Object::Ptr>();
        const auto list = info->getArray("expansion");
        if (!list) continue;
        for (size_t i = 0; i < list->size(); ++i) {
            const std::string name = upper(list->getElement<std::string>(static_cast<unsigned>(i)));
            for (const auto& [module, spec] : *modules) {
                if (upper(module) != name) continue;  // the catalog takes module names in any case
                const auto m = spec.extract<Poco::JSON::Object::Ptr>();
                out[upper(model)].push_back({module, m->getValue<int>("keys"), m->getValue<int>("max"),
                                             m->optValue<bool>("line_keys", true)});
            }
        }
    }
    return out;
}

// Sets the device's expansion fields when the Device record has them.
template <class D>
void setExpansion(D& device, const std::string& model, int count) {
    if constexpr (requires { device.expansion_model; device.expansion_count; }) {
        device.expansion_model = model;
        device.expansion_count = count;
    }
}

// Markers: account N's extension (user, auth user, label) "qa<N>x", password
// "qa<N>p", display name "qa<N>d"; key K's value "qk<K>v", label "qk<K>l".
// The letter after the digits ends the number, so a search is unambiguous.
std::string accountMarker(int n, char field) { return "qa" + std::to_string(n) + field; }
std::string keyMarker(int k, char field) { return "qk" + std::to_string(k) + field; }

struct Marker {
    Owner slot;
    char field;
    std::string text;
};

std::vector<Marker> markersIn(const std::string& value) {
    static const std::regex re("q([ak])([0-9]+)([a-z])");
    std::vector<Marker> out;
    for (auto it = std::sregex_iterator(value.begin(), value.end(), re); it != std::sregex_iterator(); ++it) {
        const auto& m = *it;
        const Owner::Kind kind = m[1] == "a" ? Owner::kAccount : Owner::kKey;
        out.push_back({{kind, std::stoi(m[2])}, m[3].str()[0], m.str()});
    }
    return out;
}

struct Phone {
    Layout layout;
    std::string module;  // expansion module model, "" for none
    DeviceProfile profile;
};

// Every line and every key used, keys cycling through the kinds the vendor
// has, each bound to a line other than 1 where there is one (so a key's line
// number differs from an unused key's).
Phone fullPhone(const VendorSpec& vendor, const ModelInfo& info, const Module* module) {
    Phone p;
    p.layout.model = upper(info.model);
    p.layout.lines = info.lines;
    p.layout.keys = info.keys;
    if (module) {
        p.module = module->name;
        p.layout.module_keys = module->keys;
        p.layout.modules = module->max;
        setExpansion(p.profile.device, module->name, module->max);
    }
    p.profile.device.model = info.model;
    p.profile.device.make = vendor.id;
    for (int n = 1; n <= info.lines; ++n) {
        Extension e;
        e.extension = accountMarker(n, 'x');
        e.secret = accountMarker(n, 'p');
        e.callerid_name = accountMarker(n, 'd');
        e.phone_reg = n;
        p.profile.lines.push_back(e);
    }
    // The key kinds of the model's own vocabulary (its family's, where it has one).
    const VendorSpec& spec = vendor.forModel(info.model);
    std::vector<std::string> kinds;
    for (const char* t : {"line", "blf", "speed_dial", "park"})
        if (spec.button_types.count(t)) kinds.push_back(t);
    const int total = p.layout.keys + p.layout.modules * p.layout.module_keys;
    for (int k = 1; k <= total && !kinds.empty(); ++k) {
        Button b;
        b.index = k;
        b.type = kinds[(k - 1) % kinds.size()];
        // A key that takes no line (the API refuses one there: a module's with
        // "line_keys": false, a key table's range without lines, a physical key
        // past the on-screen ones, ModelInfo::virtual_keys) gets the next kind.
        const KeyRange* range = findKeyRange(info.key_ranges, k);
        const int line_split = info.line_keys > 0 ? info.line_keys : info.virtual_keys;
        const bool physical = line_split > 0 && k > line_split && k <= info.keys;
        const bool no_line = k > info.keys ? module && !module->line_keys : physical || (range && !range->line_keys);
        if (b.type == "line" && no_line && kinds.size() > 1) b.type = kinds[k % kinds.size()];
        b.value = b.type == "line" ? "" : keyMarker(k, 'v');
        b.label = keyMarker(k, 'l');
        b.line = info.lines >= 2 ? 2 + (k - 1) % (info.lines - 1) : 1;
        if (b.type == "line") b.line = info.lines >= 1 ? 1 + (k - 1) % info.lines : 1;
        if (b.type == "speed_dial") p.layout.speed_dial_keys.push_back(k);
        p.profile.keys.push_back(b);
    }
    return p;
}

// `preferred` when the vendor can express it, else the first value its
// setting_values map has, "" when it maps the setting to none.
std::string expressible(const VendorSpec& vendor, const std::string& key, const std::string& preferred) {
    auto it = vendor.setting_values.find(key);
    if (it == vendor.setting_values.end() || it->second.count(preferred)) return preferred;
    return it->second.empty() ? "" : it->second.begin()->first;
}

// Every setting set to a value the vendor can express, so every branch of
// the phone settings renders (vendor-templates/README.md, "Phone settings").
SettingsMap fullSettings(const VendorSpec& vendor) {
    SettingsMap s = defaultSettings();
    s["sip_server"] = "pbx.example.test";
    s["sip_port"] = "5061";
    s["sip_transport"] = "tls";
    s["timezone"] = "Europe/Paris";
    s["provisioning_url"] = "https://prov.example.test/p/";
    s["resync_interval"] = "3600";
    s["dial_plan"] = "[2-9]xxx";
    s["phone_admin_password"] = "adminpw";
    s["dtmf_mode"] = expressible(vendor, "dtmf_mode", "rfc2833");
    s["srtp"] = expressible(vendor, "srtp", "optional");
    s["register_expiry"] = "1800";
    s["outbound_proxy"] = expressible(vendor, "outbound_proxy", "proxy.example.test:5070");
    s["backup_sip_server"] = expressible(vendor, "backup_sip_server", "backup.example.test:5062");
    s["mwi_subscribe"] = expressible(vendor, "mwi_subscribe", "true");
    s["language"] = expressible(vendor, "language", "fr");
    s["tone_country"] = expressible(vendor, "tone_country", "FR");
    s["pickup_code"] = expressible(vendor, "pickup_code", "*8");
    // As many codecs as the vendor orders, from its own map.
    std::string codecs = "PCMU,PCMA";
    if (auto it = vendor.setting_values.find("codecs"); it != vendor.setting_values.end()) {
        codecs.clear();
        int n = 0;
        for (const auto& [name, code] : it->second) {
            (void)code;
            if (vendor.codecs_max > 0 && n == vendor.codecs_max) break;
            codecs += (codecs.empty() ? "" : ",") + name;
            ++n;
        }
    }
    s["codecs"] = codecs;
    for (const auto& [key, value] : s) {
        if (auto problem = checkSetting(key, value)) FAIL(key + " " + value + ": " + *problem);
        if (auto problem = settingProblem(vendor, key, value)) FAIL(*problem);
    }
    return s;
}

// A CA certificate for the trust parameters (render/trust_source.h).
std::shared_ptr<const std::string> trustPem() {
    std::ifstream in(TRUST_CA_PEM);
    std::stringstream text;
    text << in.rdbuf();
    REQUIRE(!text.str().empty());
    return std::make_shared<const std::string>(text.str());
}

// One vendor's check, failures collected as sentences.
class Checker {
public:
    Checker(const TemplateSet& templates, const VendorSpec& vendor)
        : templates_(templates), vendor_(vendor), trust_(trustPem()) {}

    std::vector<std::string> run() {
        const std::string path = std::string(CONFORMANCE_DIR) + "/" + vendor_.id + ".txt";
        std::string error;
        if (!loadList(path, list_, error)) return {error};
        const auto modules = modulesByModel(vendor_);
        for (const auto& [upper, info] : vendor_.models) {
            checkCommon(info);
            checkPhone(fullPhone(vendor_, info, nullptr));
            if (auto it = modules.find(upper); it != modules.end())
                for (const Module& m : it->second) checkPhone(fullPhone(vendor_, info, &m));
        }
        return failures_;
    }

private:
    using Params = std::vector<Param>;

    void fail(const std::string& what) {
        if (failures_.size() < kMaxFailures) failures_.push_back(vendor_.id + " " + what);
    }
    std::string listName() const { return "tests/data/conformance/" + vendor_.id + ".txt"; }

    // Enough to read a vendor's problems without burying the rest.
    static constexpr size_t kMaxFailures = 100000;

    RenderInput input(const FileRoute& route, const std::string& model,
                      const DeviceProfile* profile, bool upgrade = false) const {
        RenderInput in;
        in.vendor = &vendor_;
        in.route = &route;
        in.model = model;
        in.captures.model = model;
        in.captures.num = "000000000000";
        in.file = route.template_name;
        in.firmware = "1.0.0";
        in.settings = settingsFor(model);
        in.trust_pem = trust_;
        in.utc_now = 1768435200;  // 2026-01-15
        if (profile) {
            in.mac = "0c383e000001";
            in.captures.mac = in.mac;
            in.profile = profile;
        }
        // A firmware target other than the reported "1.0.0": the upgrade keys render.
        if (upgrade) in.firmware_target = FirmwareOffer{"9.8.7", "v9.8.7-image.bin"};
        return in;
    }

    // Every setting at a value the model can express: its family's values
    // where it has a vocabulary of its own (VendorSpec::forModel).
    const SettingsMap& settingsFor(const std::string& model) const {
        const VendorSpec& spec = vendor_.forModel(model);
        auto it = settings_.find(&spec);
        if (it == settings_.end()) it = settings_.emplace(&spec, fullSettings(spec)).first;
        return it->second;
    }

    bool renderParams(const RenderInput& in, const std::string& where, Params& out) {
        auto text = templates_.render(in);
        if (!text) return fail(where + ": does not render: " + text.error().message), false;
        // One file, one form: Grandstream P-values (<P271>) and alias items
        // (<item name="account.1.enable">) are never mixed in a reference file
        // (vendor-templates/README.md, Grandstream), so a file holding both fails.
        if (mixesForms(text.value()))
            fail(where + ": mixes <Pnnn> elements and <item name=...> aliases in one file");
        // CONFORMANCE_DUMP=<dir> keeps each rendered file, to read what was checked.
        if (const char* dump = std::getenv("CONFORMANCE_DUMP")) {
            std::string name = where;
            for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) || c == '.' ? c : '_';
            std::ofstream(std::string(dump) + "/" + vendor_.id + "_" + name) << text.value();
        }
        std::string error;
        if (!parseParams(text.value(), shapeOf(vendor_.id, in.route->format == OutputFormat::kXml), out, error))
            return fail(where + ": " + error), false;
        return true;
    }

    // Names outside the list and names written twice in one file.
    void checkNames(const Params& params, const std::map<std::string, Owner>& names, const std::string& where) {
        std::set<std::string> seen;
        for (const Param& p : params) {
            auto it = names.find(p.name);
            if (it == names.end()) {
                fail(where + ": " + p.name + " is not in " + listName());
            } else if (it->second.kind == Owner::kSection && !p.value.empty()) {
                fail(where + ": " + p.name + " is a section but holds '" + p.value + "'");
            }
            if (!seen.insert(p.name).second) fail(where + ": " + p.name + " is written twice");
        }
    }

    void checkCommon(const ModelInfo& info) {
        std::string error;
        Layout layout;
        layout.model = upper(info.model);
        const auto names = expand(list_, layout, error);
        if (!error.empty()) return fail(error);
        for (const FileRoute& r : vendor_.files) {
            if (r.kind != FileKind::kCommon || r.template_name.empty()) continue;
            Params params;
            const std::string where = info.model + " " + r.template_name;
            if (renderParams(input(r, info.model, nullptr), where, params)) checkNames(params, names, where);
        }
    }

    void checkPhone(const Phone& phone) {
        std::string error;
        const auto names = expand(list_, phone.layout, error);
        if (!error.empty()) return fail(error);
        const std::string model = phone.layout.model + (phone.module.empty() ? "" : " with " +
                                  std::to_string(phone.layout.modules) + " x " + phone.module);
        Phone bare = phone;
        bare.profile.lines.clear();
        bare.profile.keys.clear();
        std::set<std::string> slots_written;  // "account 3", "key 7": in some parameter of their own
        std::set<std::string> bare_slots;
        for (const FileRoute& r : vendor_.files) {
            if (r.kind != FileKind::kDevice || r.template_name.empty()) continue;
            const std::string where = model + " " + r.template_name;
            Params full, empty;
            if (!renderParams(input(r, phone.layout.model, &phone.profile), where, full)) continue;
            if (!renderParams(input(r, phone.layout.model, &bare.profile), where + " (no lines, no keys)", empty))
                continue;
            checkNames(full, names, where);
            checkNames(empty, names, where + " (no lines, no keys)");
            // The firmware keys are written only for a phone told to upgrade.
            Params upgrade;
            if (renderParams(input(r, phone.layout.model, &phone.profile, true),
                             where + " (firmware upgrade)", upgrade)) {
                checkNames(upgrade, names, where + " (firmware upgrade)");
                checkOwners(upgrade, names, where + " (firmware upgrade)", slots_written);
            }
            checkOwners(full, names, where, slots_written);
            for (const Param& p : empty) {
                auto it = names.find(p.name);
                if (it != names.end() && it->second.kind != Owner::kGlobal) bare_slots.insert(it->second.describe());
            }
            checkGlobalsStable(phone, r, full, empty, names, where);
        }
        // Every slot of the phone written: used ones hold their values, unused
        // ones are still named (blanked) when the phone has none.
        for (int n = 1; n <= phone.layout.lines; ++n) {
            const std::string s = Owner{Owner::kAccount, n}.describe();
            if (!slots_written.count(s)) fail(model + ": " + s + "'s values are written nowhere of its own");
            if (!bare_slots.count(s)) fail(model + ": " + s + " is not written (blanked) when unused");
        }
        for (int k = 1; k <= phone.layout.keys + phone.layout.modules * phone.layout.module_keys; ++k) {
            const std::string s = Owner{Owner::kKey, k}.describe();
            if (phone.profile.keys.size() >= static_cast<size_t>(k) && !slots_written.count(s))
                fail(model + ": " + s + "'s values are written nowhere of its own");
            if (!bare_slots.count(s)) fail(model + ": " + s + " is not written (blanked) when unused");
        }
    }

    // Each marker in a parameter of the slot it came from.
    void checkOwners(const Params& params, const std::map<std::string, Owner>& names, const std::string& where,
                     std::set<std::string>& slots_written) {
        static const std::map<char, std::string> fields = {{'x', "extension"}, {'p', "password"},
                                                           {'d', "display name"}, {'v', "value"},
                                                           {'l', "label"}};
        for (const Param& p : params) {
            auto it = names.find(p.name);
            const Owner owner = it == names.end() ? Owner{Owner::kGlobal, 0} : it->second;
            for (const Marker& m : markersIn(p.value)) {
                if (m.slot == owner) {
                    slots_written.insert(owner.describe());
                    continue;
                }
                fail(where + ": " + m.slot.describe() + "'s " + fields.at(m.field) + " (" + m.text + ") is in " +
                     p.name + ", which " + (it == names.end() ? "the list does not know" : "belongs to " +
                     owner.describe()));
            }
        }
    }

    // A global parameter does not change with the phone's lines and keys
    // (Grandstream P1376, auto-attended transfer, would take key 7's line).
    // On a change, finds the slots whose removal changes it.
    void checkGlobalsStable(const Phone& phone, const FileRoute& route, const Params& full, const Params& empty,
                            const std::map<std::string, Owner>& names, const std::string& where) {
        std::map<std::string, std::string> before;
        for (const Param& p : empty) before.emplace(p.name, p.value);
        for (const Param& p : full) {
            auto it = names.find(p.name);
            if (it == names.end() || it->second.kind != Owner::kGlobal) continue;
            auto b = before.find(p.name);
            if (b == before.end() || b->second == p.value) continue;
            std::string culprits;
            for (size_t i = 0; i < phone.profile.keys.size() + phone.profile.lines.size(); ++i) {
                Phone less = phone;
                std::string slot;
                if (i < phone.profile.keys.size()) {
                    less.profile.keys.erase(less.profile.keys.begin() + static_cast<long>(i));
                    slot = "key " + std::to_string(phone.profile.keys[i].index);
                } else {
                    const size_t l = i - phone.profile.keys.size();
                    less.profile.lines.erase(less.profile.lines.begin() + static_cast<long>(l));
                    slot = "account " + std::to_string(phone.profile.lines[l].phone_reg);
                }
                Params out;
                if (!renderParams(input(route, phone.layout.model, &less.profile), where, out)) break;
                for (const Param& q : out)
                    if (q.name == p.name && q.value != p.value) culprits += (culprits.empty() ? "" : ", ") + slot;
            }
            fail(where + ": " + p.name + " (global settings) is '" + b->second + "' on a phone with no lines or keys but '" +
                 p.value + "' on a full one; it changes with " + (culprits.empty() ? "no single slot" : culprits));
        }
    }

    const TemplateSet& templates_;
    const VendorSpec& vendor_;
    mutable std::map<const VendorSpec*, SettingsMap> settings_;
    const std::shared_ptr<const std::string> trust_;
    List list_;
    std::vector<std::string> failures_;
};

// CONFORMANCE_TEMPLATES=<dir> checks another vendor-templates tree.
std::string templatesDir() {
    const char* dir = std::getenv("CONFORMANCE_TEMPLATES");
    return dir ? dir : TEMPLATES_DIR;
}

void checkVendor(const std::string& id) {
    auto catalog = VendorCatalog::load(templatesDir());
    if (!catalog) FAIL(catalog.error().message);
    auto templates = TemplateSet::load(catalog.value());
    if (!templates) FAIL(templates.error().message);
    const VendorSpec* vendor = catalog.value().findVendor(id);
    REQUIRE(vendor);
    REQUIRE(!vendor->models.empty());
    const auto failures = Checker(*templates.value(), *vendor).run();
    if (std::getenv("CONFORMANCE_ALL")) {  // every failure on its own line
        for (const auto& f : failures) FAIL_CHECK(f);
        return;
    }
    // One line for each kind of failure of a model: the first, and how many
    // more differ from it only in numbers (key 8, key 9 ... of one model).
    std::vector<std::pair<std::string, int>> kinds;
    std::map<std::string, size_t> seen;
    static const std::regex digits("[0-9]+");
    for (const auto& f : failures) {
        const std::string model = f.substr(0, f.find(' ', f.find(' ') + 1));
        const std::string shape = model + std::regex_replace(f.substr(model.size()), digits, "#");
        auto [it, fresh] = seen.emplace(shape, kinds.size());
        if (fresh) kinds.emplace_back(f, 0);
        else ++kinds[it->second].second;
    }
    for (const auto& [first, more] : kinds)
        FAIL_CHECK(first + (more ? " (and " + std::to_string(more) + " more like it)" : ""));
    CHECK(failures.empty());
}

}  // namespace

TEST_CASE("conformance: every vendor in vendor-templates has a list") {
    auto catalog = VendorCatalog::load(templatesDir());
    if (!catalog) FAIL(catalog.error().message);
    REQUIRE(catalog.value().vendors().size() >= 6);
    for (const auto& v : catalog.value().vendors()) {
        if (v->softphone) {  // an application, not a phone: no file to check
            CHECK(v->files.empty());
            continue;
        }
        INFO("vendor " << v->id << " has no tests/data/conformance/" << v->id << ".txt");
        CHECK(std::ifstream(std::string(CONFORMANCE_DIR) + "/" + v->id + ".txt").good());
    }
}

TEST_CASE("conformance: yealink") { checkVendor("yealink"); }
TEST_CASE("conformance: polycom") { checkVendor("polycom"); }
TEST_CASE("conformance: cisco") { checkVendor("cisco"); }
TEST_CASE("conformance: grandstream") { checkVendor("grandstream"); }
TEST_CASE("conformance: snom") { checkVendor("snom"); }
TEST_CASE("conformance: fanvil") { checkVendor("fanvil"); }
TEST_CASE("conformance: aastra") { checkVendor("aastra"); }
TEST_CASE("conformance: gigaset") { checkVendor("gigaset"); }

TEST_CASE("conformance: vendors added later") {
    auto catalog = VendorCatalog::load(templatesDir());
    if (!catalog) FAIL(catalog.error().message);
    const std::set<std::string> named = {"yealink", "polycom", "cisco",  "grandstream",
                                         "snom",    "fanvil",  "aastra", "gigaset"};
    for (const auto& v : catalog.value().vendors())
        if (!named.count(v->id) && !v->softphone) checkVendor(v->id);
}

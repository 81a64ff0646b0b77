#include "provisioner/render/render_context.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "provisioner/core/mac_address.h"
#include "provisioner/render/phone_settings.h"
#include "provisioner/render/provisioning_url.h"
#include "provisioner/render/timezone.h"
#include "provisioner/render/trust_source.h"
#include "provisioner/render/zone_fields.h"
#include "provisioner/tz/civil_time.h"

namespace prov {

const ModelInfo* modelInfo(const RenderInput& in) {
    if (in.profile && !in.profile->device.model.empty()) {
        if (const ModelInfo* stored = in.vendor->findModel(in.profile->device.model)) return stored;
    }
    return in.vendor->findModel(in.model);
}

namespace {

using kainjow::mustache::data;

std::string setting(const SettingsMap& s, const char* key) {
    auto it = s.find(key);
    return it == s.end() ? "" : it->second;
}

data flag(bool b) { return b ? data(data::type::bool_true) : data(data::type::bool_false); }

// Sets a member without copying `value` (data::set copies: a list of key
// slots is hundreds of objects).
void put(data& obj, const std::string& name, data&& value) { obj[name] = std::move(value); }

std::string leadingNumber(const std::string& firmware) {
    size_t n = 0;
    while (n < firmware.size() && std::isdigit(static_cast<unsigned char>(firmware[n]))) ++n;
    std::string digits = firmware.substr(0, n);
    while (digits.size() > 1 && digits[0] == '0') digits.erase(0, 1);
    return digits;
}

std::string mapped(const std::map<std::string, std::string>& m, const std::string& key) {
    auto it = m.find(key);
    return it == m.end() ? "" : it->second;
}

// The provisioning server in each shape a vendor takes, so that templates
// never cut strings: the whole URL ending in '/', the same without it, the
// server without scheme, and the scheme as the vendor's own code. Returns the
// whole URL ("" when there is none).
std::string addProvisioningUrl(data& ctx, const RenderInput& in) {
    const std::optional<ProvisioningUrl> url = splitProvisioningUrl(setting(in.settings, "provisioning_url"));
    const std::string base = url ? url->scheme + "://" + url->host + url->path : "";
    ctx.set("provisioning_url", url ? base + "/" : "");
    ctx.set("has_provisioning_url", flag(url.has_value()));
    ctx.set("provisioning_base", base);
    ctx.set("provisioning_scheme", url ? url->scheme : "");
    ctx.set("provisioning_host", url ? url->host : "");
    ctx.set("provisioning_path", url ? url->path : "");
    ctx.set("provisioning_server", url ? url->host + url->path : "");
    // Host and port apart, for phones with a field for each (Aastra "http
    // server", "http port"); the port is the scheme's own when the URL has none.
    const size_t colon = url ? url->host.rfind(':') : std::string::npos;
    const bool has_port = colon != std::string::npos && url->host.find(']', colon) == std::string::npos;
    const std::string default_port = !url                     ? ""
                                     : url->scheme == "https" ? "443"
                                     : url->scheme == "tftp"  ? "69"
                                                              : "80";
    ctx.set("provisioning_hostname", url ? url->host.substr(0, has_port ? colon : std::string::npos) : "");
    ctx.set("provisioning_port", has_port ? url->host.substr(colon + 1) : default_port);
    for (const char* scheme : {"http", "https", "tftp"})
        ctx.set(std::string("provisioning_is_") + scheme, flag(url && url->scheme == scheme));
    const std::string code = url ? mapped(in.vendor->provisioning_protocols, url->scheme) : "";
    ctx.set("provisioning_protocol_code", code);
    ctx.set("has_provisioning_protocol_code", flag(!code.empty()));
    return url ? base + "/" : "";
}

// The zone's standard offset and daylight-saving rule, in the pieces
// render/zone_fields.h describes; an unknown name (only a store edited by
// hand holds one) renders as UTC without DST.
void addTimeZone(data& ctx, const RenderInput& in, const std::string& name) {
    using namespace std::chrono;
    const int64_t now =
        in.utc_now ? *in.utc_now : duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
    const auto rules = zoneRules(name, now).value_or(tz::PosixTz{"UTC", 0, std::nullopt});
    const ZoneFields fields = zoneFields(name, rules, tz::yearOfDay(tz::floorDiv(now, 86400)));
    const ZoneVariables vars = zoneVariables(fields);
    for (const auto& [k, v] : vars.text) ctx.set(k, v);
    for (const auto& [k, v] : vars.flags) ctx.set(k, flag(v));
    const auto& names = in.vendor->time_zone_names;
    auto it = names.find(name);
    if (it == names.end()) it = names.find(vars.text.at("tz_offset"));
    if (it != names.end()) {
        ctx.set("tz_vendor_name", it->second);
    } else {
        ctx.set("tz_vendor_name", flag(false));
    }
}

// The CA certificate phones are given to trust, in the two shapes vendors
// take: its PEM a line at a time (a template joins them as its format needs:
// a newline in XML text, `&#10;` in an XML attribute, which would otherwise
// fold it to a space) and the URL it is served at beside the configs.
void addTrust(data& ctx, const RenderInput& in, const std::string& provisioning_url) {
    data lines(data::type::list);
    if (in.trust_pem) {
        size_t start = 0;
        while (start < in.trust_pem->size()) {  // bounded: each turn moves past a newline
            size_t nl = in.trust_pem->find('\n', start);
            if (nl == std::string::npos) nl = in.trust_pem->size();
            data l;
            l.set("line", in.trust_pem->substr(start, nl - start));
            lines.push_back(l);
            start = nl + 1;
        }
    }
    const bool has = in.trust_pem && !in.trust_pem->empty();
    ctx.set("has_trust", flag(has));
    ctx.set("trust_ca_lines", lines);
    ctx.set("has_trust_url", flag(has && !provisioning_url.empty()));
    ctx.set("trust_url", has && !provisioning_url.empty() ? provisioning_url + kTrustFileName : "");
}

void addSettings(data& ctx, const RenderInput& in) {
    const SettingsMap& s = in.settings;
    const std::string transport = setting(s, "sip_transport");
    ctx.set("sip_server", setting(s, "sip_server"));
    ctx.set("has_sip_server", flag(!setting(s, "sip_server").empty()));
    ctx.set("sip_port", setting(s, "sip_port"));
    ctx.set("sip_transport", transport);
    ctx.set("transport_code", mapped(in.vendor->transports, transport));
    ctx.set("voicemail_number", setting(s, "voicemail_number"));
    ctx.set("ntp_server", setting(s, "ntp_server"));
    ctx.set("timezone", setting(s, "timezone"));
    addTimeZone(ctx, in, setting(s, "timezone"));
    addTrust(ctx, in, addProvisioningUrl(ctx, in));
    const std::string resync = setting(s, "resync_interval");
    const long seconds = resync.empty() ? 0 : std::stol(resync);
    ctx.set("resync_interval", std::to_string(seconds));
    ctx.set("resync_minutes", std::to_string((seconds + 59) / 60));
    ctx.set("resync_hours", std::to_string((seconds + 3599) / 3600));
    ctx.set("has_resync", flag(seconds > 0));
    ctx.set("dial_plan", setting(s, "dial_plan"));
    ctx.set("has_dial_plan", flag(!setting(s, "dial_plan").empty()));
    addPhoneSettings(ctx, in);
}

// Line `number`'s parameter names (vendor.json line_params), if any.
data lineParams(const VendorSpec& vendor, int number) {
    data p;
    const size_t slot = static_cast<size_t>(number - 1);
    if (number >= 1 && slot < vendor.line_params.size()) {
        for (const auto& [k, v] : vendor.line_params[slot]) p.set(k, v);
    }
    return p;
}

// Key `index`'s parameter names: from the model's key table where it has
// one (catalog/key_ranges.h; none for a key the table lacks), else the
// vendor's key_params formula, none past key_params_max.
data keyParams(const VendorSpec& vendor, const ModelInfo* model, int index) {
    data p;
    if (model && !model->key_ranges.empty()) {
        for (const auto& [name, number] : keyRangeParams(model->key_ranges, index))
            p.set(name, "P" + std::to_string(number));
        return p;
    }
    if (vendor.key_params_max > 0 && index > vendor.key_params_max) return p;
    for (const auto& [name, series] : vendor.key_params)
        p.set(name, "P" + std::to_string(series.first + series.second * (index - 1)));
    return p;
}

// A line's number in five digits (Gigaset's "SipAccount.00002"); more digits stay as they are.
std::string padded5(int n) {
    std::string s = std::to_string(n);
    return s.size() >= 5 ? s : std::string(5 - s.size(), '0') + s;
}

data lineData(const RenderInput& in, const Extension& e, size_t i) {
    const SettingsMap& s = in.settings;
    data l;
    l.set("number", std::to_string(e.phone_reg));
    l.set("number5", padded5(e.phone_reg));
    l.set("index0", std::to_string(e.phone_reg - 1));
    l.set("extension", e.extension);
    l.set("user", e.extension);
    l.set("auth_user", e.extension);
    l.set("password", e.secret);
    l.set("display_name", e.callerid_name);
    l.set("label", e.extension);
    l.set("external_callerid", e.external_callerid);
    l.set("has_external_callerid", flag(!e.external_callerid.empty()));
    l.set("voicemail_number", setting(s, "voicemail_number"));
    l.set("sip_server", setting(s, "sip_server"));
    l.set("sip_port", setting(s, "sip_port"));
    l.set("transport_code", mapped(in.vendor->transports, setting(s, "sip_transport")));
    l.set("first", flag(i == 0));
    put(l, "p", lineParams(*in.vendor, e.phone_reg));
    return l;
}

// The key codes for this phone: its model's own where the vendor's families
// number them differently (vendor.json models.<model>.button_types), else
// the vendor's.

const std::map<std::string, std::string>& buttonTypes(const RenderInput& in) {
    const ModelInfo* m = modelInfo(in);
    return m && !m->button_types.empty() ? m->button_types : in.vendor->button_types;
}

// Where key `index` sits on a model whose first keys are on-screen and the
// rest physical, each kind numbered from 1 in the vendor's files
// (ModelInfo::virtual_keys; Grandstream VPK K and MPK M = key
// virtual_keys+M): `virtual_key` or `physical_key`, and `bank_key` its
// number among its kind. Every key of a model with one kind is virtual.
// `line_default`: an on-screen key K no higher than the model's lines, whose
// own default is line K's appearance (an unused one is given back to it).
void addKeyBank(data& k, const RenderInput& in, int index) {
    const ModelInfo* m = modelInfo(in);
    const int split = m ? m->virtual_keys : 0;
    const bool physical = split > 0 && index > split;
    k.set("virtual_key", flag(!physical));
    k.set("physical_key", flag(physical));
    k.set("bank_key", std::to_string(physical ? index - split : index));
    // The kind's own name where vendor.json gives one (Aastra "softkey").
    const size_t bank = physical ? 1 : 0;
    k.set("bank_name", m && bank < m->bank_names.size() ? m->bank_names[bank] : std::string());
    k.set("line_default", flag(m && !physical && index <= m->lines));
}

data keyData(const RenderInput& in, const Button& b, int type_index) {
    data k;
    k.set("used", flag(true));
    k.set("index", std::to_string(b.index));
    k.set("index0", std::to_string(b.index - 1));
    k.set("type", b.type);
    k.set("code", mapped(buttonTypes(in), b.type));
    k.set("value", b.value);
    k.set("label", b.label.empty() ? b.value : b.label);
    // What a line key shows when it has no label of its own: its line's number.
    std::string line_label = b.label.empty() ? b.value : b.label;
    for (const Extension& e : in.profile->lines) {
        if (line_label.empty() && e.phone_reg == b.line) line_label = e.extension;
    }
    k.set("line_label", line_label);
    k.set("line", std::to_string(b.line));
    k.set("line0", std::to_string(b.line - 1));
    k.set("type_index", std::to_string(type_index));
    const bool known = b.type == "line" || b.type == "blf" || b.type == "speed_dial" || b.type == "park" ||
                       b.type == "voicemail" || b.type == "dnd" || b.type == "transfer";
    for (const char* t : {"line", "blf", "speed_dial", "park", "voicemail", "dnd", "transfer"})
        k.set(std::string("is_") + t, flag(b.type == t));
    k.set("is_other", flag(!known));
    put(k, "p", keyParams(*in.vendor, modelInfo(in), b.index));
    addKeyBank(k, in, b.index);
    return k;
}

// The device's keys, and for a vendor with `line_key_per_line` a line key
// for each line that no `line` button names: at the first key no button
// uses, from the line's own number on, within the model's keys when the
// model is known. In key order.
std::vector<Button> keysToWrite(const RenderInput& in) {
    std::vector<Button> keys = in.profile->keys;
    if (!in.vendor->line_key_per_line) return keys;
    std::set<int> used, keyed;
    for (const Button& b : keys) {
        // A button the vendor has no code for is never written: its key is free.
        if (!buttonTypes(in).count(b.type)) continue;
        used.insert(b.index);
        if (b.type == "line") keyed.insert(b.line);
    }
    // A key of a range without lines (catalog/key_ranges.h) is no line's.
    const ModelInfo* info = modelInfo(in);
    auto takesLine = [info](int index) {
        const KeyRange* r = info ? findKeyRange(info->key_ranges, index) : nullptr;
        return !r || r->line_keys;
    };
    // A known model has its number of keys (0 for one with none: a
    // conference phone, an adapter); an unknown one, no limit we know of.
    std::optional<int> limit;
    if (const ModelInfo* model = modelInfo(in)) limit = model->keys;
    for (const Extension& e : in.profile->lines) {
        if (keyed.count(e.phone_reg)) continue;
        int index = e.phone_reg;
        // bounded: `used` is finite, and past the key table's last range every key takes a line
        while (used.count(index) || !takesLine(index)) ++index;
        if (limit && index > *limit) continue;  // no free key: the line has no call appearance
        used.insert(index);
        keys.push_back(Button{index, "line", "", "", e.phone_reg});
    }
    std::stable_sort(keys.begin(), keys.end(), [](const Button& a, const Button& b) { return a.index < b.index; });
    return keys;
}

// The slots the phone has: the model's counts from vendor.json, or for a
// model the table does not know the largest of the vendor's (a phone ignores
// a slot it lacks; a slot it has and the file leaves out keeps its old
// value). A slot in use past them (a line at 1000, a key at 512 on a model
// the table lacks) is written on its own, not with every blank slot before
// it: the blank ones stop at the model's count.
struct SlotCounts {
    int lines = 0;
    int keys = 0;
};

SlotCounts slotCounts(const RenderInput& in) {
    SlotCounts n;
    if (const ModelInfo* model = modelInfo(in)) {
        n = {model->lines, model->keys};
    } else {
        for (const auto& [name, info] : in.vendor->models) {
            n.lines = std::max(n.lines, info.lines);
            n.keys = std::max(n.keys, info.keys);
        }
    }
    return n;
}

// Every account slot: the bound extension's line where there is one, else an
// unused slot (`used` false) with empty values, for the template to write
// disabled and blank.
data accountSlots(const RenderInput& in, int count) {
    std::map<int, size_t> by_slot;
    for (size_t i = 0; i < in.profile->lines.size(); ++i) by_slot.emplace(in.profile->lines[i].phone_reg, i);
    data slots(data::type::list);
    const int last = by_slot.empty() ? count : std::max(count, by_slot.rbegin()->first);
    for (int n = 1; n <= last; ++n) {
        auto it = by_slot.find(n);
        if (it != by_slot.end()) {
            data l = lineData(in, in.profile->lines[it->second], it->second);
            l.set("used", flag(true));
            slots.push_back(l);
            continue;
        }
        if (n > count) continue;  // past the model's slots: only the used ones
        data l;
        l.set("used", flag(false));
        l.set("number", std::to_string(n));
        l.set("number5", padded5(n));
        l.set("index0", std::to_string(n - 1));
        l.set("first", flag(false));
        put(l, "p", lineParams(*in.vendor, n));
        slots.push_back(l);
    }
    return slots;
}

// The key index space of a known model with the device's expansion
// modules (catalog/vendor_catalog.h, KeySpace); nullopt for a model the
// table does not know.
std::optional<KeySpace> knownKeySpace(const RenderInput& in) {
    // The modules are the stored device's, checked against its stored model:
    // that model's space, whatever model a request names.
    const ModelInfo* model = modelInfo(in);
    if (!model) return std::nullopt;
    return keySpace(*model, in.profile->device.expansion_model, in.profile->device.expansion_count);
}

// The buttons (of types the vendor has) by key index, as key data.
std::map<int, data> usedKeys(const RenderInput& in, const std::vector<Button>& buttons) {
    std::map<int, data> used;
    std::map<std::string, int> per_type;
    for (const Button& b : buttons) {
        if (!buttonTypes(in).count(b.type)) continue;
        data k = keyData(in, b, ++per_type[b.type]);
        used.emplace(b.index, std::move(k));
    }
    return used;
}

// What unused key `n` is written as: the model's unused code and account 0,
// or where its key table says so (`default_line`, Grandstream's fixed VPKs)
// and the model has line n, the phone's own default, the line key of
// account n. The template reads `unused_key_code` and `unused_line0`.
void addUnusedKey(data& k, const RenderInput& in, const ModelInfo* model, int n) {
    const KeyRange* range = model ? findKeyRange(model->key_ranges, n) : nullptr;
    if (range && range->default_line && n <= model->lines && buttonTypes(in).count("line")) {
        k.set("unused_key_code", buttonTypes(in).at("line"));
        k.set("unused_line0", std::to_string(n - 1));
        return;
    }
    k.set("unused_key_code", model && !model->unused_key_code.empty() ? model->unused_key_code : "0");
    k.set("unused_line0", "0");
}

// Every key slot of the phone itself: the button there (of a type the
// vendor has), else an unused slot (`used` false) for the template to
// reset. A button on an expansion module's key is not here (expansionSlots);
// one past every key the phone has (stored before counts were enforced) is,
// as before: a phone ignores a key it lacks.
data keySlots(const RenderInput& in, const std::vector<Button>& buttons, int count,
              const std::optional<KeySpace>& space, const KeyPages& layout) {
    const ModelInfo* model = modelInfo(in);
    std::map<int, data> used = usedKeys(in, buttons);
    if (space) used.erase(used.upper_bound(space->base), used.upper_bound(space->total()));
    data slots(data::type::list);
    const int last = used.empty() ? count : std::max(count, used.rbegin()->first);
    for (int n = 1; n <= last; ++n) {
        auto it = used.find(n);
        if (it == used.end() && n > count) continue;  // past the model's keys: only the used ones
        data k = it != used.end() ? std::move(it->second) : data(data::type::object);
        if (it == used.end()) {
            k.set("used", flag(false));
            k.set("index", std::to_string(n));
            k.set("index0", std::to_string(n - 1));
            put(k, "p", keyParams(*in.vendor, model, n));
            addKeyBank(k, in, n);
            addUnusedKey(k, in, model, n);
        }
        const KeyPlace place = placeKey(layout, n);
        k.set("page", std::to_string(place.page));
        k.set("page_key", std::to_string(place.key));
        slots.push_back(k);
    }
    return slots;
}

// The key slots as the model lays them out (vendor.json `key_pages`):
// `side_key_slots` the side keys, `key_pages` one entry per screen page
// (`page`, `page_slots`, each slot with its `page_key`), so that a template
// writes each key where the phone has it without computing. A model without
// pages has every key on the side. Only the counts when `lists` is false (no
// tag of the template reads the lists).
void addKeyPages(data& ctx, const data& slots, const KeyPages& layout, bool lists) {
    ctx.set("has_key_pages", flag(layout.any()));
    ctx.set("key_page_count", std::to_string(layout.pages));
    if (!lists) {
        put(ctx, "side_key_slots", data(data::type::list));
        put(ctx, "key_pages", data(data::type::list));
        return;
    }
    data side(data::type::list);
    std::map<int, data> pages;
    for (int p = 1; p <= layout.pages; ++p) pages.emplace(p, data(data::type::list));
    for (const data& k : slots.list_value()) {
        const int page = std::stoi(k.get("page")->string_value());
        if (page == 0) {
            side.push_back(k);
        } else {
            auto [it, added] = pages.try_emplace(page, data(data::type::list));
            (void)added;
            it->second.push_back(k);
        }
    }
    data list(data::type::list);
    for (auto& [page, page_slots] : pages) {
        data d;
        d.set("page", std::to_string(page));
        d.set("page0", std::to_string(page - 1));
        put(d, "page_slots", std::move(page_slots));
        list.push_back(d);
    }
    put(ctx, "side_key_slots", std::move(side));
    put(ctx, "key_pages", std::move(list));
}

// Every key of the device's expansion modules, in index order (module m
// holds base+(m-1)*module_keys+1 .. base+m*module_keys): the button there or
// an unused slot, each with its `module` and `module_key` (1-based) and
// their 0-based forms, and its `p` where the module numbers its keys
// (vendor.json `expansion_modules.<module>.key_params`).
data expansionSlots(const RenderInput& in, const std::vector<Button>& buttons, const KeySpace& space) {
    std::map<int, data> used = usedKeys(in, buttons);
    const ModelInfo* model = modelInfo(in);
    const ExpansionModule* module_spec = model ? model->findExpansion(space.module_name) : nullptr;
    const bool numbered = module_spec && module_spec->key_params.any();
    data slots(data::type::list);
    for (int n = space.base + 1; n <= space.total(); ++n) {
        auto it = used.find(n);
        data k = it != used.end() ? std::move(it->second) : data(data::type::object);
        if (it == used.end()) {
            k.set("used", flag(false));
            k.set("index", std::to_string(n));
            k.set("index0", std::to_string(n - 1));
        }
        const int module = (n - space.base - 1) / space.module_keys + 1;
        const int module_key = (n - space.base - 1) % space.module_keys + 1;
        k.set("module", std::to_string(module));
        k.set("module0", std::to_string(module - 1));
        k.set("module_key", std::to_string(module_key));
        k.set("module_key0", std::to_string(module_key - 1));
        if (numbered) {
            data p;
            for (const auto& [name, number] : moduleKeyParams(module_spec->key_params, module, module_key))
                p.set(name, "P" + std::to_string(number));
            put(k, "p", std::move(p));
        }
        slots.push_back(k);
    }
    return slots;
}

}  // namespace

// The firmware a device is told to run (issue 14), in the shapes vendors
// take it. Offered (has_firmware_upgrade) only when the device has a
// target, a provisioning URL tells where to fetch it, and the firmware the
// phone reports differs from the target: a phone on its target is not told
// again. A phone that reports none (TFTP sends no User-Agent, and none is
// on record) is offered it: we cannot compare, and the vendors' own checks
// skip an image already running. The file is served from the root of
// firmware.dir, beside the configs, over the provisioning URL's scheme.
bool offersFirmware(const RenderInput& in) {
    return in.firmware_target && splitProvisioningUrl(setting(in.settings, "provisioning_url")) &&
           !sameFirmware(in.firmware, in.firmware_target->version);
}

void addFirmware(data& ctx, const RenderInput& in) {
    const std::optional<ProvisioningUrl> url = splitProvisioningUrl(setting(in.settings, "provisioning_url"));
    const FirmwareOffer* offer = in.firmware_target ? &*in.firmware_target : nullptr;
    const bool upgrade = offersFirmware(in);
    const std::string base = url ? url->scheme + "://" + url->host + url->path : "";
    ctx.set("has_firmware_upgrade", flag(upgrade));
    // The target's image whether or not the phone already runs it: for a
    // vendor whose "no upgrade" value is itself an image name (Polycom's
    // APP_FILE_PATH), so that a phone on its target is not sent back to
    // whatever that name holds.
    const bool target = offer && url;
    ctx.set("has_firmware_target", flag(target));
    ctx.set("firmware_target_file", target ? offer->file : "");
    ctx.set("firmware_version", upgrade ? offer->version : "");
    ctx.set("firmware_file", upgrade ? offer->file : "");
    ctx.set("firmware_url", upgrade ? base + "/" + offer->file : "");
    ctx.set("firmware_server", upgrade ? url->host + url->path : "");
    // Grandstream checks the image's prefix (P232) to decide on an upgrade.
    ctx.set("firmware_prefix", upgrade ? "v" + offer->version + "-" : "");
    ctx.set("firmware_protocol_code", upgrade ? mapped(in.vendor->provisioning_protocols, url->scheme) : "");
}

data buildContext(const RenderInput& in, const TagNames* names) {
    data ctx;
    ctx.set("vendor", in.vendor->id);
    ctx.set("vendor_name", in.vendor->name);
    ctx.set("file", in.file);
    ctx.set("model", in.model);
    ctx.set("firmware", in.firmware);
    // Mustache treats "" as true, so an unknown family is `false` for sections.
    const std::string family = leadingNumber(in.firmware);
    if (family.empty()) {
        ctx.set("firmware_family", flag(false));
        ctx.set("firmware_family12", flag(false));
    } else {
        ctx.set("firmware_family", family);
        ctx.set("firmware_family12", std::string(12 - std::min<size_t>(12, family.size()), '0') + family);
    }
    ctx.set("num", in.captures.num);
    addSettings(ctx, in);
    addFirmware(ctx, in);
    if (!in.profile) return ctx;

    const auto mac = MacAddress::parse(in.mac);
    ctx.set("mac", mac ? (in.vendor->mac_upper ? mac->upper() : mac->canonical()) : "");
    ctx.set("mac_lower", mac ? mac->canonical() : "");
    ctx.set("mac_upper", mac ? mac->upper() : "");
    ctx.set("mac_colons", mac ? mac->colons() : "");
    const std::string admin = setting(in.settings, "phone_admin_password");
    ctx.set("phone_admin_password", admin);
    ctx.set("has_admin_password", flag(!admin.empty()));
    // The device's own provisioning credentials (and AES key): its later
    // fetches must present them.
    const DeviceCredentials* creds = in.profile->credentials ? &*in.profile->credentials : nullptr;
    ctx.set("has_prov_credentials", flag(creds != nullptr));
    ctx.set("prov_user", creds ? creds->user : "");
    ctx.set("prov_password", creds ? creds->password : "");
    ctx.set("has_aes_key", flag(creds != nullptr && !creds->aes_key.empty()));
    ctx.set("aes_key", creds ? creds->aes_key : "");

    data lines(data::type::list);
    for (size_t i = 0; i < in.profile->lines.size(); ++i) lines.push_back(lineData(in, in.profile->lines[i], i));
    put(ctx, "lines", std::move(lines));
    ctx.set("has_lines", flag(!in.profile->lines.empty()));
    ctx.set("line_count", std::to_string(in.profile->lines.size()));

    data keys(data::type::list);
    std::map<std::string, int> per_type;
    bool any = false;
    // The buttons, with a line key per line where the vendor wants one.
    const std::vector<Button> buttons = keysToWrite(in);
    for (const Button& b : buttons) {
        if (!buttonTypes(in).count(b.type)) continue;  // the vendor has no such key
        keys.push_back(keyData(in, b, ++per_type[b.type]));
        any = true;
    }
    put(ctx, "keys", std::move(keys));
    ctx.set("has_keys", flag(any));

    const SlotCounts counts = slotCounts(in);
    put(ctx, "account_slots", accountSlots(in, counts.lines));
    const std::optional<KeySpace> space = knownKeySpace(in);
    // The key slot lists are most of a render's work, and each template
    // reads one way of listing them: a list no tag of the template names is
    // left out (an absent name renders as it would empty: no tag reads it).
    const auto wants = [&](const char* name) { return !names || names->count(name) > 0; };
    const bool want_pages = wants("side_key_slots") || wants("key_pages");
    const bool want_all = wants("all_key_slots");
    // The pages are the render's model's, as its slot counts are.
    const ModelInfo* laid_out = modelInfo(in);
    const KeyPages layout = laid_out ? laid_out->key_pages : KeyPages{};
    data base_slots = wants("key_slots") || want_pages || want_all
                          ? keySlots(in, buttons, counts.keys, space, layout)
                          : data(data::type::list);
    addKeyPages(ctx, base_slots, layout, want_pages);
    // What an unused key's mode is written as, where a model's family differs
    // (Grandstream GRP26xx: -1, none); "0" otherwise.
    const ModelInfo* info = modelInfo(in);
    ctx.set("unused_key_code", info && !info->unused_key_code.empty() ? info->unused_key_code : "0");
    // Expansion modules: their keys on their own, and after the phone's own
    // for vendors whose module keys continue its key numbers (Polycom, Snom).
    const bool modules = space && space->modules > 0;
    data exp_slots = modules && (wants("expansion_slots") || want_all) ? expansionSlots(in, buttons, *space)
                                                                      : data(data::type::list);
    data all_slots(data::type::list);
    if (want_all) {
        for (const data* list : {&base_slots, &exp_slots}) {
            for (const data& k : list->list_value()) all_slots.push_back(k);
        }
    }
    put(ctx, "key_slots", std::move(base_slots));
    put(ctx, "expansion_slots", std::move(exp_slots));
    put(ctx, "all_key_slots", std::move(all_slots));
    ctx.set("has_expansion", flag(modules));
    ctx.set("expansion_model", modules ? space->module_name : "");
    ctx.set("expansion_count", std::to_string(modules ? space->modules : 0));
    ctx.set("expansion_module_keys", std::to_string(modules ? space->module_keys : 0));
    // `expansion_is_<module>` (letters and digits, others '_': CP_8800_KEM),
    // for a vendor whose modules take different parameter names.
    if (modules) {
        std::string id = space->module_name;
        for (char& c : id) {
            if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
        }
        ctx.set("expansion_is_" + id, flag(true));
    }
    data module_list(data::type::list);
    for (int m = 1; modules && m <= space->modules; ++m) {
        data d;
        d.set("module", std::to_string(m));
        d.set("module0", std::to_string(m - 1));
        module_list.push_back(d);
    }
    put(ctx, "expansion_modules", std::move(module_list));
    return ctx;
}

TagNames tagNames(const std::string& text) {
    // Delimiters are always {{ }}: TemplateSet refuses templates that change them.
    // Space as the template engine trims it (std::isspace).
    static constexpr const char* kSpace = " \t\n\v\f\r";
    static constexpr const char* kSpaceDotBrace = " \t\n\v\f\r.}";
    TagNames names;
    for (size_t i = text.find("{{"); i != std::string::npos;) {
        const size_t end = text.find("}}", i + 2);
        if (end == std::string::npos) break;
        const size_t next = text.find("{{", end + 2);
        std::string tag = text.substr(i + 2, end - i - 2);
        i = next;
        const auto first = tag.find_first_not_of(kSpace);
        if (first == std::string::npos) continue;
        tag.erase(0, first);
        if (tag[0] == '!') continue;  // a comment, up to the first }}
        if (tag[0] == '#' || tag[0] == '^' || tag[0] == '/' || tag[0] == '>' || tag[0] == '{' || tag[0] == '&')
            tag.erase(0, 1);
        const auto start = tag.find_first_not_of(kSpace);
        if (start == std::string::npos) continue;
        const auto stop = tag.find_first_of(kSpaceDotBrace, start);
        const std::string name = tag.substr(start, stop == std::string::npos ? std::string::npos : stop - start);
        if (!name.empty()) names.insert(name);
    }
    return names;
}

}  // namespace prov

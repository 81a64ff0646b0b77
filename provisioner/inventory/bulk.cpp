// Inventory CSV import and export (docs/inventory-csv.md). An import runs
// every row through the same rules as the API (checkExtensionRules,
// bindDevice) inside one store transaction, collects every row's problems,
// and commits only when there are none and it is not a dry run.

#include <algorithm>
#include <array>
#include <optional>
#include <set>
#include <unordered_map>

#include "provisioner/core/csv.h"
#include "provisioner/core/mac_address.h"
#include "provisioner/core/text.h"
#include "provisioner/inventory/inventory.h"
#include "provisioner/model/json_codec.h"

namespace prov {

namespace {

enum Col {
    kMac, kMake, kModel, kSerial, kLabel,
    kExtension, kDeviceType, kCalleridName, kUser, kVoicemailEnabled, kVoicemailPin, kVoicemailEmail,
    kDid, kTwinningNumber, kExternalCallerid, kCallForward, kClassOfService, kPhoneGroup, kPhoneReg,
    kButtons, kSecret, kColumnCount
};

// Export order; the import takes any order.
constexpr std::array<const char*, kColumnCount> kNames = {
    "mac", "make", "model", "serial", "label",
    "extension", "device_type", "callerid_name", "user", "voicemail_enabled", "voicemail_pin", "voicemail_email",
    "did", "twinning_number", "external_callerid", "call_forward", "class_of_service", "phone_group", "phone_reg",
    "buttons", "secret"};

std::optional<Col> columnNamed(std::string name) {
    name = text::toLower(text::trim(name));
    if (name == "site") return kLabel;
    if (name == "phone_make") return kMake;
    if (name == "phone_model") return kModel;
    for (int c = 0; c < kColumnCount; ++c) {
        if (name == kNames[c]) return static_cast<Col>(c);
    }
    return std::nullopt;
}

// The column a rule's field name is reported under.
std::string columnOfField(const std::string& field) {
    if (field == "phone_make") return "make";
    if (field == "phone_model") return "model";
    if (field.rfind("buttons", 0) == 0) return "buttons";
    return field;
}

std::optional<bool> parseBool(const std::string& v) {
    const std::string s = text::toLower(text::trim(v));
    if (s.empty() || s == "false" || s == "no" || s == "0" || s == "off" || s == "n") return false;
    if (s == "true" || s == "yes" || s == "1" || s == "on" || s == "y") return true;
    return std::nullopt;
}

// Buttons in one cell: "index:type[:value[:label[:line]]]" joined by '|';
// '\' escapes ':', '|' and '\' inside a value or label.
std::string formatButtons(const std::vector<Button>& buttons) {
    auto esc = [](const std::string& s) {
        std::string out;
        for (char c : s) {
            if (c == ':' || c == '|' || c == '\\') out.push_back('\\');
            out.push_back(c);
        }
        return out;
    };
    std::string out;
    for (const Button& b : buttons) {
        if (!out.empty()) out.push_back('|');
        std::vector<std::string> parts = {std::to_string(b.index), b.type, esc(b.value), esc(b.label),
                                          b.line == 1 ? "" : std::to_string(b.line)};
        while (parts.size() > 2 && parts.back().empty()) parts.pop_back();
        for (size_t i = 0; i < parts.size(); ++i) {
            if (i) out.push_back(':');
            out += parts[i];
        }
    }
    return out;
}

std::optional<std::vector<Button>> parseButtons(const std::string& cell, std::string& why) {
    std::vector<Button> out;
    if (text::trim(cell).empty()) return out;
    std::vector<std::vector<std::string>> items(1, std::vector<std::string>(1));
    for (size_t i = 0; i < cell.size(); ++i) {
        const char c = cell[i];
        if (c == '\\' && i + 1 < cell.size()) {
            items.back().back().push_back(cell[++i]);
        } else if (c == ':') {
            items.back().emplace_back();
        } else if (c == '|') {
            items.emplace_back(1);
        } else {
            items.back().back().push_back(c);
        }
    }
    for (size_t n = 0; n < items.size(); ++n) {
        const auto& p = items[n];
        const std::string where = "button " + std::to_string(n + 1) + " ";
        if (p.size() < 2 || p.size() > 5) {
            why = where + "must be index:type[:value[:label[:line]]] (entries separated by '|')";
            return std::nullopt;
        }
        Button b;
        const std::string idx = text::trim(p[0]);
        if (!text::isDigits(idx) || idx.size() > 4) {
            why = where + "has index '" + idx + "': must be a number";
            return std::nullopt;
        }
        b.index = std::stoi(idx);
        b.type = text::trim(p[1]);
        if (p.size() > 2) b.value = text::trim(p[2]);
        if (p.size() > 3) b.label = p[3];
        if (p.size() > 4 && !text::trim(p[4]).empty()) {
            const std::string line = text::trim(p[4]);
            if (!text::isDigits(line) || line.size() > 4) {
                why = where + "has line '" + line + "': must be a number";
                return std::nullopt;
            }
            b.line = std::stoi(line);
        }
        out.push_back(std::move(b));
    }
    FieldErrors errors;
    validateButtons(out, errors);
    if (!errors.empty()) {
        // "buttons[2].type" -> "button 3 type: ..."
        const auto& [field, reason] = *errors.begin();
        std::string f = field;
        if (f.rfind("buttons[", 0) == 0) {
            const size_t close = f.find(']');
            const int i = std::stoi(f.substr(8, close - 8));
            f = "button " + std::to_string(i + 1) + " " + f.substr(close + 2);
        }
        why = f + " " + reason;
        return std::nullopt;
    }
    std::sort(out.begin(), out.end(), [](const Button& a, const Button& b) { return a.index < b.index; });
    return out;
}

bool sameButtons(const std::vector<Button>& a, const std::vector<Button>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (a[i].index != b[i].index || a[i].type != b[i].type || a[i].value != b[i].value ||
            a[i].label != b[i].label || a[i].line != b[i].line)
            return false;
    }
    return true;
}

bool sameEditable(const Extension& a, const Extension& b) {
    return a.device_type == b.device_type && a.callerid_name == b.callerid_name && a.user == b.user &&
           a.voicemail_enabled == b.voicemail_enabled && a.voicemail_pin == b.voicemail_pin &&
           a.voicemail_email == b.voicemail_email && a.did == b.did && a.twinning_number == b.twinning_number &&
           a.external_callerid == b.external_callerid && a.call_forward == b.call_forward &&
           a.class_of_service == b.class_of_service && a.phone_group == b.phone_group && a.secret == b.secret &&
           a.mac == b.mac && a.phone_reg == b.phone_reg;
}

std::string macText(const std::string& mac) {
    auto m = MacAddress::parse(mac);
    return m ? m->colons() : mac;
}

// One data row after the checks that need no store.
struct Row {
    size_t line = 0;
    const std::vector<std::string>* fields = nullptr;
    std::string mac;  // canonical, or empty
    std::string extension;  // empty on a device-only row
    std::optional<int> phone_reg;  // given and valid
    std::optional<bool> voicemail_enabled;
    std::optional<DeviceType> device_type;
    std::optional<std::vector<Button>> buttons;
    bool failed = false;
};

// The device fields a MAC gets from the file (from its first row).
struct DeviceRow {
    size_t line = 0;
    std::string mac;
    std::array<std::optional<std::string>, kLabel + 1> values;  // kMake..kLabel given
};

}  // namespace

Result<ImportReport> Inventory::importCsv(std::string_view bytes, const ImportOptions& options, const Actor& actor) {
    auto parsed = csv::parse(bytes);
    if (!parsed) return parsed.error();
    const csv::Table& table = parsed.value();
    auto shape = [](std::string m) { return Error{Code::kInvalidArgument, "invalid_csv", std::move(m), {}, {}}; };
    if (table.records.empty()) return shape("the file is empty: the first line must name the columns (mac, extension, ...)");

    // The header: known names only, each once.
    const auto& header = table.records[0].fields;
    std::array<int, kColumnCount> at;
    at.fill(-1);
    for (size_t i = 0; i < header.size(); ++i) {
        auto c = columnNamed(header[i]);
        if (!c) {
            std::string known;
            for (const char* n : kNames) known += std::string(known.empty() ? "" : ", ") + n;
            return shape("not an inventory file: column " + std::to_string(i + 1) + " of the header is '" +
                         text::trim(header[i]).substr(0, 40) + "', which is not a field name (" + known + ", site)");
        }
        if (at[*c] != -1)
            return shape("the header names '" + std::string(kNames[*c]) + "' twice (columns " +
                         std::to_string(at[*c] + 1) + " and " + std::to_string(i + 1) + ")");
        at[*c] = static_cast<int>(i);
    }
    if (at[kMac] < 0 && at[kExtension] < 0)
        return shape("not an inventory file: the header has neither a 'mac' nor an 'extension' column");

    ImportReport report;
    report.dry_run = options.dry_run;
    auto problem = [&](size_t line, std::string column, std::string reason) {
        report.problems.push_back({line, std::move(column), std::move(reason)});
    };
    auto has = [&](Col c) { return at[c] >= 0; };

    // Pass 1: each row on its own, and against the rows above it.
    std::vector<Row> rows;
    rows.reserve(table.records.size());
    std::unordered_map<std::string, size_t> ext_lines;        // extension -> line
    std::map<std::pair<std::string, int>, size_t> slot_lines;  // (mac, phone_reg) -> line
    std::unordered_map<std::string, size_t> device_index;      // mac -> index in devices
    std::set<std::string> macs_with_lines;                     // devices that get an extension
    std::vector<DeviceRow> devices;
    const size_t total = table.records.size() - 1;
    for (size_t r = 1; r < table.records.size(); ++r) {
        const csv::Record& rec = table.records[r];
        if (options.progress && r % 2000 == 0) options.progress("checking", r, total);
        bool blank = true;
        for (const auto& f : rec.fields) blank = blank && text::trim(f).empty();
        if (blank) continue;
        ++report.rows;
        Row row;
        row.line = rec.line;
        row.fields = &rec.fields;
        if (rec.fields.size() != header.size()) {
            problem(rec.line, "", "has " + std::to_string(rec.fields.size()) + " fields but the header has " +
                                      std::to_string(header.size()) + " (check the quoting and the delimiter '" +
                                      std::string(1, table.delimiter) + "')");
            continue;
        }
        auto cell = [&](Col c) -> std::string { return has(c) ? rec.fields[static_cast<size_t>(at[c])] : ""; };
        auto fail = [&](Col c, std::string reason) {
            problem(rec.line, kNames[c], std::move(reason));
            row.failed = true;
        };
        const std::string mac_cell = text::trim(cell(kMac));
        if (!mac_cell.empty()) {
            auto mac = MacAddress::parse(mac_cell);
            if (!mac) {
                fail(kMac, "'" + mac_cell.substr(0, 40) + "' is not a MAC address (12 hex digits, any separator)");
            } else {
                row.mac = mac->canonical();
            }
        }
        const std::string ext = text::trim(cell(kExtension));
        row.extension = ext;
        if (ext.empty()) {
            // A device-only row: extension fields make no sense without an extension.
            for (int c = kDeviceType; c < kColumnCount; ++c) {
                if (has(static_cast<Col>(c)) && !text::trim(cell(static_cast<Col>(c))).empty()) {
                    fail(kExtension, std::string("is required when ") + kNames[c] + " is given");
                    break;
                }
            }
            if (mac_cell.empty() && !row.failed) fail(kMac, "is required on a row without an extension");
        } else {
            if (auto [it, fresh] = ext_lines.emplace(ext, rec.line); !fresh)
                fail(kExtension, "extension " + ext + " is already on line " + std::to_string(it->second));
        }
        if (has(kDeviceType) && !text::trim(cell(kDeviceType)).empty()) {
            row.device_type = parseDeviceType(text::toUpper(text::trim(cell(kDeviceType))));
            if (!row.device_type) fail(kDeviceType, "must be SIP, IAX2, DAHDI, VIRTUAL or SIP-VIRTUAL");
        }
        if (has(kVoicemailEnabled)) {
            row.voicemail_enabled = parseBool(cell(kVoicemailEnabled));
            if (!row.voicemail_enabled) fail(kVoicemailEnabled, "must be true or false (yes/no, 1/0)");
        }
        if (const std::string reg = text::trim(cell(kPhoneReg)); !reg.empty()) {
            if (!text::isDigits(reg) || reg.size() > 4 || std::stoi(reg) < 1) {
                fail(kPhoneReg, "'" + reg.substr(0, 20) + "' is not a line number (1, 2, ...)");
            } else {
                row.phone_reg = std::stoi(reg);
                if (!row.mac.empty()) {
                    if (auto [it, fresh] = slot_lines.emplace(std::make_pair(row.mac, *row.phone_reg), rec.line);
                        !fresh)
                        fail(kPhoneReg, "line " + reg + " of " + macText(row.mac) + " is already given on line " +
                                            std::to_string(it->second));
                }
            }
        }
        if (has(kButtons)) {
            std::string why;
            row.buttons = parseButtons(cell(kButtons), why);
            if (!row.buttons) fail(kButtons, why);
        }
        // Device fields: checked here, and the same on every row of a MAC.
        if (!row.mac.empty() && !ext.empty()) macs_with_lines.insert(row.mac);
        if (!row.mac.empty()) {
            DeviceRow d;
            d.line = rec.line;
            d.mac = row.mac;
            for (int c = kMake; c <= kLabel; ++c) {
                if (!has(static_cast<Col>(c))) continue;
                std::string v = cell(static_cast<Col>(c));
                if (c == kMake || c == kModel) v = text::trim(v);
                d.values[static_cast<size_t>(c)] = v;
            }
            const std::string make = d.values[kMake].value_or("");
            const std::string model = d.values[kModel].value_or("");
            FieldErrors errors;
            Device probe;
            probe.mac = row.mac;
            probe.make = make;
            probe.model = model;
            probe.serial = d.values[kSerial].value_or("");
            probe.label = d.values[kLabel].value_or("");
            validateDevice(probe, errors);
            for (const auto& [field, reason] : errors) fail(*columnNamed(field), reason);
            if (errors.empty() && !make.empty() && models_.findMake(make).empty()) {
                std::string known;
                for (const auto& m : models_.makes()) known += (known.empty() ? "" : ", ") + m;
                fail(kMake, "unknown make '" + make + "' (known: " + known + ")");
            } else if (errors.empty() && !model.empty() && make.empty()) {
                fail(kMake, "is required with a model");
            } else if (errors.empty() && !model.empty() && !models_.findModel(make, model)) {
                fail(kModel, "unknown model '" + model + "' for " + models_.findMake(make));
            } else if (errors.empty()) {
                // Stored as the catalog spells them, so re-imports and exports agree.
                if (!make.empty()) d.values[kMake] = models_.findMake(make);
                if (!model.empty()) d.values[kModel] = models_.findModel(make, model)->model;
            }
            auto [it, fresh] = device_index.emplace(row.mac, devices.size());
            if (fresh) {
                devices.push_back(std::move(d));
            } else {
                const DeviceRow& first = devices[it->second];
                for (int c = kMake; c <= kLabel; ++c) {
                    if (d.values[static_cast<size_t>(c)] != first.values[static_cast<size_t>(c)])
                        fail(static_cast<Col>(c), "differs from line " + std::to_string(first.line) + " for the same MAC " +
                                                      macText(row.mac));
                }
            }
        }
        rows.push_back(std::move(row));
    }
    if (report.rows == 0) return shape("the file has a header but no rows");

    // Pass 2: against the store, in one transaction.
    bool rolled_back_on_purpose = false;
    auto listed = [&](std::vector<std::string>& list, std::string what) {
        if (list.size() < ImportReport::kMaxListed) list.push_back(std::move(what));
    };
    Status st = writeTx([&](StoreTx& tx) -> Status {
        size_t done = 0;
        // Devices first, so lines are bound onto their final make and model.
        for (const DeviceRow& d : devices) {
            auto cur = tx.getDevice(d.mac);
            if (!cur) return cur.error();
            Device next = cur.value().value_or(Device{});
            next.mac = d.mac;
            if (d.values[kMake]) next.make = *d.values[kMake];
            if (d.values[kModel]) next.model = *d.values[kModel];
            if (d.values[kSerial]) next.serial = *d.values[kSerial];
            if (d.values[kLabel]) next.label = *d.values[kLabel];
            if (!cur.value()) {
                // Born staged when a line is bound to it below (as bindDevice would make it).
                if (macs_with_lines.count(d.mac)) next.state = DeviceState::kStaged;
                if (auto ins = tx.insertDevice(next); !ins) return ins;
                ++report.devices.created;
                listed(report.created, "device " + macText(d.mac));
                continue;
            }
            const Device& before = *cur.value();
            if (next.make == before.make && next.model == before.model && next.serial == before.serial &&
                next.label == before.label) {
                ++report.devices.unchanged;
                continue;
            }
            if (auto ok = tx.updateDevice(next); !ok) return ok;
            if (auto stale = configChanged(tx, d.mac); !stale) return stale;
            if (auto a = audit(tx, actor, "import", "device", d.mac, json::stringify(json::toJson(before)),
                               json::stringify(json::toJson(next)));
                !a)
                return a;
            ++report.devices.changed;
            listed(report.changed, "device " + macText(d.mac));
        }
        // Extensions: primaries before SIP-VIRTUAL ones, which need a primary on their phone.
        std::vector<const Row*> order;
        for (const Row& row : rows) {
            if (!row.failed && !row.extension.empty()) order.push_back(&row);
        }
        std::stable_partition(order.begin(), order.end(),
                              [](const Row* r) { return r->device_type != DeviceType::kSipVirtual; });
        for (const Row* rowp : order) {
            const Row& row = *rowp;
            if (options.progress && ++done % 2000 == 0) options.progress("writing", done, order.size());
            auto cell = [&](Col c) -> std::string { return has(c) ? (*row.fields)[static_cast<size_t>(at[c])] : ""; };
            const std::string& ext = row.extension;
            auto cur = tx.getExtension(ext);
            if (!cur) return cur.error();
            const std::optional<Extension> before = cur.value();
            Extension next = before.value_or(Extension{});
            next.extension = ext;
            if (row.device_type) next.device_type = *row.device_type;
            auto text_col = [&](Col c, std::string& field, bool trim) {
                if (has(c)) field = trim ? text::trim(cell(c)) : cell(c);
            };
            text_col(kCalleridName, next.callerid_name, false);
            text_col(kUser, next.user, false);
            if (row.voicemail_enabled) next.voicemail_enabled = *row.voicemail_enabled;
            text_col(kVoicemailPin, next.voicemail_pin, true);
            text_col(kVoicemailEmail, next.voicemail_email, true);
            text_col(kDid, next.did, true);
            text_col(kTwinningNumber, next.twinning_number, true);
            text_col(kExternalCallerid, next.external_callerid, true);
            text_col(kCallForward, next.call_forward, true);
            text_col(kClassOfService, next.class_of_service, false);
            text_col(kPhoneGroup, next.phone_group, false);
            if (has(kSecret) && !cell(kSecret).empty()) next.secret = cell(kSecret);
            if (has(kMac)) next.mac = row.mac;
            if (row.phone_reg) {
                next.phone_reg = *row.phone_reg;
            } else if (next.mac.empty() || !before || next.mac != before->mac) {
                next.phone_reg = 0;  // the first free line of the new phone
            }
            next.phone_make.clear();  // the device rows set make and model
            next.phone_model.clear();
            const bool buttons_differ = [&] {
                if (!row.buttons) return false;
                if (!before) return !row.buttons->empty();
                auto b = tx.getButtons(before->id);
                return !b || !sameButtons(b.value(), *row.buttons);
            }();
            if (before && sameEditable(next, *before) && !buttons_differ) {
                ++report.extensions.unchanged;
                continue;
            }
            FieldErrors errors;
            validateExtension(next, errors);
            Status rules = errors.empty() ? checkExtensionRules(tx, next, before, actor)
                                          : Status(Error::invalid("some fields are not valid", errors));
            if (!rules) {
                const Error& e = rules.error();
                if (e.code == Code::kInternal || e.code == Code::kUnavailable) return rules;
                if (e.fields.empty()) {
                    problem(row.line, e.reason == "license_limit_reached" ? "device_type" : "extension", e.message);
                }
                for (const auto& [field, reason] : e.fields) problem(row.line, columnOfField(field), reason);
                continue;
            }
            if (before) {
                if (auto up = tx.updateExtension(next); !up) return up;
            } else if (auto ins = tx.insertExtension(next); !ins) {
                return ins;
            }
            // Changes are audited one by one; creations in the import's summary.
            if (before) {
                if (auto a = audit(tx, actor, "import", "extension", ext, auditJson(*before, nullptr),
                                   auditJson(next, &*before));
                    !a)
                    return a;
            }
            if (row.buttons && buttons_differ) {
                if (auto put = tx.replaceButtons(next.id, *row.buttons); !put) return put;
            }
            if (auto stale = configChanged(tx, before ? before->mac : ""); !stale) return stale;
            if (auto stale = configChanged(tx, next.mac); !stale) return stale;
            if (before) {
                ++report.extensions.changed;
                listed(report.changed, "extension " + ext);
            } else {
                ++report.extensions.created;
                listed(report.created, "extension " + ext);
            }
        }
        // Every phone must still hold the lines bound to it, also when the
        // file changed its model and moved none of its extensions.
        for (const DeviceRow& d : devices) {
            if (!d.values[kModel] && !d.values[kMake]) continue;
            auto dev = tx.getDevice(d.mac);
            if (!dev) return dev.error();
            if (!dev.value()) continue;
            const auto model = models_.findModel(dev.value()->make, dev.value()->model);
            if (!model) continue;
            auto bound = tx.extensionsOnDevice(d.mac);
            if (!bound) return bound.error();
            for (const Extension& e : bound.value()) {
                if (e.phone_reg > model->lines) {
                    problem(d.line, "model",
                            "a " + model->vendor_name + " " + model->model + " has " + std::to_string(model->lines) +
                                " lines but extension " + e.extension + " is on line " + std::to_string(e.phone_reg));
                    break;
                }
            }
        }
        if (!report.problems.empty() || options.dry_run) {
            rolled_back_on_purpose = true;
            return Error{Code::kConflict, "rolled_back", "", {}, {}};
        }
        if (report.extensions.created + report.extensions.changed + report.devices.created + report.devices.changed == 0)
            return okStatus();  // nothing changed: nothing to audit either
        auto summary = json::newObject();
        summary->set("rows", static_cast<int64_t>(report.rows));
        auto counts = [](const ImportCounts& c) {
            auto o = json::newObject();
            o->set("created", static_cast<int64_t>(c.created));
            o->set("changed", static_cast<int64_t>(c.changed));
            o->set("unchanged", static_cast<int64_t>(c.unchanged));
            return o;
        };
        summary->set("extensions", counts(report.extensions));
        summary->set("devices", counts(report.devices));
        Poco::JSON::Array::Ptr created = new Poco::JSON::Array();
        for (const auto& c : report.created) created->add(c);
        summary->set("created", created);
        return audit(tx, actor, "import", "inventory", std::to_string(report.rows) + " rows", "",
                     json::stringify(summary));
    });
    if (!st && !rolled_back_on_purpose) return st.error();
    std::stable_sort(report.problems.begin(), report.problems.end(),
                     [](const ImportProblem& a, const ImportProblem& b) { return a.line < b.line; });
    return report;
}

Result<std::string> Inventory::exportCsv(bool with_secrets) {
    std::string out;
    std::vector<std::string> header(kNames.begin(), kNames.end());
    if (!with_secrets) header.pop_back();
    csv::appendRecord(out, header);
    Status st = store_.read([&](StoreTx& tx) -> Status {
        constexpr Page kAll{int64_t{1} << 40, 0};
        auto devices = tx.listDevices(DeviceFilter{}, kAll);
        if (!devices) return devices.error();
        auto extensions = tx.listExtensions(ExtensionFilter{}, kAll);
        if (!extensions) return extensions.error();
        std::unordered_map<std::string, std::vector<const Extension*>> by_mac;
        std::vector<const Extension*> unbound;
        for (const Extension& e : extensions.value().items) {
            if (e.mac.empty()) {
                unbound.push_back(&e);
            } else {
                by_mac[e.mac].push_back(&e);
            }
        }
        auto row = [&](const Device* d, const Extension* e) -> Status {
            std::vector<std::string> f(header.size());
            if (d) {
                f[kMac] = macText(d->mac);
                f[kMake] = d->make;
                f[kModel] = d->model;
                f[kSerial] = d->serial;
                f[kLabel] = d->label;
            }
            if (e) {
                f[kExtension] = e->extension;
                f[kDeviceType] = std::string(toString(e->device_type));
                f[kCalleridName] = e->callerid_name;
                f[kUser] = e->user;
                f[kVoicemailEnabled] = e->voicemail_enabled ? "true" : "false";
                f[kVoicemailPin] = e->voicemail_pin;
                f[kVoicemailEmail] = e->voicemail_email;
                f[kDid] = e->did;
                f[kTwinningNumber] = e->twinning_number;
                f[kExternalCallerid] = e->external_callerid;
                f[kCallForward] = e->call_forward;
                f[kClassOfService] = e->class_of_service;
                f[kPhoneGroup] = e->phone_group;
                f[kPhoneReg] = e->phone_reg ? std::to_string(e->phone_reg) : "";
                auto buttons = tx.getButtons(e->id);
                if (!buttons) return buttons.error();
                f[kButtons] = formatButtons(buttons.value());
                if (with_secrets) f[kSecret] = e->secret;
            }
            csv::appendRecord(out, f);
            return okStatus();
        };
        for (const Device& d : devices.value().items) {
            if (d.state == DeviceState::kUnassigned) continue;
            auto it = by_mac.find(d.mac);
            if (it == by_mac.end()) {
                if (auto r = row(&d, nullptr); !r) return r;
                continue;
            }
            std::sort(it->second.begin(), it->second.end(),
                      [](const Extension* a, const Extension* b) { return a->phone_reg < b->phone_reg; });
            for (const Extension* e : it->second) {
                if (auto r = row(&d, e); !r) return r;
            }
        }
        std::sort(unbound.begin(), unbound.end(),
                  [](const Extension* a, const Extension* b) { return a->extension < b->extension; });
        for (const Extension* e : unbound) {
            if (auto r = row(nullptr, e); !r) return r;
        }
        return okStatus();
    });
    if (!st) return st.error();
    return out;
}

}  // namespace prov

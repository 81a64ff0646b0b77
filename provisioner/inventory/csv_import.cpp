// Inventory CSV import (docs/inventory-csv.md). Every row runs through the
// same rules as the API (checkExtensionRules, bindDevice) inside one store
// transaction; every row's problems are collected, and the transaction
// commits only when there are none and it is not a dry run. The columns and
// cells are csv_format's, from the field tables.

#include <algorithm>
#include <set>
#include <unordered_map>

#include "provisioner/core/csv.h"
#include "provisioner/core/mac_address.h"
#include "provisioner/core/text.h"
#include "provisioner/inventory/csv_format.h"
#include "provisioner/inventory/inventory.h"
#include "provisioner/model/json_encode.h"

namespace prov {

using csvfmt::Column;
using csvfmt::columns;

namespace {

Error shape(std::string message) { return Error{Code::kInvalidArgument, "invalid_csv", std::move(message), {}, {}}; }

// One data row after the checks that need no store.
struct Row {
    size_t line = 0;
    const std::vector<std::string>* fields = nullptr;
    std::string mac;        // canonical, or empty
    std::string extension;  // empty on a device-only row
    std::optional<int> phone_reg;  // given and valid
    bool extra_line = false;       // SIP-VIRTUAL: written after the primary lines
    std::optional<std::vector<Button>> buttons;
    bool failed = false;
};

// The device fields a MAC gets from the file (from its first row), by column.
struct DeviceRow {
    size_t line = 0;
    std::string mac;
    std::vector<std::optional<std::string>> values;  // indexed like columns()
};

}  // namespace

class CsvImport {
public:
    CsvImport(Inventory& inv, const ImportOptions& options, const Actor& actor, const csv::Table& table)
        : inv_(inv), options_(options), actor_(actor), table_(table), at_(columns().size(), -1) {
        report_.dry_run = options.dry_run;
    }

    Status readHeader();
    Status checkRows();
    Status write(StoreTx& tx);
    ImportReport& report() { return report_; }

private:
    bool has(size_t c) const { return at_[c] >= 0; }
    const std::string& cell(const std::vector<std::string>& fields, size_t c) const {
        static const std::string kEmpty;
        return has(c) ? fields[static_cast<size_t>(at_[c])] : kEmpty;
    }
    void problem(size_t line, std::string column, std::string reason) {
        report_.problems.push_back({line, std::move(column), std::move(reason)});
    }
    void fail(Row& row, size_t c, std::string reason) {
        problem(row.line, std::string(columns()[c].name), std::move(reason));
        row.failed = true;
    }
    void listed(std::vector<std::string>& list, std::string what) {
        if (list.size() < ImportReport::kMaxListed) list.push_back(std::move(what));
    }
    void checkRow(const csv::Record& rec);
    void checkKeys(Row& row, const std::vector<std::string>& fields);
    void checkExtensionCells(Row& row, const std::vector<std::string>& fields);
    void checkDeviceCells(Row& row, const std::vector<std::string>& fields);
    void checkCatalog(Row& row, DeviceRow& d);
    Status writeDevice(StoreTx& tx, const DeviceRow& d);
    Status writeExtension(StoreTx& tx, const Row& row);
    Status checkLineCounts(StoreTx& tx);
    Status auditSummary(StoreTx& tx);

    Inventory& inv_;
    const ImportOptions& options_;
    const Actor& actor_;
    const csv::Table& table_;
    std::vector<int> at_;  // column -> position in the file, -1 when absent
    ImportReport report_;
    std::vector<Row> rows_;
    std::unordered_map<std::string, size_t> ext_lines_;        // extension -> line
    std::map<std::pair<std::string, int>, size_t> slot_lines_;  // (mac, phone_reg) -> line
    std::unordered_map<std::string, size_t> device_index_;      // mac -> index in devices_
    std::set<std::string> macs_with_lines_;                     // devices that get an extension
    std::vector<DeviceRow> devices_;
    const size_t kMac = csvfmt::columnIndex("mac");
    const size_t kExtension = csvfmt::columnIndex("extension");
    const size_t kPhoneReg = csvfmt::columnIndex("phone_reg");
    const size_t kMake = csvfmt::columnIndex("make");
    const size_t kModel = csvfmt::columnIndex("model");
    const size_t kButtons = csvfmt::columnIndex(csvfmt::kButtons);
};

// The header: known names only, each once.
Status CsvImport::readHeader() {
    if (table_.records.empty())
        return shape("the file is empty: the first line must name the columns (mac, extension, ...)");
    const auto& header = table_.records[0].fields;
    for (size_t i = 0; i < header.size(); ++i) {
        auto c = csvfmt::columnNamed(header[i]);
        if (!c) {
            return shape("not an inventory file: column " + std::to_string(i + 1) + " of the header is '" +
                         text::trim(header[i]).substr(0, 40) + "', which is not a field name (" +
                         csvfmt::knownHeaders() + ")");
        }
        if (at_[*c] != -1)
            return shape("the header names '" + std::string(columns()[*c].name) + "' twice (columns " +
                         std::to_string(at_[*c] + 1) + " and " + std::to_string(i + 1) + ")");
        at_[*c] = static_cast<int>(i);
    }
    if (!has(kMac) && !has(kExtension))
        return shape("not an inventory file: the header has neither a 'mac' nor an 'extension' column");
    return okStatus();
}

// Pass 1: each row on its own, and against the rows above it.
Status CsvImport::checkRows() {
    rows_.reserve(table_.records.size());
    const size_t total = table_.records.size() - 1;
    for (size_t r = 1; r < table_.records.size(); ++r) {
        if (options_.progress && r % 2000 == 0) options_.progress("checking", r, total);
        checkRow(table_.records[r]);
    }
    if (report_.rows == 0) return shape("the file has a header but no rows");
    return okStatus();
}

void CsvImport::checkRow(const csv::Record& rec) {
    bool blank = true;
    for (const auto& f : rec.fields) blank = blank && text::trim(f).empty();
    if (blank) return;
    ++report_.rows;
    const size_t width = table_.records[0].fields.size();
    if (rec.fields.size() != width) {
        problem(rec.line, "", "has " + std::to_string(rec.fields.size()) + " fields but the header has " +
                                  std::to_string(width) + " (check the quoting and the delimiter '" +
                                  std::string(1, table_.delimiter) + "')");
        return;
    }
    Row row;
    row.line = rec.line;
    row.fields = &rec.fields;
    checkKeys(row, rec.fields);
    checkExtensionCells(row, rec.fields);
    checkDeviceCells(row, rec.fields);
    rows_.push_back(std::move(row));
}

// The row's MAC and extension.
void CsvImport::checkKeys(Row& row, const std::vector<std::string>& fields) {
    const std::string mac_cell = text::trim(cell(fields, kMac));
    if (!mac_cell.empty()) {
        auto mac = MacAddress::parse(mac_cell);
        if (!mac) {
            fail(row, kMac, "'" + mac_cell.substr(0, 40) + "' is not a MAC address (12 hex digits, any separator)");
        } else {
            row.mac = mac->canonical();
        }
    }
    row.extension = text::trim(cell(fields, kExtension));
    if (row.extension.empty()) {
        // A device-only row: extension fields make no sense without an extension.
        for (size_t c = kExtension + 1; c < columns().size(); ++c) {
            if (has(c) && !text::trim(cell(fields, c)).empty()) {
                fail(row, kExtension, "is required when " + std::string(columns()[c].name) + " is given");
                break;
            }
        }
        if (mac_cell.empty() && !row.failed) fail(row, kMac, "is required on a row without an extension");
    } else if (auto [it, fresh] = ext_lines_.emplace(row.extension, row.line); !fresh) {
        fail(row, kExtension, "extension " + row.extension + " is already on line " + std::to_string(it->second));
    }
}

// The extension's cells: each field as its kind reads, the line, the buttons.
void CsvImport::checkExtensionCells(Row& row, const std::vector<std::string>& fields) {
    Extension probe;
    for (size_t c = 0; c < columns().size(); ++c) {
        const Column& col = columns()[c];
        if (!has(c) || !col.extension || c == kExtension || c == kPhoneReg) continue;
        if (auto why = csvfmt::readCell(*col.extension, cell(fields, c), probe)) fail(row, c, *why);
    }
    row.extra_line = probe.device_type == DeviceType::kSipVirtual;
    if (const std::string reg = text::trim(cell(fields, kPhoneReg)); !reg.empty()) {
        if (!text::isDigits(reg) || reg.size() > 4 || std::stoi(reg) < 1) {
            fail(row, kPhoneReg, "'" + reg.substr(0, 20) + "' is not a line number (1, 2, ...)");
        } else {
            row.phone_reg = std::stoi(reg);
            if (!row.mac.empty()) {
                if (auto [it, fresh] = slot_lines_.emplace(std::make_pair(row.mac, *row.phone_reg), row.line); !fresh)
                    fail(row, kPhoneReg, "line " + reg + " of " + csvfmt::macText(row.mac) +
                                             " is already given on line " + std::to_string(it->second));
            }
        }
    }
    if (has(kButtons)) {
        std::string why;
        row.buttons = csvfmt::parseButtons(cell(fields, kButtons), why);
        if (!row.buttons) fail(row, kButtons, why);
    }
}

// Device fields: checked here, and the same on every row of a MAC.
void CsvImport::checkDeviceCells(Row& row, const std::vector<std::string>& fields) {
    if (row.mac.empty()) return;
    if (!row.extension.empty()) macs_with_lines_.insert(row.mac);
    DeviceRow d{row.line, row.mac, std::vector<std::optional<std::string>>(columns().size())};
    Device probe;
    probe.mac = row.mac;
    for (size_t c = 0; c < columns().size(); ++c) {
        const Column& col = columns()[c];
        if (!has(c) || !col.device || col.device->access == Access::kKey) continue;
        std::string v = cell(fields, c);
        if (col.device->has(kCsvTrim)) v = text::trim(v);
        (void)csvfmt::readCell(*col.device, v, probe);
        d.values[c] = std::move(v);
    }
    FieldErrors errors;
    validateDevice(probe, errors);
    for (const auto& [field, reason] : errors) fail(row, *csvfmt::columnNamed(field), reason);
    if (errors.empty()) checkCatalog(row, d);
    auto [it, fresh] = device_index_.emplace(row.mac, devices_.size());
    if (fresh) {
        devices_.push_back(std::move(d));
        return;
    }
    const DeviceRow& first = devices_[it->second];
    for (size_t c = 0; c < columns().size(); ++c) {
        if (d.values[c] != first.values[c])
            fail(row, c, "differs from line " + std::to_string(first.line) + " for the same MAC " +
                             csvfmt::macText(row.mac));
    }
}

// Make and model as the catalog knows them, stored as it spells them so
// re-imports and exports agree.
void CsvImport::checkCatalog(Row& row, DeviceRow& d) {
    const ModelCatalog& models = inv_.models_;
    const std::string make = d.values[kMake].value_or("");
    const std::string model = d.values[kModel].value_or("");
    if (!make.empty() && models.findMake(make).empty()) {
        std::string known;
        for (const auto& m : models.makes()) known += (known.empty() ? "" : ", ") + m;
        fail(row, kMake, "unknown make '" + make + "' (known: " + known + ")");
    } else if (!model.empty() && make.empty()) {
        fail(row, kMake, "is required with a model");
    } else if (!model.empty() && !models.findModel(make, model)) {
        fail(row, kModel, "unknown model '" + model + "' for " + models.findMake(make));
    } else {
        if (!make.empty()) d.values[kMake] = models.findMake(make);
        if (!model.empty()) d.values[kModel] = models.findModel(make, model)->model;
    }
}

// Pass 2: against the store, in one transaction. Devices first, so lines
// are bound onto their final make and model; then extensions, primaries
// before SIP-VIRTUAL ones, which need a primary on their phone.
Status CsvImport::write(StoreTx& tx) {
    for (const DeviceRow& d : devices_) TRY(writeDevice(tx, d));
    std::vector<const Row*> order;
    for (const Row& row : rows_) {
        if (!row.failed && !row.extension.empty()) order.push_back(&row);
    }
    std::stable_partition(order.begin(), order.end(), [](const Row* r) { return !r->extra_line; });
    size_t done = 0;
    for (const Row* row : order) {
        if (options_.progress && ++done % 2000 == 0) options_.progress("writing", done, order.size());
        TRY(writeExtension(tx, *row));
    }
    TRY(checkLineCounts(tx));
    if (!report_.problems.empty() || options_.dry_run)
        return Error{Code::kConflict, "rolled_back", "", {}, {}};
    return auditSummary(tx);
}

Status CsvImport::writeDevice(StoreTx& tx, const DeviceRow& d) {
    const std::optional<Device> cur = TRY(tx.getDevice(d.mac));
    Device next = cur.value_or(Device{});
    next.mac = d.mac;
    for (size_t c = 0; c < columns().size(); ++c) {
        if (d.values[c]) (void)csvfmt::readCell(*columns()[c].device, *d.values[c], next);
    }
    const std::string what = "device " + csvfmt::macText(d.mac);
    if (!cur) {
        // Born staged when a line is bound to it below (as bindDevice would make it).
        if (macs_with_lines_.count(d.mac)) next.state = DeviceState::kStaged;
        TRY(tx.insertDevice(next));
        ++report_.devices.created;
        listed(report_.created, what);
        return okStatus();
    }
    if (sameEditable(deviceFields(), next, *cur)) {
        ++report_.devices.unchanged;
        return okStatus();
    }
    TRY(tx.updateDevice(next));
    TRY(Inventory::configChanged(tx, d.mac));
    TRY(inv_.audit(tx, actor_, "import", "device", d.mac, json::stringify(json::toJson(*cur)),
                   json::stringify(json::toJson(next))));
    ++report_.devices.changed;
    listed(report_.changed, what);
    return okStatus();
}

Status CsvImport::writeExtension(StoreTx& tx, const Row& row) {
    const std::string& ext = row.extension;
    const std::optional<Extension> before = TRY(tx.getExtension(ext));
    Extension next = before.value_or(Extension{});
    next.extension = ext;
    for (size_t c = 0; c < columns().size(); ++c) {
        const Column& col = columns()[c];
        if (!has(c) || !col.extension || c == kExtension || c == kPhoneReg) continue;
        const std::string& v = cell(*row.fields, c);
        if (col.secret() && v.empty()) continue;  // empty keeps the secret, or gets a random one
        (void)csvfmt::readCell(*col.extension, v, next);
    }
    if (has(kMac)) next.mac = row.mac;
    if (row.phone_reg) {
        next.phone_reg = *row.phone_reg;
    } else if (next.mac.empty() || !before || next.mac != before->mac) {
        next.phone_reg = 0;  // the first free line of the new phone
    }
    next.phone_make.clear();  // the device rows set make and model
    next.phone_model.clear();
    bool buttons_differ = false;
    if (row.buttons && before) {
        auto b = tx.getButtons(before->id);
        buttons_differ = !b || !csvfmt::sameButtons(b.value(), *row.buttons);
    } else if (row.buttons) {
        buttons_differ = !row.buttons->empty();
    }
    if (before && sameEditable(extensionFields(), next, *before) && !buttons_differ) {
        ++report_.extensions.unchanged;
        return okStatus();
    }
    FieldErrors errors;
    validateExtension(next, errors);
    Status rules = errors.empty() ? inv_.checkExtensionRules(tx, next, before, actor_)
                                  : Status(Error::invalid("some fields are not valid", errors));
    if (!rules) {
        const Error& e = rules.error();
        if (e.code == Code::kInternal || e.code == Code::kUnavailable) return rules;
        if (e.fields.empty())
            problem(row.line, e.reason == "license_limit_reached" ? "device_type" : "extension", e.message);
        for (const auto& [field, reason] : e.fields) problem(row.line, csvfmt::columnOfField(field), reason);
        return okStatus();
    }
    if (before) {
        TRY(tx.updateExtension(next));
        // Changes are audited one by one; creations in the import's summary.
        TRY(inv_.audit(tx, actor_, "import", "extension", ext, inv_.auditJson(*before, nullptr),
                       inv_.auditJson(next, &*before)));
    } else {
        TRY(tx.insertExtension(next));
    }
    if (row.buttons && buttons_differ) TRY(tx.replaceButtons(next.id, *row.buttons));
    TRY(Inventory::configChanged(tx, before ? before->mac : ""));
    TRY(Inventory::configChanged(tx, next.mac));
    auto& counts = before ? report_.extensions.changed : report_.extensions.created;
    ++counts;
    listed(before ? report_.changed : report_.created, "extension " + ext);
    return okStatus();
}

// Every phone must still hold the lines bound to it, also when the file
// changed its model and moved none of its extensions.
Status CsvImport::checkLineCounts(StoreTx& tx) {
    for (const DeviceRow& d : devices_) {
        if (!d.values[kModel] && !d.values[kMake]) continue;
        const std::optional<Device> dev = TRY(tx.getDevice(d.mac));
        if (!dev) continue;
        const auto model = inv_.models_.findModel(dev->make, dev->model);
        if (!model) continue;
        for (const Extension& e : TRY(tx.extensionsOnDevice(d.mac))) {
            if (e.phone_reg > model->lines) {
                problem(d.line, "model",
                        "a " + model->vendor_name + " " + model->model + " has " + std::to_string(model->lines) +
                            " lines but extension " + e.extension + " is on line " + std::to_string(e.phone_reg));
                break;
            }
        }
    }
    return okStatus();
}

// Creations are audited as one entry with the counts and the first names.
Status CsvImport::auditSummary(StoreTx& tx) {
    const ImportReport& r = report_;
    if (r.extensions.created + r.extensions.changed + r.devices.created + r.devices.changed == 0)
        return okStatus();  // nothing changed: nothing to audit either
    auto counts = [](const ImportCounts& c) {
        auto o = json::newObject();
        o->set("created", static_cast<int64_t>(c.created));
        o->set("changed", static_cast<int64_t>(c.changed));
        o->set("unchanged", static_cast<int64_t>(c.unchanged));
        return o;
    };
    auto summary = json::newObject();
    summary->set("rows", static_cast<int64_t>(r.rows));
    summary->set("extensions", counts(r.extensions));
    summary->set("devices", counts(r.devices));
    Poco::JSON::Array::Ptr created = new Poco::JSON::Array();
    for (const auto& c : r.created) created->add(c);
    summary->set("created", created);
    return inv_.audit(tx, actor_, "import", "inventory", std::to_string(r.rows) + " rows", "",
                      json::stringify(summary));
}

Result<ImportReport> Inventory::importCsv(std::string_view bytes, const ImportOptions& options, const Actor& actor) {
    const csv::Table table = TRY(csv::parse(bytes));
    CsvImport import(*this, options, actor, table);
    TRY(import.readHeader());
    TRY(import.checkRows());
    Status st = writeTx([&](StoreTx& tx) { return import.write(tx); });
    if (!st && st.error().reason != "rolled_back") return st.error();
    auto& problems = import.report().problems;
    std::stable_sort(problems.begin(), problems.end(),
                     [](const ImportProblem& a, const ImportProblem& b) { return a.line < b.line; });
    return std::move(import.report());
}

}  // namespace prov

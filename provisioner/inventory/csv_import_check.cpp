// Inventory CSV import, pass 1: each row on its own and against the rows
// above it, with no store. See csv_import.h.

#include "provisioner/core/mac_address.h"
#include "provisioner/core/text.h"
#include "provisioner/inventory/csv_import.h"

namespace prov {

using csvfmt::Column;
using csvfmt::columns;

Error CsvImport::shape(std::string message) {
    return Error{Code::kInvalidArgument, "invalid_csv", std::move(message), {}, {}};
}

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
    if (options_.progress) options_.progress("checking", 0, total);
    for (size_t r = 1; r < table_.records.size(); ++r) {
        if (options_.progress && r % 2000 == 0) options_.progress("checking", r, total);
        checkRow(table_.records[r]);
    }
    if (options_.progress && total % 2000 != 0) options_.progress("checking", total, total);
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
    if (row.mac.empty()) return checkDevicelessCells(row, fields);
    if (!row.extension.empty()) macs_with_lines_.insert(row.mac);
    DeviceRow d{row.line, row.mac, {}};
    Device probe;
    probe.mac = row.mac;
    for (size_t c = 0; c < columns().size(); ++c) {
        const Column& col = columns()[c];
        if (!has(c) || !col.device || col.device->access == Access::kKey) continue;
        std::string v = cell(fields, c);
        if (col.device->has(kCsvTrim)) v = text::trim(v);
        (void)csvfmt::readCell(*col.device, v, probe);
        d.values.emplace_back(c, std::move(v));
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
    // Every row has the file's columns, so the two lists pair up one to one.
    const DeviceRow& first = devices_[it->second];
    for (size_t i = 0; i < d.values.size() && i < first.values.size(); ++i) {
        if (d.values[i].second != first.values[i].second)
            fail(row, d.values[i].first, "differs from line " + std::to_string(first.line) + " for the same MAC " +
                                             csvfmt::macText(row.mac));
    }
}

// A row with an extension and no mac has no device to put the device
// columns on: a value there would be dropped without a word, so it is
// refused. Make and model are the exception when they name a softphone
// (vendor.json "softphone"): the extension keeps those itself, as the API's
// do, and the export writes them back on its row. A hardware make without a
// mac is refused at the mac, which is what the row lacks.
void CsvImport::checkDevicelessCells(Row& row, const std::vector<std::string>& fields) {
    // A device-only row, or a MAC that did not parse: refused already.
    if (row.extension.empty() || !text::trim(cell(fields, kMac)).empty()) return;
    const Device blank;
    for (size_t c = 0; c < columns().size(); ++c) {
        const Column& col = columns()[c];
        if (!has(c) || !col.device || c == kMac || c == kMake || c == kModel) continue;
        Device probe;
        const auto why = csvfmt::readCell(*col.device, text::trim(cell(fields, c)), probe);
        if (why || !sameValue(*col.device, probe, blank))
            fail(row, c, "needs a mac: it is stored on the phone's device, and this row has none");
    }
    if (!has(kMake) && !has(kModel)) return;
    const ModelCatalog& models = inv_.models_;
    const std::string make = text::trim(cell(fields, kMake));
    const std::string model = text::trim(cell(fields, kModel));
    if (make.empty()) {
        if (model.empty()) {
            row.softphone.emplace();  // no softphone, or none any more
        } else {
            fail(row, kMake, "is required with a model");
        }
        return;
    }
    const std::string name = models.findMake(make);
    if (name.empty()) return fail(row, kMake, "unknown make '" + make + "' (known: " + knownMakes() + ")");
    if (!models.isSoftphone(make)) {
        std::string softphones;
        for (const auto& m : models.makes()) {
            if (models.isSoftphone(m)) softphones += (softphones.empty() ? "" : ", ") + m;
        }
        return fail(row, kMac, "is needed for a " + name + " phone: its make and model are stored on its device" +
                                   (softphones.empty() ? "" : " (only a softphone goes without: " + softphones + ")"));
    }
    if (model.empty()) return fail(row, kModel, "is required: a " + name + " softphone extension names its model");
    const std::optional<ModelInfo> info = models.findModel(make, model);
    if (!info) return fail(row, kModel, "unknown model '" + model + "' for " + name);
    row.softphone.emplace(info->vendor_name, info->model);
}

std::string CsvImport::knownMakes() const {
    std::string known;
    for (const auto& m : inv_.models_.makes()) known += (known.empty() ? "" : ", ") + m;
    return known;
}

// Make and model as the catalog knows them, stored as it spells them so
// re-imports and exports agree. A softphone has no device.
void CsvImport::checkCatalog(Row& row, DeviceRow& d) {
    const ModelCatalog& models = inv_.models_;
    std::string* make_cell = d.value(kMake);
    std::string* model_cell = d.value(kModel);
    const std::string make = make_cell ? *make_cell : "";
    const std::string model = model_cell ? *model_cell : "";
    if (!make.empty() && models.findMake(make).empty()) {
        fail(row, kMake, "unknown make '" + make + "' (known: " + knownMakes() + ")");
    } else if (!make.empty() && models.isSoftphone(make)) {
        fail(row, kMake, models.findMake(make) + " is a softphone, which has no device: leave mac empty on its "
                                                 "extension's row");
    } else if (!model.empty() && make.empty()) {
        fail(row, kMake, "is required with a model");
    } else if (!model.empty() && !models.findModel(make, model)) {
        fail(row, kModel, "unknown model '" + model + "' for " + models.findMake(make));
    } else {
        if (!make.empty()) *make_cell = models.findMake(make);
        if (!model.empty()) *model_cell = models.findModel(make, model)->model;
    }
}

}  // namespace prov

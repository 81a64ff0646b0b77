// Inventory CSV import, pass 2: every row through the same rules as the API
// (checkExtensionRules, bindDevice) inside one store transaction; every
// row's problems are collected, and the transaction commits only when there
// are none and it is not a dry run. See csv_import.h.

#include <algorithm>

#include "provisioner/inventory/csv_import.h"
#include "provisioner/inventory/key_fit.h"
#include "provisioner/inventory/spreadsheet.h"
#include "provisioner/inventory/staging.h"
#include "provisioner/model/json_encode.h"

namespace prov {

using csvfmt::Column;
using csvfmt::columns;

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
    // The phase is announced at 0 of its own total (fewer rows than were
    // checked, maybe), and reported whole at its end.
    if (options_.progress) options_.progress("writing", 0, order.size());
    size_t done = 0;
    for (const Row* row : order) {
        if (options_.progress && ++done % 2000 == 0) options_.progress("writing", done, order.size());
        TRY(writeExtension(tx, *row));
    }
    if (options_.progress && done % 2000 != 0) options_.progress("writing", done, order.size());
    TRY(checkLineCounts(tx));
    TRY(checkKeyCounts(tx));
    TRY(checkValues(tx));
    if (!report_.problems.empty() || options_.dry_run)
        return Error{Code::kConflict, "rolled_back", "", {}, {}};
    return auditSummary(tx);
}

Status CsvImport::writeDevice(StoreTx& tx, const DeviceRow& d) {
    const std::optional<Device> cur = TRY(tx.getDevice(d.mac));
    Device next = cur.value_or(Device{});
    next.mac = d.mac;
    for (const auto& [c, v] : d.values) (void)csvfmt::readCell(*columns()[c].device, v, next);
    const std::string what = "device " + csvfmt::macText(d.mac);
    // A softphone has no device, as the device API says too. A device
    // stored with one before the API refused it keeps it, so its own export
    // comes back: the make is refused only when it would be new.
    if (inv_.models_.isSoftphone(next.make) && (!cur || inv_.models_.findMake(cur->make) != next.make)) {
        problem(d.line, "make", next.make + " is a softphone, which has no device: leave mac empty on its "
                                            "extension's row");
        return okStatus();
    }
    // Expansion modules against the model the device ends with (the file's or the store's).
    FieldErrors errors;
    checkExpansion(inv_.models_, next, errors);
    for (const auto& [field, reason] : errors) problem(d.line, field, reason);
    if (!errors.empty()) return okStatus();
    if (!cur) {
        // Born staged when a line is bound to it below (as bindDevice would make it).
        if (macs_with_lines_.count(d.mac)) next.state = staging::next(next.state, staging::Input::kClaimed);
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
    // With no mac column, an extension on a phone stays there, and a desk
    // phone's make and model in the row are its device's, left as they are.
    if (!has(kMac) && before && !before->mac.empty()) {
        if (row.softphone && !row.softphone->first.empty()) {
            problem(row.line, "make", row.softphone->first + " is a softphone, which has no device, and extension " +
                                          ext + " is on " + csvfmt::macText(before->mac) +
                                          ": take it off the phone with an empty mac first");
            return okStatus();
        }
    } else if (!row.unbound_problems.empty()) {
        for (const auto& [column, reason] : row.unbound_problems) problem(row.line, column, reason);
        return okStatus();
    }
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
    // A phone's make and model are its device's, which the device rows set;
    // a softphone's (no device) are the extension's own: the row's, or kept
    // when the file says nothing of them.
    if (row.softphone) {
        next.phone_make = row.softphone->first;
        next.phone_model = row.softphone->second;
    } else if (!next.mac.empty() || (before && !before->mac.empty())) {
        next.phone_make.clear();
        next.phone_model.clear();
    }
    // Not among the fields sameEditable compares (they are read through the
    // device), so a softphone's are compared here; one named for an
    // extension the store keeps on a phone goes on to the rules' refusal.
    const bool names_softphone = row.softphone && !row.softphone->first.empty();
    const bool softphone_differs = before && (next.mac.empty() || names_softphone) &&
                                   (next.phone_make != before->phone_make || next.phone_model != before->phone_model);
    bool buttons_differ = false;
    if (row.buttons && before) {
        auto b = tx.getButtons(before->id);
        buttons_differ = !b || !csvfmt::sameButtons(b.value(), *row.buttons);
    } else if (row.buttons) {
        buttons_differ = !row.buttons->empty();
    }
    if (before && sameEditable(extensionFields(), next, *before) && !buttons_differ && !softphone_differs) {
        ++report_.extensions.unchanged;
        return okStatus();
    }
    FieldErrors errors;
    validateExtension(next, errors);
    inv_.checkSoftphone(next, errors);  // a softphone needs no mac
    // A row that moves an extension and gives its buttons is checked with
    // those buttons once written (checkKeyCounts), not the ones they replace.
    Status rules = errors.empty() ? inv_.checkExtensionRules(tx, next, before, actor_, row.buttons.has_value())
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
        if (!d.value(kModel) && !d.value(kMake)) continue;
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

// Every button on a phone of a known model on one of its keys, once the
// file's devices and buttons are all written: a row's buttons name its
// line, a device's model or modules the device's first line.
Status CsvImport::checkKeyCounts(StoreTx& tx) {
    std::map<std::string, std::pair<size_t, const char*>> macs;  // mac -> (line, column), the first kept
    for (const Row& row : rows_) {
        if (row.failed || !row.buttons || row.extension.empty()) continue;
        const std::optional<Extension> e = TRY(tx.getExtension(row.extension));
        if (e && !e->mac.empty()) macs.emplace(e->mac, std::make_pair(row.line, "buttons"));
    }
    for (const DeviceRow& d : devices_) {
        const bool model = d.value(kModel) || d.value(kMake);
        const bool modules = d.value(kExpansionModel) || d.value(kExpansionCount);
        if (model || modules) macs.emplace(d.mac, std::make_pair(d.line, model ? "model" : "expansion_count"));
    }
    for (const auto& [mac, where] : macs) {
        const std::optional<Device> dev = TRY(tx.getDevice(mac));
        if (!dev) continue;
        const std::vector<PlacedButton> placed = TRY(buttonsOnDevice(tx, mac));
        const std::string shared = sharedKeys(placed);
        if (!shared.empty()) problem(where.first, "buttons", shared);
        const std::optional<DeviceKeys> keys = deviceKeys(inv_.models_, *dev);
        if (!keys) continue;
        const std::string past = buttonsPastKeys(placed, *keys);
        if (!past.empty()) problem(where.first, where.second, past);
    }
    return okStatus();
}

// Every value on a phone the file touched (its lines, buttons and settings)
// writable by the make and model it ends with, once everything is written:
// a row's buttons are the file's, a device's new make covers the extensions
// the file does not name (key_fit.h, unwritableOnDevice).
Status CsvImport::checkValues(StoreTx& tx) {
    std::map<std::string, std::pair<size_t, const char*>> macs;  // mac -> (line, column), the first kept
    for (const Row& row : rows_) {
        if (row.failed || row.extension.empty()) continue;
        const std::optional<Extension> e = TRY(tx.getExtension(row.extension));
        if (e && !e->mac.empty()) macs.emplace(e->mac, std::make_pair(row.line, row.buttons ? "buttons" : "extension"));
    }
    for (const DeviceRow& d : devices_) {
        if (d.value(kModel) || d.value(kMake)) macs.emplace(d.mac, std::make_pair(d.line, d.value(kMake) ? "make" : "model"));
    }
    for (const auto& [mac, where] : macs) {
        const std::optional<Device> dev = TRY(tx.getDevice(mac));
        if (!dev) continue;
        const std::string unwritable = TRY(unwritableOnDevice(tx, inv_.models_, mac, dev->make, dev->model));
        if (!unwritable.empty()) problem(where.first, where.second, unwritable);
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
    // Read as CSV, a workbook fails on its first binary quote; said for what it is.
    if (const auto kind = spreadsheetKind(bytes)) return spreadsheetRefusal(*kind);
    csv::Table table = TRY(csv::parse(bytes));
    // The quote an export put before a cell that starts like a formula
    // ('=1+1) comes off; any other quote is data ('s-Hertogenbosch).
    for (size_t r = 1; r < table.records.size(); ++r) {
        for (std::string& cell : table.records[r].fields) {
            if (!cell.empty() && cell[0] == '\'') cell = csv::unescapeFormula(cell);
        }
    }
    CsvImport import(*this, options, actor, table);
    TRY(import.readHeader());
    TRY(import.checkRows());
    Status st = writeBulkTx([&](StoreTx& tx) { return import.write(tx); });
    if (!st && st.error().reason != "rolled_back") return st.error();
    auto& problems = import.report().problems;
    std::stable_sort(problems.begin(), problems.end(),
                     [](const ImportProblem& a, const ImportProblem& b) { return a.line < b.line; });
    return std::move(import.report());
}

}  // namespace prov

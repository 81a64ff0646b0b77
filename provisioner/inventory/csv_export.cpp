// Inventory CSV export (docs/inventory-csv.md): devices by MAC with their
// extensions by line, then extensions on no device; the columns are
// csv_format's, from the field tables.

#include <algorithm>
#include <unordered_map>

#include "provisioner/core/csv.h"
#include "provisioner/inventory/csv_format.h"
#include "provisioner/inventory/inventory.h"

namespace prov {

namespace {

using csvfmt::Column;

// An extension on no device writes its softphone's make and model (the
// extension's own, stored without a device) in the device's columns, where
// the import reads them back.
std::string softphoneCell(const Column& col, const Extension& e) {
    if (col.name == "make") return e.phone_make;
    if (col.name == "model") return e.phone_model;
    return "";
}

// The cells of one row: a device, an extension on it, or both. Every cell
// goes through csv::escapeFormula: a label an installer typed as
// =HYPERLINK(...) must not become a live formula next to the secret column
// in whoever opens the file (docs/inventory-csv.md, "Spreadsheets").
Result<std::vector<std::string>> rowOf(StoreTx& tx, const std::vector<Column>& header, const Device* d,
                                       const Extension* e) {
    std::vector<std::string> f(header.size());
    for (size_t c = 0; c < header.size(); ++c) {
        const Column& col = header[c];
        if (col.device && d) f[c] = csvfmt::cellOf(*col.device, *d);
        if (col.device && !d && e) f[c] = softphoneCell(col, *e);
        if (col.extension && e) f[c] = csvfmt::cellOf(*col.extension, *e);
        if (!col.device && !col.extension && e) f[c] = csvfmt::formatButtons(TRY(tx.getButtons(e->id)));
        f[c] = csv::escapeFormula(f[c], csvfmt::cellKind(col));
    }
    return f;
}

}  // namespace

Result<std::string> Inventory::exportCsv(bool with_secrets) {
    std::vector<Column> header;
    std::vector<std::string> names;
    for (const Column& c : csvfmt::columns()) {
        if (c.secret() && !with_secrets) continue;
        header.push_back(c);
        names.emplace_back(c.name);
    }
    std::string out;
    csv::appendRecord(out, names);
    TRY(store_.readBulk([&](StoreTx& tx) -> Status {
        constexpr Page kAll{int64_t{1} << 40, 0};
        const Listing<Device> devices = TRY(tx.listDevices(DeviceFilter{}, kAll));
        const Listing<Extension> extensions = TRY(tx.listExtensions(ExtensionFilter{}, kAll));
        std::unordered_map<std::string, std::vector<const Extension*>> by_mac;
        std::vector<const Extension*> unbound;
        for (const Extension& e : extensions.items) (e.mac.empty() ? unbound : by_mac[e.mac]).push_back(&e);
        auto row = [&](const Device* d, const Extension* e) -> Status {
            csv::appendRecord(out, TRY(rowOf(tx, header, d, e)));
            return okStatus();
        };
        for (const Device& d : devices.items) {
            if (d.state == DeviceState::kUnassigned) continue;
            auto it = by_mac.find(d.mac);
            if (it == by_mac.end()) {
                TRY(row(&d, nullptr));
                continue;
            }
            std::sort(it->second.begin(), it->second.end(),
                      [](const Extension* a, const Extension* b) { return a->phone_reg < b->phone_reg; });
            for (const Extension* e : it->second) TRY(row(&d, e));
        }
        std::sort(unbound.begin(), unbound.end(),
                  [](const Extension* a, const Extension* b) { return a->extension < b->extension; });
        for (const Extension* e : unbound) TRY(row(nullptr, e));
        return okStatus();
    }));
    return out;
}

}  // namespace prov

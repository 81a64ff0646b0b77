#pragma once

// A spreadsheet sent where an inventory CSV was expected. Debian 12 has no
// C or C++ reader of .xlsx and .ods worth its weight, and a spreadsheet
// program writes CSV in two clicks: the file is refused with one line that
// says how, rather than parsed as CSV into a puzzling quote error.
//
//   if (auto kind = spreadsheetKind(bytes, "inv.xlsx")) return spreadsheetRefusal(*kind,
//   "inv.xlsx");

#include <optional>
#include <string>
#include <string_view>

#include "provisioner/core/result.h"

namespace prov {

// What the file is when it is a spreadsheet or an archive ("an Excel
// workbook (.xlsx)", "an OpenDocument spreadsheet (.ods)"), from its first
// bytes (a ZIP archive, an OLE2 compound file) or its name's extension
// (any case); nullopt for anything else, CSV included.
std::optional<std::string> spreadsheetKind(std::string_view bytes, std::string_view filename = "");

// The refusal, reason "unsupported_media_type" (415 over HTTP), field "file":
// "inv.xlsx is an Excel workbook (.xlsx), not CSV: open it in its
// spreadsheet program, save it as CSV (comma-separated, UTF-8) and import
// that file".
Error spreadsheetRefusal(const std::string& kind, std::string_view filename = "");

}  // namespace prov

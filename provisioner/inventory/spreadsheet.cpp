#include "provisioner/inventory/spreadsheet.h"

#include <algorithm>
#include <cctype>

namespace prov {

namespace {

constexpr std::string_view kXlsx = "an Excel workbook (.xlsx)";
constexpr std::string_view kXls = "an Excel 97-2003 workbook (.xls)";
constexpr std::string_view kOds = "an OpenDocument spreadsheet (.ods)";
constexpr std::string_view kNumbers = "a Numbers spreadsheet (.numbers)";
constexpr std::string_view kZip = "a ZIP archive";

bool startsWith(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    return out;
}

// A ZIP's first entry is in its first bytes: ODF puts its "mimetype" file
// first, uncompressed (ODF 1.2 part 3, 3.3); Office Open XML files name
// "[Content_Types].xml" or "xl/" parts early. Looked for in the first 4 KiB.
std::string_view zipKind(std::string_view bytes) {
    const std::string_view head = bytes.substr(0, 4096);
    if (head.find("application/vnd.oasis.opendocument.spreadsheet") != std::string_view::npos)
        return kOds;
    if (head.find("xl/") != std::string_view::npos) return kXlsx;
    if (head.find("[Content_Types].xml") != std::string_view::npos) return kXlsx;
    return kZip;
}

}  // namespace

std::optional<std::string> spreadsheetKind(std::string_view bytes, std::string_view filename) {
    // The local file header of a ZIP (and the end record of an empty one).
    if (startsWith(bytes, std::string_view("PK\x03\x04", 4)) ||
        startsWith(bytes, std::string_view("PK\x05\x06", 4)))
        return std::string(zipKind(bytes));
    // An OLE2 compound file: .xls (and .doc, which is no CSV either).
    if (startsWith(bytes, std::string_view("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8)))
        return std::string(kXls);
    const std::string name = lower(filename);
    const size_t dot = name.rfind('.');
    if (dot == std::string::npos) return std::nullopt;
    const std::string ext = name.substr(dot);
    if (ext == ".xlsx" || ext == ".xlsm" || ext == ".xltx") return std::string(kXlsx);
    if (ext == ".xls") return std::string(kXls);
    if (ext == ".ods" || ext == ".fods") return std::string(kOds);
    if (ext == ".numbers") return std::string(kNumbers);
    return std::nullopt;
}

Error spreadsheetRefusal(const std::string& kind, std::string_view filename) {
    const std::string what = filename.empty() ? "the file" : std::string(filename);
    const std::string line =
        what + " is " + kind +
        ", not CSV: open it in its spreadsheet program, save it as CSV (comma-separated, "
        "UTF-8) and import that file";
    return Error{
        Code::kInvalidArgument, "unsupported_media_type", line, {{"file", "save it as CSV"}}, {}};
}

}  // namespace prov

#include "provisioner/inventory/spreadsheet.h"

#include <catch2/catch.hpp>
#include <string>

#include "fakes/inventory_fixture.h"

using namespace prov;

TEST_CASE("spreadsheets are told apart from CSV by their first bytes or their name") {
    using namespace std::string_literals;
    struct Case {
        std::string bytes;
        const char* name;
        const char* kind;  // nullptr: not a spreadsheet
    };
    const std::string zip = "PK\x03\x04\x14\x00\x06\x00"s;
    const Case cases[] = {
        {zip + "\x08\x00[Content_Types].xml..."s, "", "an Excel workbook (.xlsx)"},
        {zip + "..xl/workbook.xml"s, "inventory.csv", "an Excel workbook (.xlsx)"},
        {zip + "\0\0mimetypeapplication/vnd.oasis.opendocument.spreadsheetPK"s, "",
         "an OpenDocument spreadsheet (.ods)"},
        {zip + "other.txt"s, "", "a ZIP archive"},
        {"PK\x05\x06\0\0\0\0"s, "", "a ZIP archive"},
        {"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0"s, "", "an Excel 97-2003 workbook (.xls)"},
        {"mac,extension\n", "INVENTORY.XLSX", "an Excel workbook (.xlsx)"},
        {"mac,extension\n", "inv.ods", "an OpenDocument spreadsheet (.ods)"},
        {"mac,extension\n", "inv.xls", "an Excel 97-2003 workbook (.xls)"},
        {"mac,extension\n", "inv.numbers", "a Numbers spreadsheet (.numbers)"},
        {"mac,extension\n", "inv.csv", nullptr},
        {"mac,extension\n", "", nullptr},
        {"PK,extension\n", "", nullptr},  // a CSV whose first column is "PK"
        {"", "", nullptr},
        {"\xEF\xBB\xBFmac;extension\r\n"s, "inventory.tsv", nullptr},
    };
    for (const Case& c : cases) {
        INFO(c.name << " " << c.bytes.substr(0, 12));
        const auto kind = spreadsheetKind(c.bytes, c.name);
        if (!c.kind) {
            CHECK_FALSE(kind);
        } else {
            REQUIRE(kind);
            CHECK(*kind == c.kind);
        }
    }
}

TEST_CASE("a spreadsheet's refusal is 415's reason and says to save it as CSV") {
    const Error e = spreadsheetRefusal("an Excel workbook (.xlsx)", "inv.xlsx");
    CHECK(e.reason == "unsupported_media_type");
    CHECK(e.message ==
          "inv.xlsx is an Excel workbook (.xlsx), not CSV: open it in its spreadsheet program, "
          "save it as CSV "
          "(comma-separated, UTF-8) and import that file");
    CHECK(e.fields.at("file") == "save it as CSV");
    CHECK(spreadsheetRefusal("a ZIP archive")
              .message.rfind("the file is a ZIP archive, not CSV", 0) == 0);
}

TEST_CASE("the import refuses a workbook before reading it as CSV, and stores nothing") {
    using namespace std::string_literals;
    testing::InventoryFixture f;
    const auto r =
        f.inv->importCsv("PK\x03\x04\x14\x00[Content_Types].xml\"\"\"garbage"s, {}, f.admin);
    REQUIRE_FALSE(r);
    CHECK(r.error().reason == "unsupported_media_type");
    CHECK(r.error().message.rfind("the file is an Excel workbook (.xlsx), not CSV", 0) == 0);
    CHECK(f.inv->listDevices({}, {}).value().total == 0);
}

// Softphone extensions in the inventory CSV (docs/inventory-csv.md): a row
// with no mac whose make is a softphone vendor keeps make and model on the
// extension, the export writes them back, and a make or device field that
// needs a device is refused on a row without one.

#include <catch2/catch.hpp>

#include "fakes/inventory_fixture.h"
#include "provisioner/inventory/inventory.h"

using namespace prov;

namespace {

using Fixture = testing::InventoryFixture;  // Yealink T31; the softphone IntellaPhone

// The problem of `r` at `line` and `column`, or "" when there is none.
std::string problemAt(const ImportReport& r, size_t line, const std::string& column) {
    for (const auto& p : r.problems) {
        if (p.line == line && p.column == column) return p.reason;
    }
    return "";
}

const std::string kHeader = "mac,make,model,label,extension,callerid_name,phone_reg\n";

}  // namespace

TEST_CASE("softphone CSV: a row with no mac and a softphone make imports a softphone extension") {
    Fixture f;
    // Any case, as the catalog's lookups take it; stored as the catalog spells it.
    const auto r = f.import(kHeader + ",intellaphone,intellaphone pc,,3001,Alice,\n" +
                            "00:15:65:00:00:01,Yealink,T31,HQ,3002,Bob,1\n");
    REQUIRE(r.problems.empty());
    CHECK(r.extensions.created == 2);
    CHECK(r.devices.created == 1);  // the Yealink's; a softphone has none
    const Extension e = f.inv->getExtension("3001").value();
    CHECK(e.mac.empty());
    CHECK(e.phone_reg == 0);
    CHECK(e.phone_make == "IntellaPhone");
    CHECK(e.phone_model == "IntellaPhone PC");
    CHECK(f.devices() == 1);
    CHECK(f.inv->getExtension("3002").value().phone_make == "Yealink");
}

TEST_CASE("softphone CSV: export writes the softphone's row, and export -> import -> export keeps the bytes") {
    Fixture a;
    Extension e;  // made through the API, as an admin would
    e.extension = "3001";
    e.callerid_name = "Alice";
    e.phone_make = "IntellaPhone";
    e.phone_model = "IntellaPhone PC";
    REQUIRE(a.inv->createExtension(e, a.admin));
    REQUIRE(a.import(kHeader + "00:15:65:00:00:01,Yealink,T31,HQ,3002,Bob,1\n,,,,300,Conference,\n").problems.empty());
    const std::string first = a.exported();
    // The softphone's row: no mac, its make and model, then the extension;
    // the extension on no phone at all has both empty.
    CHECK(first.find("\r\n,IntellaPhone,IntellaPhone PC,,,,,3001,SIP,Alice,") != std::string::npos);
    CHECK(first.find("\r\n,,,,,,,300,SIP,Conference,") != std::string::npos);
    Fixture b;
    const auto r = b.import(first);
    REQUIRE(r.problems.empty());
    CHECK(r.extensions.created == 3);
    CHECK(b.inv->getExtension("3001").value().phone_model == "IntellaPhone PC");
    CHECK(b.exported() == first);
    // Over its own store the file changes nothing.
    const auto again = a.import(first);
    CHECK(again.problems.empty());
    CHECK(again.extensions.unchanged == 3);
    CHECK(again.extensions.changed == 0);
}

TEST_CASE("softphone CSV: a row with no device refuses what needs one, naming the column, and stores nothing") {
    Fixture f;
    const auto r = f.import(kHeader +
                            ",IntellaPhone,IntellaPhone PC,,3001,Fine,\n"      // 2: would import alone
                            ",Yealink,T31,,3002,Hardware,\n"                   // 3: mac
                            ",IntellaPhone,IntellaPhone Fax,,3003,Model,\n"    // 4: model
                            ",IntellaPhone,,,3004,No model,\n"                 // 5: model
                            ",Acme,X1,,3005,Make,\n"                           // 6: make
                            ",,IntellaPhone PC,,3006,Model alone,\n"           // 7: make
                            "00:15:65:00:00:07,IntellaPhone,IntellaPhone PC,,3007,With mac,\n"  // 8: make
                            ",,,Lobby,3008,Label,\n"                           // 9: label
                            ",IntellaPhone,IntellaPhone PC,,3009,Line,1\n");   // 10: phone_reg
    for (const auto& p : r.problems) CHECK(p.line != 2);
    CHECK(problemAt(r, 3, "mac").find("is needed for a Yealink phone") == 0);
    CHECK(problemAt(r, 3, "mac").find("IntellaPhone") != std::string::npos);  // what goes without one
    CHECK(problemAt(r, 4, "model") == "unknown model 'IntellaPhone Fax' for IntellaPhone");
    CHECK_FALSE(problemAt(r, 5, "model").empty());
    CHECK(problemAt(r, 6, "make").find("unknown make 'Acme'") == 0);
    CHECK(problemAt(r, 7, "make") == "is required with a model");
    CHECK(problemAt(r, 8, "make").find("IntellaPhone is a softphone") == 0);
    CHECK(problemAt(r, 9, "label").find("needs a mac") == 0);
    CHECK_FALSE(problemAt(r, 10, "phone_reg").empty());
    CHECK(r.problems.size() == 8);
    CHECK(f.extensions() == 0);
    CHECK(f.devices() == 0);
    // Empty or default device cells on such a row are fine (0 modules is none).
    const auto ok = f.import("mac,make,model,serial,label,expansion_model,expansion_count,extension,callerid_name\n"
                             ",,,,,,0,300,Conference\n");
    CHECK(ok.problems.empty());
    CHECK(f.extensions() == 1);
}

TEST_CASE("softphone CSV: a dry run of a softphone row reports it and stores nothing") {
    Fixture f;
    const auto r = f.import(kHeader + ",IntellaPhone,IntellaPhone PC,,3001,Alice,\n", true);
    CHECK(r.problems.empty());
    CHECK(r.extensions.created == 1);
    CHECK(f.extensions() == 0);
}

TEST_CASE("softphone CSV: another model, no make columns, empty ones, and onto a phone and off again") {
    Fixture f;
    REQUIRE(f.import(kHeader + ",IntellaPhone,IntellaPhone PC,,3001,Alice,\n").problems.empty());
    // Another model of the softphone is a change.
    auto r = f.import(kHeader + ",IntellaPhone,IntellaPhone iOS,,3001,Alice,\n");
    CHECK(r.extensions.changed == 1);
    CHECK(f.inv->getExtension("3001").value().phone_model == "IntellaPhone iOS");
    // A file without the make and model columns leaves them as they are.
    r = f.import("extension,callerid_name\n3001,Alicia\n");
    CHECK(r.extensions.changed == 1);
    Extension e = f.inv->getExtension("3001").value();
    CHECK(e.callerid_name == "Alicia");
    CHECK(e.phone_make == "IntellaPhone");
    CHECK(e.phone_model == "IntellaPhone iOS");
    r = f.import("mac,extension,callerid_name\n,3001,Alicia\n");
    CHECK(r.extensions.unchanged == 1);
    // Onto a desk phone: the device's make and model, none of its own.
    r = f.import(kHeader + "00:15:65:00:00:01,Yealink,T31,HQ,3001,Alicia,\n");
    REQUIRE(r.problems.empty());
    e = f.inv->getExtension("3001").value();
    CHECK(e.mac == "001565000001");
    CHECK(e.phone_make == "Yealink");
    CHECK(e.phone_model == "T31");
    // A file with no mac column that names a softphone for it: refused at make.
    r = f.import("extension,make,model\n3001,IntellaPhone,IntellaPhone PC\n");
    CHECK(problemAt(r, 2, "make").find("IntellaPhone is a softphone") == 0);
    CHECK(f.inv->getExtension("3001").value().mac == "001565000001");
    // Empty make and model cells say nothing of a phone's (its device rows do).
    CHECK(f.import("extension,make,model\n3001,,\n").extensions.unchanged == 1);
    // Off it with empty make and model: a plain extension on no phone.
    r = f.import(kHeader + ",,,,3001,Alicia,\n");
    REQUIRE(r.problems.empty());
    e = f.inv->getExtension("3001").value();
    CHECK(e.mac.empty());
    CHECK(e.phone_make.empty());
    CHECK(e.phone_model.empty());
    // A softphone again, then empty cells take it away.
    REQUIRE(f.import(kHeader + ",IntellaPhone,IntellaPhone PC,,3001,Alicia,\n").extensions.changed == 1);
    REQUIRE(f.import(kHeader + ",,,,3001,Alicia,\n").extensions.changed == 1);
    CHECK(f.inv->getExtension("3001").value().phone_make.empty());
}

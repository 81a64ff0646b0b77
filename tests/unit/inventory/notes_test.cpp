// An extension's free-text notes: one row of the field table and a
// migration, and so stored, shown, checked, imported, exported and listed
// in the CSV doc like every other field.

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "fakes/inventory_fixture.h"
#include "provisioner/inventory/csv_format.h"
#include "provisioner/model/json_encode.h"

using namespace prov;

namespace {

const std::string kNote = "Conference room 4, \"east\" wing; key in the drawer";

Extension conference() {
    Extension e;
    e.extension = "300";
    e.callerid_name = "Conference";
    e.device_type = DeviceType::kVirtual;
    e.notes = kNote;
    return e;
}

}  // namespace

TEST_CASE("notes: stored and read back through SQL, shown in JSON to every role") {
    testing::InventoryFixture f;
    REQUIRE(f.inv->createExtension(conference(), f.admin));
    const Extension back = f.inv->getExtension("300").value();
    CHECK(back.notes == kNote);
    const std::string shown = json::stringify(json::toJson(back, json::Masking::kSecrets));
    CHECK(shown.find(R"("notes":"Conference room 4, \"east\" wing; key in the drawer")") != std::string::npos);

    auto edited = f.inv->editExtension(
        "300", [](Extension& e, FieldErrors&, std::optional<int64_t>&) { e.notes = "moved to room 5"; }, f.admin);
    REQUIRE(edited);
    CHECK(f.inv->getExtension("300").value().notes == "moved to room 5");
}

TEST_CASE("notes: exported, imported into an empty store, exported again as the same bytes") {
    testing::InventoryFixture a;
    REQUIRE(a.inv->createExtension(conference(), a.admin));
    const std::string csv = a.inv->exportCsv(false).value();
    CHECK(csv.substr(0, csv.find('\r')).find(",notes,") != std::string::npos);
    CHECK(csv.find("\"Conference room 4, \"\"east\"\" wing; key in the drawer\"") != std::string::npos);

    testing::InventoryFixture b;
    auto imported = b.inv->importCsv(csv, {}, b.admin);
    REQUIRE(imported);
    REQUIRE(imported.value().problems.empty());
    CHECK(b.inv->getExtension("300").value().notes == kNote);
    CHECK(b.inv->exportCsv(false).value() == csv);

    // A changed note is a change; the same file again is none.
    std::string changed = csv;
    changed.replace(changed.find("drawer"), 6, "safe");
    CHECK(b.inv->importCsv(changed, {}, b.admin).value().extensions.changed == 1);
    CHECK(b.inv->getExtension("300").value().notes == "Conference room 4, \"east\" wing; key in the safe");
    CHECK(b.inv->importCsv(changed, {}, b.admin).value().extensions.unchanged == 1);
}

TEST_CASE("notes: at most 1000 printable characters") {
    Extension e = conference();
    FieldErrors errors;
    e.notes = std::string(1000, 'n');
    validateExtension(e, errors);
    CHECK_FALSE(errors.count("notes"));
    e.notes += "n";
    validateExtension(e, errors);
    CHECK(errors.at("notes") == "must be at most 1000 characters");
}

TEST_CASE("notes: a column of the CSV doc") {
    CHECK(csvfmt::columnNamed("Notes"));
    std::ifstream in(DOCS_DIR "/inventory-csv.md");
    std::stringstream doc;
    doc << in.rdbuf();
    CHECK(doc.str().find("| `notes` |") != std::string::npos);
}

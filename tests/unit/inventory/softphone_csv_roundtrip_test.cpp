// The inventory CSV round trip around softphones (docs/inventory-csv.md):
// what the export writes, the import takes back; the device API makes no
// device with a softphone's make; a file with no mac column leaves macs and
// the devices' make and model as they are; refusals name the file's columns.

#include <catch2/catch.hpp>

#include "fakes/inventory_fixture.h"
#include "provisioner/inventory/inventory.h"

using namespace prov;

namespace {

using Fixture = testing::InventoryFixture;  // Yealink T31; the softphone IntellaPhone

// "LINE COLUMN: reason" for every problem of `r`, one a line.
std::string problems(const ImportReport& r) {
    std::string out;
    for (const auto& p : r.problems) out += std::to_string(p.line) + " " + p.column + ": " + p.reason + "\n";
    return out;
}

Device softphoneDevice() {
    Device d;
    d.mac = "001565000002";
    d.make = "IntellaPhone";
    d.model = "IntellaPhone PC";
    return d;
}

const std::string kHeader = "mac,make,model,label,extension,callerid_name\n";

}  // namespace

TEST_CASE("softphone round trip: an extension unbound by a forced device delete exports a row that imports") {
    Fixture a;
    REQUIRE(a.import(kHeader + "00:15:65:00:00:01,Yealink,T31,HQ,3001,Bob\n").problems.empty());
    REQUIRE(a.inv->deleteDevice("001565000001", true, a.admin));
    const Extension e = a.inv->getExtension("3001").value();
    CHECK(e.mac.empty());
    CHECK(e.phone_make.empty());  // the device's make went with it
    CHECK(e.phone_model.empty());
    const std::string out = a.exported();
    CHECK(out.find("\r\n,,,,,,,3001,SIP,Bob,") != std::string::npos);
    Fixture b;
    const auto r = b.import(out);
    CHECK(problems(r).empty());
    CHECK(r.extensions.created == 1);
}

TEST_CASE("softphone round trip: a desk phone's make left on an extension on no device is not exported") {
    Fixture f;
    REQUIRE(f.import(kHeader + ",,,,3001,Bob\n").problems.empty());
    // As a store from before deleteDevice cleared them holds it.
    REQUIRE(f.store->write([](StoreTx& tx) -> Status {
        Extension e = TRY(tx.getExtension("3001")).value();
        e.phone_make = "Yealink";
        e.phone_model = "T31";
        return tx.updateExtension(e);
    }));
    REQUIRE(f.inv->getExtension("3001").value().phone_make == "Yealink");
    const std::string out = f.exported();
    CHECK(out.find("\r\n,,,,,,,3001,SIP,Bob,") != std::string::npos);
    Fixture b;
    CHECK(problems(b.import(out)).empty());
}

TEST_CASE("softphone round trip: the device API refuses a softphone's make, naming make") {
    Fixture f;
    auto created = f.inv->createDevice(softphoneDevice(), f.admin);
    REQUIRE_FALSE(created);
    CHECK(created.error().code == Code::kInvalidArgument);
    REQUIRE(created.error().fields.count("make") == 1);
    CHECK(created.error().fields.at("make").find("IntellaPhone is a softphone") == 0);
    Device yealink;
    yealink.mac = "001565000001";
    yealink.make = "Yealink";
    yealink.model = "T31";
    REQUIRE(f.inv->createDevice(yealink, f.admin));
    auto edited = f.inv->editDevice("001565000001", [](Device& d, FieldErrors&, std::optional<int64_t>&) {
        d.make = "intellaphone";
        d.model = "IntellaPhone PC";
    }, f.admin);
    REQUIRE_FALSE(edited);
    CHECK(edited.error().fields.count("make") == 1);
    CHECK(f.inv->getDevice("001565000001").value().make == "Yealink");
}

TEST_CASE("softphone round trip: a device stored with a softphone's make before the API refused it comes back") {
    Fixture a;
    REQUIRE(a.store->write([](StoreTx& tx) -> Status {
        Device d = softphoneDevice();
        return tx.insertDevice(d);
    }));
    // Its other fields still edit.
    REQUIRE(a.inv->editDevice("001565000002", [](Device& d, FieldErrors&, std::optional<int64_t>&) {
        d.label = "HQ";
    }, a.admin));
    const std::string out = a.exported();
    REQUIRE(out.find("\r\n00:15:65:00:00:02,IntellaPhone,IntellaPhone PC,") != std::string::npos);
    const auto again = a.import(out);
    CHECK(problems(again).empty());
    CHECK(again.devices.unchanged == 1);
    // Into a store without it, it would be a new one: refused, as the API does.
    Fixture b;
    const auto fresh = b.import(out);
    CHECK(problems(fresh) == "2 make: IntellaPhone is a softphone, which has no device: leave mac empty on its "
                             "extension's row\n");
    CHECK(b.inv->listDevices({}, {}).value().total == 0);
}

TEST_CASE("softphone round trip: a file with no mac column leaves a phone's extension on it") {
    Fixture f;
    REQUIRE(f.import(kHeader + "00:15:65:00:00:01,Yealink,T31,HQ,3001,Bob\n,,,,3002,Free\n").problems.empty());
    // The phone's own make and model, and a device field: the device's, left as they are.
    auto r = f.import("extension,make,model\n3001,Yealink,T31\n");
    CHECK(problems(r).empty());
    CHECK(r.extensions.unchanged == 1);
    r = f.import("extension,label\n3001,Lobby\n");
    CHECK(problems(r).empty());
    CHECK(f.inv->getDevice("001565000001").value().label == "HQ");
    CHECK(f.inv->getExtension("3001").value().mac == "001565000001");
    // On no phone, or new: the device cells have nowhere to go.
    r = f.import("extension,label\n3002,Lobby\n");
    CHECK(problems(r) == "2 label: needs a mac: it is stored on the phone's device, and this row has none\n");
    r = f.import("extension,make,model\n3003,Yealink,T31\n");
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].column == "make");
    CHECK(r.problems[0].reason.find("a Yealink phone needs a mac column") == 0);
    // A softphone named for the phone's extension: refused at make, which the file has.
    r = f.import("extension,make,model\n3001,IntellaPhone,IntellaPhone PC\n");
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].column == "make");
    CHECK(r.problems[0].reason.find("IntellaPhone is a softphone") == 0);
    CHECK(f.inv->getExtension("3001").value().mac == "001565000001");
    CHECK(f.inv->listExtensions({}, {}).value().total == 2);
}

TEST_CASE("softphone round trip: a refusal names a column the file has") {
    Fixture f;
    auto r = f.import("mac,make,extension\n,IntellaPhone,3001\n");
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].column == "make");
    CHECK(r.problems[0].reason.find("needs a model column") == 0);
    r = f.import("mac,model,extension\n,IntellaPhone PC,3001\n");
    REQUIRE(r.problems.size() == 1);
    CHECK(r.problems[0].column == "model");
    CHECK(r.problems[0].reason.find("needs a make column") == 0);
    CHECK(f.inv->listExtensions({}, {}).value().total == 0);
}

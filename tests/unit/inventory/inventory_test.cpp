#include <catch2/catch.hpp>

#include "fakes/inventory_fixture.h"
#include "provisioner/inventory/inventory.h"
#include "provisioner/store/sqlite_store.h"
#include "provisioner/tls/crypto.h"

using namespace prov;

namespace {

struct Fixture : testing::InventoryFixture {
    using InventoryFixture::InventoryFixture;

    Result<Extension> create(const std::string& number, DeviceType type = DeviceType::kSip,
                             const std::string& mac = "", int reg = 0) {
        Extension e;
        e.extension = number;
        e.callerid_name = "User " + number;
        e.device_type = type;
        e.mac = mac;
        e.phone_reg = reg;
        return inv->createExtension(e, admin);
    }

    int64_t auditCount() { return inv->listAudit({}, {}).value().total; }
};

const std::string kMac = "0015654aa937";

}  // namespace

TEST_CASE("a created extension gets a strong secret and an audit entry") {
    Fixture f;
    auto a = f.create("1001");
    auto b = f.create("1002");
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a.value().secret.size() >= 20);
    CHECK(a.value().secret != b.value().secret);
    auto audit = f.inv->listAudit({}, {}).value();
    REQUIRE(audit.total == 2);
    CHECK(audit.items[0].after.find(b.value().secret) == std::string::npos);
    CHECK(audit.items[0].actor == "test");
}

TEST_CASE("licences: only non-virtual types count, and the limit names N") {
    Fixture f(2);
    REQUIRE(f.create("1001"));
    REQUIRE(f.create("1002", DeviceType::kIax2));
    auto over = f.create("1003", DeviceType::kDahdi);
    REQUIRE_FALSE(over);
    CHECK(over.error().reason == "license_limit_reached");
    CHECK(over.error().message.find("allows 2") != std::string::npos);
    CHECK(f.create("1004", DeviceType::kVirtual));
    CHECK(f.inv->licence().value().used == 2);

    // Turning a VIRTUAL extension into a licensed one needs a free licence.
    auto edit = f.inv->editExtension(
        "1004", [](Extension& e, FieldErrors&, std::optional<int64_t>&) { e.device_type = DeviceType::kSip; },
        f.admin);
    REQUIRE_FALSE(edit);
    CHECK(edit.error().reason == "license_limit_reached");
}

TEST_CASE("devices: slots, model line counts, SIP-VIRTUAL") {
    Fixture f;
    SECTION("binding creates the device and takes the first free line") {
        auto a = f.create("1001", DeviceType::kSip, kMac);
        REQUIRE(a);
        CHECK(a.value().phone_reg == 1);
        auto b = f.create("1002", DeviceType::kSipVirtual, kMac);
        REQUIRE(b);
        CHECK(b.value().phone_reg == 2);
        CHECK(f.inv->getDevice(kMac).value().state == DeviceState::kStaged);
    }
    SECTION("a taken line is a duplicate") {
        REQUIRE(f.create("1001", DeviceType::kSip, kMac, 1));
        auto dup = f.create("1002", DeviceType::kSip, kMac, 1);
        REQUIRE_FALSE(dup);
        CHECK(dup.error().reason == "duplicate");
        CHECK(dup.error().fields.count("phone_reg"));
    }
    SECTION("a line past the model's count is refused") {
        Extension e;
        e.extension = "1001";
        e.callerid_name = "A";
        e.mac = kMac;
        e.phone_make = "Yealink";
        e.phone_model = "T31";
        e.phone_reg = 3;
        auto r = f.inv->createExtension(e, f.admin);
        REQUIRE_FALSE(r);
        CHECK(r.error().fields.at("phone_reg").find("2 lines") != std::string::npos);
        CHECK_FALSE(f.inv->getDevice(kMac));  // the device made for it was rolled back
    }
    SECTION("SIP-VIRTUAL needs a device that already has an extension") {
        auto r = f.create("1001", DeviceType::kSipVirtual, kMac);
        REQUIRE_FALSE(r);
        CHECK(r.error().fields.count("device_type"));
    }
}

TEST_CASE("delete lists every reference unless forced") {
    Fixture f;
    REQUIRE(f.create("1001", DeviceType::kSip, kMac));
    REQUIRE(f.create("1002"));
    REQUIRE(f.inv->editExtension(
        "1001",
        [](Extension& e, FieldErrors&, std::optional<int64_t>&) {
            e.call_forward = "1002";
            e.voicemail_enabled = true;
            e.voicemail_pin = "1234";
            e.phone_group = "sales";
        },
        f.admin));
    REQUIRE(f.create("1003"));
    REQUIRE(f.inv->editExtension(
        "1003", [](Extension& e, FieldErrors&, std::optional<int64_t>&) { e.call_forward = "1001"; }, f.admin));
    REQUIRE(f.inv->setButtons("1002", {{1, "blf", "1001", "Alice", 1}}, f.admin));

    const int64_t audits = f.auditCount();
    Status refused = f.inv->deleteExtension("1001", false, f.admin);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().reason == "extension_in_use");
    const auto& refs = refused.error().details;
    CHECK(refs.size() == 6);
    auto has = [&](const std::string& s) {
        for (const auto& r : refs) {
            if (r.find(s) != std::string::npos) return true;
        }
        return false;
    };
    CHECK(has("call forward"));
    CHECK(has("voicemail"));
    CHECK(has("1003 forwards"));
    CHECK(has("1002 watches"));
    CHECK(has("phone group sales"));
    CHECK(has("00:15:65:4a:a9:37"));
    CHECK(f.auditCount() == audits);  // nothing stored
    REQUIRE(f.inv->deleteExtension("1001", true, f.admin));
    CHECK_FALSE(f.inv->getExtension("1001"));
}

TEST_CASE("a stale version is a conflict, and nothing changes") {
    Fixture f;
    REQUIRE(f.create("1001"));
    auto edit = f.inv->editExtension(
        "1001",
        [](Extension& e, FieldErrors&, std::optional<int64_t>& v) {
            e.callerid_name = "Changed";
            v = 7;
        },
        f.admin);
    REQUIRE_FALSE(edit);
    CHECK(edit.error().reason == "version_conflict");
    CHECK(f.inv->getExtension("1001").value().callerid_name == "User 1001");
}

TEST_CASE("UNREACHABLE that lasts past unknown_after reads UNKNOWN") {
    Fixture f;
    REQUIRE(f.create("1001"));
    auto r = f.inv->setRegistration("1001", {"UNREACHABLE", "10.0.0.5", 5060, "pbx", "tls"}, f.admin);
    REQUIRE(r);
    CHECK(r.value().status == RegStatus::kUnreachable);
    CHECK(r.value().reg_transport == "tls");
    CHECK(f.inv->getExtension("1001").value().reg_transport == "tls");
    f.clock.advance(61);
    CHECK(f.inv->getExtension("1001").value().status == RegStatus::kUnknown);
    auto bad = f.inv->setRegistration("1001", {"MAYBE", "999.1.1.1", 70000, "", "sctp"}, f.admin);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().fields.size() == 4);
    CHECK(bad.error().fields.count("transport"));
}

TEST_CASE("a setting a reached phone's vendor cannot express is refused naming field and vendor") {
    Fixture f;
    Device yealink;
    yealink.mac = kMac;
    yealink.make = "Yealink";
    yealink.model = "T31";
    REQUIRE(f.inv->createDevice(yealink, f.admin));
    Device other;
    other.mac = "0004f2aabb01";
    other.make = "Acme";
    REQUIRE(f.inv->createDevice(other, f.admin));

    // Per device: the device's make.
    auto own = f.inv->putSettings(kMac, {{"dtmf_mode", "auto"}}, f.admin);
    REQUIRE_FALSE(own);
    CHECK(own.error().code == Code::kInvalidArgument);
    REQUIRE(own.error().fields.count("dtmf_mode"));
    CHECK_THAT(own.error().fields.at("dtmf_mode"), Catch::Contains("Yealink"));
    CHECK(f.inv->putSettings("0004f2aabb01", {{"dtmf_mode", "auto"}}, f.admin));

    // Global: every device that would inherit it; nothing is stored on refusal.
    auto global = f.inv->putSettings("", {{"dtmf_mode", "auto"}, {"register_expiry", "600"}}, f.admin);
    REQUIRE_FALSE(global);
    REQUIRE(global.error().fields.size() == 1);
    CHECK_THAT(global.error().fields.at("dtmf_mode"), Catch::Contains("Yealink"));
    CHECK_THAT(global.error().fields.at("dtmf_mode"), Catch::Contains(kMac));
    CHECK(f.inv->getSettings("").value().at("register_expiry") == "3600");

    // With a value of its own the Yealink no longer inherits it.
    REQUIRE(f.inv->putSettings(kMac, {{"dtmf_mode", ""}}, f.admin));
    REQUIRE(f.inv->putSettings("", {{"dtmf_mode", "auto"}}, f.admin));
    CHECK(f.inv->getSettings("").value().at("dtmf_mode") == "auto");
    CHECK(f.inv->getSettings(kMac).value().at("dtmf_mode").empty());
}

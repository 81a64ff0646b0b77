#include <catch2/catch.hpp>

#include <regex>
#include <string>

#include "fakes/fake_catalog.h"
#include "fakes/test_store.h"
#include "provisioner/model/fields.h"
#include "provisioner/store/migrations.h"

using namespace prov;

// The config generation (what render caches and each node's memory of the
// phones it served are keyed on) moves when a phone's file may change, and
// not when the PBX reports a registration, which no file holds.

namespace {

int64_t generation(Store& store) {
    int64_t g = 0;
    store.read([&](StoreTx& tx) -> Status {
        g = TRY(tx.configGeneration());
        return okStatus();
    }).value();
    return g;
}

}  // namespace

TEST_CASE("config generation: a registration update leaves it alone, an admin's edit moves it") {
    FakeClock clock;
    auto store = testing::openTestStore(clock);
    Extension e;
    e.extension = "1001";
    e.callerid_name = "Ann";
    e.secret = "s3cret-s3cret";
    store->write([&](StoreTx& tx) -> Status { return tx.insertExtension(e); }).value();

    const int64_t before = generation(*store);
    e.status = RegStatus::kOk;
    e.ip = "192.0.2.10";
    e.port = 5060;
    e.agent = "Yealink SIP-T46U";
    e.reg_transport = "udp";
    e.status_changed_at = clock.nowSeconds();
    store->write([&](StoreTx& tx) -> Status { return tx.updateRegistration(e); }).value();
    CHECK(generation(*store) == before);

    e.callerid_name = "Ann B";
    store->write([&](StoreTx& tx) -> Status { return tx.updateExtension(e); }).value();
    CHECK(generation(*store) > before);
}

TEST_CASE("config generation: the trigger names every column an admin writes on an extension") {
    // The newest migration that (re)defines the update trigger.
    std::string sql;
    for (const sqlite::Migration& m : sqlite::migrations()) {
        if (m.sql.find("CREATE TRIGGER gen_ext_upd") != std::string_view::npos) sql = std::string(m.sql);
    }
    REQUIRE_FALSE(sql.empty());
    const std::string columns = sql.substr(sql.find("UPDATE OF"), sql.find(" ON extensions") - sql.find("UPDATE OF"));
    for (const auto& f : extensionFields()) {
        if (f.column.empty()) continue;
        const std::regex word("\\b" + std::string(f.column) + "\\b");
        INFO("column " << f.column);
        // Written by an admin: named, so changing it moves the generation; by
        // the PBX or the server: not named.
        CHECK(std::regex_search(columns, word) == f.editable());
    }
}

// The fleet's server certificate as the store registers it
// (app/fleet_certificate.h): the first node's, kept until a reload after
// its file was replaced adopts another; a node with another file is told it
// differs.

#include "provisioner/app/fleet_certificate.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "fakes/test_store.h"
#include "provisioner/tls/crypto.h"
#include "temp_dir.h"

using namespace prov;

namespace {

void writeCert(const std::string& dir, const std::string& text) {
    std::ofstream(dir + "/server.crt", std::ios::binary) << text;
}

}  // namespace

TEST_CASE(
    "fleet certificate: the first registered stays the fleet's until a reload of a replaced file "
    "adopts another") {
    FakeClock clock;
    auto store = testing::openTestStore(clock);
    tls::Sha256Hasher hasher;
    testing::TempDir first, second;
    writeCert(first.path(), "-----BEGIN CERTIFICATE-----\nfirst\n-----END CERTIFICATE-----\n");
    writeCert(second.path(), "-----BEGIN CERTIFICATE-----\nsecond\n-----END CERTIFICATE-----\n");

    auto a = app::checkFleetCertificate(*store, hasher, first.path(), std::nullopt);
    REQUIRE(a);
    CHECK_FALSE(a.value().differs());  // registered: nobody had one
    CHECK(a.value().ours.size() == 64);

    auto b = app::checkFleetCertificate(*store, hasher, second.path(), std::nullopt);
    REQUIRE(b);
    CHECK(b.value().differs());
    CHECK(b.value().registered == a.value().ours);  // the fleet's is not replaced at a start

    // A reload with its server.crt unchanged (a SIGHUP for the templates)
    // does not make a stray certificate the fleet's.
    auto unchanged = app::checkFleetCertificate(*store, hasher, second.path(), b.value().ours);
    REQUIRE(unchanged);
    CHECK_FALSE(unchanged.value().adopted);
    CHECK(unchanged.value().differs());
    CHECK(unchanged.value().registered == a.value().ours);

    // A reload after the admin replaced server.crt adopts the new one.
    writeCert(second.path(), "-----BEGIN CERTIFICATE-----\nrenewed\n-----END CERTIFICATE-----\n");
    auto reloaded = app::checkFleetCertificate(*store, hasher, second.path(), b.value().ours);
    REQUIRE(reloaded);
    CHECK(reloaded.value().adopted);
    CHECK_FALSE(reloaded.value().differs());
    auto old = app::checkFleetCertificate(*store, hasher, first.path(), std::nullopt);
    REQUIRE(old);
    CHECK(old.value().differs());
    CHECK(old.value().registered == reloaded.value().ours);
}

TEST_CASE("fleet certificate: a missing server.crt is an error naming it") {
    FakeClock clock;
    auto store = testing::openTestStore(clock);
    tls::Sha256Hasher hasher;
    testing::TempDir empty;
    auto r = app::checkFleetCertificate(*store, hasher, empty.path(), std::nullopt);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("server.crt") != std::string::npos);
}

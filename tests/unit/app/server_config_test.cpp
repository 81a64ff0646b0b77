#include <catch2/catch.hpp>

#include <fstream>

#include "provisioner/app/server_config.h"

using namespace prov::app;

TEST_CASE("defaults are the developer ports") {
    auto c = loadConfig({});
    REQUIRE(c);
    CHECK(c.value().http_port == 8080);
    CHECK(c.value().https_port == 8443);
    CHECK(c.value().tftp_port == 6969);
    CHECK(c.value().admin_port == 9090);
    CHECK(c.value().store_path == "var/provisioner.db");
}

TEST_CASE("defines override the file, and bad values are one clear line") {
    const std::string path = "/tmp/prov-config-test.ini";
    {
        std::ofstream out(path);
        out << "[admin]\nport = 9191\nbind = 0.0.0.0\n[license]\nextensions = 5\n";
    }
    auto c = loadConfig({path, {{"admin.port", "0"}}});
    REQUIRE(c);
    CHECK(c.value().admin_port == 0);
    CHECK(c.value().admin_bind == "0.0.0.0");
    CHECK(c.value().license_extensions == 5);

    auto bad_port = loadConfig({"", {{"admin.port", "70000"}}});
    REQUIRE_FALSE(bad_port);
    CHECK(bad_port.error().message.find("admin.port") != std::string::npos);
    auto unknown = loadConfig({"", {{"admin.prot", "1"}}});
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().message.find("admin.prot") != std::string::npos);
    CHECK_FALSE(loadConfig({"", {{"admin.bind", "localhost:1"}}}));
    CHECK_FALSE(loadConfig({"/nonexistent.ini", {}}));
    std::remove(path.c_str());
}

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <sys/stat.h>

#include "provisioner/app/first_token.h"
#include "provisioner/app/folder_signature.h"
#include "provisioner/app/ports_file.h"
#include "provisioner/app/services.h"
#include "temp_dir.h"

using namespace prov::app;

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

TEST_CASE("the ports file holds every bound port as one JSON object, and no temporary file") {
    prov::testing::TempDir dir;
    const std::string path = dir.path() + "/ports.json";
    REQUIRE(writePortsFile(path, {{"http", 8080}, {"https", 8443}, {"tftp", 6969}, {"admin", 40000}}));
    CHECK(slurp(path) == "{\"http\": 8080, \"https\": 8443, \"tftp\": 6969, \"admin\": 40000}\n");
    CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
    auto refused = writePortsFile(dir.path() + "/missing/ports.json", {{"http", 1}});
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message == "cannot write " + dir.path() + "/missing/ports.json: No such file or directory");
}

TEST_CASE("a folder's signature changes when a file under it is added, grows or is removed") {
    prov::testing::TempDir dir;
    dir.write("yealink/vendor.json", "{}");
    const std::string first = folderSignature(dir.path());
    CHECK_FALSE(first.empty());
    CHECK(folderSignature(dir.path()) == first);

    dir.write("yealink/t46u.cfg.mustache", "x");
    const std::string added = folderSignature(dir.path());
    CHECK(added != first);
    dir.write("yealink/t46u.cfg.mustache", "xy");
    const std::string grown = folderSignature(dir.path());
    CHECK(grown != added);
    std::filesystem::remove(dir.path() + "/yealink/t46u.cfg.mustache");
    CHECK(folderSignature(dir.path()) != grown);
    CHECK(folderSignature(dir.path() + "/none") == "");
}

TEST_CASE("the first admin token's file is beside the store") {
    CHECK(adminTokenPath("/var/lib/provisioner/provisioner.db") == "/var/lib/provisioner/admin-token");
    CHECK(adminTokenPath("var/provisioner.db") == "var/admin-token");
    CHECK(adminTokenPath("store.db") == "admin-token");
    CHECK(adminTokenPath(":memory:") == "admin-token");
}

TEST_CASE("a secret file is 0600 whatever the umask, replaces what was there, and leaves no temporary") {
    prov::testing::TempDir dir;
    const std::string path = dir.path() + "/admin-token";
    const mode_t old_mask = ::umask(0);  // the loosest umask: the file must still be 0600
    REQUIRE(writeSecretFile(path, "prov_first\n"));
    ::umask(old_mask);
    CHECK(slurp(path) == "prov_first\n");
    CHECK((std::filesystem::status(path).permissions() & std::filesystem::perms::all) ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
    CHECK_FALSE(std::filesystem::exists(path + ".partial"));
    // A link planted where the file goes is replaced, its target left alone.
    const std::string target = dir.write("elsewhere", "keep");
    std::filesystem::remove(path);
    std::filesystem::create_symlink(target, path);
    REQUIRE(writeSecretFile(path, "prov_second\n"));
    CHECK_FALSE(std::filesystem::is_symlink(path));
    CHECK(slurp(path) == "prov_second\n");
    CHECK(slurp(target) == "keep");
    auto refused = writeSecretFile(dir.path() + "/missing/admin-token", "x");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message.find("cannot write " + dir.path() + "/missing/admin-token") == 0);
}

TEST_CASE("a PostgreSQL store's name never shows its password, in the user part or the query") {
    prov::app::ServerConfig config;
    config.store_url = "postgresql://prov:S3cret@db.example.net:5432/fleet?sslmode=require&password=An0ther&oldpassword=x";
    const std::string name = storeName(config);
    CHECK(name.find("S3cret") == std::string::npos);
    CHECK(name.find("An0ther") == std::string::npos);
    CHECK(name == "postgresql://prov:***@db.example.net:5432/fleet?sslmode=require&password=***&oldpassword=x");
    config.store_url = "postgresql://db.example.net/fleet?password=Only";
    CHECK(storeName(config) == "postgresql://db.example.net/fleet?password=***");
}

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "provisioner/app/folder_signature.h"
#include "provisioner/app/ports_file.h"
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
    CHECK(refused.error().message == "cannot write ports.file " + dir.path() + "/missing/ports.json");
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

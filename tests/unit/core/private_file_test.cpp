// Files and folders made readable by their owner alone whatever the umask
// (core/private_file.h): exports, keys, uploads and the store's folder.

#include "provisioner/core/private_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "temp_dir.h"

using namespace prov;

namespace {

int modeOf(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return -1;
    return static_cast<int>(st.st_mode & 07777);
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// A permissive umask for the scope of a test.
struct Umask {
    explicit Umask(mode_t m) : old(::umask(m)) {}
    ~Umask() { ::umask(old); }
    mode_t old;
};

}  // namespace

TEST_CASE("writePrivateFile: 0600 under umask 022, whole, no temporary left") {
    prov::testing::TempDir dir;
    Umask mask(022);
    const std::string path = dir.path() + "/export.csv";
    REQUIRE(writePrivateFile(path, std::string("secret,\0bytes\n", 14)));
    CHECK(modeOf(path) == 0600);
    CHECK(slurp(path) == std::string("secret,\0bytes\n", 14));
    CHECK(modeOf(path + ".partial") == -1);
}

TEST_CASE("writePrivateFile, durable: the same file, synced, and a relative path syncs the working folder") {
    prov::testing::TempDir dir;
    Umask mask(022);
    const std::string path = dir.path() + "/00000000000000000001.batch";
    REQUIRE(writePrivateFile(path, "batch\n", FileSync::kDurable));
    CHECK(modeOf(path) == 0600);
    CHECK(slurp(path) == "batch\n");
    CHECK(modeOf(path + ".partial") == -1);
    char* cwd = ::getcwd(nullptr, 0);
    REQUIRE(::chdir(dir.path().c_str()) == 0);
    const auto relative = writePrivateFile("here.batch", "x", FileSync::kDurable);
    REQUIRE(::chdir(cwd) == 0);
    ::free(cwd);
    CHECK(relative);
    CHECK(slurp(dir.path() + "/here.batch") == "x");
}

TEST_CASE("writePrivateFile: an existing 0644 file is replaced by a 0600 one") {
    prov::testing::TempDir dir;
    Umask mask(022);
    const std::string path = dir.write("old.csv", "old contents, longer than the new\n");
    REQUIRE(::chmod(path.c_str(), 0644) == 0);
    // A leftover temporary with a wide mode is not reused either.
    const std::string temp = dir.write("old.csv.partial", "stale");
    REQUIRE(::chmod(temp.c_str(), 0666) == 0);
    REQUIRE(writePrivateFile(path, "new\n"));
    CHECK(modeOf(path) == 0600);
    CHECK(slurp(path) == "new\n");
    CHECK(modeOf(temp) == -1);
}

TEST_CASE("writePrivateFile: a folder that does not exist is an error naming the file") {
    prov::testing::TempDir dir;
    const std::string path = dir.path() + "/missing/export.csv";
    auto st = writePrivateFile(path, "x");
    REQUIRE_FALSE(st);
    CHECK(st.error().message.find(path) != std::string::npos);
}

TEST_CASE("makePrivateDirectories: every folder it makes is 0700, those there are left alone") {
    prov::testing::TempDir dir;
    Umask mask(022);
    REQUIRE(::mkdir((dir.path() + "/shared").c_str(), 0755) == 0);
    REQUIRE(::chmod((dir.path() + "/shared").c_str(), 0755) == 0);
    REQUIRE(makePrivateDirectories(dir.path() + "/shared/var/uploads/0015654aa937"));
    CHECK(modeOf(dir.path() + "/shared") == 0755);
    CHECK(modeOf(dir.path() + "/shared/var") == 0700);
    CHECK(modeOf(dir.path() + "/shared/var/uploads") == 0700);
    CHECK(modeOf(dir.path() + "/shared/var/uploads/0015654aa937") == 0700);
    // Again: nothing to do, no error; a trailing slash is the same folder.
    REQUIRE(makePrivateDirectories(dir.path() + "/shared/var/uploads/"));
    REQUIRE(makePrivateDirectories(""));
}

TEST_CASE("makePrivateDirectories: a file in the way is an error naming it") {
    prov::testing::TempDir dir;
    const std::string file = dir.write("plain", "x");
    auto st = makePrivateDirectories(file + "/below");
    REQUIRE_FALSE(st);
    CHECK(st.error().message.find(file) != std::string::npos);
    auto same = makePrivateDirectories(file);
    REQUIRE_FALSE(same);
}

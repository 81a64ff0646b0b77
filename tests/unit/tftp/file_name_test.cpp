#include <catch2/catch.hpp>

#include <string>

#include "provisioner/fetch/fetch.h"
#include "provisioner/tftp/file_name.h"

using prov::isSafeFileName;
using prov::tftp::fileFromName;

TEST_CASE("fileFromName: a root file however many slashes lead it") {
    struct Case {
        const char* name;
        const char* file;
    };
    const Case cases[] = {
        {"0015654aa937.cfg", "0015654aa937.cfg"},
        {"/0015654aa937.cfg", "0015654aa937.cfg"},
        {"//0015654aa937.cfg", "0015654aa937.cfg"},
        {"////0015654aa937.cfg", "0015654aa937.cfg"},
        {"/", "/"},
        {"//", "/"},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        CHECK(fileFromName(c.name) == c.file);
        CHECK(isSafeFileName(fileFromName(c.name)) == (std::string(c.file) != "/"));
    }
}

TEST_CASE("fileFromName: escapes still end as names the service refuses") {
    const std::string names[] = {
        "../etc/passwd",  "/../etc/passwd", "//../x",        "..//etc/passwd", "a//b",
        "/a/b",           "//etc/passwd",   "/etc//passwd",  "a\\b",           "/a\\\\b",
        "..",             "/..",            "//..",          ".",              "//.hidden",
        std::string("/x\0.cfg", 7),         std::string("//\0", 3),
    };
    for (const std::string& n : names) {
        INFO("'" << n << "' -> '" << fileFromName(n) << "'");
        CHECK_FALSE(isSafeFileName(fileFromName(n)));
    }
}

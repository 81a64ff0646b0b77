// portalFile: which request paths name a file of the portal folder. A table
// of paths, each with the file it must give or none: the index, folders,
// dot segments plain and percent-encoded, NUL, backslash, dot files, and
// symbolic links inside and out of the folder.

#include "provisioner/admin/portal_files.h"

#include <catch2/catch.hpp>

#include <filesystem>

#include "../temp_dir.h"

namespace fs = std::filesystem;
using prov::admin::isPortalPath;
using prov::admin::portalContentType;
using prov::admin::portalFile;

TEST_CASE("portalFile serves files inside the folder and nothing else") {
    prov::testing::TempDir dir;
    dir.write("portal/index.html", "index");
    dir.write("portal/js/app.js", "js");
    dir.write("portal/sub/index.html", "sub");
    dir.write("portal/.env", "hidden");
    dir.write("outside/secret.txt", "secret");
    const fs::path root = fs::path(dir.path()) / "portal";
    fs::create_symlink(fs::path(dir.path()) / "outside/secret.txt", root / "leak.txt");
    fs::create_symlink(fs::path(dir.path()) / "outside", root / "out");
    fs::create_symlink(root / "js/app.js", root / "alias.js");
    const fs::path real = fs::canonical(root);

    struct Row {
        const char* path;
        const char* file;  // relative to the folder; nullptr: none
    };
    const Row rows[] = {
        {"/", "index.html"},
        {"/index.html", "index.html"},
        {"//index.html", "index.html"},
        {"/js/app.js", "js/app.js"},
        {"/js/%61pp.js", "js/app.js"},
        {"/sub/", "sub/index.html"},
        {"/alias.js", "js/app.js"},
        {"/js/", nullptr},
        {"/sub", nullptr},
        {"/missing.html", nullptr},
        {"/.env", nullptr},
        {"/js/../index.html", nullptr},
        {"/../outside/secret.txt", nullptr},
        {"/%2e%2e/outside/secret.txt", nullptr},
        {"/js%2f..%2f..%2foutside%2fsecret.txt", nullptr},
        {"/index.html%00.js", nullptr},
        {"/js%5capp.js", nullptr},
        {"/js\\app.js", nullptr},
        {"/leak.txt", nullptr},
        {"/out/secret.txt", nullptr},
        {"/%zz", nullptr},
    };
    for (const Row& row : rows) {
        INFO(row.path);
        const auto got = portalFile(root, row.path);
        if (row.file) {
            REQUIRE(got.has_value());
            CHECK(*got == real / row.file);
        } else {
            CHECK_FALSE(got.has_value());
        }
    }
    CHECK_FALSE(portalFile(fs::path(dir.path()) / "none", "/").has_value());
}

TEST_CASE("portal paths, content types") {
    CHECK(isPortalPath("/"));
    CHECK(isPortalPath("/index.html"));
    CHECK(isPortalPath("/apix"));
    CHECK_FALSE(isPortalPath("/api"));
    CHECK_FALSE(isPortalPath("/api/v1/extensions"));
    CHECK(portalContentType("a/b.js") == "text/javascript; charset=utf-8");
    CHECK(portalContentType("index.html") == "text/html; charset=utf-8");
    CHECK(portalContentType("s.css") == "text/css; charset=utf-8");
    CHECK(portalContentType("x.bin") == "application/octet-stream");
    CHECK(portalContentType("noext") == "application/octet-stream");
}

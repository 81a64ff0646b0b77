#include <catch2/catch.hpp>

#include <string>

#include "provisioner/http/request_head.h"

using prov::http::fileFromTarget;

TEST_CASE("fileFromTarget: plain files at the root") {
    struct Case {
        const char* target;
        const char* file;
    };
    const Case cases[] = {
        {"/0015654aa937.cfg", "0015654aa937.cfg"},
        {"/0015654aa937.cfg?mac=0015654aa937&x=/a/b", "0015654aa937.cfg"},
        {"/0015654aa937.cfg?", "0015654aa937.cfg"},
        {"/y000000000000.boot", "y000000000000.boot"},
        {"/snomD345-000413A11FA7.htm", "snomD345-000413A11FA7.htm"},
        {"/y000000000000%2Eboot", "y000000000000.boot"},  // an encoded character is decoded
        {"/f0X4hw1.100.cfg", "f0X4hw1.100.cfg"},
        // Repeated slashes are one: a phone joins a server ending in '/' with
        // its own '/'.
        {"//0015654aa937.cfg", "0015654aa937.cfg"},
        {"///0015654aa937.cfg", "0015654aa937.cfg"},
        {"//0015654aa937.cfg?x=//a", "0015654aa937.cfg"},
    };
    for (const Case& c : cases) {
        INFO(c.target);
        CHECK(fileFromTarget(c.target) == c.file);
    }
}

TEST_CASE("fileFromTarget: anything else is refused") {
    const std::string targets[] = {
        "/%2e%2e/etc/passwd",
        "/%2E%2E/etc/passwd",
        "/..%2fetc",
        "/..%2Fetc",
        "/a%2fb",
        "/a%2Fb",
        "/a%5cb",
        "/a%5Cb",
        "/a\\b",
        "/%00x",
        "/x%00.cfg",
        "/a/b",
        "//etc/passwd",  // "/etc/passwd" once collapsed: still a folder
        "///etc//passwd",
        "//../x",
        "//..",
        "//%2e%2e/x",
        "//%2e%2e%2fx",
        "//%2fetc",
        "/%2f/x.cfg",
        "/%2F%2Fx.cfg",  // encoded slashes are not collapsed: refused as before
        "//a%5cb",
        "//a\\b",
        "//%00x",
        "//x%00.cfg",
        "//",
        "//?x=1",
        "x//y.cfg",
        "/../etc/passwd",
        "/..",
        "/.",
        "/%2e%2e",
        "/%2e",
        "/a..b",
        "/%252e%252e",   // double encoding
        "/%252f",
        "",
        "?x=1",
        "/",
        "x.cfg",         // no leading slash
        "http://host/x.cfg",
        "/%zz",
        "/%",
        "/%2",
        "/x.cfg%",
    };
    for (const std::string& t : targets) {
        INFO("'" << t << "'");
        CHECK(fileFromTarget(t).empty());
    }
}

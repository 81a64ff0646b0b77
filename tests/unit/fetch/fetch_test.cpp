#include <catch2/catch.hpp>

#include <string>

#include "provisioner/fetch/fetch.h"

using namespace prov;

TEST_CASE("isSafeFileName") {
    struct Case {
        std::string name;
        bool safe;
    };
    const Case cases[] = {
        {"0015654aa937.cfg", true},
        {"y000000000000.boot", true},
        {"snomD345-000413A11FA7.htm", true},
        {"f0X4hw1.100.cfg", true},
        {"a", true},
        {"a..b", true},  // no separator, so no traversal
        {std::string(255, 'a'), true},
        {std::string(256, 'a'), false},
        {"", false},
        {".", false},
        {"..", false},
        {".hidden", false},
        {"../etc/passwd", false},
        {"a/b", false},
        {"/etc/passwd", false},
        {"a\\b", false},
        {"a b", false},
        {"a\tb", false},
        {"a\nb", false},
        {"a\rb", false},
        {std::string("a\0b", 3), false},
        {"a\x7f", false},
        {"a%2fb", false},
        {"a\"b", false},
        {"a<b", false},
        {"a>b", false},
        {"zoë.cfg", false},
    };
    for (const Case& c : cases) {
        INFO("'" << c.name << "' (" << c.name.size() << " bytes)");
        CHECK(isSafeFileName(c.name) == c.safe);
    }
}

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <vector>

#include "provisioner/catalog/path_pattern.h"

using prov::PathPattern;

namespace {

// The models a test vendor knows, compared case-insensitively like VendorSpec::isModel.
bool knownModel(std::string_view m) {
    static const std::set<std::string> models = {"D345", "T46U", "X5U-V2", "SPA508G", "7841"};
    std::string up(m);
    for (char& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return models.count(up) > 0;
}

bool anyModel(std::string_view) { return true; }

}  // namespace

TEST_CASE("path patterns that compile") {
    struct Case {
        const char* pattern;
        bool has_mac;
        size_t literal_length;
    };
    const Case cases[] = {
        {"{mac}.cfg", true, 4},
        {"snom{model}-{mac}.htm", true, 9},
        {"y{num}.cfg", false, 5},
        {"000000000000.cfg", false, 16},
        {"{model}.xml", false, 4},
        {"{mac}", true, 0},
        {"cfg{mac}.xml", true, 7},
    };
    for (const Case& c : cases) {
        INFO(c.pattern);
        auto p = PathPattern::compile(c.pattern);
        REQUIRE(p);
        CHECK(p.value().hasMac() == c.has_mac);
        CHECK(p.value().literalLength() == c.literal_length);
        CHECK(p.value().text() == c.pattern);
    }
}

TEST_CASE("path patterns that do not compile, each with a reason") {
    struct Case {
        const char* pattern;
        const char* message_part;
    };
    const Case cases[] = {
        {"{foo}.cfg", "unknown placeholder {foo}"},
        {"{}.cfg", "unknown placeholder {}"},
        {"{MAC}.cfg", "unknown placeholder {MAC}"},
        {"{mac.cfg", "unclosed {"},
        {"y{num", "unclosed {"},
        {"dir/{mac}.cfg", "may only name a file"},
        {"{mac}/x.cfg", "may only name a file"},
        {"/{mac}.cfg", "may only name a file"},
        {"a\\{mac}.cfg", "may only name a file"},
        {"a b{mac}.cfg", "may only name a file"},
        {"{mac}.cfg}", "may only name a file"},
        {"{model}{mac}.cfg", "two placeholders must be separated"},
        {"{mac}{num}", "two placeholders must be separated"},
        {"", "empty path pattern"},
    };
    for (const Case& c : cases) {
        INFO(c.pattern);
        auto p = PathPattern::compile(c.pattern);
        REQUIRE_FALSE(p);
        CHECK(p.error().code == prov::Code::kInvalidArgument);
        CHECK_THAT(p.error().message, Catch::Contains(c.message_part));
    }
    // A control character in a literal is refused too.
    CHECK_FALSE(PathPattern::compile(std::string_view("a\0{mac}", 7)));
    CHECK_FALSE(PathPattern::compile("a\t{mac}"));
}

TEST_CASE("path pattern matching") {
    struct Case {
        const char* pattern;
        const char* name;
        bool matches;
        const char* mac = "";
        const char* model = "";
        const char* num = "";
    };
    const Case cases[] = {
        // {mac}: exactly 12 hex digits, kept as written.
        {"{mac}.cfg", "0015654aa937.cfg", true, "0015654aa937"},
        {"{mac}.cfg", "0015654AA937.cfg", true, "0015654AA937"},
        {"{mac}.cfg", "0015654aa93.cfg", false},
        {"{mac}.cfg", "0015654aa9377.cfg", false},
        {"{mac}.cfg", "0015654aa93g.cfg", false},
        {"{mac}.cfg", "00:15:65:4a:a9:37.cfg", false},
        {"{mac}.cfg", "00-15-65-4a-a9-37.cfg", false},
        {"{mac}", "0015654aa937", true, "0015654aa937"},
        // Literals: case-insensitive, whole name only.
        {"y000000000000.boot", "y000000000000.boot", true},
        {"y000000000000.boot", "Y000000000000.BOOT", true},
        {"{mac}.cfg", "0015654aa937.CFG", true, "0015654aa937"},
        {"{mac}.cfg", "0015654aa937.cfg.bak", false},
        {"{mac}.cfg", "x0015654aa937.cfg", false},
        {"{mac}.cfg", "0015654aa937.cf", false},
        {"{mac}.cfg", "", false},
        {"cfg.xml", "cfg.xml2", false},
        {"cfg.xml", "acfg.xml", false},
        {"cfg.xml", "cfg.xm", false},
        // {num}: one or more digits.
        {"y{num}.cfg", "y000000000028.cfg", true, "", "", "000000000028"},
        {"y{num}.cfg", "y7.cfg", true, "", "", "7"},
        {"y{num}.cfg", "y.cfg", false},
        {"y{num}.cfg", "y12a.cfg", false},
        {"y{num}.cfg", "y-12.cfg", false},
        {"{num}1.cfg", "1231.cfg", true, "", "", "123"},  // backs off to leave the literal its digit
        // {model}: a known model; backtracks so a '-' after it can be literal.
        {"snom{model}-{mac}.htm", "snomD345-000413A11FA7.htm", true, "000413A11FA7", "D345"},
        {"snom{model}-{mac}.htm", "SNOMd345-000413a11fa7.HTM", true, "000413a11fa7", "d345"},
        {"snom{model}-{mac}.htm", "snomD999-000413A11FA7.htm", false},  // unknown model
        {"snom{model}-{mac}.htm", "snomD345-000413A11FA.htm", false},
        {"snom{model}-{mac}.htm", "snomD345000413A11FA7.htm", false},
        {"snom{model}.htm", "snomD345.htm", true, "", "D345"},
        {"snom{model}.htm", "snomD345-000413A11FA7.htm", false},
        {"{model}-{mac}.htm", "X5U-V2-0c383e557eb1.htm", true, "0c383e557eb1", "X5U-V2"},
        {"{model}-3PCC.xml", "7841-3PCC.xml", true, "", "7841"},
        {"{model}.xml", "7841-3PCC.xml", false},
        {"{model}.xml", "SPA508G.xml", true, "", "SPA508G"},
        {"{model}.xml", ".xml", false},
    };
    for (const Case& c : cases) {
        INFO(c.pattern << " against " << c.name);
        auto p = PathPattern::compile(c.pattern);
        REQUIRE(p);
        auto caps = p.value().match(c.name, knownModel);
        REQUIRE(caps.has_value() == c.matches);
        if (!caps) continue;
        CHECK(caps->mac == c.mac);
        CHECK(caps->model == c.model);
        CHECK(caps->num == c.num);
    }
}

TEST_CASE("{model} backtracks even when every prefix is a model") {
    // Greedy first takes "D345-000413A11FA7" (model characters include '-'),
    // which leaves no "-" for the literal; it must back off to "D345".
    auto p = PathPattern::compile("snom{model}-{mac}.htm");
    REQUIRE(p);
    auto caps = p.value().match("snomD345-000413A11FA7.htm", anyModel);
    REQUIRE(caps);
    CHECK(caps->model == "D345");
    CHECK(caps->mac == "000413A11FA7");
}

TEST_CASE("{model} asks the vendor about each candidate, and a no means no match") {
    auto p = PathPattern::compile("{model}.cfg");
    REQUIRE(p);
    std::vector<std::string> asked;
    auto caps = p.value().match("T46U.cfg", [&](std::string_view m) {
        asked.emplace_back(m);
        return false;
    });
    CHECK_FALSE(caps);
    CHECK(std::find(asked.begin(), asked.end(), "T46U") != asked.end());
    // Never asked about a candidate with a character a model cannot have.
    for (const std::string& a : asked) CHECK(a.find('.') == std::string::npos);
}

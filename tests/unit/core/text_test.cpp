#include <catch2/catch.hpp>

#include "provisioner/core/text.h"

using namespace prov::text;

TEST_CASE("UTF-8 validation") {
    CHECK(isValidUtf8(""));
    CHECK(isValidUtf8("plain"));
    CHECK(isValidUtf8("Zoë Ångström 日本 😀"));
    CHECK_FALSE(isValidUtf8("\xC0\xAF"));              // overlong '/'
    CHECK_FALSE(isValidUtf8("\xE0\x80\xAF"));          // overlong
    CHECK_FALSE(isValidUtf8("\xED\xA0\x80"));          // surrogate
    CHECK_FALSE(isValidUtf8("\xF4\x90\x80\x80"));      // past U+10FFFF
    CHECK_FALSE(isValidUtf8("abc\xE2\x82"));           // truncated
    CHECK_FALSE(isValidUtf8("\xFF"));
    CHECK_FALSE(isValidUtf8("\x80"));                  // lone continuation
}

TEST_CASE("printable text refuses control characters") {
    CHECK(isPrintable("R&D <Sales> \"Q\" = 1"));
    CHECK(isPrintable("Zoë"));
    CHECK_FALSE(isPrintable("line\nbreak"));
    CHECK_FALSE(isPrintable("tab\there"));
    CHECK_FALSE(isPrintable(std::string_view("nul\0", 4)));
    CHECK_FALSE(isPrintable("del\x7F"));
    CHECK_FALSE(isPrintable("c1\xC2\x85"));           // NEL
    CHECK_FALSE(isPrintable("sep\xE2\x80\xA8"));      // U+2028
    CHECK_FALSE(isPrintable("\xFF"));
    CHECK(codePoints("Zoë") == 3);
}

TEST_CASE("dialable numbers, e-mail addresses, hosts") {
    CHECK(isDialable("+4930123456"));
    CHECK(isDialable("*97"));
    CHECK(isDialable("#21#"));
    CHECK_FALSE(isDialable(""));
    CHECK_FALSE(isDialable("+"));
    CHECK_FALSE(isDialable("12+3"));
    CHECK_FALSE(isDialable("12 34"));
    CHECK_FALSE(isDialable("12a"));

    CHECK(isEmail("alice@example.com"));
    CHECK(isEmail("a.b+c@mail.example.co.uk"));
    CHECK_FALSE(isEmail("alice"));
    CHECK_FALSE(isEmail("alice@"));
    CHECK_FALSE(isEmail("@example.com"));
    CHECK_FALSE(isEmail("alice@localhost"));
    CHECK_FALSE(isEmail("a lice@example.com"));
    CHECK_FALSE(isEmail("a@b@example.com"));
    CHECK_FALSE(isEmail("alice@-example.com"));

    CHECK(isHost("pbx.example.net"));
    CHECK(isHost("10.0.0.1"));
    CHECK(isHost("fe80::1"));
    CHECK_FALSE(isHost(""));
    CHECK_FALSE(isHost("pbx..example"));
    CHECK_FALSE(isHost("pbx example"));
    CHECK_FALSE(isHost("pbx.example.net/x"));
}

TEST_CASE("forLog keeps a client's bytes on one line, in quotes it cannot end") {
    CHECK(prov::text::forLog("0015654aa937.cfg") == "\"0015654aa937.cfg\"");
    CHECK(prov::text::forLog("x\ny") == "\"x\\x0ay\"");
    CHECK(prov::text::forLog("a\r\n\tb") == "\"a\\x0d\\x0a\\x09b\"");
    CHECK(prov::text::forLog(std::string("n\0l", 3)) == "\"n\\x00l\"");
    // A client typing "\x0a" stays distinct from a line break: its backslash is doubled.
    CHECK(prov::text::forLog("back\\x0a") == "\"back\\\\x0a\"");
    // A quote cannot end the value early and start a field of its own.
    CHECK(prov::text::forLog("a\" src=1.2.3.4 x=\"") == "\"a\\\" src=1.2.3.4 x=\\\"\"");
    CHECK(prov::text::forLog("\x7f\xc3\xa9") == "\"\\x7f\\xc3\\xa9\"");
    CHECK(prov::text::forLog("\x1b[2J\x1b]0;pwned\x07") == "\"\\x1b[2J\\x1b]0;pwned\\x07\"");
    CHECK(prov::text::forLog("") == "\"\"");
}

TEST_CASE("forLog's output reads back to the bytes it was given") {
    // The decoder docs/security-log.md describes: \" \\ \xNN.
    const auto decode = [](const std::string& q) {
        REQUIRE(q.size() >= 2);
        REQUIRE(q.front() == '"');
        REQUIRE(q.back() == '"');
        std::string out;
        for (size_t i = 1; i + 1 < q.size(); ++i) {
            if (q[i] != '\\') {
                REQUIRE(q[i] != '"');  // an unescaped quote only at the ends
                out += q[i];
                continue;
            }
            REQUIRE(i + 2 < q.size());
            if (q[i + 1] == 'x') {
                out += static_cast<char>(std::stoi(q.substr(i + 2, 2), nullptr, 16));
                i += 3;
            } else {
                out += q[i + 1];
                ++i;
            }
        }
        return out;
    };
    std::string every;
    for (int c = 0; c < 256; ++c) every += static_cast<char>(c);
    for (const std::string& s : {every, std::string("\"\\\"\\"), std::string("plain")}) {
        const std::string q = prov::text::forLog(s);
        for (const char c : q) CHECK((c >= 0x20 && c <= 0x7e));
        CHECK(decode(q) == s);
    }
}

TEST_CASE("collapseSlashes") {
    struct Case {
        const char* in;
        const char* out;
    };
    const Case cases[] = {
        {"", ""},
        {"/", "/"},
        {"//", "/"},
        {"///", "/"},
        {"/x.cfg", "/x.cfg"},
        {"//x.cfg", "/x.cfg"},
        {"a//b///c", "a/b/c"},
        {"x.cfg//", "x.cfg/"},
        {"/%2f%2F/x", "/%2f%2F/x"},  // encoded slashes are not slashes here
        {"/\\\\x", "/\\\\x"},        // nor are backslashes
        {"//..//x", "/../x"},
    };
    for (const Case& c : cases) {
        INFO(c.in);
        CHECK(collapseSlashes(c.in) == c.out);
    }
}

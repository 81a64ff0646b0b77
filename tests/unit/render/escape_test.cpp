#include <catch2/catch.hpp>

#include <string>

#include "provisioner/render/escape.h"
#include "provisioner/render/xml_check.h"

using namespace prov;

namespace {

std::string s(const char* text, size_t n) { return std::string(text, n); }

}  // namespace

TEST_CASE("escapeKv turns control characters into spaces and keeps everything else") {
    struct Case {
        std::string in, out;
    };
    const Case cases[] = {
        {R"(R&D <Sales> "Q" = 1)", R"(R&D <Sales> "Q" = 1)"},
        {"'", "'"},
        {"a\nb", "a b"},
        {"a\rb", "a b"},
        {"a\tb", "a b"},
        {s("a\0b", 3), "a b"},
        {"a\x7f" "b", "a b"},
        {"a\x1b[31mb", "a [31mb"},
        {"\x01\x1f", "  "},
        {"line1\r\nadmin_password = x", "line1  admin_password = x"},
        {"Zoë 日本 €", "Zoë 日本 €"},  // UTF-8 bytes are not control characters
        {"", ""},
        {"plain 1001", "plain 1001"},
    };
    for (const Case& c : cases) {
        INFO(c.in);
        CHECK(escapeKv(c.in) == c.out);
        CHECK(escapeFor(OutputFormat::kKv, c.in) == c.out);
    }
}

TEST_CASE("escapeXml writes markup characters as entities and control characters as spaces") {
    struct Case {
        std::string in, out;
    };
    const Case cases[] = {
        {R"(R&D <Sales> "Q" = 1)", "R&amp;D &lt;Sales&gt; &quot;Q&quot; = 1"},
        {"'", "&apos;"},
        {"O'Brien", "O&apos;Brien"},
        {"&amp;", "&amp;amp;"},  // no double-unescaping
        {"]]>", "]]&gt;"},
        {"a\nb", "a b"},
        {"a\rb", "a b"},
        {"a\tb", "a b"},
        {s("a\0b", 3), "a b"},
        {"a\x7f" "b", "a b"},
        {"\x01\x08\x0b\x0c\x1f", "     "},
        {"Zoë 日本 €", "Zoë 日本 €"},
        {"", ""},
    };
    for (const Case& c : cases) {
        INFO(c.in);
        CHECK(escapeXml(c.in) == c.out);
        CHECK(escapeFor(OutputFormat::kXml, c.in) == c.out);
    }
}

TEST_CASE("every ASCII character, escaped, stays inside an XML text node and attribute") {
    for (int ch = 0; ch < 128; ++ch) {
        INFO("character " << ch);
        const std::string value = std::string("a") + static_cast<char>(ch) + "b";
        const std::string x = escapeXml(value);
        CHECK(checkXml("<r a=\"" + x + "\" b='" + x + "'>" + x + "</r>"));
        for (char c : x) {
            const auto u = static_cast<unsigned char>(c);
            CHECK((u >= 0x20 && u != 0x7F));
        }
        for (char c : escapeKv(value)) {
            const auto u = static_cast<unsigned char>(c);
            CHECK((u >= 0x20 && u != 0x7F));
        }
    }
}

TEST_CASE("checkXml accepts well-formed documents") {
    const char* good[] = {
        "<a/>",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a b=\"1\">x</a>",
        "<a>&amp;&lt;&gt;&quot;&apos;</a>",
        "<a><![CDATA[<not markup> & ]]></a>",
        "<!-- c --><flat-profile><SIP_Port_1_>5060</SIP_Port_1_></flat-profile>",
        "<a>Zoë 日本</a>",
        "<a>&#38;&#x26;</a>",
        "<a><![CDATA[a]]><![CDATA[&]]></a>",  // two CDATA sections in a row
        "<a><!-- x --><![CDATA[&]]></a>",    // a comment, then CDATA
        "<a><!-- & --></a>",
    };
    for (const char* doc : good) {
        INFO(doc);
        CHECK(checkXml(doc));
    }
}

TEST_CASE("checkXml refuses broken documents with a reason") {
    const char* bad[] = {
        "",
        "just text",
        "<a>",
        "<a></b>",
        "<a><b></a></b>",
        "<a>R&D</a>",
        "<a b=\"x\"y\"/>",
        "<a b=1/>",
        "<a><!-- unclosed comment </a>",
        "<?xml version=\"1.0\"?>",
        "<a/><b/>",              // two root elements
        "<a>&undefined;</a>",    // an entity XML does not define
        "<a b='1' b='2'/>",      // an attribute twice
        "<a/>junk",              // text after the root
        "junk<a/>",              // text before the root
        "<a>&#;</a>",
        "<a>&#xZZ;</a>",
        "<a b=\"R&D\"/>",
    };
    for (const char* doc : bad) {
        INFO(doc);
        auto st = checkXml(doc);
        CHECK_FALSE(st);
        if (st) continue;
        CHECK(st.error().code == Code::kInternal);
        CHECK_THAT(st.error().message, Catch::StartsWith("rendered XML"));
    }
}

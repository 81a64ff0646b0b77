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

TEST_CASE("escapeSet keeps a value on its line and marks a double quote and a semicolon") {
    struct Case {
        std::string in, out;
    };
    const Case cases[] = {
        {"R&D <Sales> = 1", "R&D <Sales> = 1"},
        {"O'Brien", "O'Brien"},
        {"a\nSET FORCE_SIP_PASSWORD x", "a SET FORCE_SIP_PASSWORD x"},
        {"a\r\nb", "a  b"},
        {s("a\0b", 3), "a b"},
        {"Zoë 日本 €", "Zoë 日本 €"},
        {"", ""},
        {"say \"hi\"", std::string("say ") + kSetQuote + "hi" + kSetQuote},
        {"a;b", std::string("a") + kSetSemicolon + "b"},
    };
    for (const Case& c : cases) {
        INFO(c.in);
        CHECK(escapeSet(c.in) == c.out);
        CHECK(escapeFor(OutputFormat::kSet, c.in) == c.out);
        CHECK(escapeSet(c.in).find('\n') == std::string::npos);
    }
    // Every control character a value may carry is a space: none can pose as a mark.
    for (int ch = 0; ch < 0x20; ++ch) CHECK(escapeSet(std::string(1, static_cast<char>(ch))) == " ");
}

TEST_CASE("finishSetLines refuses a double quote naming its statement, never the value") {
    const std::string clean = "SET SIPDOMAIN \"pbx.example.net\"\nSET DISPLAY_NAME \"Bob's desk\"\n";
    auto ok = finishSetLines(clean);
    REQUIRE(ok);
    CHECK(ok.value() == clean);
    REQUIRE(finishSetLines(""));

    const std::string script = "SET SIPDOMAIN \"pbx.example.net\"\nSET FORCE_SIP_PASSWORD \"" +
                               escapeSet("pa\"ss-secret") + "\"\nSET DISPLAY_NAME \"x\"\n";
    auto st = finishSetLines(script);
    REQUIRE_FALSE(st);
    CHECK(st.error().code == Code::kInvalidArgument);
    CHECK_THAT(st.error().message, Catch::Contains("\"SET FORCE_SIP_PASSWORD\""));
    CHECK_THAT(st.error().message, Catch::Contains("double quote"));
    CHECK(st.error().message.find("secret") == std::string::npos);
    // On the first line too.
    REQUIRE_FALSE(finishSetLines(escapeSet("\"")));
}

TEST_CASE("finishSetLines names a line by number when a value comes before the mark on it") {
    // An override template printing a value where the statement would be:
    // the refusal must not repeat that value.
    const std::string script = "SET SIPDOMAIN \"x\"\nSET " + escapeSet("TopSecret99") + " \"" + escapeSet("a\"b") +
                               "\"\n## " + escapeSet("Hidden Value") + " " + escapeSet("c\"d") + "\n";
    auto st = finishSetLines(script);
    REQUIRE_FALSE(st);
    CHECK(st.error().message.find("TopSecret99") == std::string::npos);
    CHECK_THAT(st.error().message, Catch::Contains("line 2"));
    auto comment = finishSetLines("## " + escapeSet("Hidden Value") + " " + escapeSet("c\"d") + "\n");
    REQUIRE_FALSE(comment);
    CHECK(comment.error().message.find("Hidden") == std::string::npos);
    CHECK_THAT(comment.error().message, Catch::Contains("line 1"));
}

TEST_CASE("finishSetLines writes a semicolon back, except inside a PHONEKEY value") {
    auto plan = finishSetLines("SET DIALPLAN \"" + escapeSet("1xx;2xx") + "\"\nSET FORCE_SIP_PASSWORD \"" +
                               escapeSet("a;b") + "\"\n");
    REQUIRE(plan);
    CHECK(plan.value() == "SET DIALPLAN \"1xx;2xx\"\nSET FORCE_SIP_PASSWORD \"a;b\"\n");

    auto key = finishSetLines("SET SIPDOMAIN \"x\"\nSET PHONEKEY \"Key=2;Type=autodial;Name=autodial;attr1=" +
                              escapeSet("1;Type=application") + ";Label=x\"\n");
    REQUIRE_FALSE(key);
    CHECK(key.error().code == Code::kInvalidArgument);
    CHECK_THAT(key.error().message, Catch::Contains("SET PHONEKEY"));
    CHECK(key.error().message.find("application") == std::string::npos);
}

TEST_CASE("checkSetTemplate refuses a template holding a mark byte, naming it") {
    CHECK(checkSetTemplate("SET SIPDOMAIN \"{{sip_server}}\"\n", "avaya/46xxsettings.txt.mustache"));
    for (const char mark : {kSetQuote, kSetSemicolon}) {
        auto st = checkSetTemplate(std::string("SET X \"a") + mark + "b\"\n", "avaya/46xxsettings.txt.mustache");
        REQUIRE_FALSE(st);
        CHECK_THAT(st.error().message, Catch::Contains("avaya/46xxsettings.txt.mustache"));
    }
}

TEST_CASE("escapeXmlQuoted: XML entities, and a double quote marked for refusal") {
    CHECK(escapeXmlQuoted("R&D <Sales> O'Brien") == "R&amp;D &lt;Sales&gt; O&apos;Brien");
    CHECK(escapeXmlQuoted("a\nb") == "a b");
    CHECK(escapeXmlQuoted(R"(say "hi")") == std::string("say ") + kXmlQuotedQuote + "hi" + kXmlQuotedQuote);
    CHECK(escapeFor(OutputFormat::kXmlQuoted, "\"") == std::string(1, kXmlQuotedQuote));
    // No value can carry the mark itself: control characters are spaces first.
    CHECK(escapeXmlQuoted("\x01") == " ");
}

TEST_CASE("finishXmlQuoted: ISO-8859-1 out, a quote or a character it lacks refused by name") {
    const std::string head = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<ProviderFrame>\n";
    const std::string tail = "</ProviderFrame>\n";
    auto item = [](const std::string& id, const std::string& value) {
        return "    <SYMB_ITEM ID=\"" + id + "\" class=\"symb_item\" value='\"" + value + "\"'/>\n";
    };
    SECTION("Latin-1 letters become one byte each; ASCII is unchanged") {
        auto out = finishXmlQuoted(head + item("BS_IP_Data1.aucS_SIP_DISPLAYNAME", escapeXmlQuoted("Hélène & Zoë")) + tail);
        REQUIRE(out);
        CHECK(out.value() == head + item("BS_IP_Data1.aucS_SIP_DISPLAYNAME", "H\xE9l\xE8ne &amp; Zo\xEB") + tail);
    }
    SECTION("a double quote: refused naming the item, never the value") {
        auto out = finishXmlQuoted(head + item("BS_IP_Data1.aucS_SIP_PASSWORD_2", escapeXmlQuoted("se\"cret")) + tail);
        REQUIRE_FALSE(out);
        CHECK(out.error().code == Code::kInvalidArgument);
        CHECK_THAT(out.error().message, Catch::StartsWith("the value of BS_IP_Data1.aucS_SIP_PASSWORD_2 holds a double quote"));
        CHECK_THAT(out.error().message, !Catch::Contains("cret"));
    }
    SECTION("a character past U+00FF: refused naming the item or element") {
        auto euro = finishXmlQuoted(head + item("BS_Accounts.astAccounts[1].aucAccountName[0]", "5 €") + tail);
        REQUIRE_FALSE(euro);
        CHECK(euro.error().code == Code::kInvalidArgument);
        CHECK_THAT(euro.error().message,
                   Catch::StartsWith("the value of BS_Accounts.astAccounts[1].aucAccountName[0] holds a character"));
        auto element = finishXmlQuoted(head + "    <S_CONFIGFILE_URL class=\"string\" value='\"日本\"'/>\n" + tail);
        REQUIRE_FALSE(element);
        CHECK_THAT(element.error().message, Catch::StartsWith("the value of S_CONFIGFILE_URL holds a character"));
    }
    SECTION("a value before the name on its line is never repeated: the line number instead") {
        auto out = finishXmlQuoted(head + "  secret\x01 <X/>\n" + tail);
        REQUIRE_FALSE(out);
        CHECK_THAT(out.error().message, Catch::StartsWith("the value of line 3 holds a double quote"));
        CHECK_THAT(out.error().message, !Catch::Contains("secret"));
    }
    SECTION("malformed UTF-8 and broken XML") {
        auto bad = finishXmlQuoted(head + item("X", "\xC3") + tail);
        REQUIRE_FALSE(bad);
        CHECK(bad.error().code == Code::kInvalidArgument);
        auto overlong = finishXmlQuoted(head + item("X", "\xE0\x81\x81") + tail);
        REQUIRE_FALSE(overlong);
        auto broken = finishXmlQuoted(head + "<open>\n" + tail);
        REQUIRE_FALSE(broken);
        CHECK(broken.error().code == Code::kInternal);
    }
    CHECK(checkXmlQuotedTemplate("<a value='\"{{x}}\"'/>", "t"));
    CHECK_FALSE(checkXmlQuotedTemplate("<a>\x01</a>", "t"));
}

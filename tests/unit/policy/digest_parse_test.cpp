#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "provisioner/policy/digest.h"

using namespace prov::policy::digest;
using prov::Code;
using namespace std::string_literals;

namespace {

// What curl 7.88 --digest sent to this module's challenge (captured; see digest_test.cpp).
const std::string kCurlHeader =
    "Digest username=\"u\", realm=\"phones@provisioner\", "
    "nonce=\"000000006553f10096e83a3ca84badd39119c35ffa5d28ea\", "
    "uri=\"/cfg/0015654aa937.xml?x=1\", "
    "cnonce=\"YWQ3ZDdiNjQ5ZTE3ZjZjODZjNDhmNWI2YzllMzk0ZTA=\", nc=00000001, qop=auth, "
    "response=\"98c378f6c9da03060f7d9d1f3067c22a\", opaque=\"c1f66a1fd58211ec09664d92a11315a4\", "
    "algorithm=MD5";

// The error's field for `name`, or "" when it names none.
std::string problemWith(const prov::Result<Authorization>& r, const std::string& name) {
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Code::kInvalidArgument);
    const auto it = r.error().fields.find(name);
    return it == r.error().fields.end() ? "" : it->second;
}

const std::string kRequired = R"(username="u", realm="r", nonce="n", uri="/x", response="0")";

}  // namespace

TEST_CASE("parse reads the Digest credentials curl sends") {
    auto r = parse(kCurlHeader);
    REQUIRE(r.ok());
    const Authorization& a = r.value();
    CHECK(a.scheme == "Digest");
    CHECK(a.username == "u");
    CHECK(a.realm == "phones@provisioner");
    CHECK(a.nonce == "000000006553f10096e83a3ca84badd39119c35ffa5d28ea");
    CHECK(a.uri == "/cfg/0015654aa937.xml?x=1");
    CHECK(a.cnonce == "YWQ3ZDdiNjQ5ZTE3ZjZjODZjNDhmNWI2YzllMzk0ZTA=");
    CHECK(a.nc == "00000001");
    CHECK(a.qop == "auth");
    CHECK(a.response == "98c378f6c9da03060f7d9d1f3067c22a");
    CHECK(a.opaque == "c1f66a1fd58211ec09664d92a11315a4");
    CHECK(a.algorithm == "MD5");
    CHECK_FALSE(a.userhash);
}

TEST_CASE(
    "parse: names and scheme are case-insensitive, spaces and empty list elements tolerated") {
    auto r =
        parse("  dIGEST \t USERNAME = \"u\" ,, Realm=\"r\",nonce=n ,URI=\"/x\" , Response=abc,  ");
    REQUIRE(r.ok());
    CHECK(r.value().scheme == "Digest");
    CHECK(r.value().username == "u");
    CHECK(r.value().realm == "r");
    CHECK(r.value().nonce == "n");
    CHECK(r.value().uri == "/x");
    CHECK(r.value().response == "abc");
}

TEST_CASE("parse unescapes quoted-pairs and keeps unquoted values whole") {
    auto r = parse(
        R"(Digest username="a \"b\" \\c", realm="", nonce=7ypf/xlj9X+=, uri=/dir/index.html, response=0)");
    REQUIRE(r.ok());
    CHECK(r.value().username == R"(a "b" \c)");
    CHECK(r.value().realm.empty());
    CHECK(r.value().nonce == "7ypf/xlj9X+=");
    CHECK(r.value().uri == "/dir/index.html");
}

TEST_CASE("parse ignores unknown parameters and reads userhash") {
    auto r = parse("Digest " + kRequired + R"(, charset=UTF-8, x-vendor="1, 2", userhash=TRUE)");
    REQUIRE(r.ok());
    CHECK(r.value().userhash);
    CHECK(problemWith(parse("Digest " + kRequired + ", userhash=maybe"), "userhash") ==
          "is neither true nor false");
}

TEST_CASE("parse decodes username* (RFC 7616 3.9.2)") {
    auto r = parse(
        R"(Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, realm="r", nonce="n", uri="/x", response=0)");
    REQUIRE(r.ok());
    CHECK(r.value().username == "J\xC3\xA4s\xC3\xB8n Doe");
    CHECK(problemWith(parse("Digest " + kRequired + ", username*=UTF-8''x"), "username*") ==
          "is sent together with username");
    CHECK(problemWith(parse(R"(Digest username*=latin1''x, realm=r, nonce=n, uri=/x, response=0)"),
                      "username*") == "is not UTF-8''<percent-encoded>");
    CHECK(problemWith(parse(R"(Digest username*=UTF-8''%C3, realm=r, nonce=n, uri=/x, response=0)"),
                      "username*") == "is not printable UTF-8");
    CHECK(problemWith(parse(R"(Digest username*=UTF-8''a%2, realm=r, nonce=n, uri=/x, response=0)"),
                      "username*") == "has a bad percent-escape");
    CHECK(
        problemWith(
            parse(
                R"(Digest username*=UTF-8''a, userhash=true, realm=r, nonce=n, uri=/x, response=0)"),
            "username*") == "is sent with userhash=true");
}

TEST_CASE("parse names what is wrong with malformed Digest credentials") {
    // The quote opened after username= ends at realm=, and r follows it.
    CHECK(problemWith(parse(R"(Digest username="u, realm="r")"), "username") ==
          "is not followed by ','");
    CHECK(problemWith(parse(R"(Digest username="u)"), "username") ==
          "has an unterminated quoted value");
    CHECK(problemWith(parse(R"(Digest username="u\)"), "username") ==
          "has an unterminated quoted value");
    CHECK(problemWith(parse("Digest " + kRequired + R"(, Username="v")"), "username") ==
          "is duplicated");
    CHECK(problemWith(parse("Digest " + kRequired + R"(, opaque=a, OPAQUE=a)"), "opaque") ==
          "is duplicated");
    CHECK(problemWith(parse(R"(Digest username="u", realm=)"), "realm") == "has no value");
    CHECK(problemWith(parse(R"(Digest username "u")"), "username") == "has no '='");
    CHECK(problemWith(parse(R"(Digest username="u" realm="r")"), "username") ==
          "is not followed by ','");
    CHECK(problemWith(parse(R"(Digest ="u")"), "parameter") == "expected at offset 7");
    CHECK(problemWith(parse("Digest username=\"a\r\nX-Injected: 1\""), "username") ==
          "has a control character");
    CHECK(problemWith(parse("Bearer abc"), "scheme") == "is neither Digest nor Basic");
    CHECK(problemWith(parse(""), "scheme") == "is missing");
    CHECK(problemWith(parse("Digest,username=u"), "scheme") == "is not a token");
}

TEST_CASE("parse requires username, realm, nonce, uri and response, cnonce and nc with qop") {
    auto r = parse(R"(Digest realm="r", uri="/x")");
    CHECK(problemWith(r, "username") == "missing");
    CHECK(problemWith(r, "nonce") == "missing");
    CHECK(problemWith(r, "response") == "missing");
    CHECK(problemWith(r, "realm").empty());
    CHECK(r.error().message ==
          "Authorization header: Digest credentials lack username, nonce, response");
    CHECK(problemWith(parse("Digest"), "uri") == "missing");
    auto q = parse("Digest " + kRequired + ", qop=auth, nc=00000001");
    CHECK(problemWith(q, "cnonce") == "missing");
    CHECK(problemWith(q, "nc").empty());
}

TEST_CASE("parse reads Basic credentials (RFC 7617)") {
    auto r = parse("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    REQUIRE(r.ok());
    CHECK(r.value().scheme == "Basic");
    CHECK(r.value().username == "Aladdin");
    CHECK(r.value().basic_password == "open sesame");
    auto curl = parse("basic dTpwQHNzIHc6cmQ=");  // curl -u 'u:p@ss w:rd'
    REQUIRE(curl.ok());
    CHECK(curl.value().username == "u");
    CHECK(curl.value().basic_password == "p@ss w:rd");  // only the first colon splits
    auto unpadded = parse("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ");
    REQUIRE(unpadded.ok());
    CHECK(unpadded.value().basic_password == "open sesame");
}

TEST_CASE("parse refuses bad Basic credentials") {
    const char* field = "Basic credentials";
    CHECK(problemWith(parse("Basic"), field) == "are empty");
    CHECK(problemWith(parse("Basic !!!!"), field) == "are not base64");
    CHECK(problemWith(parse("Basic QWxh ZGRp"), field) == "are not base64");
    CHECK(problemWith(parse("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ="), field) ==
          "have misplaced '=' padding");
    CHECK(problemWith(parse("Basic QWxhZ=Rp"), field) == "are not base64");
    CHECK(problemWith(parse("Basic QWxhZ"), field) == "are truncated base64");
    CHECK(problemWith(parse("Basic bm9jb2xvbg=="), field) ==
          "have no ':' between user and password");
    CHECK(problemWith(parse("Basic dTpwCmFzcw=="), field) ==
          "hold a control character");  // "u:p\nass"
}

TEST_CASE("parse refuses headers over 4096 bytes") {
    const std::string prefix = "Digest " + kRequired + ", x=\"";
    const std::string at_limit =
        prefix + std::string(kMaxHeaderBytes - prefix.size() - 1, 'a') + "\"";
    REQUIRE(at_limit.size() == kMaxHeaderBytes);
    CHECK(parse(at_limit).ok());
    CHECK(problemWith(parse(at_limit + " "), "authorization") == "too long");
}

TEST_CASE("parse: every strict prefix of a header is refused, never read past") {
    // The response comes last, so no prefix holds all required parameters.
    const std::string header =
        "Digest username=\"u\\\"x\", realm=\"r\", nonce=n, uri=\"/x\", response=\"abc\"";
    REQUIRE(parse(header).ok());
    for (size_t n = 0; n < header.size(); ++n) {
        // A heap copy of exactly n bytes, so a read past its end is one the sanitizers see.
        std::unique_ptr<char[]> copy(new char[n]);
        std::memcpy(copy.get(), header.data(), n);
        INFO("prefix: " << header.substr(0, n));
        CHECK_FALSE(parse(std::string_view(copy.get(), n)).ok());
    }
}

TEST_CASE("parse is total on hostile bytes") {
    // Deterministic noise over the bytes that steer the parser, and all 256 values.
    const std::string alphabet =
        "\"\\=, \t\r\n\x00\x7f\xff"
        "aZ0/%'*Digest"s;
    uint32_t state = 12345;
    auto next = [&state] {
        state = state * 1103515245u + 12345u;
        return state >> 8;
    };
    size_t parsed = 0;
    for (int round = 0; round < 3000; ++round) {
        std::string input = round % 2 ? "Digest " : (round % 3 ? "Basic " : "");
        const size_t length = next() % 64;
        for (size_t i = 0; i < length; ++i) {
            input.push_back(round % 5 == 0 ? static_cast<char>(next() & 0xff)
                                           : alphabet[next() % alphabet.size()]);
        }
        auto r = parse(input);
        if (r.ok()) {
            ++parsed;
            CHECK((r.value().scheme == "Digest" || r.value().scheme == "Basic"));
        } else {
            CHECK(r.error().code == Code::kInvalidArgument);
            CHECK_FALSE(r.error().message.empty());
        }
    }
    CHECK(parsed < 3000);
}

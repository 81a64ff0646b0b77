#include "provisioner/resync/digest_client.h"

#include <catch2/catch.hpp>

#include "provisioner/policy/digest.h"
#include "provisioner/tls/crypto.h"

using namespace prov::resync;

namespace {

const prov::tls::Sha256Hasher kHasher{};

}  // namespace

TEST_CASE("RFC 2617 3.5: the response to the Mufasa challenge") {
    const std::string challenge =
        "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", "
        "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";
    auto v = answerChallenge(kHasher, challenge, "GET", "/dir/index.html",
                             {"Mufasa", "Circle Of Life"}, "0a4f113b");
    REQUIRE(v);
    CHECK(
        v.value() ==
        "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", "
        "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
        "uri=\"/dir/index.html\", response=\"6629fae49393a05397450978507c4ef1\", "
        "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\", qop=auth, nc=00000001, cnonce=\"0a4f113b\"");
}

TEST_CASE("a NOTIFY's answer is what the server side of digest accepts") {
    const std::string challenge = "Digest realm=\"phone\", nonce=\"abc\", algorithm=MD5";
    auto v = answerChallenge(kHasher, challenge, "NOTIFY", "sip:1001@192.0.2.7:5062",
                             {"1001", "s3cret"}, "cn");
    REQUIRE(v);
    auto parsed = prov::policy::digest::parse(v.value());
    REQUIRE(parsed);
    CHECK(parsed.value().qop.empty());  // none offered: RFC 2069's form
    CHECK(parsed.value().algorithm == "MD5");
    CHECK(parsed.value().response ==
          prov::policy::digest::expectedResponse(kHasher, parsed.value(), "NOTIFY", "s3cret"));
    CHECK(parsed.value().response !=
          prov::policy::digest::expectedResponse(kHasher, parsed.value(), "NOTIFY", "wrong"));
}

TEST_CASE("challenges that cannot be answered say why") {
    const Credentials c{"1001", "s3cret"};
    CHECK_FALSE(answerChallenge(kHasher, "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-256",
                                "NOTIFY", "u", c, "x"));
    CHECK_FALSE(answerChallenge(kHasher, "Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\"",
                                "NOTIFY", "u", c, "x"));
    CHECK_FALSE(answerChallenge(kHasher, "Basic realm=\"r\"", "NOTIFY", "u", c, "x"));
    CHECK_FALSE(answerChallenge(kHasher, "Digest nonce=\"n\"", "NOTIFY", "u", c, "x"));
    CHECK_FALSE(answerChallenge(kHasher, "Digest realm=\"unterminated", "NOTIFY", "u", c, "x"));
    auto e = answerChallenge(kHasher, "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-256",
                             "NOTIFY", "u", c, "x");
    CHECK(e.error().message.find("SHA-256") != std::string::npos);
}

TEST_CASE("quotes in a challenge's values are escaped again in the answer") {
    auto v = answerChallenge(kHasher, "Digest realm=\"a\\\"b\", nonce=\"n\"", "NOTIFY", "u",
                             {"1001", "p"}, "c");
    REQUIRE(v);
    CHECK(v.value().find("realm=\"a\\\"b\"") != std::string::npos);
    auto back = prov::policy::digest::parse(v.value());
    REQUIRE(back);
    CHECK(back.value().realm == "a\"b");
}

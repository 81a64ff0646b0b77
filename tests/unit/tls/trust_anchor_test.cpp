// The certificate phones are given to trust, read from the admin's files.

#include "provisioner/tls/trust_anchor.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "provisioner/tls/certificate.h"
#include "temp_dir.h"

using namespace prov;
using prov::testing::TempDir;

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// A generated self-signed certificate's PEM, for `name`.
std::string selfSigned(const TempDir& dir, const std::string& name) {
    const std::string cert = dir.path() + "/" + name + ".crt";
    REQUIRE(tls::generateSelfSigned({name}, 30, cert, dir.path() + "/" + name + ".key"));
    return slurp(cert);
}

std::string crlf(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '\n') out += '\r';
        out += c;
    }
    return out;
}

}  // namespace

TEST_CASE("trust anchor: the last certificate of a chain, written back canonically") {
    TempDir dir;
    const std::string leaf = selfSigned(dir, "leaf.example");
    const std::string root = selfSigned(dir, "root.example");
    // CRLF line ends and text around the blocks, as admins' files have them.
    const std::string chain =
        dir.write("server.crt", "leaf\r\n" + crlf(leaf) + "root:\n" + crlf(root) + "\n");
    auto anchor = tls::chainTrustAnchor(chain);
    REQUIRE(anchor);
    CHECK(anchor.value().pem == root);  // mbedTLS's own PEM: 64 columns, LF
    CHECK(anchor.value().self_signed);
    CHECK(anchor.value().subject.find("CN=root.example") != std::string::npos);

    auto one = tls::chainTrustAnchor(dir.write("one.crt", leaf));
    REQUIRE(one);
    CHECK(one.value().pem == leaf);  // a self-signed server certificate is its own anchor
}

TEST_CASE("trust anchor: a file of one certificate, and what is refused") {
    TempDir dir;
    const std::string ca = selfSigned(dir, "ca.example");
    auto single = tls::singleTrustAnchor(dir.write("ca.pem", ca));
    REQUIRE(single);
    CHECK(single.value().pem == ca);

    struct Case {
        const char* name;
        std::string text;
        const char* says;
    };
    std::string corrupt = ca;
    corrupt[40] = corrupt[40] == 'A' ? 'B' : 'A';
    const Case cases[] = {
        {"two.pem", ca + ca, "holds 2 certificates"},
        {"empty.pem", "", "holds no PEM certificate"},
        {"key.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
         "holds no PEM certificate"},
        {"cut.pem", ca.substr(0, ca.size() / 2), "has no END line"},
        {"corrupt.pem", corrupt, "certificate 1 does not parse"},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        auto got = tls::singleTrustAnchor(dir.write(c.name, c.text));
        REQUIRE_FALSE(got);
        CHECK(got.error().message.find(c.says) != std::string::npos);
        CHECK(got.error().message.find(c.name) != std::string::npos);
    }
    auto missing = tls::singleTrustAnchor(dir.path() + "/missing.pem");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message.find("cannot be read") != std::string::npos);
    // A chain file's blocks must all parse too.
    REQUIRE_FALSE(tls::chainTrustAnchor(dir.write("bad-chain.crt", ca + corrupt)));
}

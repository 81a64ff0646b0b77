#include <catch2/catch.hpp>

#include <string>

#include "provisioner/policy/access_policy.h"

using namespace prov::policy;

namespace {

constexpr const char* kMac = "0015654aa937";
constexpr const char* kOther = "0015654aa938";
constexpr const char* kInside = "10.1.2.3";
constexpr const char* kOutside = "203.0.113.7";

enum class Require { kNo, kCert };  // policy.secrets_require_client_cert
enum class Secrets { kNo, kYes };

// A verified certificate: none, one whose subject names no MAC, or one for a MAC.
struct Cert {
    bool verified = false;
    const char* mac = "";
};
const Cert kNoCert{};
const Cert kCertNoMac{true, ""};
const Cert kCertMine{true, kMac};
const Cert kCertOther{true, kOther};

const char* name(Verdict v) {
    switch (v) {
        case Verdict::kAllow: return "allow";
        case Verdict::kDeny: return "deny";
        case Verdict::kForbidden: return "forbidden";
        case Verdict::kChallenge: return "challenge";
    }
    return "?";
}

Config config(Require require) {
    auto networks = NetworkList::parse("10.0.0.0/8, ::1/128");
    REQUIRE(networks);
    return Config{networks.value(), require == Require::kCert};
}

}  // namespace

TEST_CASE("authorize: every row is inputs -> verdict and how it was authorised") {
    struct Row {
        const char* peer;
        FileKind kind;
        const char* mac;  // the file's
        Secrets secrets;
        Cert cert;
        Require require;
        Verdict verdict;
        AuthMethod auth;
        const char* reason;  // part of the reason, for refusals
    };
    using FK = FileKind;
    using V = Verdict;
    using A = AuthMethod;
    const Row rows[] = {
        // Common files: anyone; the event says which proof came along.
        {kOutside, FK::kCommon, "", Secrets::kNo, kNoCert, Require::kNo, V::kAllow, A::kNone, ""},
        {kOutside, FK::kCommon, "", Secrets::kNo, kCertNoMac, Require::kNo, V::kAllow, A::kClientCert, ""},
        {kOutside, FK::kCommon, "", Secrets::kNo, kCertOther, Require::kNo, V::kAllow, A::kClientCert, ""},
        {kOutside, FK::kCommon, "", Secrets::kNo, kNoCert, Require::kCert, V::kAllow, A::kNone, ""},
        // Device files without secrets: anyone, but a proven phone only its own.
        {kOutside, FK::kDevice, kMac, Secrets::kNo, kNoCert, Require::kNo, V::kAllow, A::kNone, ""},
        {kOutside, FK::kDevice, kMac, Secrets::kNo, kCertMine, Require::kNo, V::kAllow, A::kClientCert, ""},
        {kInside, FK::kDevice, kMac, Secrets::kNo, kCertOther, Require::kNo, V::kForbidden, A::kClientCert,
         "certificate for 0015654aa938 asked for 0015654aa937's file"},
        // Device files with secrets: a certificate for this MAC, else an allowed network.
        {kInside, FK::kDevice, kMac, Secrets::kYes, kNoCert, Require::kNo, V::kAllow, A::kNetwork, ""},
        {"::1", FK::kDevice, kMac, Secrets::kYes, kNoCert, Require::kNo, V::kAllow, A::kNetwork, ""},
        {"::ffff:10.0.0.9", FK::kDevice, kMac, Secrets::kYes, kNoCert, Require::kNo, V::kAllow, A::kNetwork, ""},
        {kOutside, FK::kDevice, kMac, Secrets::kYes, kNoCert, Require::kNo, V::kDeny, A::kNone,
         "secrets are not served to 203.0.113.7 without a proof"},
        {"", FK::kDevice, kMac, Secrets::kYes, kNoCert, Require::kNo, V::kDeny, A::kNone, "allow_networks"},
        {kOutside, FK::kDevice, kMac, Secrets::kYes, kCertMine, Require::kNo, V::kAllow, A::kClientCert, ""},
        {kInside, FK::kDevice, kMac, Secrets::kYes, kCertMine, Require::kNo, V::kAllow, A::kClientCert, ""},
        {kInside, FK::kDevice, kMac, Secrets::kYes, kCertOther, Require::kNo, V::kForbidden, A::kClientCert,
         "asked for 0015654aa937's file"},
        {kOutside, FK::kDevice, kMac, Secrets::kYes, kCertOther, Require::kNo, V::kForbidden, A::kClientCert,
         "asked for"},
        // A verified certificate that names no MAC proves nothing about this file.
        {kOutside, FK::kDevice, kMac, Secrets::kYes, kCertNoMac, Require::kNo, V::kDeny, A::kNone,
         "allow_networks"},
        {kInside, FK::kDevice, kMac, Secrets::kYes, kCertNoMac, Require::kNo, V::kAllow, A::kNetwork, ""},
        // A MAC without a verified certificate is no proof.
        {kOutside, FK::kDevice, kMac, Secrets::kYes, Cert{false, kMac}, Require::kNo, V::kDeny, A::kNone,
         "allow_networks"},
        {kOutside, FK::kDevice, kMac, Secrets::kNo, Cert{false, kOther}, Require::kNo, V::kAllow, A::kNone, ""},
        // secrets_require_client_cert: the network is no longer enough.
        {kInside, FK::kDevice, kMac, Secrets::kYes, kNoCert, Require::kCert, V::kDeny, A::kNone,
         "secrets need a client certificate for this MAC (policy.secrets_require_client_cert)"},
        {kInside, FK::kDevice, kMac, Secrets::kYes, kCertNoMac, Require::kCert, V::kDeny, A::kNone,
         "secrets_require_client_cert"},
        {kOutside, FK::kDevice, kMac, Secrets::kYes, kCertMine, Require::kCert, V::kAllow, A::kClientCert, ""},
        {kInside, FK::kDevice, kMac, Secrets::kNo, kNoCert, Require::kCert, V::kAllow, A::kNone, ""},
        // Uploads: a phone writes its own, once it proved its MAC; never another's.
        {kOutside, FK::kUpload, kMac, Secrets::kNo, kNoCert, Require::kNo, V::kDeny, A::kNone, "allow_networks"},
        {kInside, FK::kUpload, kMac, Secrets::kNo, kNoCert, Require::kNo, V::kAllow, A::kNetwork, ""},
        {kOutside, FK::kUpload, kMac, Secrets::kNo, kCertMine, Require::kCert, V::kAllow, A::kClientCert, ""},
        {kInside, FK::kUpload, kMac, Secrets::kNo, kCertOther, Require::kNo, V::kForbidden, A::kClientCert,
         "asked for"},
    };
    const Config open = config(Require::kNo);
    const Config strict = config(Require::kCert);
    int line = 0;
    for (const Row& row : rows) {
        ++line;
        Request request;
        request.peer_ip = row.peer;
        request.kind = row.kind;
        request.mac = row.mac;
        request.secrets = row.secrets == Secrets::kYes;
        request.client_cert = row.cert.verified;
        request.cert_mac = row.cert.mac;
        const Decision d = authorize(row.require == Require::kCert ? strict : open, request);
        INFO("row " << line << ": " << name(d.verdict) << " by " << toString(d.auth) << " (" << d.reason << ")");
        CHECK(d.verdict == row.verdict);
        CHECK(d.auth == row.auth);
        if (row.verdict == Verdict::kAllow) {
            CHECK(d.reason.empty());
        } else {
            CHECK_THAT(d.reason, Catch::Contains(row.reason));
        }
    }
}

TEST_CASE("authorize: the events' names for each way a fetch was authorised") {
    CHECK(toString(AuthMethod::kNone) == "none");
    CHECK(toString(AuthMethod::kNetwork) == "network");
    CHECK(toString(AuthMethod::kClientCert) == "client_cert");
    CHECK(toString(AuthMethod::kDigest) == "digest");
    CHECK(toString(AuthMethod::kStagingWindow) == "staging_window");
}

TEST_CASE("authorize: digest credentials and staging windows, in design.md's order") {
    const Config open = config(Require::kNo);
    const Config strict = config(Require::kCert);
    Request r;
    r.peer_ip = kOutside;
    r.kind = FileKind::kDevice;
    r.mac = kMac;
    r.secrets = true;
    r.can_challenge = true;
    // No proof: HTTP asks for credentials, TFTP is refused outright.
    CHECK(authorize(open, r).verdict == Verdict::kChallenge);
    r.can_challenge = false;
    CHECK(authorize(open, r).verdict == Verdict::kDeny);
    r.can_challenge = true;
    // The device's own credentials.
    r.digest = true;
    CHECK(authorize(open, r).verdict == Verdict::kAllow);
    CHECK(authorize(open, r).auth == AuthMethod::kDigest);
    // A certificate for the MAC comes first.
    r.client_cert = true;
    r.cert_mac = kMac;
    CHECK(authorize(open, r).auth == AuthMethod::kClientCert);
    r.client_cert = false;
    r.cert_mac = "";
    // A staging window, when no credentials came.
    r.digest = false;
    r.staging_window = true;
    CHECK(authorize(open, r).verdict == Verdict::kAllow);
    CHECK(authorize(open, r).auth == AuthMethod::kStagingWindow);
    // Credentials before the window, the window before the network.
    r.digest = true;
    CHECK(authorize(open, r).auth == AuthMethod::kDigest);
    r.digest = false;
    r.peer_ip = kInside;
    CHECK(authorize(open, r).auth == AuthMethod::kStagingWindow);
    // secrets_require_client_cert: neither credentials nor a window is enough.
    r.digest = true;
    CHECK(authorize(strict, r).verdict == Verdict::kDeny);
    // Files without secrets need none of it.
    r.secrets = false;
    r.digest = false;
    r.staging_window = false;
    r.peer_ip = kOutside;
    CHECK(authorize(open, r).verdict == Verdict::kAllow);
}

#pragma once

// HTTP Digest (RFC 7616, and the RFC 2617 / RFC 2069 forms phones still send)
// and Basic (RFC 7617) authentication for the provisioning ports, as pure
// functions: the caller brings the request's method, target and Authorization
// header, the expected user and password, a nonce secret and the time; this
// file reads no clock, store or socket and links no crypto library (hashes
// come through prov::Hasher).
//
//   using namespace prov::policy;
//   auto creds = digest::parse(authorization_header);
//   digest::Verdict v = creds ? digest::verify(hasher, creds.value(), "GET", target, realm,
//                                              user, password, secret, now, 300, false)
//                             : digest::Verdict::kMalformed;
//   // kOk: serve. kBadCredentials: 401 with digest::challenges(hasher, secret, realm, now, false).
//   // kStale: 401 with challenges(..., true), so the phone retries without asking anyone.
//   // kMalformed: 400.
//
// Nonces are stateless: the issue time and a MAC of it under the secret, so
// any worker checks any nonce and a restart with the same secret loses none.
// The price is that nothing counts nc: a captured header replays for the same
// method and target until its nonce goes stale. Keep lifetimes short; callers
// needing more can remember (nonce, nc) pairs themselves.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "provisioner/core/random_source.h"
#include "provisioner/core/result.h"

namespace prov::policy::digest {

// Longer Authorization headers are refused unparsed.
inline constexpr size_t kMaxHeaderBytes = 4096;

// One Authorization header, as sent. parse() fills it; tests may build one.
struct Authorization {
    std::string scheme;  // "Digest" or "Basic"
    // Digest parameters, unquoted and unescaped. username comes from username
    // or, decoded from UTF-8 percent-encoding, from username* (RFC 7616 3.4.4).
    std::string username, realm, nonce, uri, response;
    std::string algorithm;  // as sent, e.g. "MD5", "SHA-256"; empty means MD5
    std::string qop, nc, cnonce, opaque;
    bool userhash = false;  // username is H(user ":" realm)
    // Basic: the user is in username.
    std::string basic_password;
};

// Parses an Authorization header value ("Digest k=v, k=\"v\", ..." or
// "Basic <base64 of user:pass>"). Parameter names are case-insensitive,
// unknown ones are ignored, each may occur once. An error (kInvalidArgument)
// names what is wrong: unknown scheme, unterminated quote, duplicate or
// missing parameter, bad base64, a header over kMaxHeaderBytes. Total on any
// input.
Result<Authorization> parse(std::string_view header);

// The client's side: a WWW-Authenticate or Proxy-Authenticate value
// ("Digest realm=\"x\", nonce=\"y\", qop=\"auth\", ..."), as a SIP phone
// challenges a NOTIFY. Fills realm, nonce, algorithm, qop (as sent: one
// value or a list such as "auth,auth-int") and opaque; unknown parameters
// (stale, domain) are ignored. An error for another scheme, a malformed
// list, or no realm or nonce. Total on any input.
Result<Authorization> parseChallenge(std::string_view header);

// A nonce issued at `now_seconds`: 16 lowercase hex digits of the time, then
// the first 32 hex digits of HMAC-SHA256(secret, those 16 digits). `secret`
// should be at least 16 random bytes, kept for the server's life.
std::string makeNonce(const Hasher& hasher, const std::string& secret, int64_t now_seconds);

enum class NonceCheck {
    kValid,
    kStale,    // ours, but older than the lifetime
    kInvalid,  // not ours, garbled, or more than 60 s in the future
};
NonceCheck checkNonce(const Hasher& hasher, const std::string& secret, std::string_view nonce,
                      int64_t now_seconds, int64_t lifetime_seconds);

// WWW-Authenticate header values for a 401: MD5 first, then SHA-256. RFC
// 7616 3.7 would list the preferred (SHA-256) first, but no desk phone is
// known to answer SHA-256, and some read only the first challenge. Each
// carries realm, qop="auth", a fresh nonce, opaque and, when `stale`,
// stale=true. `realm` is quoted here; control bytes in it are dropped so a
// header can never be split (validate it where it is configured).
std::vector<std::string> challenges(const Hasher& hasher, const std::string& secret,
                                    std::string_view realm, int64_t now, bool stale);

// The response a client knowing `password` computes for `a`: lowercase hex,
// per RFC 7616 3.4.1 with qop, RFC 2069 without. a.username is taken as the
// plain user name (for userhash credentials, pass a copy holding the plain
// name). Empty when `a` cannot be answered: an algorithm other than MD5,
// SHA-256 and their -sess forms, a qop other than auth (auth-int included),
// or qop / -sess without cnonce and nc.
std::string expectedResponse(const Hasher& hasher, const Authorization& a, std::string_view method,
                             std::string_view password);

enum class Verdict {
    kOk,
    kBadCredentials,  // wrong user, password or realm, a forged nonce, or Basic not allowed: 401
    kStale,           // right credentials on a stale nonce: 401 with stale=true
    kMalformed,       // unusable credentials (unknown algorithm, auth-int, uri not the target): 400
};

// Checks credentials against the one user allowed. Digest: a.uri must equal
// `request_uri` byte for byte (the target as sent; RFC 7616 3.4.6 answers a
// mismatch with 400), a.realm must equal `realm`, the nonce must be one of
// ours, and the response must match in constant time. opaque is not checked:
// it carries no state here (the nonce is self-authenticating). Basic: only
// when `basic_allowed`, user and password compared in constant time.
Verdict verify(const Hasher& hasher, const Authorization& a, std::string_view method,
               std::string_view request_uri, std::string_view realm, std::string_view expected_user,
               std::string_view password, const std::string& nonce_secret, int64_t now,
               int64_t nonce_lifetime, bool basic_allowed);

// True when a and b are equal, in time that depends on their lengths only.
bool constantTimeEqual(std::string_view a, std::string_view b);

}  // namespace prov::policy::digest

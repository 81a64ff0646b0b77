// Digest and Basic verification, stateless nonces and challenges. The
// grammar of the header is in digest_parse.cpp.

#include "provisioner/policy/digest.h"

#include <optional>

#include "provisioner/core/text.h"

namespace prov::policy::digest {
namespace {

constexpr int64_t kFutureSkewSeconds = 60;
constexpr size_t kStampDigits = 16;
constexpr size_t kMacDigits = 32;

enum class Hash { kMd5, kSha256 };
struct Algorithm {
    Hash hash;
    bool sess;  // A1 also covers the nonce and cnonce (RFC 7616 3.4.2)
};

// SHA-512-256, RFC 7616's third hash, is not offered: no phone sends it and
// Hasher does not compute it.
std::optional<Algorithm> algorithmOf(std::string_view sent) {
    const std::string a = text::toLower(sent);
    if (a.empty() || a == "md5") return Algorithm{Hash::kMd5, false};
    if (a == "md5-sess") return Algorithm{Hash::kMd5, true};
    if (a == "sha-256") return Algorithm{Hash::kSha256, false};
    if (a == "sha-256-sess") return Algorithm{Hash::kSha256, true};
    return std::nullopt;
}

std::string h(const Hasher& hasher, Hash hash, const std::string& data) {
    return hash == Hash::kMd5 ? hasher.md5Hex(data) : hasher.sha256Hex(data);
}

// The algorithm of `a` when its response can be computed at all.
std::optional<Algorithm> answerable(const Authorization& a) {
    const std::optional<Algorithm> algorithm = algorithmOf(a.algorithm);
    if (!algorithm) return std::nullopt;
    const std::string qop = text::toLower(a.qop);
    // auth-int would need the body's hash; no phone sends a body we check.
    if (!qop.empty() && qop != "auth") return std::nullopt;
    if (!qop.empty() && (a.cnonce.empty() || a.nc.empty())) return std::nullopt;
    if (algorithm->sess && a.cnonce.empty()) return std::nullopt;
    return algorithm;
}

int lowerHexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

std::string stampOf(int64_t seconds) {
    static constexpr char kHex[] = "0123456789abcdef";
    auto v = static_cast<uint64_t>(seconds);
    std::string out(kStampDigits, '0');
    for (size_t i = kStampDigits; i-- > 0; v >>= 4) out[i] = kHex[v & 15];
    return out;
}

// A quoted-string (RFC 7230 3.2.6). Control bytes are dropped, not escaped:
// a CR or LF in a header value would split the response.
std::string quoted(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\t') || u == 0x7f) continue;
        if (c == '"' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

// Hashing both sides first makes the comparison's time independent of the
// secret's length as well as its content.
bool sameSecret(const Hasher& hasher, std::string_view sent, std::string_view expected) {
    return constantTimeEqual(hasher.sha256Hex(std::string(sent)),
                             hasher.sha256Hex(std::string(expected)));
}

Verdict verifyBasic(const Hasher& hasher, const Authorization& a, std::string_view expected_user,
                    std::string_view password, bool basic_allowed) {
    if (!basic_allowed) return Verdict::kBadCredentials;
    // Both compared, whatever the first gives: the time says nothing about which was wrong.
    const bool user_ok = sameSecret(hasher, a.username, expected_user);
    const bool password_ok = sameSecret(hasher, a.basic_password, password);
    return user_ok && password_ok ? Verdict::kOk : Verdict::kBadCredentials;
}

}  // namespace

bool constantTimeEqual(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    unsigned char diff = 0;
    for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

std::string makeNonce(const Hasher& hasher, const std::string& secret, int64_t now_seconds) {
    const std::string stamp = stampOf(now_seconds);
    return stamp + hasher.hmacSha256Hex(secret, stamp).substr(0, kMacDigits);
}

NonceCheck checkNonce(const Hasher& hasher, const std::string& secret, std::string_view nonce,
                      int64_t now_seconds, int64_t lifetime_seconds) {
    if (nonce.size() != kStampDigits + kMacDigits) return NonceCheck::kInvalid;
    uint64_t issued = 0;
    for (size_t i = 0; i < kStampDigits; ++i) {
        const int d = lowerHexDigit(nonce[i]);
        if (d < 0) return NonceCheck::kInvalid;
        issued = (issued << 4) | static_cast<uint64_t>(d);
    }
    const std::string stamp(nonce.substr(0, kStampDigits));
    const std::string mac = hasher.hmacSha256Hex(secret, stamp).substr(0, kMacDigits);
    if (!constantTimeEqual(nonce.substr(kStampDigits), mac)) return NonceCheck::kInvalid;
    // Differences taken unsigned once the order is known, so no time overflows.
    const auto now = static_cast<uint64_t>(now_seconds);
    if (static_cast<int64_t>(issued) > now_seconds)
        return issued - now > static_cast<uint64_t>(kFutureSkewSeconds) ? NonceCheck::kInvalid
                                                                        : NonceCheck::kValid;
    if (lifetime_seconds < 0 || now - issued > static_cast<uint64_t>(lifetime_seconds))
        return NonceCheck::kStale;
    return NonceCheck::kValid;
}

std::vector<std::string> challenges(const Hasher& hasher, const std::string& secret,
                                    std::string_view realm, int64_t now, bool stale) {
    const std::string nonce = makeNonce(hasher, secret, now);
    // opaque must come back unchanged but carries nothing here; a MAC of the
    // realm (a different message from any stamp) keeps it constant per realm.
    const std::string opaque =
        hasher.hmacSha256Hex(secret, "opaque:" + std::string(realm)).substr(0, kMacDigits);
    std::vector<std::string> out;
    for (const char* algorithm : {"MD5", "SHA-256"}) {
        out.push_back("Digest realm=" + quoted(realm) + ", qop=\"auth\", algorithm=" + algorithm +
                      ", nonce=\"" + nonce + "\", opaque=\"" + opaque + "\"" +
                      (stale ? ", stale=true" : ""));
    }
    return out;
}

std::string expectedResponse(const Hasher& hasher, const Authorization& a, std::string_view method,
                             std::string_view password) {
    const std::optional<Algorithm> algorithm = answerable(a);
    if (!algorithm) return {};
    const Hash hash = algorithm->hash;
    std::string ha1 = h(hasher, hash, a.username + ":" + a.realm + ":" + std::string(password));
    if (algorithm->sess) ha1 = h(hasher, hash, ha1 + ":" + a.nonce + ":" + a.cnonce);
    const std::string ha2 = h(hasher, hash, std::string(method) + ":" + a.uri);
    // Without qop, RFC 2069's form, which RFC 2617 kept for old clients.
    if (a.qop.empty()) return h(hasher, hash, ha1 + ":" + a.nonce + ":" + ha2);
    return h(hasher, hash,
             ha1 + ":" + a.nonce + ":" + a.nc + ":" + a.cnonce + ":" + a.qop + ":" + ha2);
}

Verdict verify(const Hasher& hasher, const Authorization& a, std::string_view method,
               std::string_view request_uri, std::string_view realm, std::string_view expected_user,
               std::string_view password, const std::string& nonce_secret, int64_t now,
               int64_t nonce_lifetime, bool basic_allowed) {
    // An unset password never verifies: a device without credentials is not
    // opened to anyone who sends empty ones.
    if (password.empty()) return Verdict::kBadCredentials;
    const std::string scheme = text::toLower(a.scheme);
    if (scheme == "basic") return verifyBasic(hasher, a, expected_user, password, basic_allowed);
    if (scheme != "digest") return Verdict::kMalformed;
    if (a.username.empty() || a.realm.empty() || a.nonce.empty() || a.uri.empty() ||
        a.response.empty())
        return Verdict::kMalformed;
    const std::optional<Algorithm> algorithm = answerable(a);
    if (!algorithm) return Verdict::kMalformed;
    if (a.uri != request_uri) return Verdict::kMalformed;

    const NonceCheck nonce = checkNonce(hasher, nonce_secret, a.nonce, now, nonce_lifetime);
    if (nonce == NonceCheck::kInvalid) return Verdict::kBadCredentials;
    if (a.realm != realm) return Verdict::kBadCredentials;

    bool user_ok = false;
    if (a.userhash) {
        const std::string user_hash =
            h(hasher, algorithm->hash, std::string(expected_user) + ":" + a.realm);
        user_ok = constantTimeEqual(text::toLower(a.username), user_hash);
    } else {
        user_ok = a.username == expected_user;
    }
    Authorization plain = a;
    plain.username = std::string(expected_user);
    const bool response_ok = constantTimeEqual(text::toLower(a.response),
                                               expectedResponse(hasher, plain, method, password));
    if (!user_ok || !response_ok) return Verdict::kBadCredentials;
    // Only now: stale=true tells the client its password was right (RFC 7616 3.3).
    return nonce == NonceCheck::kStale ? Verdict::kStale : Verdict::kOk;
}

}  // namespace prov::policy::digest

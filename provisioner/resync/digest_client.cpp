// Answering a challenge reuses the server side's parser and response
// function (policy/digest.h), so both ends compute the one formula.

#include "provisioner/resync/digest_client.h"

#include "provisioner/core/text.h"
#include "provisioner/policy/digest.h"

namespace prov::resync {

namespace {

namespace digest = policy::digest;

// A quoted-string (RFC 3261 25.1) holding `v`.
std::string quoted(std::string_view v) {
    std::string out = "\"";
    for (char c : v) {
        if (c == '"' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    return out + "\"";
}

// "auth" when the challenge's qop list offers it; "" for no qop.
Result<std::string> pickQop(std::string_view offered) {
    if (offered.empty()) return std::string();
    size_t start = 0;
    while (start <= offered.size()) {
        size_t comma = offered.find(',', start);
        if (comma == std::string_view::npos) comma = offered.size();
        if (text::toLower(text::trim(offered.substr(start, comma - start))) == "auth")
            return std::string("auth");
        start = comma + 1;
    }
    return Error::invalid("the challenge offers qop " + std::string(offered) + ", not auth",
                          {{"qop", "not auth"}});
}

}  // namespace

Result<std::string> answerChallenge(const Hasher& hasher, std::string_view challenge,
                                    std::string_view method, std::string_view uri,
                                    const Credentials& credentials, std::string_view cnonce) {
    digest::Authorization a = TRY(digest::parseChallenge(challenge));
    if (!a.algorithm.empty() && text::toLower(a.algorithm) != "md5")
        return Error::invalid(
            "the challenge asks for algorithm " + a.algorithm + "; only MD5 is answered",
            {{"algorithm", "not MD5"}});
    a.qop = TRY(pickQop(a.qop));
    a.username = credentials.user;
    a.uri = std::string(uri);
    if (!a.qop.empty()) {
        a.nc = "00000001";
        a.cnonce = std::string(cnonce);
    }
    a.response = digest::expectedResponse(hasher, a, method, credentials.password);
    if (a.response.empty())
        return Error::invalid("the challenge cannot be answered", {{"challenge", "unusable"}});
    std::string out = "Digest username=" + quoted(a.username) + ", realm=" + quoted(a.realm) +
                      ", nonce=" + quoted(a.nonce) + ", uri=" + quoted(a.uri) +
                      ", response=" + quoted(a.response);
    if (!a.algorithm.empty()) out += ", algorithm=" + a.algorithm;
    if (!a.opaque.empty()) out += ", opaque=" + quoted(a.opaque);
    if (!a.qop.empty()) out += ", qop=auth, nc=" + a.nc + ", cnonce=" + quoted(a.cnonce);
    return out;
}

}  // namespace prov::resync

#pragma once

// The Authorization header curl --digest would send for a challenge of the
// provisioning service, for the tests of what a phone's credentials open.

#include <string>

#include "provisioner/policy/digest.h"

namespace prov::testing {

// The header answering `challenge` (a WWW-Authenticate value) for `uri` with
// `user` and `password`, SHA-256, qop=auth.
inline std::string digestHeader(const Hasher& hasher, const std::string& challenge, const std::string& user,
                                const std::string& password, const std::string& uri) {
    const size_t at = challenge.find("nonce=\"") + 7;
    const std::string nonce = challenge.substr(at, challenge.find('"', at) - at);
    policy::digest::Authorization a;
    a.scheme = "Digest";
    a.username = user;
    a.realm = "provisioner";
    a.nonce = nonce;
    a.uri = uri;
    a.algorithm = "SHA-256";
    a.qop = "auth";
    a.nc = "00000001";
    a.cnonce = "0a4f113b";
    a.response = policy::digest::expectedResponse(hasher, a, "GET", password);
    return "Digest username=\"" + user + "\", realm=\"provisioner\", nonce=\"" + nonce + "\", uri=\"" + uri +
           "\", algorithm=SHA-256, qop=auth, nc=00000001, cnonce=\"0a4f113b\", response=\"" + a.response + "\"";
}

}  // namespace prov::testing

#pragma once

// The client side of SIP digest (RFC 3261 22, RFC 2617): answering a
// phone's 401 or 407 to our NOTIFY with the line's credentials. MD5 only,
// which is what desk phones send; any other algorithm is left unanswered
// and the push is reported as challenged.
//
//   auto value = answerChallenge(hasher, response.www_authenticate, "NOTIFY",
//                                requestUri(n), {"1001", secret}, cnonce);
//   if (value) { n.auth_header = "Authorization"; n.auth_value = value.value(); }

#include <string>
#include <string_view>

#include "provisioner/core/random_source.h"
#include "provisioner/core/result.h"

namespace prov::resync {

struct Credentials {
    std::string user;
    std::string password;  // the line's SIP secret: never logged
};

// The Authorization (or Proxy-Authorization) value answering `challenge`
// for `method` on `uri`: username, realm, nonce, uri, response, algorithm
// (when the challenge named one), opaque (when it gave one), and with
// qop=auth also qop, nc=00000001 and `cnonce`. An error (kInvalidArgument)
// names why it cannot be answered: a malformed challenge, an algorithm
// other than MD5, a qop list without auth.
Result<std::string> answerChallenge(const Hasher& hasher, std::string_view challenge,
                                    std::string_view method, std::string_view uri,
                                    const Credentials& credentials, std::string_view cnonce);

}  // namespace prov::resync

#pragma once

// The certificate phones are given to trust (vendor-templates/README.md,
// "Trust"): read from a PEM file and written back as one canonical PEM block
// (64-column base64, LF line ends), whatever the file's own layout, so that
// the bytes rendered into configs depend on the certificate alone.

#include <string>

#include "provisioner/core/result.h"

namespace prov::tls {

struct TrustAnchor {
    std::string pem;           // one "-----BEGIN CERTIFICATE-----" block, ending in "\n"
    bool self_signed = false;  // issuer == subject: a root, or a self-signed server certificate
    std::string subject;       // for log lines, e.g. "CN=prov.example.net, O=Provisioner"
};

// The last certificate of the chain in `path` (server.crt: leaf first, then
// its issuers): the root when the file holds the whole chain, the server
// certificate itself when it is self-signed. Every block must parse.
Result<TrustAnchor> chainTrustAnchor(const std::string& path);

// The one certificate in `path`; none, more than one or one that does not
// parse is an error saying which.
Result<TrustAnchor> singleTrustAnchor(const std::string& path);

}  // namespace prov::tls

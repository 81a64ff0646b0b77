#pragma once

// The server's certificate and key in certs.dir: loaded from the admin's PEM
// files (server.crt: the chain, leaf first; server.key), or, when neither
// exists at first start, generated: an ECDSA P-256 key and a self-signed
// certificate whose subject alternative names are `names` (DNS names and IP
// addresses). A missing or unreadable key is an error with one clear line.

#include <string>
#include <vector>

#include "provisioner/core/result.h"

namespace prov::tls {

struct CertificateFiles {
    std::string cert_path;
    std::string key_path;
    bool generated = false;
};

Result<CertificateFiles> ensureServerCertificate(const std::string& certs_dir, const std::vector<std::string>& names);

// Writes a self-signed ECDSA P-256 certificate for `names` (first name is the
// CN) valid for `days`, and its key, as PEM.
Status generateSelfSigned(const std::vector<std::string>& names, int days, const std::string& cert_path,
                          const std::string& key_path);

}  // namespace prov::tls

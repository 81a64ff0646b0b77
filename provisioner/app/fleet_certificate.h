#pragma once

// The server certificate across the nodes of one store. Phones reach any
// node and trust one certificate, so every node serves the same
// certs.dir/server.crt and server.key: a shared path (a mount all nodes
// read), or the same files copied to each (docs/postgresql.md). Nothing is
// generated per node behind the admin's back, but a node given other files
// would serve a certificate its phones may refuse: the fleet's is registered
// in the store (server_keys "tls.server_certificate": the SHA-256 of
// server.crt as a file, never the key), and a node whose file differs says so.

#include <optional>
#include <string>

#include "provisioner/core/random_source.h"
#include "provisioner/store/store.h"

namespace prov::app {

inline constexpr const char* kFleetCertificateKey = "tls.server_certificate";

struct CertificateCheck {
    std::string ours;        // the SHA-256 of this node's server.crt
    std::string registered;  // the fleet's, as the store has it after the check
    bool adopted = false;    // ours registered as the fleet's by a reload
    bool differs() const { return ours != registered; }
};

// The SHA-256 (hex) of `certs_dir`/server.crt as a file.
Result<std::string> serverCertificateDigest(const Hasher& hasher, const std::string& certs_dir);

// Compares `certs_dir`/server.crt with the fleet's, registering it when the
// store has none yet. `loaded_before`: set at a SIGHUP reload, the digest of
// the server.crt this node served until then; a file that differs from it
// was put in place by the admin on purpose, and becomes the fleet's. A
// reload with the file unchanged only compares: it does not make a node's
// stray certificate the fleet's.
Result<CertificateCheck> checkFleetCertificate(Store& store, const Hasher& hasher,
                                               const std::string& certs_dir,
                                               const std::optional<std::string>& loaded_before);

}  // namespace prov::app

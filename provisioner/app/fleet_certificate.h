#pragma once

// The server certificate across the nodes of one store. Phones reach any
// node and trust one certificate, so every node serves the same
// certs.dir/server.crt and server.key: a shared path (a mount all nodes
// read), or the same files copied to each (docs/postgresql.md). Nothing is
// generated per node behind the admin's back, but a node given other files
// would serve a certificate its phones may refuse: the fleet's is registered
// in the store (server_keys "tls.server_certificate": the SHA-256 of
// server.crt as a file, never the key), and a node whose file differs says so.

#include <string>

#include "provisioner/core/random_source.h"
#include "provisioner/store/store.h"

namespace prov::app {

inline constexpr const char* kFleetCertificateKey = "tls.server_certificate";

struct CertificateCheck {
    std::string ours;        // the SHA-256 of this node's server.crt
    std::string registered;  // the fleet's, as the store has it after the check
    bool differs() const { return ours != registered; }
};

// Compares `certs_dir`/server.crt with the fleet's, registering it when the
// store has none yet, or always when `adopt` (a SIGHUP reload: the admin put
// a new certificate in place on purpose).
Result<CertificateCheck> checkFleetCertificate(Store& store, const Hasher& hasher,
                                               const std::string& certs_dir, bool adopt);

}  // namespace prov::app

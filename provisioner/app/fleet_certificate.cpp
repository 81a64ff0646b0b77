#include "provisioner/app/fleet_certificate.h"

#include <fstream>
#include <sstream>

namespace prov::app {

Result<std::string> serverCertificateDigest(const Hasher& hasher, const std::string& certs_dir) {
    const std::string path = certs_dir + "/server.crt";
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error::invalid("tls: cannot read " + path);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return hasher.sha256Hex(bytes.str());
}

Result<CertificateCheck> checkFleetCertificate(Store& store, const Hasher& hasher,
                                               const std::string& certs_dir,
                                               const std::optional<std::string>& loaded_before) {
    CertificateCheck check;
    check.ours = TRY(serverCertificateDigest(hasher, certs_dir));
    check.adopted = loaded_before && *loaded_before != check.ours;
    TRY(store.write([&](StoreTx& tx) -> Status {
        if (check.adopted) TRY(tx.putServerKey(kFleetCertificateKey, check.ours));
        check.registered = TRY(tx.serverKey(kFleetCertificateKey, check.ours));
        return okStatus();
    }));
    return check;
}

}  // namespace prov::app

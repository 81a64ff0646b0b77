#include "provisioner/app/fleet_certificate.h"

#include <fstream>
#include <sstream>

namespace prov::app {

Result<CertificateCheck> checkFleetCertificate(Store& store, const Hasher& hasher,
                                               const std::string& certs_dir, bool adopt) {
    const std::string path = certs_dir + "/server.crt";
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error::invalid("tls: cannot read " + path);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    CertificateCheck check;
    check.ours = hasher.sha256Hex(bytes.str());
    TRY(store.write([&](StoreTx& tx) -> Status {
        if (adopt) TRY(tx.putServerKey(kFleetCertificateKey, check.ours));
        check.registered = TRY(tx.serverKey(kFleetCertificateKey, check.ours));
        return okStatus();
    }));
    return check;
}

}  // namespace prov::app

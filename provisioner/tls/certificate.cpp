#include "provisioner/tls/certificate.h"
#include "provisioner/tls/mbed_error.h"

#include <arpa/inet.h>
#include <mbedtls/asn1write.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/error.h>
#include <mbedtls/entropy.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>
#include <sys/stat.h>

#include <cstdio>
#include <ctime>

#include "provisioner/core/private_file.h"

namespace prov::tls {

namespace {

bool exists(const std::string& p) {
    struct stat st{};
    return stat(p.c_str(), &st) == 0;
}

// SubjectAltName ::= SEQUENCE OF GeneralName; dNSName [2] IA5String,
// iPAddress [7] OCTET STRING. mbedTLS 2.28 writes no SANs itself.
Result<std::string> encodeSan(const std::vector<std::string>& names) {
    unsigned char buf[2048];
    unsigned char* p = buf + sizeof buf;
    size_t len = 0;
    int rc = 0;
    for (auto it = names.rbegin(); it != names.rend(); ++it) {
        unsigned char ip[16];
        size_t n = 0;
        unsigned char tag = 0;
        const unsigned char* data = nullptr;
        if (inet_pton(AF_INET, it->c_str(), ip) == 1) {
            n = 4, tag = MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7, data = ip;
        } else if (inet_pton(AF_INET6, it->c_str(), ip) == 1) {
            n = 16, tag = MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7, data = ip;
        } else {
            n = it->size(), tag = MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2,
            data = reinterpret_cast<const unsigned char*>(it->data());
        }
        if ((rc = mbedtls_asn1_write_raw_buffer(&p, buf, data, n)) < 0) return Error::internal("SAN: " + mbedError(rc));
        len += static_cast<size_t>(rc);
        if ((rc = mbedtls_asn1_write_len(&p, buf, n)) < 0) return Error::internal("SAN: " + mbedError(rc));
        len += static_cast<size_t>(rc);
        if ((rc = mbedtls_asn1_write_tag(&p, buf, tag)) < 0) return Error::internal("SAN: " + mbedError(rc));
        len += static_cast<size_t>(rc);
    }
    if ((rc = mbedtls_asn1_write_len(&p, buf, len)) < 0) return Error::internal("SAN: " + mbedError(rc));
    len += static_cast<size_t>(rc);
    if ((rc = mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) < 0)
        return Error::internal("SAN: " + mbedError(rc));
    len += static_cast<size_t>(rc);
    return std::string(reinterpret_cast<const char*>(p), len);
}

std::string utcStamp(std::time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y%m%d%H%M%S", &tm);
    return buf;
}

}  // namespace

Status generateSelfSigned(const std::vector<std::string>& names, int days, const std::string& cert_path,
                          const std::string& key_path) {
    if (names.empty()) return Error::invalid("tls: a certificate needs at least one name");
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_pk_context key;
    mbedtls_x509write_cert crt;
    mbedtls_mpi serial;
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    mbedtls_pk_init(&key);
    mbedtls_x509write_crt_init(&crt);
    mbedtls_mpi_init(&serial);
    auto cleanup = [&] {
        mbedtls_mpi_free(&serial);
        mbedtls_x509write_crt_free(&crt);
        mbedtls_pk_free(&key);
        mbedtls_ctr_drbg_free(&drbg);
        mbedtls_entropy_free(&entropy);
    };
    auto fail = [&](const std::string& what, int rc) -> Status {
        cleanup();
        return Error::internal("tls: " + what + ": " + mbedError(rc));
    };
    int rc = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy,
                                   reinterpret_cast<const unsigned char*>("provisioner-cert"), 16);
    if (rc) return fail("seeding the random generator", rc);
    if ((rc = mbedtls_pk_setup(&key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)))) return fail("key setup", rc);
    if ((rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(key), mbedtls_ctr_drbg_random, &drbg)))
        return fail("generating the P-256 key", rc);

    unsigned char serial_bytes[16];
    mbedtls_ctr_drbg_random(&drbg, serial_bytes, sizeof serial_bytes);
    serial_bytes[0] &= 0x7F;  // positive
    mbedtls_mpi_read_binary(&serial, serial_bytes, sizeof serial_bytes);
    const std::string subject = "CN=" + names.front() + ",O=Provisioner";
    const std::time_t now = std::time(nullptr);
    mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(&crt, &key);
    mbedtls_x509write_crt_set_issuer_key(&crt, &key);
    if ((rc = mbedtls_x509write_crt_set_subject_name(&crt, subject.c_str())) ||
        (rc = mbedtls_x509write_crt_set_issuer_name(&crt, subject.c_str())) ||
        (rc = mbedtls_x509write_crt_set_serial(&crt, &serial)) ||
        // `days` counted from notBefore (an hour back, for phones whose clock lags).
        (rc = mbedtls_x509write_crt_set_validity(
             &crt, utcStamp(now - 3600).c_str(),
             utcStamp(now - 3600 + static_cast<std::time_t>(days) * 86400).c_str())) ||
        (rc = mbedtls_x509write_crt_set_basic_constraints(&crt, 0, -1)) ||
        (rc = mbedtls_x509write_crt_set_key_usage(&crt, MBEDTLS_X509_KU_DIGITAL_SIGNATURE)) ||
        (rc = mbedtls_x509write_crt_set_subject_key_identifier(&crt)))
        return fail("building the certificate", rc);
    auto san = encodeSan(names);
    if (!san) {
        cleanup();
        return san.error();
    }
    if ((rc = mbedtls_x509write_crt_set_extension(&crt, MBEDTLS_OID_SUBJECT_ALT_NAME,
                                                  MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0,
                                                  reinterpret_cast<const unsigned char*>(san.value().data()),
                                                  san.value().size())))
        return fail("adding subject alternative names", rc);
    unsigned char pem[8192];
    if ((rc = mbedtls_x509write_crt_pem(&crt, pem, sizeof pem, mbedtls_ctr_drbg_random, &drbg)))
        return fail("signing the certificate", rc);
    const std::string cert_pem(reinterpret_cast<char*>(pem));
    if ((rc = mbedtls_pk_write_key_pem(&key, pem, sizeof pem))) return fail("writing the key", rc);
    const std::string key_pem(reinterpret_cast<char*>(pem));
    cleanup();

    // Both readable by the owner alone (the certificate too: it is public,
    // but nothing else needs to read it, and one rule for every file the
    // server writes is easier to check). Not through umask(), which is the
    // whole process's.
    if (auto st = writePrivateFile(key_path, key_pem); !st) return Error::invalid("tls: " + st.error().message);
    if (auto st = writePrivateFile(cert_path, cert_pem); !st) return Error::invalid("tls: " + st.error().message);
    return okStatus();
}

Result<CertificateFiles> ensureServerCertificate(const std::string& certs_dir, const std::vector<std::string>& names) {
    CertificateFiles f{certs_dir + "/server.crt", certs_dir + "/server.key", false};
    const bool have_cert = exists(f.cert_path);
    const bool have_key = exists(f.key_path);
    if (have_cert != have_key) {
        return Error::invalid("tls: " + (have_cert ? f.key_path : f.cert_path) + " is missing next to " +
                              (have_cert ? f.cert_path : f.key_path) + "; provide both or neither");
    }
    if (!have_cert) {
        if (auto st = makePrivateDirectories(certs_dir); !st) return Error::invalid("tls: " + st.error().message);
        if (auto st = generateSelfSigned(names, 825, f.cert_path, f.key_path); !st) return st.error();
        f.generated = true;
    }
    return f;
}

}  // namespace prov::tls

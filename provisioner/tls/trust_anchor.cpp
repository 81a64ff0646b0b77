#include "provisioner/tls/trust_anchor.h"

#include <mbedtls/pem.h>
#include <mbedtls/x509_crt.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "provisioner/tls/mbed_error.h"

namespace prov::tls {

namespace {

constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
constexpr std::string_view kEnd = "-----END CERTIFICATE-----";

// The CERTIFICATE blocks of `path`, each parsed on its own so that an error
// can say which one failed.
Result<std::vector<TrustAnchor>> readAnchors(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error::invalid(path + " cannot be read");
    std::stringstream text;
    text << in.rdbuf();
    const std::string body = text.str();
    std::vector<TrustAnchor> out;
    // Bounded: each turn moves past one END marker.
    for (size_t begin = body.find(kBegin); begin != std::string::npos;
         begin = body.find(kBegin, begin)) {
        const size_t end = body.find(kEnd, begin);
        if (end == std::string::npos)
            return Error::invalid(path + ": a certificate block has no END line");
        const std::string block = body.substr(begin, end + kEnd.size() - begin) + "\n";
        begin = end + kEnd.size();
        mbedtls_x509_crt crt;
        mbedtls_x509_crt_init(&crt);
        // mbedTLS wants the PEM's terminating NUL counted in the length.
        int rc = mbedtls_x509_crt_parse(&crt, reinterpret_cast<const unsigned char*>(block.c_str()),
                                        block.size() + 1);
        if (rc != 0) {
            mbedtls_x509_crt_free(&crt);
            return Error::invalid(path + ": certificate " + std::to_string(out.size() + 1) +
                                  " does not parse: " + mbedError(rc));
        }
        TrustAnchor a;
        a.self_signed = crt.issuer_raw.len == crt.subject_raw.len &&
                        std::memcmp(crt.issuer_raw.p, crt.subject_raw.p, crt.subject_raw.len) == 0;
        char name[512];
        if (mbedtls_x509_dn_gets(name, sizeof name, &crt.subject) > 0) a.subject = name;
        // Written back from the DER: the canonical form whatever the file's
        // line length, line ends or comments.
        // Base64 of the DER in 64-character lines, the two markers and a
        // NUL: sized from the certificate, whatever its size.
        std::vector<unsigned char> pem(crt.raw.len * 4 / 3 + crt.raw.len / 48 + 128);
        size_t len = 0;
        rc =
            mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE-----\n", "-----END CERTIFICATE-----\n",
                                     crt.raw.p, crt.raw.len, pem.data(), pem.size(), &len);
        mbedtls_x509_crt_free(&crt);
        if (rc != 0)
            return Error::invalid(path + ": certificate " + std::to_string(out.size() + 1) + ": " +
                                  mbedError(rc));
        a.pem.assign(reinterpret_cast<const char*>(pem.data()),
                     len > 0 ? len - 1 : 0);  // len counts the NUL
        out.push_back(std::move(a));
    }
    if (out.empty()) return Error::invalid(path + " holds no PEM certificate");
    return out;
}

}  // namespace

Result<TrustAnchor> chainTrustAnchor(const std::string& path) {
    std::vector<TrustAnchor> all = TRY(readAnchors(path));
    return std::move(all.back());
}

Result<TrustAnchor> singleTrustAnchor(const std::string& path) {
    std::vector<TrustAnchor> all = TRY(readAnchors(path));
    if (all.size() != 1)
        return Error::invalid(path + " holds " + std::to_string(all.size()) +
                              " certificates; give the one CA phones should trust");
    return std::move(all.front());
}

}  // namespace prov::tls

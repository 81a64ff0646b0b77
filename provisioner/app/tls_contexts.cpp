#include "provisioner/app/tls_contexts.h"

#include <ifaddrs.h>
#include <sys/stat.h>
#include <netdb.h>
#include <unistd.h>

#include <algorithm>

#include "provisioner/app/config_keys.h"
#include "provisioner/tls/certificate.h"
#include "provisioner/tls/trust_anchor.h"

namespace prov::app {

std::vector<std::string> serverNames(const ServerConfig& config) {
    if (!config.tls_server_names.empty()) return config.tls_server_names;
    std::vector<std::string> names;
    char host[256] = {0};
    if (gethostname(host, sizeof host - 1) == 0 && host[0]) names.emplace_back(host);
    names.emplace_back("localhost");
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return names;
    for (ifaddrs* i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr ||
            (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6))
            continue;
        char buf[NI_MAXHOST];
        const socklen_t len =
            i->ifa_addr->sa_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
        if (getnameinfo(i->ifa_addr, len, buf, sizeof buf, nullptr, 0, NI_NUMERICHOST) != 0)
            continue;
        const std::string a = buf;
        if (a.find('%') != std::string::npos) continue;  // link-local with a scope
        if (std::find(names.begin(), names.end(), a) == names.end()) names.push_back(a);
    }
    freeifaddrs(list);
    return names;
}

Result<std::shared_ptr<tls::TlsServerContext>> loadTls(const ServerConfig& config, Poco::Logger& log,
                                                       std::shared_ptr<tls::SessionTickets> tickets) {
    const tls::CertificateFiles files =
        TRY(tls::ensureServerCertificate(config.certs_dir, serverNames(config)));
    if (files.generated)
        log.notice("generated a self-signed ECDSA P-256 certificate in %s", files.cert_path);
    const tls::ClientCertMode mode = config.https_client_cert == "none" ? tls::ClientCertMode::kNone
                                     : config.https_client_cert == "required"
                                         ? tls::ClientCertMode::kRequired
                                         : tls::ClientCertMode::kOptional;
    tls::TlsOptions options;
    options.cert_path = files.cert_path;
    options.key_path = files.key_path;
    options.legacy_phones = config.tls_legacy_phones;
    options.handshake_timeout_ms = 5000;
    options.vendor_ca_dir = config.certs_dir + "/vendor-ca";
    options.client_cert = mode;
    options.tickets = std::move(tickets);
    return tls::TlsServerContext::create(options);
}

Result<std::shared_ptr<const std::string>> loadTrust(const ServerConfig& config,
                                                     Poco::Logger& log) {
    if (!config.trust_deliver) return std::shared_ptr<const std::string>();
    if (!config.trust_ca_file.empty()) {
        auto anchor = tls::singleTrustAnchor(config.trust_ca_file);
        if (!anchor) return configError("trust.ca_file", anchor.error().message);
        return std::make_shared<const std::string>(anchor.value().pem);
    }
    const std::string chain = config.certs_dir + "/server.crt";
    struct stat st{};
    if (::stat(chain.c_str(), &st) != 0) return std::shared_ptr<const std::string>();
    auto anchor = tls::chainTrustAnchor(chain);
    if (!anchor) return configError("certs.dir", anchor.error().message);
    // An intermediate as the trust anchor works only on phones that accept
    // a partial chain; most want the root.
    if (!anchor.value().self_signed)
        log.warning("trust: the last certificate of %s (%s) is not self-signed: phones are given "
                    "it as their CA; append its root to server.crt, or name the root in "
                    "trust.ca_file",
                    chain, anchor.value().subject);
    return std::make_shared<const std::string>(anchor.value().pem);
}

}  // namespace prov::app

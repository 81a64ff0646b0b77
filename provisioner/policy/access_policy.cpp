#include "provisioner/policy/access_policy.h"

namespace prov::policy {

namespace {

Decision allow(AuthMethod auth) { return Decision{Verdict::kAllow, auth, ""}; }

// The proof a request carried, for the event of a request that needs none.
AuthMethod presented(const Request& r) {
    return r.client_cert ? AuthMethod::kClientCert : r.digest ? AuthMethod::kDigest : AuthMethod::kNone;
}

// A refusal records no proof: what the request carried proved nothing here.
Decision refuse(const Request& r, std::string reason) {
    return Decision{r.can_challenge ? Verdict::kChallenge : Verdict::kDeny, AuthMethod::kNone, std::move(reason)};
}

}  // namespace

Decision authorize(const Config& config, const Request& r) {
    const bool proved_a_mac = r.client_cert && !r.cert_mac.empty();
    if (proved_a_mac && !r.mac.empty() && r.mac != r.cert_mac) {
        return Decision{Verdict::kForbidden, AuthMethod::kClientCert,
                        "certificate for " + std::string(r.cert_mac) + " asked for " + std::string(r.mac) +
                            "'s file"};
    }
    const bool needs_proof = r.kind == FileKind::kUpload || (r.kind == FileKind::kDevice && r.secrets);
    if (!needs_proof) return allow(presented(r));
    if (proved_a_mac && r.cert_mac == r.mac) return allow(AuthMethod::kClientCert);
    if (config.secrets_require_client_cert) {
        return Decision{Verdict::kDeny, AuthMethod::kNone,
                        "secrets need a client certificate for this MAC (policy.secrets_require_client_cert)"};
    }
    if (r.digest) return allow(AuthMethod::kDigest);
    if (r.staging_window) return allow(AuthMethod::kStagingWindow);
    if (config.allow_networks.contains(std::string(r.peer_ip))) return allow(AuthMethod::kNetwork);
    return refuse(r, "secrets are not served to " + std::string(r.peer_ip) +
                         " without a proof (device credentials, a staging window, provisioning.allow_networks)");
}

std::string_view toString(AuthMethod auth) {
    switch (auth) {
        case AuthMethod::kNone: return "none";
        case AuthMethod::kNetwork: return "network";
        case AuthMethod::kClientCert: return "client_cert";
        case AuthMethod::kDigest: return "digest";
        case AuthMethod::kStagingWindow: return "staging_window";
    }
    return "";
}

}  // namespace prov::policy

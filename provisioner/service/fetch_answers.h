#pragma once

// service/'s own small helpers, shared by the pipeline from the store
// (provisioning_service.cpp) and the one from memory (serve_from_memory.cpp):
// plain answers, and what policy decides on. Not for other folders.

#include <string>

#include "provisioner/fetch/fetch.h"
#include "provisioner/identify/request_identifier.h"
#include "provisioner/policy/access_policy.h"
#include "provisioner/service/phone_proofs.h"

namespace prov::service_detail {

inline FetchResponse answer(Outcome outcome, std::string reason) {
    FetchResponse r;
    r.outcome = outcome;
    r.reason = std::move(reason);
    return r;
}

inline FetchResponse notFound(std::string reason) { return answer(Outcome::kNotFound, std::move(reason)); }
inline FetchResponse denied(std::string reason) { return answer(Outcome::kDenied, std::move(reason)); }

inline policy::FileKind accessKind(FileKind kind) {
    switch (kind) {
        case FileKind::kCommon: return policy::FileKind::kCommon;
        case FileKind::kDevice: return policy::FileKind::kDevice;
        case FileKind::kUpload: return policy::FileKind::kUpload;
    }
    return policy::FileKind::kCommon;
}

// What policy decides on, taken from the identity, the request and its proofs.
inline policy::Request accessRequest(const DeviceIdentity& id, const FetchRequest& request, const Proofs& proofs) {
    policy::Request r;
    r.peer_ip = request.peer_ip;
    r.kind = accessKind(id.route->kind);
    r.mac = id.mac;
    r.secrets = id.route->secrets;
    r.can_challenge = request.protocol != Protocol::kTftp;
    r.client_cert = request.client_cert;
    r.cert_mac = request.cert_mac;
    r.digest = proofs.digest;
    r.staging_window = proofs.staging_window;
    return r;
}

// Whether a fetch of this route must prove its MAC (policy's rule 3).
inline bool needsProof(const FileRoute& route) {
    return route.kind == FileKind::kUpload || (route.kind == FileKind::kDevice && route.secrets);
}

}  // namespace prov::service_detail

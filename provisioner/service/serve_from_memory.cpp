// The fetch answered while the store does not answer: handle()'s rules with
// what needs the store taken from what this node keeps (store_fallback.h).
//
//  - A source blocked for sweeping gets the blocked answer unless it shows a
//    verified client certificate: the credentials of "any device" that
//    would also let it through are in the store.
//  - A staging window cannot be used (its use is a write): the fetch is
//    refused as one without it is (a challenge, or not found over TFTP).
//  - Digest credentials are checked, nonce and all, against the current
//    pair kept for the MAC when this node last served it from the store
//    (not the previous pair of a rotation: another node may have seen the
//    phone use its new one, which retires it). Credentials that prove
//    nothing are told to try later (503), kept pair or not, and count as a
//    sweep's miss: a 401 for a kept MAC and a 503 for another would tell a
//    sweep which MACs this node served. Only the right password with an
//    expired nonce gets stale=true, as from the store.
//  - The bytes are the last good rendering of that file for that request
//    (the render key without the hour), whatever its generation; a device
//    file without secrets is rendered again from the global settings kept.
//    Nothing kept: try later. A file with secrets goes out only for a phone
//    this node served and the store has not since found gone or waiting for
//    its wipe (a wipe is never kept: it goes out once).
//  - A sealed file is sealed as handle() seals it, with the key kept with
//    the credentials.
//  - Over TFTP an encrypted route's file without a proof is the phone's
//    sealed file when its key is kept, else the stand-in, kept MAC or not.
//  - Nothing is written: no first use of credentials, no delivery.

#include "provisioner/core/server_metrics.h"
#include "provisioner/service/fetch_answers.h"
#include "provisioner/service/provisioning_service.h"

namespace prov {

namespace {

using service_detail::accessRequest;
using service_detail::answer;
using service_detail::denied;
using service_detail::needsProof;
using service_detail::notFound;

FetchResponse tryLater(std::string reason) {
    return answer(Outcome::kUnavailable, "the store does not answer: " + std::move(reason));
}

}  // namespace

Result<FetchResponse> ProvisioningService::fromMemory(const FetchRequest& request, Event& event,
                                                      bool& served_from_memory) {
    served_from_memory = false;
    if (sweep_.blocked(request.peer_ip) && !request.client_cert) return blockedAnswer(request);
    if (!isSafeFileName(request.file)) return notFound("not a file name a phone may ask for");
    const auto bundle = bundles_.current();
    auto id = identify(bundle->catalog, request.file, request.user_agent,
                       [this](const std::string& mac) { return fallback_.vendorOf(mac); });
    if (!id) {
        if (id.error().code == Code::kPermissionDenied) return denied(id.error().message);
        if (request.method == Method::kPut) return notFound("no such upload");
        if (auto trust = trustFile(request)) return std::move(*trust);
        return staticFile(request);
    }
    const DeviceIdentity& ident = id.value();
    event.mac = ident.mac;
    fallback_.storeChanged(generation_.storeChanges());
    event.vendor = ident.vendor_guessed ? "" : ident.vendor->id;
    event.model = ident.model;
    event.firmware = ident.firmware;
    const std::optional<StoreFallback::Phone> phone =
        ident.mac.empty() ? std::nullopt : fallback_.phone(ident.mac);
    std::optional<DeviceCredentials> kept_credentials = phone ? phone->credentials : std::nullopt;
    if (kept_credentials) {
        kept_credentials->prev_user.clear();
        kept_credentials->prev_password.clear();
    }
    const bool trusted = request.authorization.empty() && !request.client_cert &&
                         !policy_.secrets_require_client_cert && policy_.allow_networks.contains(request.peer_ip);
    Proofs proofs;
    if (needsProof(*ident.route) && !trusted) {
        const bool cert_proves = request.client_cert && !request.cert_mac.empty() && request.cert_mac == ident.mac;
        proofs_.checkCredentials(request, kept_credentials, proofs);
        if (!request.authorization.empty() && !cert_proves && !proofs.digest && !proofs.stale) {
            missFromMemory(request, ident.mac);
            return tryLater("no credentials kept for " + ident.mac + " that these prove");
        }
    }
    const policy::Decision decision = policy::authorize(policy_, accessRequest(ident, request, proofs));
    event.auth = std::string(policy::toString(decision.auth));
    if (decision.verdict == policy::Verdict::kForbidden) return answer(Outcome::kForbidden, decision.reason);
    if (ident.route->kind == FileKind::kUpload) {
        if (request.method != Method::kPut) return notFound("uploads are written by the phone, never served");
        return tryLater("an upload is kept only for a device the store knows");
    }
    if (request.method == Method::kPut) return answer(Outcome::kMethodNotAllowed, "PUT of a served file");
    if (decision.verdict != policy::Verdict::kAllow) {
        if (ident.route->encrypt.empty() || request.protocol != Protocol::kTftp ||
            policy_.secrets_require_client_cert)
            return refuse(decision, proofs);
        // sealedWithoutProof() from memory: the stand-in for every MAC
        // whose key is not kept, as the store path gives every MAC it
        // knows no key of.
        if (!kept_credentials || !proofs.key_sent) return standIn(ident, event);
        FetchResponse r = TRY(keptFile(ident, "", event, served_from_memory));
        if (r.outcome != Outcome::kServed) return r;
        r.body = seal(r.body, proofs.aes_key);
        event.auth = "device_key";
        event.device_config = false;  // anyone may have asked: no staging progress
        return r;
    }
    // Whatever the proof, a file with secrets only of a phone this node
    // served (and the store has not since said is gone).
    if (needsProof(*ident.route) && !phone) return tryLater("this node has not served " + ident.mac);
    FetchResponse r = TRY(keptFile(ident, request.if_none_match, event, served_from_memory));
    if (!ident.route->secrets || r.outcome != Outcome::kServed) return r;
    // Sealed exactly when handle() seals it: over plain HTTP, to a phone
    // that proved itself with the credentials its config carried.
    const bool sealed = !ident.route->encrypt.empty() && proofs.key_sent && proofs.digest &&
                        request.protocol == Protocol::kHttp;
    if (sealed) r.body = seal(r.body, proofs.aes_key);
    return r;
}

Result<FetchResponse> ProvisioningService::keptFile(const DeviceIdentity& id, const std::string& if_none_match,
                                                    Event& event, bool& served_from_memory) {
    const std::shared_ptr<const std::string> trust = trustPem();
    if (id.route->kind == FileKind::kDevice && !id.route->secrets) {
        const std::shared_ptr<const SettingsMap> settings = fallback_.settings();
        if (!settings) return tryLater("no global settings kept to render " + id.file);
        std::optional<FirmwareOffer> offer;
        if (options_.firmware && id.route->firmware) {
            const std::optional<std::optional<FirmwareOffer>> kept = lastModelWideFirmware(id.vendor->id, id.model);
            if (!kept) return tryLater("no firmware offer kept for " + id.vendor->id + " " + id.model);
            offer = *kept;
        }
        const CachedFile file = cachedFile(TRY(renderForAnyMac(id, trust, *settings, offer)), 0);
        served_from_memory = true;
        return servedFile(id, file, false, if_none_match, event);
    }
    const std::string key = fileKey(id, trust.get());
    const std::shared_ptr<const CachedFile> file =
        needsProof(*id.route) ? fallback_.phoneFile(id.mac, key) : fallback_.file(fileGroup(id, trust.get()), key);
    if (!file) return tryLater("no rendering of " + id.file + " kept for this request");
    served_from_memory = true;
    return servedFile(id, *file, false, if_none_match, event);
}

void ProvisioningService::keepServedPhone(uint64_t ticket, const DeviceIdentity& id, const Proofs& proofs,
                                          const KeptRender& kept, bool delivered, bool key_sent) {
    // The credentials as the store holds them after this fetch's own writes
    // (PhoneProofs::use and delivered, mirrored): a pair the store has just
    // retired must not open anything from memory.
    std::optional<DeviceCredentials> creds = proofs.credentials;
    if (creds) {
        const int64_t now = clock_.nowSeconds();
        if (proofs.first_use_of_credentials) {
            if (creds->used_at == 0) creds->used_at = now;
            creds->prev_user.clear();
            creds->prev_password.clear();
            creds->prev_aes_key.clear();
        }
        if (delivered && creds->delivered_at == 0) creds->delivered_at = now;
        if (key_sent && creds->key_sent_at == 0) creds->key_sent_at = now;
    }
    StoreFallback::Served served;
    served.vendor = id.vendor_guessed ? "" : id.vendor->id;
    served.credentials_read = proofs.credentials_read;
    served.credentials = std::move(creds);
    served.file_key = kept.key;
    served.file = kept.file;
    // A change seen since the ticket was taken makes this keep a no-op.
    fallback_.storeChanged(generation_.storeChanges());
    fallback_.keepPhone(ticket, id.mac, std::move(served));
}

void ProvisioningService::missFromMemory(const FetchRequest& request, const std::string& mac) {
    if (const std::optional<policy::Block> block = sweep_.miss(request.peer_ip, mac)) {
        securityLog().write(LogPriority::kWarning, policy::SweepGuard::blockEvent(*block));
        metrics::serverMetrics().sweepBlock();
    }
}

std::optional<std::optional<FirmwareOffer>> ProvisioningService::lastModelWideFirmware(const std::string& vendor,
                                                                                       const std::string& model) {
    std::lock_guard lock(model_wide_mutex_);
    auto it = model_wide_.find(vendor + "|" + model);
    if (it == model_wide_.end()) return std::nullopt;
    return it->second.offer;
}

}  // namespace prov

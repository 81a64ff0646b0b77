#include "provisioner/service/provisioning_service.h"

#include "provisioner/render/render_context.h"

#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/Logger.h>
#include <Poco/Path.h>

#include <sys/stat.h>

#include <algorithm>
#include <climits>
#include <exception>
#include <functional>
#include <cstdlib>

#include "provisioner/core/private_file.h"
#include "provisioner/core/server_metrics.h"
#include "provisioner/core/text.h"
#include "provisioner/service/fetch_answers.h"

namespace prov {

namespace {

using service_detail::accessRequest;
using service_detail::answer;
using service_detail::denied;
using service_detail::needsProof;
using service_detail::notFound;

// The trust certificate in a render cache key: a file rendered with one
// certificate is not served once it is reloaded.
std::string trustTag(const std::string* pem) {
    return pem ? std::to_string(std::hash<std::string>{}(*pem)) : "-";
}

// Settings a file without secrets may show: the kSecret ones removed.
SettingsMap withoutSecrets(SettingsMap settings) {
    for (auto it = settings.begin(); it != settings.end();) {
        const SettingSpec* spec = findSetting(it->first);
        it = spec && spec->type == SettingType::kSecret ? settings.erase(it) : std::next(it);
    }
    return settings;
}

// The store did not answer this fetch: its connection is gone (or never
// came), or it stayed busy (a lock, a serialization failure, SQLite's busy
// timeout) through a second try. A store that answers with an error (a
// refused login, a missing table) is no reason to serve from memory.
bool storeAway(const Error& e) {
    return e.code == Code::kUnavailable && (e.reason == "store_unreachable" || e.reason == "store_busy");
}

// An event with what fetch() filled in before the pipeline ran.
Event freshEvent(Event& event) {
    Event fresh;
    fresh.at = event.at;
    fresh.peer_ip = std::move(event.peer_ip);
    fresh.protocol = std::move(event.protocol);
    fresh.path = std::move(event.path);
    fresh.user_agent = std::move(event.user_agent);
    return fresh;
}

std::string outcomeName(Outcome o) {
    switch (o) {
        case Outcome::kServed:
        case Outcome::kNotModified:
        case Outcome::kStored: return "served";
        case Outcome::kNotFound: return "not_found";
        case Outcome::kDenied:
        case Outcome::kForbidden: return "denied";
        default: return "error";
    }
}

// Real path of `path` when it lies inside `real_root` (a real path itself;
// symlinks resolved); `relative` gets it relative to the real root (the name
// a link resolves to).
std::optional<std::string> insideRoot(const std::string& real_root, const std::string& path, std::string& relative) {
    char real_path[PATH_MAX];
    if (!realpath(path.c_str(), real_path)) return std::nullopt;
    const std::string r = real_root + "/";
    const std::string p = real_path;
    if (p.compare(0, r.size(), r) != 0) return std::nullopt;
    relative = p.substr(r.size());
    return p;
}

}  // namespace

ProvisioningService::ProvisioningService(Store& store, const BundleSource& bundles, const policy::Config& policy,
                                         EventSink& events, const Hasher& hasher, const Clock& clock,
                                         const ConfigGeneration& generation, PhoneProofs& proofs,
                                         policy::SweepGuard& sweep, const Cipher& cipher, ServiceOptions options)
    : store_(store), bundles_(bundles), policy_(policy), events_(events), hasher_(hasher), clock_(clock),
      generation_(generation), proofs_(proofs), sweep_(sweep), cipher_(cipher), options_(std::move(options)),
      resolver_(store) {}

// Counted here, where every front end hands its finished event, once per
// fetch: the counts and the event log cannot disagree.
void ProvisioningService::record(Event event) {
    metrics::serverMetrics().fetch(event.protocol, event.vendor, event.outcome, event.duration_us, event.bytes);
    events_.record(std::move(event));
}

Fetched ProvisioningService::fetch(const FetchRequest& request) {
    const int64_t start = clock_.monotonicMicros();
    Fetched f;
    Event& event = f.event;
    event.at = clock_.nowSeconds();
    event.peer_ip = request.peer_ip;
    event.protocol = std::string(toString(request.protocol));
    event.path = request.file.substr(0, 255);
    event.user_agent = request.user_agent.substr(0, 255);
    Result<FetchResponse> result = Error::internal("no answer");
    bool from_memory = false;
    try {
        result = handle(request, event);
        if (!result && result.error().reason == "store_busy") {
            // A store that answers busy (a lock, a serialization failure)
            // mostly answers the next try; what this one wrote stays
            // written, and is read as written.
            event = freshEvent(event);
            result = handle(request, event);
        }
        if (!result && storeAway(result.error())) {
            // The store does not answer (this fetch's read or write failed):
            // what this node keeps answers, or the phone is told to try
            // later. The next fetch tries the store first again.
            event = freshEvent(event);
            result = fromMemory(request, event, from_memory);
        }
    } catch (const std::exception& e) {
        // Below the front ends errors are values; a library that throws all
        // the same is this fetch's error, never the front end's.
        result = Error::internal(std::string("exception: ") + e.what());
    }
    FetchResponse& response = f.response;
    if (result) {
        response = std::move(result).value();
    } else {
        response.outcome = Outcome::kError;
        response.reason = result.error().message;
    }
    logRefusal(request, event, response);
    if (from_memory && (response.outcome == Outcome::kServed || response.outcome == Outcome::kNotModified))
        metrics::serverMetrics().fetchFromCache();
    event.outcome = outcomeName(response.outcome);
    if (response.outcome == Outcome::kUnauthorized || response.decoy) event.outcome = "denied";
    event.not_modified = response.outcome == Outcome::kNotModified;
    event.bytes = response.outcome == Outcome::kServed
                      ? static_cast<int64_t>(response.file_path.empty() ? response.body.size() : response.file_size)
                      : 0;
    event.duration_us = clock_.monotonicMicros() - start;
    return f;
}

Result<FetchResponse> ProvisioningService::handle(const FetchRequest& request, Event& event) {
    // A source blocked for sweeping MACs gets the same answer for everything,
    // before any store read: over TFTP a 404, over HTTP(S) a Digest challenge
    // (a phone sends its credentials only when asked). Valid credentials of
    // any device, or a verified client certificate, still get through:
    // one infected PC behind the office NAT must not take the phones down.
    const bool blocked = sweep_.blocked(request.peer_ip);
    if (blocked) {
        const bool may_pass = request.client_cert || (!request.authorization.empty() && TRY(proofs_.anyDevice(request)));
        if (!may_pass) return blockedAnswer(request);
    }
    if (!isSafeFileName(request.file)) return notFound("not a file name a phone may ask for");
    const auto bundle = bundles_.current();  // keeps the identity's vendor and route alive
    auto id = identifyFile(*bundle, request.file, request.user_agent);
    if (!id) {
        if (id.error().code == Code::kPermissionDenied) {
            event.mac.clear();
            return denied(id.error().message);
        }
        if (request.method == Method::kPut) return notFound("no such upload");
        if (auto trust = trustFile(request)) return std::move(*trust);
        return staticFile(request);
    }
    const DeviceIdentity& ident = id.value();
    event.mac = ident.mac;
    // Taken before this fetch's first read of the MAC: what it keeps of the
    // phone is dropped if the store changed meanwhile (store_fallback.h).
    fallback_.storeChanged(generation_.storeChanges());
    const uint64_t ticket = fallback_.ticket();
    // A peer on an allowed network that shows no credentials and no
    // certificate is allowed by that standing proof alone: it needs none of
    // the store reads that find other proofs (the hot path of a trusted
    // voice VLAN), and the admin's trust is not counted against it as a
    // sweep. Everyone else costs the same reads, known MAC or not.
    const bool trusted = request.authorization.empty() && !request.client_cert &&
                         !policy_.secrets_require_client_cert && policy_.allow_networks.contains(request.peer_ip);
    Proofs proofs;
    if (needsProof(*ident.route) && !trusted) {
        proofs = TRY(proofs_.gather(request, ident.mac));
        // What the store says of the phone now, whatever this fetch's answer.
        fallback_.syncPhone(ticket, ident.mac, !proofs.known || proofs.wipe, proofs.credentials);
    }
    const policy::Decision decision = policy::authorize(policy_, accessRequest(ident, request, proofs));
    if (!blocked && !trusted && !ident.mac.empty())
        TRY(countForSweep(request, ident.mac, decision, needsProof(*ident.route) ? &proofs : nullptr));
    event.auth = std::string(policy::toString(decision.auth));
    if (decision.verdict == policy::Verdict::kForbidden) return answer(Outcome::kForbidden, decision.reason);
    event.vendor = ident.vendor_guessed ? "" : ident.vendor->id;
    event.model = ident.model;
    event.firmware = ident.firmware;
    const bool upload_route = ident.route->kind == FileKind::kUpload;
    if (upload_route && request.method != Method::kPut) return notFound("uploads are written by the phone, never served");
    if (!upload_route && request.method == Method::kPut) return answer(Outcome::kMethodNotAllowed, "PUT of a served file");
    if (decision.verdict != policy::Verdict::kAllow) {
        // A phone that only speaks TFTP proves nothing; its file goes out
        // sealed with the key it was given, which is the proof.
        if (!ident.route->encrypt.empty() && request.protocol == Protocol::kTftp && !upload_route &&
            !policy_.secrets_require_client_cert) {
            KeptRender kept;
            FetchResponse sealed = TRY(sealedWithoutProof(ident, proofs, event, kept));
            if (sealed.outcome == Outcome::kServed && !sealed.decoy && !event.wipe)
                keepServedPhone(ticket, ident, proofs, kept, false, false);
            return sealed;
        }
        return refuse(decision, proofs);
    }
    if (!TRY(proofs_.use(ident.mac, proofs))) {
        event.auth = "none";
        return refuse(policy::Decision{request.protocol == Protocol::kTftp ? policy::Verdict::kDeny
                                                                            : policy::Verdict::kChallenge,
                                       policy::AuthMethod::kNone, "the staging window filled up"},
                      Proofs{});
    }
    if (upload_route) return upload(ident, request);
    KeptRender kept;
    FetchResponse r = TRY(renderFile(ident, request.if_none_match, event, &kept));
    if (!ident.route->secrets || r.outcome == Outcome::kNotFound) return r;
    if (r.outcome == Outcome::kNotModified) {
        // Kept as a served fetch is: the credentials as use() left them.
        keepServedPhone(ticket, ident, proofs, kept, false, false);
        return r;
    }
    if (r.outcome != Outcome::kServed) return r;
    const bool encrypted_route = !ident.route->encrypt.empty();
    if (event.wipe) {
        // A deleted device: sealed with the key it holds where its config
        // would be; no credentials of its own to deliver any more.
        if (request.method == Method::kGet) TRY(wipeDelivered(ident.mac, event));
        if (encrypted_route && proofs.key_sent && proofs.digest && request.protocol == Protocol::kHttp)
            r.body = seal(r.body, proofs.aes_key);
        return r;
    }
    // Sealed over plain HTTP for a phone that proved itself with the
    // credentials its config carried (so it applied that config, and the key
    // in it). A window or an allowed network (a phone perhaps reset to
    // factory settings) and HTTPS get it plain.
    const bool sealed = encrypted_route && proofs.key_sent && proofs.digest && request.protocol == Protocol::kHttp;
    bool delivered = false;
    if (request.method == Method::kGet && trusted) {
        TRY(proofs_.deliveredOnce(ident.mac, encrypted_route, generation_.current()));
    } else if (request.method == Method::kGet && (!proofs.delivered || (encrypted_route && !proofs.key_sent))) {
        TRY(proofs_.delivered(ident.mac, encrypted_route && !sealed));
        delivered = true;
    }
    if (sealed) r.body = seal(r.body, proofs.aes_key);
    keepServedPhone(ticket, ident, proofs, kept, delivered, delivered && encrypted_route && !sealed);
    return r;
}

FetchResponse ProvisioningService::blockedAnswer(const FetchRequest& request) {
    metrics::serverMetrics().sweepBlockedFetch();
    if (request.protocol == Protocol::kTftp) return notFound("source blocked for sweeping MACs");
    FetchResponse r = answer(Outcome::kUnauthorized, "source blocked for sweeping MACs");
    r.challenges = proofs_.challenges(false);
    return r;
}

std::string ProvisioningService::seal(const std::string& body, const std::string& key) const {
    // Padded to a multiple of the bucket, so sizes tell little, with comment
    // lines of keyed pseudo-random text: padding of spaces (Yealink's tool)
    // would give repeated ECB blocks that tell a sealed file from a stand-in.
    const size_t bucket = sealedBucket();
    std::string padded = body;
    const size_t target = (body.size() + 1 + bucket - 1) / bucket * bucket;
    padded.push_back('\n');
    // The text: hex of AES over a counter, under a key of its own (one HMAC,
    // then AES: cheap enough for a boot storm).
    const std::string pad_key = hasher_.hmacSha256Hex(options_.hash_key, "sealed-padding|" + key).substr(0, 16);
    std::string counter((target - padded.size()) / 2 + 16, '\0');
    counter.resize(counter.size() / 16 * 16);
    for (size_t i = 0; i < counter.size(); i += 16) {  // the block's number, in its first two bytes
        counter[i] = static_cast<char>(i >> 4);
        counter[i + 1] = static_cast<char>(i >> 12);
    }
    const std::string stream = cipher_.aes128Ecb(pad_key, counter);
    static const char* kHex = "0123456789abcdef";
    size_t next = 0;
    while (padded.size() < target) {
        padded.push_back('#');
        for (int i = 0; i < 31 && next < stream.size(); ++i, ++next) {
            const auto b = static_cast<unsigned char>(stream[next]);
            padded.push_back(kHex[b >> 4]);
            padded.push_back(kHex[b & 15]);
        }
        padded.push_back('\n');
    }
    padded.resize(target);
    return cipher_.aes128Ecb(key, padded);
}

size_t ProvisioningService::sealedBucket() const { return std::max<size_t>(16, options_.sealed_bucket / 16 * 16); }

Result<FetchResponse> ProvisioningService::sealedWithoutProof(const DeviceIdentity& id, const Proofs& proofs,
                                                              Event& event, KeptRender& kept) {
    if (proofs.known && proofs.key_sent) {
        FetchResponse r = TRY(renderFile(id, "", event, &kept));
        if (r.outcome != Outcome::kServed) return r;
        // Over TFTP nothing tells the phone from another asker: the first
        // fetch of a deleted device's sealed wipe counts as its delivery.
        if (event.wipe) TRY(wipeDelivered(id.mac, event));
        r.body = seal(r.body, proofs.aes_key);
        event.auth = "device_key";
        event.device_config = false;  // anyone may have asked: no staging progress
        return r;
    }
    return standIn(id, event);
}

FetchResponse ProvisioningService::standIn(const DeviceIdentity& id, Event& event) const {
    // No key given to this MAC (or no such device): one bucket that no key
    // opens, made the way a sealed file is (the same padding and AES, with a
    // key derived from the MAC), so it costs what a sealed file costs; the
    // same for every fetch of the name.
    const std::string key = hasher_.hmacSha256Hex(options_.hash_key, "sealed-stand-in|" + id.mac).substr(0, 16);
    FetchResponse r;
    r.outcome = Outcome::kServed;
    r.body = seal(std::string(), key);
    r.content_type = id.route->content_type;
    r.reason = "no key for this MAC: a stand-in";
    r.decoy = true;
    event.auth = "none";
    event.device_config = false;
    return r;
}

// Routine answers are Debug: a phone asks for files nobody has (404) and
// meets a Digest challenge (401) on every boot. A denial of secrets is
// Information, an error Error; each kind at most a few lines a minute
// (SecurityLog), so a flood of bad requests costs a few lines and a count.
void ProvisioningService::logRefusal(const FetchRequest& request, const Event& event,
                                     const FetchResponse& response) const {
    struct Kind {
        Outcome outcome;
        LogPriority priority;
        const char* name;
    };
    static constexpr Kind kKinds[] = {
        {Outcome::kNotFound, LogPriority::kDebug, "not_found"},
        {Outcome::kUnauthorized, LogPriority::kDebug, "unauthorized"},
        {Outcome::kDenied, LogPriority::kInformation, "denied"},
        {Outcome::kForbidden, LogPriority::kInformation, "forbidden"},
        {Outcome::kUnavailable, LogPriority::kInformation, "unavailable"},
        {Outcome::kError, LogPriority::kError, "error"},
    };
    const Kind* kind = nullptr;
    for (const Kind& k : kKinds) {
        if (k.outcome == response.outcome) kind = &k;
    }
    if (!kind) return;  // served, stored, or a protocol answer of the front end's
    const bool error = response.outcome == Outcome::kError;
    SecurityEvent line(error ? "fetch_error" : "fetch_refused", request.peer_ip);
    line.word("proto", event.protocol).word("outcome", kind->name).text("path", event.path);
    line.text("ua", event.user_agent).text("reason", response.reason);
    securityLog().refusal(kind->priority, line, line.name() + "/" + kind->name);
}

Status ProvisioningService::countForSweep(const FetchRequest& request, const std::string& mac,
                                          const policy::Decision& decision, const Proofs* gathered) {
    // A miss is a MAC the store does not know. A proven fetch of a device in
    // the inventory earns budget back; an unproven one earns nothing, so that
    // knowing a few real MACs does not buy guesses. A phone discovered by its
    // own fetches (unassigned) is neither: a sweep's made-up MACs get
    // recorded that way.
    bool known = gathered && gathered->known;
    bool unassigned = gathered && gathered->unassigned;
    if (!gathered) {  // the same read gather() made for the files that need a proof
        TRY(store_.read([&](StoreTx& tx) -> Status {
            const std::optional<Device> device = TRY(tx.getDevice(mac));
            known = device.has_value();
            unassigned = device && device->state == DeviceState::kUnassigned;
            return okStatus();
        }));
    }
    if (!known) {
        if (const std::optional<policy::Block> block = sweep_.miss(request.peer_ip, mac)) {
            // One line a block, in the format deploy/fail2ban's filter matches.
            securityLog().write(LogPriority::kWarning, policy::SweepGuard::blockEvent(*block));
            metrics::serverMetrics().sweepBlock();
        }
        return okStatus();
    }
    const bool proven = decision.verdict == policy::Verdict::kAllow && decision.auth != policy::AuthMethod::kNone;
    if (!unassigned && proven) sweep_.hit(request.peer_ip, mac);
    return okStatus();
}

Result<DeviceIdentity> ProvisioningService::identifyFile(const Bundle& bundle, const std::string& file,
                                                         const std::string& user_agent) {
    return identify(bundle.catalog, file, user_agent, [&](const std::string& mac) {
        std::string make;
        (void)store_.read([&](StoreTx& tx) -> Status {
            const std::optional<Device> d = TRY(tx.getDevice(mac));
            if (d) make = d->make;
            // A deleted device waiting for its wipe: the make it had (a
            // TFTP file name alone may fit several vendors). Read for every
            // MAC, so a known and an unknown one cost the same.
            const std::optional<PendingWipe> w = TRY(tx.getWipe(mac));
            if (make.empty() && w) make = w->make;
            return okStatus();
        });
        return make;
    });
}

FetchResponse ProvisioningService::refuse(const policy::Decision& decision, const Proofs& proofs) {
    if (decision.verdict != policy::Verdict::kChallenge) return denied(decision.reason);
    FetchResponse r = answer(Outcome::kUnauthorized, decision.reason);
    r.challenges = proofs_.challenges(proofs.stale);
    return r;
}

std::string ProvisioningService::keyedHash(const std::string& body) const {
    return hasher_.hmacSha256Hex(options_.hash_key, body);
}

Result<FetchResponse> ProvisioningService::renderFile(const DeviceIdentity& id, const std::string& if_none_match,
                                                      Event& event, KeptRender* kept) {
    const uint64_t generation = generation_.current();
    // The hour is part of the key: a rendered file carries the time zone's
    // rule as the zone database states it (re-read hourly) and this year's
    // change dates, so after a tzdata update or at the new year it is rendered
    // again within the hour (its ETag, the hash of its bytes, moves only if they do).
    // Read once: a reload between the key and the render would cache the new
    // certificate's bytes under the old one's key.
    const std::shared_ptr<const std::string> trust = trustPem();
    const std::string file_key = fileKey(id, trust.get());
    const std::string key = file_key + "|" + std::to_string(clock_.nowSeconds() / 3600);
    // A file without secrets is rendered afresh for every fetch: a cached
    // render of a MAC that booted lately would answer faster than one the
    // store does not know.
    const bool per_mac_cache = !(id.route->kind == FileKind::kDevice && !id.route->secrets);
    std::shared_ptr<const CachedFile> file = per_mac_cache ? cache_.get(key, generation) : nullptr;
    bool wipe = false;
    if (!file) {
        std::optional<Rendered> rendered = TRY(render(id, trust));
        // A device gone, or waiting for its wipe: what this node kept of it
        // must not answer for it while the store is away.
        if ((!rendered || rendered->wipe) && !id.mac.empty()) fallback_.forgetPhone(id.mac);
        if (!rendered) return notFound("MAC " + id.mac + " is not in the store");
        wipe = rendered->wipe;
        file = std::make_shared<const CachedFile>(cachedFile(std::move(*rendered), generation));
        // A wipe goes out once: never from the cache. A file with secrets
        // is kept with its phone, once the fetch is served (keepServedPhone).
        if (per_mac_cache && !wipe) {
            cache_.put(key, file);
            if (!needsProof(*id.route)) fallback_.keepFile(fileGroup(id, trust.get()), file_key, file);
        }
    }
    if (kept && !wipe) *kept = KeptRender{file_key, file};
    return servedFile(id, *file, wipe, if_none_match, event);
}

CachedFile ProvisioningService::cachedFile(Rendered rendered, uint64_t generation) const {
    CachedFile file;
    file.body = std::move(rendered.body);
    file.hash = keyedHash(file.body);
    file.etag = "\"" + file.hash.substr(0, 32) + "\"";
    file.generation = generation;
    file.fw_target = std::move(rendered.fw_target);
    file.fw_told = rendered.fw_told;
    return file;
}

std::string ProvisioningService::fileGroup(const DeviceIdentity& id, const std::string* trust) {
    return id.vendor->id + "|" + id.route->pattern.text() + "|" + id.file + "|" + id.mac + "|" + trustTag(trust);
}

std::string ProvisioningService::fileKey(const DeviceIdentity& id, const std::string* trust) {
    return id.vendor->id + "|" + id.route->pattern.text() + "|" + id.file + "|" + id.mac + "|" + id.model + "|" +
           id.firmware + "|" + trustTag(trust);
}

FetchResponse ProvisioningService::servedFile(const DeviceIdentity& id, const CachedFile& file, bool wipe,
                                              const std::string& if_none_match, Event& event) const {
    FetchResponse r;
    r.outcome = Outcome::kServed;
    r.etag = file.etag;
    r.content_type = id.route->content_type;
    event.config_hash = file.hash;
    event.device_config = id.route->kind == FileKind::kDevice && !wipe;
    // Firmware status moves only on a fetch that proved who it was (or came
    // from an allowed network): a file served to anyone (Polycom's master)
    // must not let a stranger set a phone `on_target` or `failed`.
    event.fw_file = id.route->firmware && !wipe && (id.route->secrets || event.auth != "none");
    event.fw_target = file.fw_target;
    event.fw_told = file.fw_told;
    event.wipe = wipe;
    if (!if_none_match.empty() && if_none_match == r.etag && !wipe) {
        r.outcome = Outcome::kNotModified;
        return r;
    }
    r.body = file.body;
    return r;
}

Result<std::optional<ProvisioningService::Rendered>> ProvisioningService::render(
    const DeviceIdentity& id, std::shared_ptr<const std::string> trust) {
    if (id.route->kind == FileKind::kDevice && !id.route->secrets) {
        // Read before the store, as modelWideFirmware does: settings changed
        // after the read move it again.
        const uint64_t generation = generation_.current();
        SettingsMap settings = withoutSecrets(TRY(resolver_.globalSettings()));
        fallback_.keepSettings(generation, settings);
        // Polycom's master names the firmware image; only the model-wide
        // target may go there, the same for every MAC.
        std::optional<FirmwareOffer> offer;
        if (options_.firmware && id.route->firmware) offer = TRY(modelWideFirmware(id.vendor->id, id.model));
        return std::optional<Rendered>(TRY(renderForAnyMac(id, std::move(trust), std::move(settings), offer)));
    }
    const auto bundle = bundles_.current();
    RenderInput in = renderInput(id, std::move(trust));
    std::optional<DeviceProfile> profile;
    if (id.route->kind == FileKind::kDevice) {
        profile = TRY(resolver_.resolve(id.mac));
        if (!profile) return renderWipe(in, id);
        // Every config that carries secrets carries the device's own
        // credentials, which its later fetches must present.
        profile->credentials = TRY(proofs_.credentials(id.mac));
        in.mac = id.mac;
        if (in.model.empty()) in.model = profile->device.model;
        if (in.firmware.empty()) in.firmware = profile->device.last_firmware;
        in.settings = profile->settings;
        in.profile = &*profile;
        if (options_.firmware && id.route->firmware)
            in.firmware_target = TRY(firmwareDirective(id.vendor->id, in.model, profile->device));
    } else {
        in.settings = TRY(resolver_.globalSettings());
    }
    return std::optional<Rendered>(TRY(renderWith(*bundle, in)));
}

RenderInput ProvisioningService::renderInput(const DeviceIdentity& id, std::shared_ptr<const std::string> trust) const {
    RenderInput in;
    in.utc_now = clock_.nowSeconds();
    in.vendor = id.vendor;
    in.route = id.route;
    in.captures = id.captures;
    in.file = id.file;
    in.model = id.model;
    in.firmware = id.firmware;
    in.trust_pem = std::move(trust);
    return in;
}

Result<ProvisioningService::Rendered> ProvisioningService::renderWith(const Bundle& bundle, const RenderInput& in) {
    Rendered out;
    out.body = TRY(bundle.templates->render(in));
    if (in.firmware_target) {
        out.fw_target = in.firmware_target->version;
        out.fw_told = offersFirmware(in);
    }
    return out;
}

Result<ProvisioningService::Rendered> ProvisioningService::renderForAnyMac(const DeviceIdentity& id,
                                                                          std::shared_ptr<const std::string> trust,
                                                                          SettingsMap settings,
                                                                          std::optional<FirmwareOffer> offer) {
    // The same bytes for every MAC-shaped name, known or not: the MAC and
    // what the request said, nothing from the store but global settings
    // without secrets, so the answer tells a sweep nothing.
    const auto bundle = bundles_.current();
    RenderInput in = renderInput(id, std::move(trust));
    DeviceProfile profile;
    profile.device.mac = id.mac;
    in.mac = id.mac;
    in.settings = std::move(settings);
    in.profile = &profile;
    in.firmware_target = std::move(offer);
    return renderWith(*bundle, in);
}

Result<std::optional<FirmwareOffer>> ProvisioningService::firmwareDirective(const std::string& vendor,
                                                                           const std::string& model,
                                                                           const Device& device) {
    std::optional<firmware::FirmwareDirective> d;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        // Only an image the serve gate passes now: not one still being hashed
        // after a start or a change (the catalog's on_change re-renders once it is).
        d = TRY(firmware::directiveFor(tx, vendor, model, device.label, device.mac,
                                       [c = options_.firmware](const std::string& f) { return c->servable(f); }));
        return okStatus();
    }));
    if (!d) return std::optional<FirmwareOffer>();
    return std::optional<FirmwareOffer>(FirmwareOffer{d->version, d->file});
}

Result<std::optional<FirmwareOffer>> ProvisioningService::modelWideFirmware(
    const std::string& vendor, const std::string& model) {
    // Read before the store: a change after this read moves the generation
    // again, so an answer is never kept past the change it missed.
    const uint64_t generation = generation_.current();
    const std::string key = vendor + "|" + model;
    {
        std::lock_guard lock(model_wide_mutex_);
        auto it = model_wide_.find(key);
        if (it != model_wide_.end() && it->second.generation == generation) return it->second.offer;
    }
    std::optional<firmware::FirmwareDirective> d;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        d = TRY(firmware::modelWideDirectiveFor(
            tx, vendor, model,
            [c = options_.firmware](const std::string& f) { return c->servable(f); }));
        return okStatus();
    }));
    std::optional<FirmwareOffer> offer;
    if (d) offer = FirmwareOffer{d->version, d->file};
    std::lock_guard lock(model_wide_mutex_);
    // Bounded: the models of the catalog, and the names a request may claim
    // are cut at once if a sweep invents many.
    if (model_wide_.size() >= 4096) model_wide_.clear();
    model_wide_[key] = ModelWide{generation, offer};
    return offer;
}

Result<std::optional<ProvisioningService::Rendered>> ProvisioningService::renderWipe(RenderInput& in,
                                                                                     const DeviceIdentity& id) {
    std::optional<PendingWipe> wipe;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        wipe = TRY(tx.getWipe(id.mac));
        return okStatus();
    }));
    if (!wipe) return std::optional<Rendered>();
    // No lines and no keys: the templates write every slot of the model
    // disabled and blank. No provisioning credentials either: the device
    // is gone, and so are they.
    DeviceProfile profile;
    profile.device.mac = id.mac;
    profile.device.make = wipe->make;
    profile.device.model = wipe->model;
    // Whatever modules it had: every key of as many as its model takes,
    // blank (a module keeps its keys as the phone does).
    if (in.vendor) {
        const ModelInfo* model = in.vendor->findModel(wipe->model);
        if (model && !model->expansion.empty()) {
            profile.device.expansion_model = model->expansion.front().name;
            profile.device.expansion_count = model->expansion.front().max;
        }
    }
    // Nor the fleet's secrets (the phone admin password): the phone is no
    // longer ours, and may be in anyone's hands.
    profile.settings = withoutSecrets(TRY(resolver_.globalSettings()));
    // Nor our CA: a phone leaving the fleet is not told to trust us.
    in.trust_pem.reset();
    in.mac = id.mac;
    if (in.model.empty()) in.model = wipe->model;
    in.settings = profile.settings;
    in.profile = &profile;
    const auto bundle = bundles_.current();
    Rendered out;
    out.body = TRY(bundle->templates->render(in));
    out.wipe = true;
    return std::optional<Rendered>(std::move(out));
}

Status ProvisioningService::wipeDelivered(const std::string& mac, Event& event) {
    bool first = false;
    TRY(store_.write([&](StoreTx& tx) -> Status {
        first = TRY(tx.wipeDelivered(mac));
        return okStatus();
    }));
    event.wipe = first;
    if (first) Poco::Logger::get("provisioner").information("wipe config delivered to %s", mac);
    return okStatus();
}

std::string ProvisioningService::realFirmwareRoot() {
    const int64_t now = clock_.monotonicMicros();
    std::lock_guard lock(real_root_mutex_);
    if (real_root_.path.empty() || now - real_root_.checked_us >= 1'000'000) {
        char real[PATH_MAX];
        real_root_.path = realpath(options_.firmware_dir.c_str(), real) ? real : "";
        real_root_.checked_us = now;
    }
    return real_root_.path;
}

// A static file costs one lstat on the way: the name has no folder in it
// (isSafeFileName), so under the root's real path a name that is no link is
// its own real path. Resolving the whole path every time (realpath reads
// every component as a link) was a quarter of a small file's TFTP transfer.
// A link is resolved in full and must stay inside the root.
std::optional<std::string> ProvisioningService::firmwarePath(const std::string& file, std::string& relative,
                                                             struct stat& st) {
    const std::string root = realFirmwareRoot();
    if (root.empty()) return std::nullopt;
    std::string path = root + "/" + file;
    if (::lstat(path.c_str(), &st) != 0) return std::nullopt;
    if (!S_ISLNK(st.st_mode)) {
        relative = file;
        return path;
    }
    auto real = insideRoot(root, path, relative);
    if (!real || ::stat(real->c_str(), &st) != 0) return std::nullopt;
    return real;
}

Result<FetchResponse> ProvisioningService::staticFile(const FetchRequest& request) {
    std::string real_name;
    // One stat, no exceptions: the file may be replaced while phones fetch it.
    struct stat st{};
    auto real = firmwarePath(request.file, real_name, st);
    if (!real) return notFound("no such file");
    if (!S_ISREG(st.st_mode)) return notFound("not a regular file");
    if (options_.firmware) {
        // A stat, no hash: the catalog hashed the image when it was added or
        // changed. A corrupt, truncated or since-changed image is no file.
        const firmware::FileStamp stamp{static_cast<int64_t>(st.st_size),
                                        static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
                                        static_cast<int64_t>(st.st_ino)};
        // By the name asked for, the name it resolves to and its inode: an
        // alias (a link) of a catalog image is checked as the image is.
        if (options_.firmware->gate(request.file, stamp, real_name) == firmware::Gate::kRefuse)
            return notFound("firmware image not verified");
    }
    FetchResponse r;
    r.outcome = Outcome::kServed;
    r.file_path = *real;
    r.file_size = static_cast<int64_t>(st.st_size);
    // The front ends open the file by path: what they open must be what was gated.
    r.file_check = FileCheck{r.file_size, static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
                             static_cast<int64_t>(st.st_ino), static_cast<int64_t>(st.st_dev)};
    r.content_type = "application/octet-stream";
    r.etag = "\"" + std::to_string(r.file_size) + "-" + std::to_string(st.st_mtime) + "\"";
    if (!request.if_none_match.empty() && request.if_none_match == r.etag) r.outcome = Outcome::kNotModified;
    return r;
}

std::optional<FetchResponse> ProvisioningService::trustFile(const FetchRequest& request) const {
    if (request.file != kTrustFileName) return std::nullopt;
    const std::shared_ptr<const std::string> pem = trustPem();
    if (!pem || pem->empty()) return std::nullopt;
    // Public data (a certificate, no key), the same for every phone: served
    // to anyone who asks, like firmware.
    FetchResponse r;
    r.outcome = Outcome::kServed;
    r.body = *pem;
    r.content_type = "application/x-pem-file";
    r.etag = "\"" + keyedHash(*pem).substr(0, 32) + "\"";
    if (!request.if_none_match.empty() && request.if_none_match == r.etag) {
        r.outcome = Outcome::kNotModified;
        r.body.clear();
    }
    return r;
}

Result<FetchResponse> ProvisioningService::upload(const DeviceIdentity& id, const FetchRequest& request) {
    const std::optional<DeviceProfile> known = TRY(resolver_.resolve(id.mac));
    if (!known) return notFound("uploads are kept only for known devices");
    if (request.body.size() > options_.max_upload_bytes)
        return answer(Outcome::kTooLarge, "upload over " + std::to_string(options_.max_upload_bytes) + " bytes");
    // A phone's uploads (call logs, contacts) are its user's: 0700 folders
    // and 0600 files, whatever the umask.
    const Poco::Path dir = Poco::Path(options_.uploads_dir).append(id.mac);
    TRY(makePrivateDirectories(dir.toString()));
    TRY(writePrivateFile(Poco::Path(dir).append(id.file).toString(), request.body));
    return answer(Outcome::kStored, "");
}

Result<std::string> ProvisioningService::preview(const std::string& mac, const std::string& file,
                                                 const std::string& user_agent) {
    if (!isSafeFileName(file)) return Error::invalid("not a file name a phone may ask for", {{"file", "is not a file name"}});
    const auto bundle = bundles_.current();
    auto id = identifyFile(*bundle, file, user_agent);
    if (!id) return Error::notFound("no vendor serves " + file);
    if (id.value().route->kind == FileKind::kUpload) return Error::notFound(file + " is written by the phone");
    if (!id.value().mac.empty() && id.value().mac != mac)
        return Error::invalid("the file names another MAC", {{"file", "names MAC " + id.value().mac}});
    Event unused;
    const FetchResponse r = TRY(renderFile(id.value(), "", unused));
    if (r.outcome != Outcome::kServed) return Error::notFound(r.reason);
    return r.body;
}

}  // namespace prov

#pragma once

// The provisioning pipeline shared by every front end:
//   identify -> authorize -> resolve -> render -> record
// It never throws on a phone's input; every outcome is a FetchResponse and an
// event.

#include <sys/stat.h>

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "provisioner/core/clock.h"
#include "provisioner/core/random_source.h"
#include "provisioner/core/security_log.h"
#include "provisioner/fetch/fetch.h"
#include "provisioner/firmware/catalog.h"
#include "provisioner/identify/request_identifier.h"
#include "provisioner/policy/access_policy.h"
#include "provisioner/policy/sweep_guard.h"
#include "provisioner/render/bundle.h"
#include "provisioner/render/trust_source.h"
#include "provisioner/resolve/device_resolver.h"
#include "provisioner/service/event_recorder.h"
#include "provisioner/service/phone_proofs.h"
#include "provisioner/service/render_cache.h"
#include "provisioner/service/store_fallback.h"

namespace prov {

struct ServiceOptions {
    std::string firmware_dir = "firmware";
    std::string uploads_dir = "var/uploads";
    size_t max_upload_bytes = 1 << 20;
    // Encrypted files are padded to a multiple of this, so that their size
    // tells little (kept a multiple of 16, the AES block). Larger than any
    // config: one of every slot of the vendor's largest model (a Yealink with
    // no model on record: 16 accounts, 95 keys) is about 20 KB, so a sealed
    // file and a stand-in for an unknown MAC are both 32 KiB. Expansion
    // modules, when their keys are written, must stay under it.
    size_t sealed_bucket = 32768;
    // The key of the HMAC that stands for a served body (events' config_hash,
    // devices' last_hash, ETags): a plain hash of a secret-bearing body would
    // let a guessed password be checked offline.
    std::string hash_key;
    // Where refusals and blocks are logged (docs/security-log.md); none: nowhere.
    SecurityLog* security_log = nullptr;
    // The CA certificate phones are given to trust: rendered into configs
    // and served as `ca.pem`; none: neither.
    const TrustSource* trust = nullptr;
    // The firmware catalog: the serve check of every file of firmware_dir
    // (a listed image not verified as is never goes out), and the targets
    // device configs carry. None: files are served as found, no targets.
    firmware::Catalog* firmware = nullptr;
};

// What fetch() answers: the response for the phone, and the event that
// records the fetch (see ProvisioningService::fetch).
struct Fetched {
    FetchResponse response;
    Event event;
};

class ProvisioningService {
public:
    ProvisioningService(Store& store, const BundleSource& bundles, const policy::Config& policy, EventSink& events,
                        const Hasher& hasher, const Clock& clock, const ConfigGeneration& generation,
                        PhoneProofs& proofs, policy::SweepGuard& sweep, const Cipher& cipher,
                        ServiceOptions options);

    // Runs the pipeline; records nothing. When the store fails the fetch
    // with kUnavailable, the answer comes from what this node keeps in
    // memory (store_fallback.h, serve_from_memory.cpp) or is kUnavailable
    // (try later); each fetch tries the store first. The event says what
    // the pipeline did, with the bytes it answered and the time it took;
    // the front end completes it with what only the transport knows (the
    // bytes actually sent, the whole duration, a transfer that failed) and
    // passes it to record(), once, whatever the outcome.
    Fetched fetch(const FetchRequest& request);
    // Counts the fetch (core/server_metrics.h) and queues its event for the
    // writer thread; never blocks.
    void record(Event event);

    // Exactly the bytes the phone with `mac` would get for `file`, as if it
    // asked from an allowed network with no User-Agent; nothing is recorded.
    Result<std::string> preview(const std::string& mac, const std::string& file, const std::string& user_agent = "");

    // The security log the front ends share (TLS and TFTP refusals).
    SecurityLog& securityLog() const {
        return options_.security_log ? *options_.security_log : SecurityLog::discard();
    }

private:
    Result<FetchResponse> handle(const FetchRequest& request, Event& event);
    // Tells the sweep guard what a fetch of a MAC-named file was: a miss for
    // a MAC the store does not know, a hit for a proven fetch of a device in
    // the inventory. The same store read for every MAC-named file.
    // `gathered`: the proofs gather() found, which hold the device already.
    Status countForSweep(const FetchRequest& request, const std::string& mac, const policy::Decision& decision,
                         const Proofs* gathered);
    FetchResponse blockedAnswer(const FetchRequest& request);
    // One security log line for a refused or failed fetch.
    void logRefusal(const FetchRequest& request, const Event& event, const FetchResponse& response) const;
    size_t sealedBucket() const;
    // The identity's vendor and route point into `bundle`: keep it while they are used.
    Result<DeviceIdentity> identifyFile(const Bundle& bundle, const std::string& file, const std::string& user_agent);
    // A refused device file or upload: the same answer for every MAC-shaped
    // name, known or not.
    FetchResponse refuse(const policy::Decision& decision, const Proofs& proofs);
    // A rendered file and its fileKey(): what the store fallback keeps with
    // a phone served it.
    struct KeptRender {
        std::string key;
        std::shared_ptr<const CachedFile> file;
    };
    // `kept` (optional): the file served, unless a wipe.
    Result<FetchResponse> renderFile(const DeviceIdentity& id, const std::string& if_none_match, Event& event,
                                     KeptRender* kept = nullptr);
    // A file's render key without the hour: what its bytes depend on that
    // the phone says, and the trust certificate (null: none).
    static std::string fileKey(const DeviceIdentity& id, const std::string* trust);
    // fileKey() without the model and firmware a User-Agent claims: the
    // variants the store fallback keeps of a common file, bounded.
    static std::string fileGroup(const DeviceIdentity& id, const std::string* trust);
    // The answer serving `file` (304 when `if_none_match` is its ETag), and
    // the event's fields that describe it.
    FetchResponse servedFile(const DeviceIdentity& id, const CachedFile& file, bool wipe,
                             const std::string& if_none_match, Event& event) const;
    // The bytes of a served file; nullopt when the device is unknown. A
    // deleted device waiting for its wipe gets the wipe config (`wipe` true).
    struct Rendered {
        std::string body;
        bool wipe = false;
        std::string fw_target;  // the firmware target it carries, "" none
        bool fw_told = false;   // it tells the phone to upgrade to it
    };
    // `rendered` with its keyed hash and ETag, as the render cache keeps it.
    CachedFile cachedFile(Rendered rendered, uint64_t generation) const;
    // `trust`: the CA certificate phones are given (null: none), read once
    // per fetch by the caller.
    Result<std::optional<Rendered>> render(const DeviceIdentity& id, std::shared_ptr<const std::string> trust);
    RenderInput renderInput(const DeviceIdentity& id, std::shared_ptr<const std::string> trust) const;
    static Result<Rendered> renderWith(const Bundle& bundle, const RenderInput& in);
    // A device file without secrets: the MAC, what the request said, the
    // global settings without secrets and the model-wide firmware `offer`.
    Result<Rendered> renderForAnyMac(const DeviceIdentity& id, std::shared_ptr<const std::string> trust,
                                     SettingsMap settings, std::optional<FirmwareOffer> offer);
    // A deleted device's wipe config went out (recorded in its event); its
    // later fetches find an unknown MAC.
    Status wipeDelivered(const std::string& mac, Event& event);
    Result<std::optional<Rendered>> renderWipe(RenderInput& in, const DeviceIdentity& id);
    // The firmware a device's config carries (its target's image), if any.
    Result<std::optional<FirmwareOffer>> firmwareDirective(const std::string& vendor, const std::string& model,
                                                           const Device& device);
    // The firmware a file without secrets carries: what every phone of the
    // model is told (firmware::modelWideDirectiveFor), never a device's own.
    Result<std::optional<FirmwareOffer>> modelWideFirmware(const std::string& vendor,
                                                           const std::string& model);
    std::string keyedHash(const std::string& body) const;
    // An encrypted route's file for a device that has its key: sealed with it.
    std::string seal(const std::string& body, const std::string& key) const;
    // The same route over TFTP without a proof: the device's sealed file
    // when it has its key, else bytes of the same size that no key opens.
    Result<FetchResponse> sealedWithoutProof(const DeviceIdentity& id, const Proofs& proofs, Event& event,
                                             KeptRender& kept);
    // Bytes of a sealed file's size that no key opens, the same for every
    // fetch of the name.
    FetchResponse standIn(const DeviceIdentity& id, Event& event) const;

    // The fetch answered from memory, the store being away (serve_from_memory.cpp).
    // `served_from_memory`: the answer carries kept or re-rendered bytes.
    Result<FetchResponse> fromMemory(const FetchRequest& request, Event& event, bool& served_from_memory);
    // What is kept of a phone served from the store (a 304 included): its
    // vendor, the file, and, when gathered, its credentials as this fetch's
    // writes left them (`delivered`: PhoneProofs::delivered ran; `key_sent`:
    // with the key). `ticket`: StoreFallback::ticket() before the reads.
    void keepServedPhone(uint64_t ticket, const DeviceIdentity& id, const Proofs& proofs, const KeptRender& kept,
                         bool delivered, bool key_sent);
    // A proof from memory that failed: a miss for the sweep guard, as a
    // made-up MAC's is (the store cannot say whether it exists).
    void missFromMemory(const FetchRequest& request, const std::string& mac);
    // A file the kept memory has bytes for, or kUnavailable.
    Result<FetchResponse> keptFile(const DeviceIdentity& id, const std::string& if_none_match, Event& event,
                                   bool& served_from_memory);
    // The model-wide firmware offer last read for `vendor`|`model`, whatever its generation.
    std::optional<std::optional<FirmwareOffer>> lastModelWideFirmware(const std::string& vendor,
                                                                      const std::string& model);
    Result<FetchResponse> staticFile(const FetchRequest& request);
    // firmware_dir's real path ("" when it is missing), looked up again at
    // most once a second: a root that is a link swapped to a new release is
    // followed within a second.
    std::string realFirmwareRoot();
    // The real path of `file` in firmware_dir with its stat (`relative`: the
    // name it resolves to); nullopt when it is missing or a link leads out.
    std::optional<std::string> firmwarePath(const std::string& file, std::string& relative, struct stat& st);
    // `ca.pem`: the certificate phones are given to trust; nullopt when none is.
    std::optional<FetchResponse> trustFile(const FetchRequest& request) const;
    std::shared_ptr<const std::string> trustPem() const {
        return options_.trust ? options_.trust->current() : nullptr;
    }
    Result<FetchResponse> upload(const DeviceIdentity& id, const FetchRequest& request);

    Store& store_;
    const BundleSource& bundles_;
    const policy::Config& policy_;
    EventSink& events_;
    const Hasher& hasher_;
    const Clock& clock_;
    const ConfigGeneration& generation_;
    PhoneProofs& proofs_;
    policy::SweepGuard& sweep_;
    const Cipher& cipher_;
    ServiceOptions options_;
    DeviceResolver resolver_;
    RenderCache cache_;
    StoreFallback fallback_;
    // modelWideFirmware's answers by "vendor|model", for the generation they
    // were read at: a file anyone may fetch costs no store read per fetch.
    struct ModelWide {
        uint64_t generation = 0;
        std::optional<FirmwareOffer> offer;
    };
    struct RealRoot {
        std::string path;
        int64_t checked_us = 0;
    };
    std::mutex real_root_mutex_;
    RealRoot real_root_;
    std::mutex model_wide_mutex_;
    std::map<std::string, ModelWide> model_wide_;
};

}  // namespace prov

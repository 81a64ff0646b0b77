#include "provisioner/service/phone_proofs.h"

#include "provisioner/inventory/inventory.h"
#include "provisioner/policy/digest.h"

namespace prov {

namespace {

// Whether `auth` holds `user`/`password` for this request.
policy::digest::Verdict check(const Hasher& hasher, const ProofKeys& keys, const policy::digest::Authorization& auth,
                              const FetchRequest& request, const std::string& user, const std::string& password,
                              int64_t now) {
    const char* method = request.method == Method::kGet ? "GET" : request.method == Method::kHead ? "HEAD" : "PUT";
    return policy::digest::verify(hasher, auth, method, request.target, keys.realm, user, password,
                                  keys.nonce_secret, now, keys.nonce_lifetime,
                                  /*basic_allowed=*/request.protocol == Protocol::kHttps);
}

}  // namespace

Result<Proofs> PhoneProofs::gather(const FetchRequest& request, const std::string& mac) {
    const int64_t now = clock_.nowSeconds();
    Proofs p;
    std::optional<Device> device;
    std::optional<DeviceCredentials> creds;
    std::optional<PendingWipe> wipe;
    std::vector<StagingWindow> windows;
    std::vector<int64_t> uses;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        device = TRY(tx.getDevice(mac));
        creds = TRY(tx.getCredentials(mac));
        wipe = TRY(tx.getWipe(mac));
        // The same reads for a known and an unknown MAC.
        windows = TRY(tx.windowsCovering(mac, device ? device->label : std::string(), now));
        for (const StagingWindow& w : windows) uses.push_back(TRY(tx.windowUse(w.id, mac)));
        return okStatus();
    }));
    // Only while the MAC is still gone (or back only as an unknown phone
    // asking): a device an admin has added or claimed since is a new one,
    // and the old password must not prove it.
    if (wipe && !creds && (!device || device->state == DeviceState::kUnassigned)) {
        // A deleted device waiting for its wipe proves its MAC with the
        // credentials (and key) it held; they are used up, not first used.
        // Both pairs (and keys) of a rotation it had not acted on, as they
        // stood: which one it holds is read as for a device in the store.
        creds = wipe->credentials;
        p.wipe = true;
    }
    p.known = device.has_value() || p.wipe;
    p.unassigned = device && device->state == DeviceState::kUnassigned;
    checkCredentials(request, creds, p);
    p.credentials_read = true;
    if (p.wipe) {
        // A deleted device's credentials are used up, not first used: no
        // row is left to mark.
        p.first_use_of_credentials = false;
    } else {
        p.credentials = creds;
    }
    if (p.digest || !device || request.protocol == Protocol::kTftp) return p;
    for (size_t i = 0; i < windows.size(); ++i) {
        const StagingWindow& w = windows[i];
        // An installer's window covers only devices an admin vouches for.
        if (w.role == Role::kInstaller && device->origin != "admin") continue;
        if (uses[i] != 0) {
            // The rest of the boot that first used it.
            if (now - uses[i] > keys_.window_grace) continue;
        } else if (w.used >= w.max_devices ||
                   (creds && (creds->delivered_at != 0 || creds->used_at != 0 || creds->key_sent_at != 0 ||
                              !creds->prev_user.empty()))) {
            // Full, or not a first contact: a phone that has its credentials
            // proves itself with them (an admin forgets them to re-enrol it).
            continue;
        }
        p.staging_window = true;
        p.window_id = w.id;
        p.window_first_use = uses[i] == 0;
        break;
    }
    return p;
}

void PhoneProofs::checkCredentials(const FetchRequest& request, const std::optional<DeviceCredentials>& creds,
                                   Proofs& p) const {
    const int64_t now = clock_.nowSeconds();
    bool by_prev_pair = false;
    if (!request.authorization.empty()) {
        // Checked against stand-in credentials when the MAC has none, so a
        // known and an unknown MAC cost the same.
        static const DeviceCredentials kNone{"", "-", "-", "", "", "", "", 0, 0, 0, 0};
        const DeviceCredentials& c = creds ? *creds : kNone;
        auto auth = policy::digest::parse(request.authorization);
        if (auth) {
            using policy::digest::Verdict;
            Verdict v = check(hasher_, keys_, auth.value(), request, c.user, c.password, now);
            if (v == Verdict::kOk && creds) {
                p.digest = true;
                p.first_use_of_credentials = c.used_at == 0;
                p.proven_user = c.user;
            } else if (!c.prev_user.empty()) {
                const Verdict prev = check(hasher_, keys_, auth.value(), request, c.prev_user, c.prev_password, now);
                if (prev == Verdict::kOk) p.digest = by_prev_pair = true;
                if (prev == Verdict::kStale) v = prev;
            }
            p.stale = !p.digest && v == Verdict::kStale && creds;
        }
    }
    if (creds) {
        // The key the phone holds: after a rotation, the previous one until
        // it proves itself with the new pair (which came with the new key).
        const bool old_key = !creds->prev_aes_key.empty() && (by_prev_pair || (!p.digest && creds->used_at == 0));
        p.aes_key = old_key ? creds->prev_aes_key : creds->aes_key;
        p.key_sent = creds->key_sent_at != 0 && p.aes_key.size() == 16;
        p.delivered = creds->delivered_at != 0;
    }
}

Result<bool> PhoneProofs::use(const std::string& mac, const Proofs& p) {
    if (!p.window_first_use && !p.first_use_of_credentials) return true;
    const int64_t now = clock_.nowSeconds();
    bool granted = true;
    TRY(store_.write([&](StoreTx& tx) -> Status {
        if (p.first_use_of_credentials) TRY(tx.credentialsUsed(mac, p.proven_user, now));
        if (p.window_first_use) {
            // Re-checked here: two devices may have raced for the last place.
            const std::optional<StagingWindow> w = TRY(tx.getWindow(p.window_id));
            const bool open = w && w->closed_at == 0 && w->closes_at > now;
            const int64_t used_before = TRY(tx.windowUse(p.window_id, mac));
            if (!open || (used_before == 0 && w->used >= w->max_devices)) {
                granted = false;
                return okStatus();
            }
            if (used_before == 0) TRY(tx.insertWindowUse(p.window_id, mac, now));
        }
        return okStatus();
    }));
    return granted;
}

Result<std::optional<DeviceCredentials>> PhoneProofs::credentials(const std::string& mac) {
    std::optional<DeviceCredentials> out;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        out = TRY(tx.getCredentials(mac));
        return okStatus();
    }));
    if (out) return out;
    TRY(store_.write([&](StoreTx& tx) -> Status {
        out = TRY(tx.getCredentials(mac));  // another fetch may have made them
        if (out) return okStatus();
        if (!TRY(tx.getDevice(mac))) return okStatus();
        DeviceCredentials c = newCredentials(random_, mac, clock_.nowSeconds());
        TRY(tx.putCredentials(c));
        out = std::move(c);
        return okStatus();
    }));
    return out;
}

Status PhoneProofs::delivered(const std::string& mac, bool key_too) {
    return store_.write([&](StoreTx& tx) -> Status {
        TRY(tx.credentialsDelivered(mac, clock_.nowSeconds()));
        if (key_too) TRY(tx.keySent(mac, clock_.nowSeconds()));
        return okStatus();
    });
}

Status PhoneProofs::deliveredOnce(const std::string& mac, bool key_too, uint64_t generation) {
    {
        std::lock_guard<std::mutex> lock(delivered_mutex_);
        auto it = delivered_at_generation_.find(mac);
        if (it != delivered_at_generation_.end() && it->second == generation) return okStatus();
    }
    TRY(delivered(mac, key_too));
    std::lock_guard<std::mutex> lock(delivered_mutex_);
    if (delivered_at_generation_.size() > 100000) delivered_at_generation_.clear();
    delivered_at_generation_[mac] = generation;
    return okStatus();
}

Result<bool> PhoneProofs::anyDevice(const FetchRequest& request) {
    auto auth = policy::digest::parse(request.authorization);
    if (!auth) return false;
    std::optional<DeviceCredentials> creds;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        creds = TRY(tx.credentialsOfUser(auth.value().username));
        return okStatus();
    }));
    if (!creds) return false;
    const bool prev = creds->user != auth.value().username;
    return check(hasher_, keys_, auth.value(), request, prev ? creds->prev_user : creds->user,
                 prev ? creds->prev_password : creds->password, clock_.nowSeconds()) == policy::digest::Verdict::kOk;
}

std::vector<std::string> PhoneProofs::challenges(bool stale) const {
    return policy::digest::challenges(hasher_, keys_.nonce_secret, keys_.realm, clock_.nowSeconds(), stale);
}

}  // namespace prov

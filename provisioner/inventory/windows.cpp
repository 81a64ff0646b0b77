// Staging windows and device credentials: how a phone gets its secrets the
// first time, and how an admin rotates what it proves itself with later.
// See inventory.h.

#include "provisioner/core/mac_address.h"
#include "provisioner/core/time_format.h"
#include "provisioner/inventory/inventory.h"
#include "provisioner/model/json_encode.h"

namespace prov {

namespace {

std::string windowJson(const StagingWindow& w) { return json::stringify(json::toJson(w)); }

}  // namespace

DeviceCredentials newCredentials(RandomSource& random, const std::string& mac, int64_t now) {
    DeviceCredentials c;
    c.mac = mac;
    c.user = random.alnum(12);
    c.password = random.alnum(20);  // Snom takes at most 20
    c.aes_key = random.alnum(16);
    c.created_at = now;
    return c;
}

Result<StagingWindow> Inventory::openWindow(const WindowSpec& spec, const Actor& actor) {
    if (actor.role != Role::kAdmin && actor.role != Role::kInstaller)
        return Error{Code::kPermissionDenied, "forbidden",
                     "the " + std::string(toString(actor.role)) + " role cannot open staging windows", {}, {}};
    FieldErrors errors;
    if (spec.minutes < 1 || spec.minutes > kMaxWindowMinutes)
        errors["minutes"] = "must be an integer from 1 to " + std::to_string(kMaxWindowMinutes);
    if (spec.max_devices < 1 || spec.max_devices > kMaxWindowDevices)
        errors["max_devices"] = "must be an integer from 1 to " + std::to_string(kMaxWindowDevices);
    if (spec.label.empty() == spec.macs.empty())
        errors[spec.label.empty() ? "macs" : "label"] = "give either a site label or a list of MACs, not both";
    if (spec.label.size() > kMaxNameLength) errors["label"] = "must be at most " + std::to_string(kMaxNameLength) + " characters";
    if (spec.macs.size() > static_cast<size_t>(kMaxWindowDevices))
        errors["macs"] = "must list at most " + std::to_string(kMaxWindowDevices) + " MACs";
    std::vector<std::string> macs;
    for (size_t i = 0; i < spec.macs.size() && !errors.count("macs"); ++i) {
        const auto m = MacAddress::parse(spec.macs[i]);
        if (!m) {
            errors["macs"] = "item " + std::to_string(i + 1) + " is not a MAC address";
        } else {
            macs.push_back(m->canonical());
        }
    }
    if (!errors.empty()) return Error::invalid("the staging window is not valid", errors);
    StagingWindow w;
    w.label = spec.label;
    w.macs = std::move(macs);
    w.max_devices = spec.max_devices;
    w.actor = actor.name;
    w.role = actor.role;
    w.opened_at = clock_.nowSeconds();
    w.closes_at = w.opened_at + spec.minutes * 60;
    TRY(writeTx([&](StoreTx& tx) -> Status {
        // An installer opens windows only for devices an admin put in the
        // inventory; one they created waits for an admin's window.
        for (const std::string& mac : w.macs) {
            const std::optional<Device> d = TRY(tx.getDevice(mac));
            if (!d)
                return Error::invalid("the staging window is not valid",
                                      {{"macs", MacAddress::parse(mac)->colons() + " is not in the inventory"}});
            if (actor.role == Role::kInstaller && d->origin != "admin")
                return Error{Code::kPermissionDenied, "forbidden",
                             "the installer role cannot open a window for " + MacAddress::parse(mac)->colons() +
                                 ", which an admin did not add (ask an admin to open it)",
                             {{"macs", MacAddress::parse(mac)->colons() + " was not added by an admin"}}, {}};
        }
        TRY(tx.insertWindow(w));
        return audit(tx, actor, "open", "staging_window", std::to_string(w.id), "", windowJson(w));
    }));
    return w;
}

Result<std::vector<StagingWindow>> Inventory::listWindows(bool open_only) {
    std::vector<StagingWindow> out;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        out = TRY(tx.listWindows(open_only, clock_.nowSeconds(), 1000));
        return okStatus();
    }));
    return out;
}

Result<StagingWindow> Inventory::closeWindow(int64_t id, const Actor& actor) {
    StagingWindow closed;
    TRY(writeTx([&](StoreTx& tx) -> Status {
        const std::optional<StagingWindow> w = TRY(tx.getWindow(id));
        if (!w) return Error::notFound("no staging window " + std::to_string(id));
        if (actor.role == Role::kInstaller && w->role != Role::kInstaller)
            return Error{Code::kPermissionDenied, "forbidden", "the installer role cannot close an admin's window",
                         {}, {}};
        if (actor.role == Role::kViewer)
            return Error{Code::kPermissionDenied, "forbidden", "the viewer role cannot close staging windows", {}, {}};
        const int64_t now = clock_.nowSeconds();
        if (w->closed_at == 0 && w->closes_at > now) {
            TRY(tx.closeWindow(id, now));
            TRY(audit(tx, actor, "close", "staging_window", std::to_string(id), windowJson(*w), ""));
        }
        StagingWindow after = *w;
        if (after.closed_at == 0 && after.closes_at > now) after.closed_at = now;
        closed = std::move(after);
        return okStatus();
    }));
    return closed;
}

Result<DeviceCredentials> Inventory::rotateCredentials(const std::string& mac, const Actor& actor) {
    DeviceCredentials next;
    TRY(writeTx([&](StoreTx& tx) -> Status {
        if (!TRY(tx.getDevice(mac))) return Error::notFound("no device with MAC " + MacAddress::parse(mac)->colons());
        const std::optional<DeviceCredentials> cur = TRY(tx.getCredentials(mac));
        next = newCredentials(random_, mac, clock_.nowSeconds());
        if (cur) {
            // The phone holds the last pair (and key) it was sent; until it
            // fetches with the new ones, that pair still opens its files and
            // its config is sealed with that key.
            const bool current_out = cur->delivered_at != 0 || cur->used_at != 0 || cur->prev_user.empty();
            next.prev_user = current_out ? cur->user : cur->prev_user;
            next.prev_password = current_out ? cur->password : cur->prev_password;
            next.prev_aes_key = current_out || cur->prev_aes_key.empty() ? cur->aes_key : cur->prev_aes_key;
            next.key_sent_at = cur->key_sent_at;
            // A phone that never fetched with its credentials (TFTP only)
            // could not tell which key a sealed file is in: it keeps its key.
            if (cur->used_at == 0) {
                next.aes_key = cur->aes_key;
                next.prev_aes_key = cur->prev_aes_key;
            }
        }
        TRY(tx.putCredentials(next));
        return audit(tx, actor, "rotate", "device_credentials", mac, "", "");
    }));
    return next;
}

Status Inventory::forgetCredentials(const std::string& mac, const Actor& actor) {
    return writeTx([&](StoreTx& tx) -> Status {
        if (!TRY(tx.getDevice(mac))) return Error::notFound("no device with MAC " + MacAddress::parse(mac)->colons());
        TRY(tx.deleteCredentials(mac));
        return audit(tx, actor, "forget", "device_credentials", mac, "", "");
    });
}

Result<std::optional<DeviceCredentials>> Inventory::deviceCredentials(const std::string& mac) {
    std::optional<DeviceCredentials> out;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        if (!TRY(tx.getDevice(mac))) return Error::notFound("no device with MAC " + MacAddress::parse(mac)->colons());
        out = TRY(tx.getCredentials(mac));
        return okStatus();
    }));
    return out;
}

}  // namespace prov

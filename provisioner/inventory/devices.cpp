// Device inventory rules. See inventory.h.

#include "provisioner/core/mac_address.h"
#include "provisioner/inventory/inventory.h"
#include "provisioner/inventory/key_fit.h"
#include "provisioner/model/json_encode.h"

namespace prov {

namespace {

std::string deviceJson(const Device& d) { return json::stringify(json::toJson(d)); }

// A softphone vendor's make (vendor.json "softphone") names no device: its
// extensions keep make and model themselves, with no mac, and the import
// refuses such a make on a row with a mac, so a device made with one would
// not come back from its own export.
void checkNotSoftphone(const ModelCatalog& models, const Device& d, FieldErrors& errors) {
    if (d.make.empty() || !models.isSoftphone(d.make) || errors.count("make")) return;
    errors["make"] = models.findMake(d.make) +
                     " is a softphone, which has no device: set it on the extension (phone_make), with no mac";
}

}  // namespace

Result<Device> Inventory::createDevice(Device d, const Actor& actor) {
    FieldErrors errors;
    validateDevice(d, errors);
    checkNotSoftphone(models_, d, errors);
    checkExpansion(models_, d, errors);
    if (!errors.empty()) return Error::invalid("some fields are not valid", errors);
    d.origin = actor.role == Role::kInstaller ? "installer" : "admin";
    Status st = writeTx([&](StoreTx& tx) -> Status {
        const std::optional<Device> existing = TRY(tx.getDevice(d.mac));
        if (existing)
            return Error{Code::kAlreadyExists, "duplicate",
                         "device " + MacAddress::parse(d.mac)->colons() + " already exists",
                         {{"mac", "is already in the inventory"}}, {}};
        TRY(tx.insertDevice(d));
        return audit(tx, actor, "create", "device", d.mac, "", deviceJson(d));
    });
    if (!st) return st.error();
    return d;
}

Result<Device> Inventory::getDevice(const std::string& mac) {
    std::optional<Device> found;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        found = TRY(tx.getDevice(mac));
        return okStatus();
    }));
    if (!found) return Error::notFound("no device with MAC " + MacAddress::parse(mac)->colons());
    return *found;
}

Result<Listing<Device>> Inventory::listDevices(const DeviceFilter& filter, Page page) {
    Listing<Device> out;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        out = TRY(tx.listDevices(filter, page));
        return okStatus();
    }));
    return out;
}

Result<Device> Inventory::editDevice(const std::string& mac, const DeviceEdit& edit, const Actor& actor) {
    Device next;
    TRY(writeTx([&](StoreTx& tx) -> Status {
        const std::optional<Device> cur = TRY(tx.getDevice(mac));
        if (!cur) return Error::notFound("no device with MAC " + MacAddress::parse(mac)->colons());
        const Device before = *cur;
        next = before;
        FieldErrors errors;
        std::optional<int64_t> version;
        edit(next, errors, version);
        if (next.mac != before.mac) errors["mac"] = "cannot be changed; create a new device";
        validateDevice(next, errors);
        // One stored before this was refused keeps its make through other edits.
        if (next.make != before.make) checkNotSoftphone(models_, next, errors);
        checkExpansion(models_, next, errors);
        if (!errors.empty()) return Error::invalid("some fields are not valid", errors);
        if (version && *version != before.version) {
            return Error::conflict("version_conflict",
                                   "device is at version " + std::to_string(before.version) + ", not " +
                                       std::to_string(*version) + ": reload it and apply your change again");
        }
        // A new model must still hold every line bound to it.
        if (auto model = models_.findModel(next.make, next.model)) {
            for (const Extension& e : TRY(tx.extensionsOnDevice(mac))) {
                if (e.phone_reg > model->lines) {
                    return Error::invalid(
                        "some fields are not valid",
                        {{"model", "a " + model->vendor_name + " " + model->model + " has " +
                                       std::to_string(model->lines) + " lines but extension " +
                                       e.extension + " is on line " + std::to_string(e.phone_reg)}});
                }
            }
        }
        // Another make must be able to write every line and key on the phone.
        if (next.make != before.make || next.model != before.model) {
            const std::string unwritable = TRY(unwritableOnDevice(tx, models_, mac, next.make, next.model));
            if (!unwritable.empty())
                return Error::invalid("some fields are not valid",
                                      {{next.make != before.make ? "make" : "model", unwritable + ": change it first"}});
        }
        // Fewer keys (another model, fewer modules) must still hold every button on the phone.
        const bool model_changed = next.make != before.make || next.model != before.model;
        const bool modules_changed =
            next.expansion_model != before.expansion_model || next.expansion_count != before.expansion_count;
        if (model_changed || modules_changed) {
            if (auto keys = deviceKeys(models_, next)) {
                const std::string past = buttonsPastKeys(TRY(buttonsOnDevice(tx, mac)), *keys);
                if (!past.empty()) {
                    const char* field = model_changed ? "model"
                                        : next.expansion_count != before.expansion_count ? "expansion_count"
                                                                                         : "expansion_model";
                    return Error::invalid("some fields are not valid", {{field, past}});
                }
            }
        }
        TRY(tx.updateDevice(next));
        if (model_changed || modules_changed || next.serial != before.serial || next.label != before.label)
            TRY(configChanged(tx, mac));
        return audit(tx, actor, "update", "device", mac, deviceJson(before), deviceJson(next));
    }));
    return next;
}

Result<std::vector<StagingEntry>> Inventory::staging(const std::string& site) {
    std::vector<StagingEntry> out;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        DeviceFilter f;
        f.label = site;
        Listing<Device> devices = TRY(tx.listDevices(f, Page{int64_t{1} << 40, 0}));
        for (Device& d : devices.items) {
            StagingEntry entry;
            for (const Extension& e : TRY(tx.extensionsOnDevice(d.mac))) entry.extensions.push_back(e.extension);
            entry.device = std::move(d);
            out.push_back(std::move(entry));
        }
        return okStatus();
    }));
    return out;
}

Status Inventory::deleteDevice(const std::string& mac, bool force, const Actor& actor) {
    return writeTx([&](StoreTx& tx) -> Status {
        const std::optional<Device> cur = TRY(tx.getDevice(mac));
        if (!cur) return Error::notFound("no device with MAC " + MacAddress::parse(mac)->colons());
        const std::vector<Extension> bound = TRY(tx.extensionsOnDevice(mac));
        if (!bound.empty() && !force) {
            std::vector<std::string> refs;
            for (const Extension& e : bound)
                refs.push_back("extension " + e.extension + " is on line " + std::to_string(e.phone_reg));
            return Error{Code::kConflict, "device_in_use",
                         "the device still carries extensions; delete with ?force=true to unbind them",
                         {}, refs};
        }
        // Forced: the extensions stay, unbound from the phone that is going away.
        for (Extension e : bound) {
            const Extension before = e;
            e.mac.clear();
            e.phone_reg = 0;
            // Read through the device (COALESCE(d.make, e.phone_make)): the
            // store would keep them on the extension, as a softphone's.
            e.phone_make.clear();
            e.phone_model.clear();
            TRY(tx.updateExtension(e));
            TRY(audit(tx, actor, "unbind", "extension", e.extension, auditJson(before, nullptr),
                      auditJson(e, &before)));
        }
        // A phone that was given accounts keeps them until told otherwise:
        // its next fetch gets a wipe config, proved with the credentials it
        // holds now. One that never got a config has nothing to wipe.
        const std::optional<DeviceCredentials> creds = TRY(tx.getCredentials(mac));
        // After a rotation the new pair may not have gone out yet while the
        // previous one did: the phone holds that one (kept in the wipe).
        if (creds && (creds->delivered_at != 0 || creds->key_sent_at != 0 || creds->used_at != 0 ||
                      !creds->prev_user.empty())) {
            TRY(tx.putWipe(PendingWipe{mac, cur->make, cur->model, *creds, clock_.nowSeconds(), 0}));
        }
        TRY(tx.deleteDevice(mac));
        return audit(tx, actor, force ? "delete_forced" : "delete", "device", mac, deviceJson(*cur), "");
    });
}

}  // namespace prov

// Device inventory rules. See inventory.h.

#include "provisioner/core/mac_address.h"
#include "provisioner/inventory/inventory.h"
#include "provisioner/model/json_encode.h"

namespace prov {

namespace {

std::string deviceJson(const Device& d) { return json::stringify(json::toJson(d)); }

}  // namespace

Result<Device> Inventory::createDevice(Device d, const Actor& actor) {
    FieldErrors errors;
    validateDevice(d, errors);
    if (!errors.empty()) return Error::invalid("some fields are not valid", errors);
    Status st = writeTx([&](StoreTx& tx) -> Status {
        auto existing = tx.getDevice(d.mac);
        if (!existing) return existing.error();
        if (existing.value())
            return Error{Code::kAlreadyExists, "duplicate",
                         "device " + MacAddress::parse(d.mac)->colons() + " already exists",
                         {{"mac", "is already in the inventory"}}, {}};
        if (auto ins = tx.insertDevice(d); !ins) return ins;
        return audit(tx, actor, "create", "device", d.mac, "", deviceJson(d));
    });
    if (!st) return st.error();
    return d;
}

Result<Device> Inventory::getDevice(const std::string& mac) {
    std::optional<Device> found;
    Status st = store_.read([&](StoreTx& tx) -> Status {
        auto d = tx.getDevice(mac);
        if (!d) return d.error();
        found = d.value();
        return okStatus();
    });
    if (!st) return st.error();
    if (!found) return Error::notFound("no device with MAC " + MacAddress::parse(mac)->colons());
    return *found;
}

Result<Listing<Device>> Inventory::listDevices(const DeviceFilter& filter, Page page) {
    Listing<Device> out;
    Status st = store_.read([&](StoreTx& tx) -> Status {
        auto l = tx.listDevices(filter, page);
        if (!l) return l.error();
        out = std::move(l).value();
        return okStatus();
    });
    if (!st) return st.error();
    return out;
}

Result<Device> Inventory::editDevice(const std::string& mac, const DeviceEdit& edit, const Actor& actor) {
    Device next;
    Status st = writeTx([&](StoreTx& tx) -> Status {
        auto cur = tx.getDevice(mac);
        if (!cur) return cur.error();
        if (!cur.value()) return Error::notFound("no device with MAC " + MacAddress::parse(mac)->colons());
        const Device before = *cur.value();
        next = before;
        FieldErrors errors;
        std::optional<int64_t> version;
        edit(next, errors, version);
        if (next.mac != before.mac) errors["mac"] = "cannot be changed; create a new device";
        validateDevice(next, errors);
        if (!errors.empty()) return Error::invalid("some fields are not valid", errors);
        if (version && *version != before.version) {
            return Error::conflict("version_conflict",
                                   "device is at version " + std::to_string(before.version) + ", not " +
                                       std::to_string(*version) + ": reload it and apply your change again");
        }
        // A new model must still hold every line bound to it.
        if (auto model = models_.findModel(next.make, next.model)) {
            auto bound = tx.extensionsOnDevice(mac);
            if (!bound) return bound.error();
            for (const Extension& e : bound.value()) {
                if (e.phone_reg > model->lines) {
                    return Error::invalid(
                        "some fields are not valid",
                        {{"model", "a " + model->vendor_name + " " + model->model + " has " +
                                       std::to_string(model->lines) + " lines but extension " +
                                       e.extension + " is on line " + std::to_string(e.phone_reg)}});
                }
            }
        }
        if (auto up = tx.updateDevice(next); !up) return up;
        if (next.make != before.make || next.model != before.model || next.serial != before.serial ||
            next.label != before.label) {
            if (auto stale = configChanged(tx, mac); !stale) return stale;
        }
        return audit(tx, actor, "update", "device", mac, deviceJson(before), deviceJson(next));
    });
    if (!st) return st.error();
    return next;
}

Result<std::vector<StagingEntry>> Inventory::staging(const std::string& site) {
    std::vector<StagingEntry> out;
    Status st = store_.read([&](StoreTx& tx) -> Status {
        DeviceFilter f;
        f.label = site;
        auto l = tx.listDevices(f, Page{int64_t{1} << 40, 0});
        if (!l) return l.error();
        for (Device& d : l.value().items) {
            StagingEntry entry;
            auto lines = tx.extensionsOnDevice(d.mac);
            if (!lines) return lines.error();
            for (const Extension& e : lines.value()) entry.extensions.push_back(e.extension);
            entry.device = std::move(d);
            out.push_back(std::move(entry));
        }
        return okStatus();
    });
    if (!st) return st.error();
    return out;
}

Status Inventory::deleteDevice(const std::string& mac, bool force, const Actor& actor) {
    return writeTx([&](StoreTx& tx) -> Status {
        auto cur = tx.getDevice(mac);
        if (!cur) return cur.error();
        if (!cur.value()) return Error::notFound("no device with MAC " + MacAddress::parse(mac)->colons());
        auto bound = tx.extensionsOnDevice(mac);
        if (!bound) return bound.error();
        if (!bound.value().empty() && !force) {
            std::vector<std::string> refs;
            for (const Extension& e : bound.value())
                refs.push_back("extension " + e.extension + " is on line " + std::to_string(e.phone_reg));
            return Error{Code::kConflict, "device_in_use",
                         "the device still carries extensions; delete with ?force=true to unbind them",
                         {}, refs};
        }
        // Forced: the extensions stay, unbound from the phone that is going away.
        for (Extension e : bound.value()) {
            const Extension before = e;
            e.mac.clear();
            e.phone_reg = 0;
            if (auto up = tx.updateExtension(e); !up) return up;
            if (auto a = audit(tx, actor, "unbind", "extension", e.extension, auditJson(before, nullptr),
                               auditJson(e, &before));
                !a)
                return a;
        }
        if (auto del = tx.deleteDevice(mac); !del) return del;
        return audit(tx, actor, force ? "delete_forced" : "delete", "device", mac,
                     deviceJson(*cur.value()), "");
    });
}

}  // namespace prov

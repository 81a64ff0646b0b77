// Resync pushes on demand: the API and the CLI only queue devices in the
// store; the server's dispatcher (resync/dispatcher.h) sends the pushes, from
// any process's queue. See inventory.h.

#include "provisioner/inventory/inventory.h"
#include "provisioner/model/json_encode.h"

namespace prov {

Result<int64_t> Inventory::queueResync(const ResyncTarget& target, const Actor& actor) {
    if (actor.role != Role::kAdmin)
        return Error{Code::kPermissionDenied,
                     "forbidden",
                     "the " + std::string(toString(actor.role)) + " role cannot push resyncs",
                     {},
                     {}};
    const int kinds = !target.mac.empty() + !target.site.empty() + target.all;
    if (kinds != 1) {
        const char* field = target.site.empty() ? "all" : "site";
        return Error::invalid("name one device, one site or all",
                              {{field, "give exactly one of mac, site or all"}});
    }
    int64_t queued = 0;
    TRY(writeTx([&](StoreTx& tx) -> Status {
        if (!target.mac.empty()) {
            const auto d = TRY(tx.getDevice(target.mac));
            if (!d) return Error::notFound("no device " + target.mac);
            if (d->state == DeviceState::kUnassigned)
                return Error::conflict(
                    "unassigned",
                    "device " + target.mac + " is not in the inventory (unassigned): add it first");
        }
        queued = TRY(tx.queueResync(target.mac, target.site, clock_.nowSeconds()));
        auto after = json::newObject();
        after->set("queued", queued);
        const std::string id = !target.mac.empty()    ? target.mac
                               : !target.site.empty() ? "site:" + target.site
                                                      : "*";
        return audit(tx, actor, "resync", "device", id, "", json::stringify(after));
    }));
    return queued;
}

Result<std::vector<ResyncPush>> Inventory::listPushes(const std::string& mac, int64_t limit) {
    std::vector<ResyncPush> out;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        out = TRY(tx.listPushes(mac, limit));
        return okStatus();
    }));
    return out;
}

}  // namespace prov

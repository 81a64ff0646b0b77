#include "provisioner/service/event_recorder.h"

#include <Poco/Logger.h>

#include "provisioner/core/text.h"
#include "provisioner/inventory/staging.h"
#include "provisioner/service/firmware_status.h"

#include <map>
#include <unordered_map>

namespace prov {

EventRecorder::EventRecorder(Store& store, RandomSource& random, EventRecorderOptions options,
                             std::unique_ptr<EventSpool> spool)
    : store_(store), random_(random), options_(options), spool_(std::move(spool)), writer_([this] { run(); }) {}

EventRecorder::~EventRecorder() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    writer_.join();
}

void EventRecorder::record(Event event) {
    {
        std::lock_guard lock(mutex_);
        if (queue_.size() >= options_.max_queue) {
            ++dropped_;  // the store is far behind: keep serving phones
            return;
        }
        queue_.push_back(std::move(event));
        ++queued_total_;
        // The writer sleeps until the first event and then gathers a batch:
        // wake it only for those two, not for every fetch of a boot storm.
        if (queue_.size() != 1 && queue_.size() != options_.batch) return;
    }
    wake_.notify_one();
}

void EventRecorder::flush() {
    std::unique_lock lock(mutex_);
    const uint64_t target = queued_total_;
    ++flushes_wanted_;
    wake_.notify_one();
    drained_.wait(lock, [&] { return stored_total_ >= target || stopping_; });
}

Status EventRecorder::store(const EventBatch& whole) {
    const std::vector<Event>& batch = whole.events;
    return store_.write([&](StoreTx& tx) -> Status {
        // Stored before (its commit's answer lost, or its spool file
        // replayed after a crash): nothing of it is done twice.
        if (!TRY(tx.addEventBatch(whole.id))) return okStatus();
        TRY(tx.insertEvents(batch));
        // One last-seen update per device per batch: the latest fetch wins,
        // and the last served one sets the file and hash.
        std::unordered_map<std::string, const Event*> latest;
        for (const Event& e : batch) {
            if (!e.mac.empty()) latest[e.mac] = &e;
        }
        std::optional<int64_t> room;  // unassigned devices that may still be added, counted once per batch
        for (const Event& e : batch) {
            if (e.mac.empty() || latest[e.mac] != &e) continue;
            const bool served = e.outcome == "served";
            const bool found = TRY(tx.touchDevice(e.mac, e.at, e.peer_ip, e.user_agent, e.firmware, e.path,
                                                  e.config_hash, served && !e.config_hash.empty()));
            if (!found) TRY(discover(tx, e, room));
        }
        // Staging: the deliveries of each device's own config files, taken
        // together per (device, file) so a phone that fetches the same file
        // a hundred times in a batch costs one read and one write.
        std::map<std::pair<std::string, std::string>, std::vector<const Event*>> deliveries;
        for (const Event& e : batch) {
            if (!e.device_config || e.outcome != "served" || e.config_hash.empty() || e.mac.empty()) continue;
            deliveries[{e.mac, e.path}].push_back(&e);
        }
        for (const auto& [key, events] : deliveries) {
            TRY(advance(tx, events));
        }
        // Firmware: the fetches of the file that carries its keys, in order, per device.
        std::map<std::string, std::vector<const Event*>> firmware;
        for (const Event& e : batch) {
            if (e.device_config && e.fw_file && e.outcome == "served" && !e.mac.empty())
                firmware[e.mac].push_back(&e);
        }
        for (const auto& [mac, events] : firmware) {
            TRY(followFirmware(tx, events));
        }
        return okStatus();
    });
}

Status EventRecorder::discover(StoreTx& tx, const Event& e, std::optional<int64_t>& room) {
    if (!room) {
        DeviceFilter unassigned;
        unassigned.state = DeviceState::kUnassigned;
        room = static_cast<int64_t>(options_.max_unassigned) - TRY(tx.listDevices(unassigned, Page{0, 0})).total;
    }
    if (*room <= 0) {
        if (!full_logged_) {
            full_logged_ = true;
            Poco::Logger::get("events").warning(
                "%z unassigned devices are recorded (devices.max_unassigned): phones not in the store are not "
                "added until some are claimed or deleted",
                options_.max_unassigned);
        }
        return okStatus();
    }
    if (options_.may_record_unknown && !options_.may_record_unknown(e.peer_ip)) return okStatus();
    --*room;
    full_logged_ = false;
    Device d;
    d.mac = e.mac;
    d.make = e.vendor;
    d.model = e.model;
    d.state = DeviceState::kUnassigned;
    d.origin = "phone";
    TRY(tx.insertDevice(d));
    TRY(tx.touchDevice(e.mac, e.at, e.peer_ip, e.user_agent, e.firmware, e.path, "", false));
    return okStatus();
}

// A resync push's progress (issue 14), moved by the fetches that follow it:
// the first delivery of the device's config after a push shows the phone
// answered it (refetched); a redelivery then shows it kept those bytes
// (applied, as staging's applied).
namespace {
std::string resyncAfter(const std::string& resync, bool redelivered) {
    if (resync == "pushed") return "refetched";
    if (resync == "refetched" && redelivered) return "applied";
    return resync;
}
}  // namespace

Status EventRecorder::advance(StoreTx& tx, const std::vector<const Event*>& events) {
    const Event& first = *events.front();
    const std::optional<Device> device = TRY(tx.getDevice(first.mac));
    if (!device || device->state == DeviceState::kUnassigned) return okStatus();
    const std::optional<std::string> stored = TRY(tx.servedHash(first.mac, first.path));
    std::optional<std::string> last = stored;
    DeviceState state = device->state;
    std::string resync = device->resync;
    for (const Event* e : events) {
        // The phone already had these bytes: it answered our ETag, or it came
        // back and got the same config as last time.
        const bool had = e->not_modified || (last && *last == e->config_hash);
        state = staging::next(state, had ? staging::Input::kRedelivered : staging::Input::kDelivered);
        resync = resyncAfter(resync, had);
        last = e->config_hash;
    }
    if (state != device->state) TRY(tx.setDeviceState(first.mac, state));
    if (resync != device->resync) TRY(tx.setResyncState(first.mac, resync, events.back()->at));
    if (stored == last) return okStatus();
    return tx.putServedHash(first.mac, first.path, *last, events.back()->at);
}

size_t EventRecorder::queued() {
    std::lock_guard lock(mutex_);
    return queue_.size();
}

// One read and at most one write per device and batch.
Status EventRecorder::followFirmware(StoreTx& tx, const std::vector<const Event*>& events) {
    const std::optional<FirmwareProgress> stored = TRY(tx.getFirmwareProgress(events.front()->mac));
    if (!stored) return okStatus();
    FirmwareProgress p = *stored;
    for (const Event* e : events) p = nextFirmwareProgress(p, *e, options_.firmware_failed_after);
    if (p.target == stored->target && p.status == stored->status && p.told_at == stored->told_at &&
        p.misses == stored->misses)
        return okStatus();
    if (p.status == "failed" && stored->status != "failed") {
        Poco::Logger::get("provisioner")
            .warning("firmware: %s still reports %s after %d fetches told to upgrade to %s", events.back()->mac,
                     text::forLog(events.back()->firmware), p.misses, p.target);
    }
    return tx.putFirmwareProgress(events.front()->mac, p);
}

}  // namespace prov

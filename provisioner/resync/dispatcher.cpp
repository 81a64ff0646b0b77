// The dispatcher's thread: scan the queue, start pushes as tokens allow,
// then one poll over the NOTIFY socket, the hooks' output and the wake-up
// eventfd, bounded by the next timer; then responses, timers and outcomes.

#include "provisioner/resync/dispatcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <exception>
#include <thread>
#include <cstring>
#include <vector>

#include "provisioner/core/text.h"
#include "provisioner/resync/dispatcher_push.h"

namespace prov::resync {

namespace {

// Devices taken from the store's queue beyond those already under way.
constexpr size_t kBatch = 256;
// A running hook's exit is looked for this often (its output may stay open
// in a child it left behind).
constexpr int64_t kHookPollUs = 20'000;

std::string hostPort(const std::string& ip, int port) {
    return (ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
}

// resync_pushes.result -> events.outcome (whose CHECK has four values).
std::string eventOutcome(const std::string& result) {
    if (result == "ok") return "served";
    if (result == "challenged" || result == "rejected") return "denied";
    return "error";
}

}  // namespace

Dispatcher::Dispatcher(Store& store, const Clock& clock, RandomSource& random, const Hasher& hasher,
                       VendorEvents vendors, DispatcherOptions options)
    : store_(store),
      clock_(clock),
      random_(random),
      hasher_(hasher),
      vendors_(std::move(vendors)),
      options_(std::move(options)),
      bucket_(options_.rate, 1, clock.monotonicMicros()) {}

Dispatcher::~Dispatcher() {
    stop();
    if (socket_ >= 0) ::close(socket_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
}

Status Dispatcher::start() {
    if (options_.route == Route::kNotify) {
        socket_ = TRY(net::bindSocket("resync", options_.bind, options_.port, SOCK_DGRAM, false));
        port_ = net::boundPort(socket_);
    }
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0)
        return Error::internal(std::string("resync: eventfd: ") + std::strerror(errno));
    thread_ = std::thread([this] { run(); });
    return okStatus();
}

void Dispatcher::wake() {
    woken_ = true;
    if (wake_fd_ >= 0) {
        const uint64_t one = 1;
        (void)!::write(wake_fd_, &one, sizeof one);
    }
}

void Dispatcher::stop() {
    if (!thread_.joinable()) return;
    stopping_ = true;
    wake();
    thread_.join();
    in_flight_.clear();  // kills hooks still running
    by_branch_.clear();
}

namespace {
constexpr size_t kMaxDetail = 200;
}  // namespace

void Dispatcher::run() {
    int64_t next_scan = 0;
    while (!stopping_) {
        try {
            turn(next_scan);
        } catch (const std::exception& e) {
            // Never the server's end: log, breathe, go on.
            resyncLog().error("resync: %s", std::string(e.what()));
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    }
}

void Dispatcher::turn(int64_t& next_scan) {
    {
        int64_t now = clock_.monotonicMicros();
        if (woken_.exchange(false) || now >= next_scan) {
            if (leading()) scan();
            next_scan = clock_.monotonicMicros() + options_.scan_interval_ms * 1000;
        }
        if (leading()) launch(now);
        waitForWork(now, next_scan);
        now = clock_.monotonicMicros();
        receive(now);
        tick(now);
        finishDone(now);
    }
}

// Devices taken but not started stay queued in the store: on losing the
// lead they are forgotten here, for the new leader to take.
bool Dispatcher::leading() {
    if (!options_.leads || options_.leads()) return true;
    for (const Device& d : pending_) known_.erase(d.mac);
    pending_.clear();
    return false;
}

void Dispatcher::scan() {
    const int64_t now = clock_.nowSeconds();
    const size_t room = pending_.size() < kBatch ? kBatch - pending_.size() : 0;
    std::vector<Device> next;
    Status st = store_.write([&](StoreTx& tx) -> Status {
        TRY(tx.queueStaleResyncs(now, now - options_.retry_after_seconds));
        if (room) next = TRY(tx.nextResync(static_cast<int64_t>(known_.size() + room)));
        return okStatus();
    });
    if (!st) {
        // A store held by a long import: the queue waits for the next scan.
        if (st.error().code == Code::kUnavailable)
            resyncLog().debug("resync: store busy, queue not read: %s", st.error().message);
        else
            resyncLog().error("resync: cannot read the queue: %s", st.error().message);
        return;
    }
    for (Device& d : next) {
        if (known_.insert(d.mac).second) pending_.push_back(std::move(d));
    }
}

void Dispatcher::launch(int64_t now_us) {
    // Bounded by pending_: every pass takes one device off it.
    while (!pending_.empty() && in_flight_.size() < options_.max_in_flight &&
           bucket_.available(now_us)) {
        const Device d = std::move(pending_.front());
        pending_.pop_front();
        begin(d, now_us);
    }
}

void Dispatcher::begin(const Device& queued, int64_t now_us) {
    std::optional<Device> device;
    std::vector<Extension> lines;
    Status st = store_.read([&](StoreTx& tx) -> Status {
        device = TRY(tx.getDevice(queued.mac));
        lines = TRY(tx.extensionsOnDevice(queued.mac));
        return okStatus();
    });
    // Deleted, pushed by another node, or unreadable now: the next scan sees it again.
    if (!st || !device || device->resync != "queued") {
        if (!st)
            resyncLog().warning("resync: cannot read device %s: %s", queued.mac,
                                st.error().message);
        known_.erase(queued.mac);
        return;
    }
    auto push = std::make_unique<Push>();
    Push& p = *push;
    p.device = *device;
    p.started_us = now_us;
    const std::optional<VendorEvent> vendor = vendors_ ? vendors_(device->make) : std::nullopt;
    p.vendor = vendor ? vendor->vendor : text::toLower(device->make);
    const PushPlan plan = planPush(options_.route, options_.hook.has_value(), lines);
    ResyncPush& r = p.record;
    r.mac = device->mac;
    r.event = vendor ? vendor->event : "check-sync";
    r.route = plan.way == PushPlan::Way::kHook ? "hook" : "notify";
    r.queued_at = clock_.nowSeconds();
    if (plan.line) {
        r.extension = plan.line->extension;
        r.target = hostPort(plan.line->ip, plan.line->port);
        p.ip = plan.line->ip;
    }
    // Taken: queued -> pushed, before anything is sent, so that a fetch the
    // push brings (or one of the phone's own) moves it on, and a request
    // made meanwhile is not lost to this push's outcome.
    p.claimed_at = clock_.nowSeconds();
    bool claimed = false;
    if (plan.way != PushPlan::Way::kSkip) r.sent_at = p.claimed_at;
    if (auto w = store_.write([&](StoreTx& tx) -> Status {
            claimed = TRY(tx.claimResync(r.mac, p.claimed_at));
            // The row shows the push under way (GET .../resync) until its outcome.
            if (claimed && plan.way != PushPlan::Way::kSkip) TRY(tx.recordPush(r));
            return okStatus();
        });
        !w || !claimed) {
        if (!w) resyncLog().warning("resync: cannot take the push to %s: %s", r.mac, w.error().message);
        known_.erase(r.mac);
        return;
    }
    if (plan.way == PushPlan::Way::kSkip) {
        finish(p, PushResult::kSkipped, 0, 0, plan.detail, now_us);
        record(p);
        known_.erase(r.mac);
        return;
    }
    // Charged at the moment it goes out (after the store's work), so that
    // pushes leave at most resync.rate a second however long the store took.
    now_us = clock_.monotonicMicros();
    p.started_us = now_us;
    (void)bucket_.tryTake(now_us);
    if (plan.way == PushPlan::Way::kHook) {
        startHook(p, plan);
    } else if (Status sent = sendNotify(p, *plan.line, now_us); !sent) {
        finish(p, PushResult::kError, 0, 0, sent.error().message, now_us);
    }
    in_flight_[r.mac] = std::move(push);
}

void Dispatcher::startHook(Push& p, const PushPlan& plan) {
    const Extension& line = *plan.line;
    HookValues v;
    v.mac = p.record.mac;
    v.extension = line.extension;
    v.ip = line.ip;
    v.port = std::to_string(line.port);
    v.transport = line.reg_transport;
    v.event = p.record.event;
    v.vendor = p.vendor;
    v.site = p.device.label;
    auto process = HookProcess::spawn(hookArguments(*options_.hook, v));
    if (!process) {
        finish(p, PushResult::kError, 0, 1, process.error().message, p.started_us);
        return;
    }
    p.hook.emplace(std::move(process).value());
    p.hook_deadline_us = p.started_us + options_.hook_timeout_ms * 1000;
}

void Dispatcher::waitForWork(int64_t now_us, int64_t next_scan_us) {
    int64_t deadline = next_scan_us;
    std::vector<pollfd> fds;
    fds.push_back({wake_fd_, POLLIN, 0});
    if (socket_ >= 0) fds.push_back({socket_, POLLIN, 0});
    for (const auto& [mac, p] : in_flight_) {
        if (p->done) deadline = now_us;
        if (p->notify && !p->notify->done()) deadline = std::min(deadline, p->notify->deadline());
        if (p->notify && p->notify->done()) deadline = now_us;
        if (p->hook) {
            deadline = std::min({deadline, p->hook_deadline_us, now_us + kHookPollUs});
            if (p->hook->outputFd() >= 0) fds.push_back({p->hook->outputFd(), POLLIN, 0});
        }
    }
    if (!pending_.empty() && in_flight_.size() < options_.max_in_flight)
        deadline = std::min(deadline, now_us + bucket_.waitUs(now_us));
    const int64_t wait_ms = std::clamp<int64_t>((deadline - now_us + 999) / 1000, 0, 1000);
    if (::poll(fds.data(), fds.size(), static_cast<int>(wait_ms)) <= 0) return;
    if (fds[0].revents & POLLIN) {
        uint64_t count = 0;
        (void)!::read(wake_fd_, &count, sizeof count);
    }
}

void Dispatcher::tick(int64_t now_us) {
    for (auto& [mac, pp] : in_flight_) {
        Push& p = *pp;
        if (p.done) continue;
        if (p.notify && !p.notify->done() && now_us >= p.notify->deadline()) {
            if (auto again = p.notify->onTimer(now_us)) sendTo(p, *again);
        }
        if (p.hook) {
            p.hook->readOutput();
            const bool exited = p.hook->poll();
            const bool late = !exited && now_us >= p.hook_deadline_us;
            if (late) p.hook->kill();
            if (exited || late) {
                p.hook->readOutput();
                const HookRun run = hookResult(*p.hook, late, options_.hook_timeout_ms);
                finish(p,
                       run.ok() ? PushResult::kOk
                       : late   ? PushResult::kTimeout
                                : PushResult::kError,
                       0, 1, run.detail, now_us);
                p.hook.reset();
            }
        }
    }
}

void Dispatcher::finish(Push& p, PushResult result, int status, int attempts, std::string detail,
                        int64_t now_us) {
    if (p.done) return;
    p.done = true;
    p.record.result = std::string(toString(result));
    p.record.status = status;
    p.record.attempts = attempts;
    // It may quote the phone (a reason phrase, a realm): printable ASCII
    // only, and short, for the store and the log.
    for (char& c : detail) {
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) c = '?';
    }
    if (detail.size() > kMaxDetail) detail = detail.substr(0, kMaxDetail - 3) + "...";
    p.record.detail = std::move(detail);
    p.record.done_at = clock_.nowSeconds();
    p.started_us = now_us - p.started_us;  // from here on: how long it took
}

void Dispatcher::finishDone(int64_t now_us) {
    for (auto it = in_flight_.begin(); it != in_flight_.end();) {
        Push& p = *it->second;
        if (p.notify && p.notify->done() && !p.done) {
            const PushOutcome& o = p.notify->outcome();
            finish(p, o.result, o.status, o.attempts, o.detail, now_us);
        }
        if (!p.done) {
            ++it;
            continue;
        }
        record(p);
        if (p.notify) by_branch_.erase(p.notify->branch());
        known_.erase(p.record.mac);
        it = in_flight_.erase(it);
    }
    // Branches of answered challenges left behind point at nothing: drop them.
    for (auto it = by_branch_.begin(); it != by_branch_.end();) {
        auto p = in_flight_.find(it->second);
        it = (p == in_flight_.end() || !p->second->notify ||
              p->second->notify->branch() != it->first)
                 ? by_branch_.erase(it)
                 : std::next(it);
    }
}

// The outcome in one transaction: the push row, the device's resync state
// and, for a push that went out, an event. The line's secret is in none.
void Dispatcher::record(Push& p) {
    ResyncPush& r = p.record;
    const bool sent = r.result != "skipped";
    Status st = store_.write([&](StoreTx& tx) -> Status {
        TRY(tx.recordPush(r));
        // Nothing to reach it by (no line registered, or TLS without a
        // hook): it waits for a registration or a request, not a timer.
        const std::string state = r.result == "ok" ? "pushed" : sent ? "failed" : "gave_up";
        TRY(tx.settleResync(r.mac, state, r.done_at, p.claimed_at));
        if (!sent) return okStatus();
        Event e;
        e.at = r.done_at;
        e.mac = r.mac;
        e.peer_ip = p.ip;
        e.protocol = r.route == "hook" ? "hook" : "sip";
        e.path = r.event;
        e.vendor = p.vendor;
        e.model = p.device.model;
        e.outcome = eventOutcome(r.result);
        e.duration_us = p.started_us;
        return tx.insertEvents({e});
    });
    if (!st)
        resyncLog().error("resync: cannot record the push to %s: %s", r.mac, st.error().message);
    const std::string line = r.extension.empty() ? "" : " (line " + r.extension + ")";
    const std::string what = "resync: " + r.route + " " + r.event + " to " + r.mac + line +
                             (r.target.empty() ? "" : " at " + r.target) + ": " + r.result +
                             (r.detail.empty() ? "" : ", " + r.detail);
    if (r.result == "ok")
        resyncLog().information("%s", what);
    else
        resyncLog().warning("%s", what);
}

}  // namespace prov::resync

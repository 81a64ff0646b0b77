// The dispatcher's thread: scan the queue, start pushes as tokens allow,
// then one poll over the NOTIFY socket, the hooks' output and the wake-up
// eventfd, bounded by the next timer; then responses, timers and outcomes.

#include "provisioner/resync/dispatcher.h"

#include <Poco/Logger.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "provisioner/core/text.h"

namespace prov::resync {

namespace {

Poco::Logger& log() { return Poco::Logger::get("resync"); }

// Devices taken from the store's queue beyond those already under way.
constexpr size_t kBatch = 256;
// A running hook's exit is looked for this often (its output may stay open
// in a child it left behind).
constexpr int64_t kHookPollUs = 20'000;
// Datagrams read per turn, so a flood cannot starve the timers.
constexpr int kReadsPerTurn = 256;

bool parseAddress(const std::string& ip, int port, net::SockAddr& out) {
    out = {};
    if (inet_pton(AF_INET, ip.c_str(), &out.v4.sin_addr) == 1) {
        out.v4.sin_family = AF_INET;
        out.v4.sin_port = htons(static_cast<uint16_t>(port));
        return true;
    }
    if (inet_pton(AF_INET6, ip.c_str(), &out.v6.sin6_addr) == 1) {
        out.v6.sin6_family = AF_INET6;
        out.v6.sin6_port = htons(static_cast<uint16_t>(port));
        return true;
    }
    return false;
}

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

struct Dispatcher::Push {
    Device device;
    std::string vendor;
    std::string ip;  // the line's registration, for the event row
    ResyncPush record;
    int64_t started_us = 0;
    net::SockAddr to{};
    std::unique_ptr<NotifyTransaction> notify;
    std::optional<HookProcess> hook;
    int64_t hook_deadline_us = 0;
    bool done = false;
};

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
    if (wake_fd_ < 0) return Error::internal(std::string("resync: eventfd: ") + std::strerror(errno));
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

void Dispatcher::run() {
    int64_t next_scan = 0;
    while (!stopping_) {
        int64_t now = clock_.monotonicMicros();
        if (woken_.exchange(false) || now >= next_scan) {
            scan();
            next_scan = clock_.monotonicMicros() + options_.scan_interval_ms * 1000;
        }
        launch(now);
        waitForWork(now, next_scan);
        now = clock_.monotonicMicros();
        receive(now);
        tick(now);
        finishDone(now);
    }
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
            log().debug("resync: store busy, queue not read: %s", st.error().message);
        else
            log().error("resync: cannot read the queue: %s", st.error().message);
        return;
    }
    for (Device& d : next) {
        if (known_.insert(d.mac).second) pending_.push_back(std::move(d));
    }
}

void Dispatcher::launch(int64_t now_us) {
    // Bounded by pending_: every pass takes one device off it.
    while (!pending_.empty() && in_flight_.size() < options_.max_in_flight && bucket_.available(now_us)) {
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
        if (!st) log().warning("resync: cannot read device %s: %s", queued.mac, st.error().message);
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
    if (plan.way == PushPlan::Way::kSkip) {
        finish(p, PushResult::kSkipped, 0, 0, plan.detail, now_us);
        record(p);
        known_.erase(r.mac);
        return;
    }
    (void)bucket_.tryTake(now_us);
    r.sent_at = clock_.nowSeconds();
    // The row shows the push under way (GET .../resync) until its outcome.
    if (auto w = store_.write([&](StoreTx& tx) { return tx.recordPush(r); }); !w)
        log().warning("resync: cannot record the push to %s: %s", r.mac, w.error().message);
    if (plan.way == PushPlan::Way::kHook) {
        startHook(p, plan);
    } else if (Status sent = sendNotify(p, *plan.line, now_us); !sent) {
        finish(p, PushResult::kError, 0, 0, sent.error().message, now_us);
    }
    in_flight_[r.mac] = std::move(push);
}

Status Dispatcher::sendNotify(Push& p, const Extension& line, int64_t now_us) {
    if (!parseAddress(line.ip, line.port, p.to))
        return Error::invalid("the registration's address " + line.ip + " is not an IP address");
    net::SockAddr ours{};
    socklen_t len = sizeof ours;
    ::getsockname(socket_, &ours.sa, &len);
    if (p.to.sa.sa_family == AF_INET6 && ours.sa.sa_family == AF_INET)
        return Error::invalid("the phone registered from IPv6 and resync.bind is IPv4");
    if (p.to.sa.sa_family == AF_INET && ours.sa.sa_family == AF_INET6) {
        // A dual-stack socket reaches IPv4 through its mapped form.
        const in_addr v4 = p.to.v4.sin_addr;
        p.to = {};
        p.to.v6.sin6_family = AF_INET6;
        p.to.v6.sin6_port = htons(static_cast<uint16_t>(line.port));
        p.to.v6.sin6_addr.s6_addr[10] = 0xff;
        p.to.v6.sin6_addr.s6_addr[11] = 0xff;
        std::memcpy(&p.to.v6.sin6_addr.s6_addr[12], &v4, sizeof v4);
    }
    NotifyRequest n;
    n.user = line.extension;
    n.host = line.ip;
    n.port = line.port;
    n.local_host = options_.advertise.empty() ? localHostToward(p.to) : options_.advertise;
    n.local_port = port_;
    n.event = p.record.event;
    n.user_agent = options_.user_agent;
    Timers timers;
    timers.t1_us = options_.t1_ms * 1000;
    timers.t2_us = std::max<int64_t>(4'000'000, timers.t1_us);
    p.notify = std::make_unique<NotifyTransaction>(std::move(n), Credentials{line.extension, line.secret}, random_,
                                                   hasher_, timers);
    const std::string datagram = p.notify->start(now_us);
    by_branch_[p.notify->branch()] = p.record.mac;
    sendTo(p, datagram);
    return okStatus();
}

// The address the system sends from toward `to`: what the phone can answer
// (a wildcard bind has none of its own). A UDP connect() sends nothing.
std::string Dispatcher::localHostToward(const net::SockAddr& to) const {
    if (options_.bind != "0.0.0.0" && options_.bind != "::") return options_.bind;
    const int fd = ::socket(to.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return options_.bind;
    net::SockAddr local{};
    socklen_t len = sizeof local;
    const bool ok = ::connect(fd, &to.sa, net::addrLen(to)) == 0 && ::getsockname(fd, &local.sa, &len) == 0;
    ::close(fd);
    return ok ? net::hostOf(local) : options_.bind;
}

bool Dispatcher::sendTo(Push& p, const std::string& datagram) {
    const ssize_t n = ::sendto(socket_, datagram.data(), datagram.size(), 0, &p.to.sa, net::addrLen(p.to));
    if (n >= 0 || errno == EAGAIN || errno == EWOULDBLOCK) return true;  // a full buffer: as if lost, E resends
    finish(p, PushResult::kError, 0, p.notify ? p.notify->outcome().attempts : 0,
           std::string("cannot send to ") + p.record.target + ": " + std::strerror(errno), clock_.monotonicMicros());
    return false;
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

void Dispatcher::receive(int64_t now_us) {
    if (socket_ < 0) return;
    std::string buf(kMaxDatagram + 1, '\0');
    for (int i = 0; i < kReadsPerTurn; ++i) {
        const ssize_t n = ::recv(socket_, buf.data(), buf.size(), 0);
        if (n < 0) return;  // EAGAIN: nothing more; ICMP errors surface here too, timer F decides
        auto response = parseResponse(std::string_view(buf.data(), static_cast<size_t>(n)));
        if (!response) {
            log().debug("resync: dropped a datagram: %s", response.error().message);
            continue;
        }
        auto owner = by_branch_.find(response.value().branch);
        if (owner == by_branch_.end()) continue;  // a late answer to a finished push
        auto it = in_flight_.find(owner->second);
        if (it == in_flight_.end() || !it->second->notify) continue;
        Push& p = *it->second;
        auto retry = p.notify->onResponse(response.value(), now_us);
        if (!retry) continue;
        by_branch_[p.notify->branch()] = p.record.mac;  // the answer to a challenge: a new branch
        sendTo(p, *retry);
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
                finish(p, run.ok() ? PushResult::kOk : late ? PushResult::kTimeout : PushResult::kError, 0, 1,
                       run.detail, now_us);
                p.hook.reset();
            }
        }
    }
}

void Dispatcher::finish(Push& p, PushResult result, int status, int attempts, std::string detail, int64_t now_us) {
    if (p.done) return;
    p.done = true;
    p.record.result = std::string(toString(result));
    p.record.status = status;
    p.record.attempts = attempts;
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
        it = (p == in_flight_.end() || !p->second->notify || p->second->notify->branch() != it->first)
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
        TRY(tx.setResyncState(r.mac, r.result == "ok" ? "pushed" : "failed", r.done_at));
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
    if (!st) log().error("resync: cannot record the push to %s: %s", r.mac, st.error().message);
    const std::string line = r.extension.empty() ? "" : " (line " + r.extension + ")";
    const std::string what = "resync: " + r.route + " " + r.event + " to " + r.mac + line +
                             (r.target.empty() ? "" : " at " + r.target) + ": " + r.result +
                             (r.detail.empty() ? "" : ", " + r.detail);
    if (r.result == "ok")
        log().information("%s", what);
    else
        log().warning("%s", what);
}

}  // namespace prov::resync

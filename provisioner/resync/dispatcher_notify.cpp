// The dispatcher's UDP side: a NOTIFY's address and first datagram, the
// address the phone can answer, sending, and matching answers to pushes by
// their top Via branch.

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "provisioner/resync/dispatcher.h"
#include "provisioner/resync/dispatcher_push.h"

namespace prov::resync {

namespace {

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

bool sameAddress(const net::SockAddr& a, const net::SockAddr& b) {
    if (a.sa.sa_family != b.sa.sa_family) return false;
    if (a.sa.sa_family == AF_INET)
        return a.v4.sin_port == b.v4.sin_port && a.v4.sin_addr.s_addr == b.v4.sin_addr.s_addr;
    if (a.sa.sa_family == AF_INET6)
        return a.v6.sin6_port == b.v6.sin6_port &&
               std::memcmp(&a.v6.sin6_addr, &b.v6.sin6_addr, sizeof a.v6.sin6_addr) == 0;
    return false;
}

int portOf(const net::SockAddr& a) {
    if (a.sa.sa_family == AF_INET) return ntohs(a.v4.sin_port);
    if (a.sa.sa_family == AF_INET6) return ntohs(a.v6.sin6_port);
    return 0;
}

}  // namespace

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
    p.notify = std::make_unique<NotifyTransaction>(
        std::move(n), Credentials{line.extension, line.secret}, random_, hasher_, timers);
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
    const bool ok =
        ::connect(fd, &to.sa, net::addrLen(to)) == 0 && ::getsockname(fd, &local.sa, &len) == 0;
    ::close(fd);
    return ok ? net::hostOf(local) : options_.bind;
}

bool Dispatcher::sendTo(Push& p, const std::string& datagram) {
    const ssize_t n =
        ::sendto(socket_, datagram.data(), datagram.size(), 0, &p.to.sa, net::addrLen(p.to));
    if (n >= 0 || errno == EAGAIN || errno == EWOULDBLOCK)
        return true;  // a full buffer: as if lost, E resends
    finish(p, PushResult::kError, 0, p.notify ? p.notify->outcome().attempts : 0,
           std::string("cannot send to ") + p.record.target + ": " + std::strerror(errno),
           clock_.monotonicMicros());
    return false;
}

void Dispatcher::receive(int64_t now_us) {
    if (socket_ < 0) return;
    std::string& buf = receive_buffer_;
    buf.resize(kMaxDatagram + 1);  // once: a datagram over kMaxDatagram is refused by the parser
    for (int i = 0; i < kReadsPerTurn; ++i) {
        net::SockAddr from{};
        socklen_t from_len = sizeof from;
        const ssize_t n = ::recvfrom(socket_, buf.data(), buf.size(), 0, &from.sa, &from_len);
        if (n < 0) return;  // EAGAIN: nothing more; ICMP errors surface here too, timer F decides
        auto response = parseResponse(std::string_view(buf.data(), static_cast<size_t>(n)));
        if (!response) {
            resyncLog().debug("resync: dropped a datagram: %s", response.error().message);
            continue;
        }
        auto owner = by_branch_.find(response.value().branch);
        if (owner == by_branch_.end()) continue;  // a late answer to a finished push
        auto it = in_flight_.find(owner->second);
        if (it == in_flight_.end() || !it->second->notify) continue;
        Push& p = *it->second;
        // Only the phone's own socket answers (RFC 3261 18.2.2): a datagram
        // from anywhere else with the right branch, say a forged 401 that
        // would have us compute a digest of the line's secret over a nonce
        // of its choosing, is dropped.
        if (!sameAddress(from, p.to)) {
            resyncLog().debug("resync: dropped an answer for %s from %s, not the phone at %s", p.record.mac,
                                net::hostOf(from) + ":" + std::to_string(portOf(from)), p.record.target);
            continue;
        }
        auto retry = p.notify->onResponse(response.value(), now_us);
        if (!retry) continue;
        by_branch_[p.notify->branch()] = p.record.mac;  // the answer to a challenge: a new branch
        sendTo(p, *retry);
    }
}

}  // namespace prov::resync

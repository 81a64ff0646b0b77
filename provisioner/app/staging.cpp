// provisioner staging: the devices of a site and how far each has come, as
// an installer walking the floor wants to see it. Redrawn every --interval
// seconds on a terminal; printed once with --once or into a pipe.

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include "provisioner/app/command_table.h"
#include "provisioner/app/commands.h"
#include "provisioner/app/services.h"
#include "provisioner/core/mac_address.h"
#include "provisioner/core/time_format.h"

namespace prov::app {

namespace {

volatile std::sig_atomic_t g_stop = 0;

std::string age(int64_t at, int64_t now) {
    if (!at) return "never";
    const int64_t d = now - at;
    if (d < 0) return formatUtc(at);
    if (d < 120) return std::to_string(d) + "s ago";
    if (d < 7200) return std::to_string(d / 60) + "m ago";
    if (d < 172800) return std::to_string(d / 3600) + "h ago";
    return std::to_string(d / 86400) + "d ago";
}

// How far a device is from its firmware target, for people.
std::string firmwareStatus(const std::string& status) {
    if (status == "on_target") return "on target";
    return status.empty() ? "-" : status;
}

std::string screen(const std::vector<StagingEntry>& list, const std::string& site, int64_t now) {
    std::map<std::string, int> counts;
    std::map<std::string, int> resync;
    std::ostringstream out;
    out << std::left << std::setw(18) << "MAC" << std::setw(12) << "STATE" << std::setw(11) << "RESYNC"
        << std::setw(16) << "MODEL" << std::setw(18) << "FIRMWARE" << std::setw(11) << "FW STATUS" << std::setw(20)
        << "EXTENSIONS" << std::setw(16) << "LAST FETCH"
        << "FROM\n";
    for (const StagingEntry& e : list) {
        const Device& d = e.device;
        ++counts[std::string(toString(d.state))];
        if (!d.fw_status.empty()) ++counts["fw:" + d.fw_status];
        ++resync[d.resync];
        std::string exts;
        for (const auto& x : e.extensions) exts += (exts.empty() ? "" : ",") + x;
        out << std::setw(18) << MacAddress::parse(d.mac)->colons() << std::setw(12) << toString(d.state)
            << std::setw(11) << (d.resync.empty() ? "-" : d.resync) << std::setw(16)
            << (d.make.empty() && d.model.empty() ? "-" : d.make + " " + d.model).substr(0, 15)
            << std::setw(18) << (d.last_firmware.empty() ? "-" : d.last_firmware.substr(0, 17)) << std::setw(11)
            << firmwareStatus(d.fw_status) << std::setw(20)
            << (exts.empty() ? "-" : exts.substr(0, 19)) << std::setw(16) << age(d.last_seen_at, now)
            << (d.last_seen_ip.empty() ? "-" : d.last_seen_ip) << "\n";
    }
    std::ostringstream head;
    head << (site.empty() ? "every site" : "site " + site) << ": " << list.size() << " devices";
    for (const char* s : {"unassigned", "new", "staged", "provisioned", "applied", "stale"}) {
        if (counts[s]) head << ", " << counts[s] << " " << s;
    }
    for (const char* s : {"upgrading", "on_target", "failed", "unknown"}) {
        if (counts[std::string("fw:") + s]) head << ", " << counts[std::string("fw:") + s] << " firmware " << firmwareStatus(s);
    }
    head << "\n";
    // A line of its own, only while some device was asked to fetch now.
    if (resync["queued"] + resync["pushed"] + resync["refetched"] + resync["applied"] + resync["failed"] +
        resync["gave_up"]) {
        head << "resync:";
        const char* sep = " ";
        for (const char* s : {"queued", "pushed", "refetched", "applied", "failed", "gave_up"}) {
            if (!resync[s]) continue;
            head << sep << resync[s] << " " << s;
            sep = ", ";
        }
        head << "\n";
    }
    return head.str() + out.str();
}

}  // namespace

int runStaging(const Invocation& in) {
    if (in.line.words.size() != 1) {
        std::cerr << "provisioner: usage: provisioner " << usageLine(in.command) << "\n";
        return kExitUsage;
    }
    const std::string site = in.flag("site");
    int interval = 2;
    if (in.has("interval")) {
        try {
            interval = std::stoi(in.flag("interval"));
        } catch (const std::exception&) {
            interval = 0;
        }
        if (interval < 1 || interval > 3600) {
            std::cerr << "provisioner: --interval must be 1 to 3600 seconds\n";
            return kExitUsage;
        }
    }
    auto s = in.open(Migrate::kNo);
    if (!s) {
        std::cerr << "provisioner: " << s.error().message << "\n";
        return exitCodeFor(s.error());
    }
    const bool live = !in.has("once") && isatty(STDOUT_FILENO);
    if (live) {
        std::signal(SIGINT, [](int) { g_stop = 1; });
        std::signal(SIGTERM, [](int) { g_stop = 1; });
    }
    do {
        auto list = s.value()->inventory->staging(site);
        if (!list) {
            std::cerr << "provisioner: " << list.error().message << "\n";
            return 1;
        }
        const int64_t now = s.value()->clock.nowSeconds();
        if (live) std::cout << "\x1b[H\x1b[2J" << formatUtc(now) << "  (Ctrl-C to stop)\n";
        std::cout << screen(list.value(), site, now) << std::flush;
        for (int i = 0; live && !g_stop && i < interval * 10; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } while (live && !g_stop);
    return 0;
}

}  // namespace prov::app

// provisioner window: staging windows from the command line, for the admin at
// the server. `open` lets the listed devices (or a site's) get their secrets
// once without other proof, for a while; `list` shows them; `close` ends one
// early. The same rules as POST /api/v1/staging/windows (inventory/windows.cpp).

#include <iomanip>
#include <iostream>

#include "provisioner/app/command_table.h"
#include "provisioner/app/commands.h"
#include "provisioner/app/services.h"
#include "provisioner/core/mac_address.h"
#include "provisioner/core/text.h"
#include "provisioner/core/time_format.h"

namespace prov::app {

namespace {

int windowFail(const std::string& line, int code = 1) {
    std::cerr << "provisioner: " << line << "\n";
    return code;
}

// A whole number flag, or nullopt (and a message) when it is not one.
std::optional<int64_t> number(const Invocation& in, const std::string& name, int64_t fallback) {
    if (!in.has(name)) return fallback;
    const std::string v = in.flag(name);
    if (!text::isDigits(v) || v.size() > 9) {
        std::cerr << "provisioner: --" << name << " must be a whole number (got '" << v << "')\n";
        return std::nullopt;
    }
    return std::stoll(v);
}

void print(const StagingWindow& w, int64_t now) {
    std::string scope = w.label.empty() ? "" : "site " + w.label;
    for (const std::string& m : w.macs) scope += (scope.empty() ? "" : ",") + MacAddress::parse(m)->colons();
    const bool open = w.closed_at == 0 && w.closes_at > now;
    std::cout << std::left << std::setw(6) << w.id << std::setw(8) << (open ? "open" : "closed") << std::setw(10)
              << (std::to_string(w.used) + "/" + std::to_string(w.max_devices)) << std::setw(22)
              << formatUtc(w.closed_at ? w.closed_at : w.closes_at) << std::setw(24) << w.actor.substr(0, 23) << scope
              << "\n";
}

}  // namespace

int runWindow(const Invocation& in) {
    const auto& words = in.line.words;
    const std::string verb = words.size() >= 2 ? words[1] : "";
    const bool ok_shape = (verb == "open" && words.size() == 2) || (verb == "list" && words.size() == 2) ||
                          (verb == "close" && words.size() == 3);
    if (!ok_shape) return windowFail("usage: provisioner " + usageLine(in.command), kExitUsage);
    const Actor cli{"cli", Role::kAdmin};
    if (verb == "open") {
        WindowSpec spec;
        spec.label = in.flag("site");
        const std::string macs = in.flag("macs");
        for (size_t start = 0; start < macs.size();) {
            size_t comma = macs.find(',', start);
            if (comma == std::string::npos) comma = macs.size();
            const std::string one = text::trim(macs.substr(start, comma - start));
            if (!one.empty()) spec.macs.push_back(one);
            start = comma + 1;
        }
        const auto minutes = number(in, "minutes", 30);
        const auto max = number(in, "max-devices", spec.macs.empty() ? 1 : static_cast<int64_t>(spec.macs.size()));
        if (!minutes || !max) return kExitUsage;
        spec.minutes = *minutes;
        spec.max_devices = *max;
        auto s = in.open(Migrate::kNo);
        if (!s) return windowFail(s.error().message, exitCodeFor(s.error()));
        auto w = s.value()->inventory->openWindow(spec, cli);
        if (!w) {
            std::string why = w.error().message;
            for (const auto& [field, msg] : w.error().fields) why += "; " + field + ": " + msg;
            return windowFail(why, w.error().code == Code::kInvalidArgument ? kExitUsage : 1);
        }
        std::cout << "staging window " << w.value().id << " open until " << formatUtc(w.value().closes_at)
                  << " for at most " << w.value().max_devices << " device(s)\n";
        return 0;
    }
    auto s = in.open(Migrate::kNo);
    if (!s) return windowFail(s.error().message, exitCodeFor(s.error()));
    Inventory& inv = *s.value()->inventory;
    const int64_t now = s.value()->clock.nowSeconds();
    if (verb == "list") {
        auto list = inv.listWindows(false);
        if (!list) return windowFail(list.error().message);
        std::cout << std::left << std::setw(6) << "ID" << std::setw(8) << "STATE" << std::setw(10) << "USED"
                  << std::setw(22) << "UNTIL" << std::setw(24) << "BY" << "FOR\n";
        for (const StagingWindow& w : list.value()) print(w, now);
        return 0;
    }
    const std::string& id = words[2];
    if (!text::isDigits(id) || id.size() > 15) return windowFail("'" + id + "' is not a window id", kExitUsage);
    auto closed = inv.closeWindow(std::stoll(id), cli);
    if (!closed) return windowFail(closed.error().message);
    std::cout << "staging window " << id << " closed\n";
    return 0;
}

}  // namespace prov::app

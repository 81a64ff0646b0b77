// provisioner resync: ask phones to fetch their config now, from the command
// line. Only queues them in the store (inventory/resync.cpp, the rules of
// POST /api/v1/resync); a running server's dispatcher sees the queue at its
// next scan, within seconds, and pushes at resync.rate. No IPC: the store is
// the one place both processes share.

#include <iostream>

#include "provisioner/app/command_table.h"
#include "provisioner/app/commands.h"
#include "provisioner/app/services.h"
#include "provisioner/core/mac_address.h"

namespace prov::app {

int runResync(const Invocation& in) {
    const auto& words = in.line.words;
    ResyncTarget target;
    target.site = in.flag("site");
    target.all = in.has("all");
    if (words.size() == 2) {
        const auto mac = MacAddress::parse(words[1]);
        if (!mac) {
            std::cerr << "provisioner: '" << words[1] << "' is not a MAC address\n";
            return kExitUsage;
        }
        target.mac = mac->canonical();
    }
    const int named = !target.mac.empty() + in.has("site") + target.all;
    if (words.size() > 2 || named != 1 || (in.has("site") && target.site.empty())) {
        std::cerr << "provisioner: usage: provisioner " << usageLine(in.command)
                  << " (one device, one site or --all)\n";
        return kExitUsage;
    }
    auto s = in.open(Migrate::kNo);
    if (!s) {
        std::cerr << "provisioner: " << s.error().message << "\n";
        return exitCodeFor(s.error());
    }
    auto n = s.value()->inventory->queueResync(target, Actor{"cli", Role::kAdmin});
    if (!n) {
        std::cerr << "provisioner: " << n.error().message << "\n";
        return 1;
    }
    std::cout << "queued " << n.value() << (n.value() == 1 ? " device" : " devices")
              << "; a running server pushes them within seconds (resync.route, resync.rate)\n";
    return 0;
}

}  // namespace prov::app

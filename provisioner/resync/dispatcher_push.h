#pragma once

// What the dispatcher keeps of one push under way; shared by its two files
// (dispatcher.cpp: the queue, hooks and outcomes; dispatcher_notify.cpp: the
// UDP side). Not part of the library's interface.

#include <Poco/Logger.h>

#include <memory>
#include <optional>
#include <string>

#include "provisioner/resync/dispatcher.h"

namespace prov::resync {

inline Poco::Logger& resyncLog() { return Poco::Logger::get("resync"); }

struct Dispatcher::Push {
    Device device;
    std::string vendor;
    std::string ip;  // the line's registration, for the event row
    ResyncPush record;
    int64_t started_us = 0;
    int64_t claimed_at = 0;  // when claimResync took it (seconds): its outcome is kept only if nothing moved it since
    net::SockAddr to{};
    std::unique_ptr<NotifyTransaction> notify;
    std::optional<HookProcess> hook;
    int64_t hook_deadline_us = 0;
    bool done = false;
};

}  // namespace prov::resync

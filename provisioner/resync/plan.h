#pragma once

// Which way a device is asked to fetch again, from its lines' registrations
// as the PBX reported them (PUT /extensions/{ext}/registration). Pure: the
// dispatcher reads the lines and acts on the plan.

#include <optional>
#include <string>
#include <vector>

#include "provisioner/model/records.h"

namespace prov::resync {

// resync.route: a SIP NOTIFY sent from here over UDP, the PBX's hook, or nothing.
enum class Route { kNotify, kHook, kOff };

struct PushPlan {
    enum class Way { kNotify, kHook, kSkip };
    Way way = Way::kSkip;
    // The line it goes to: the first (lowest phone_reg) registered OK with
    // an address and a port. Unset when none is.
    std::optional<Extension> line;
    std::string detail;  // why it is skipped
};

// `lines` in phone_reg order (StoreTx::extensionsOnDevice). Route notify:
// a UDP (or unspecified) registration gets a NOTIFY; TCP or TLS the hook,
// skipped without one (a new connection to the phone's ephemeral port would
// fail). Route hook: the hook for every transport. No registration: skipped.
PushPlan planPush(Route route, bool have_hook, const std::vector<Extension>& lines);

}  // namespace prov::resync

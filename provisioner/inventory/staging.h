#pragma once

// A device's staging state machine, in one pure function: the inventory calls
// it when an admin claims or edits, the event writer when a phone fetches its
// own config. Tested from one table (tests/unit/inventory/staging_test.cpp).
//
//   unassigned --claimed--> staged    (seen on the network, then bound to an extension)
//   new        --claimed--> staged    (added by an admin)
//   new, staged, stale --delivered or redelivered--> provisioned
//   provisioned, applied --delivered--> provisioned
//   provisioned, applied --redelivered--> applied
//   provisioned, applied --config edited--> stale
//
// Anything else leaves the state as it is. A stale device's delivery makes it
// only provisioned, never applied: the event may have been queued before the
// edit, so "the same bytes as last time" says nothing about the new config.
// An unassigned device's fetches move nothing: it is not inventory yet.

#include "provisioner/model/records.h"

namespace prov::staging {

using State = DeviceState;

enum class Input {
    kClaimed,       // an admin added it or bound an extension to it
    kConfigEdited,  // something its config is rendered from changed
    kDelivered,     // its own config was served, bytes it did not have
    kRedelivered,   // its own config was served, bytes it already had: it
                    // answered the ETag (304), or got the same hash as the
                    // last delivery of that file
};

State next(State current, Input input);

}  // namespace prov::staging

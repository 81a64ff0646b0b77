#pragma once

// How far a phone is from its firmware target (issue 14), moved by each
// fetch of the one file of its vendor that carries the firmware keys
// (vendor.json `"firmware": true`, one fetch per boot):
//   no target in that config         -> ""          (nothing to follow)
//   the phone reports no firmware    -> "unknown"   (TFTP has no User-Agent; never "failed"),
//                                       or what an earlier fetch found for the same target
//   it reports the target            -> "on_target"
//   it reports another, once told    -> "upgrading", then "failed" after
//                                       `failed_after` more such fetches
// A new target starts the count again. Told: a config that offered the
// image (has_firmware_upgrade); the fetch that tells is not a miss.

#include "provisioner/model/records.h"

namespace prov {

FirmwareProgress nextFirmwareProgress(FirmwareProgress progress, const Event& fetch, int failed_after);

}  // namespace prov

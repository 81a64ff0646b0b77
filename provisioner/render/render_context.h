#pragma once

// Builds the data a template sees (vendor-templates/README.md, "What a
// template sees") from a RenderInput.

#include <kainjow/mustache.hpp>

#include "provisioner/render/template_set.h"

namespace prov {

kainjow::mustache::data buildContext(const RenderInput& input);

// The one model every part of a render follows (its family's file, slot
// counts, key layout and codes): the stored device's when the catalog knows
// it, as the API checked its buttons and modules against it, else the one
// the request names; null when neither is known.
const ModelInfo* modelInfo(const RenderInput& in);

// Whether the render tells the phone to upgrade (has_firmware_upgrade): it
// has a firmware target, a provisioning URL says where to fetch the image,
// and the firmware it reports (or last reported) is another one.
bool offersFirmware(const RenderInput& in);

}  // namespace prov

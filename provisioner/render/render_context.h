#pragma once

// Builds the data a template sees (vendor-templates/README.md, "What a
// template sees") from a RenderInput.

#include <kainjow/mustache.hpp>

#include "provisioner/render/template_set.h"

namespace prov {

kainjow::mustache::data buildContext(const RenderInput& input);

}  // namespace prov

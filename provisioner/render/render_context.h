#pragma once

// Builds the data a template sees (vendor-templates/README.md, "What a
// template sees") from a RenderInput.

#include <kainjow/mustache.hpp>

#include <string>
#include <unordered_set>

#include "provisioner/render/template_set.h"

namespace prov {

// The names a template's tags read (the first part of a dotted name):
// TemplateSet's scan of each template.
using TagNames = std::unordered_set<std::string>;

// `names`: leave out the lists no tag reads (the key slot lists, the
// largest part of a context); null builds everything.
kainjow::mustache::data buildContext(const RenderInput& input, const TagNames* names = nullptr);

// The names `text`'s tags read: {{name}}, {{#name}}, {{^name}}, {{/name}},
// with `a.b` counted as `a`; comments and `.` are none.
TagNames tagNames(const std::string& text);

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

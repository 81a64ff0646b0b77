#pragma once

#include <string>

#include "provisioner/core/result.h"

namespace prov {

// OK when `document` is well-formed XML; else an error with tinyxml2's reason and line.
Status checkXml(const std::string& document);

}  // namespace prov

#pragma once

// Escaping per output format. Every value a template prints goes through one
// of these, so no value (a caller ID "R&D <Sales>", a label with a newline)
// can break a file or inject a key.

#include <string>
#include <string_view>

#include "provisioner/catalog/vendor_catalog.h"

namespace prov {

// key = value files: control characters (CR, LF, TAB, ...) become spaces.
std::string escapeKv(std::string_view value);
// XML text and attributes: & < > " ' as entities; control characters and the
// other characters XML 1.0 forbids become spaces.
std::string escapeXml(std::string_view value);
// Panasonic NAME="value" files: as kv, and a '"' (which such a value cannot
// hold) marked for refusal (render/panasonic_file.h).
std::string escapeFor(OutputFormat format, std::string_view value);

}  // namespace prov

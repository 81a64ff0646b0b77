#pragma once

// A rendered config file read back as (parameter name, value) pairs, in the
// notation of tests/data/conformance/README.md, one parser per file shape.

#include <string>
#include <vector>

namespace prov::conformance {

struct Param {
    std::string name;
    std::string value;  // for an XML element, its text and its other attributes' values
};

enum class Shape {
    kKeyValue,    // Yealink: "name = value" lines, '#' comments
    kQuotedValue, // Panasonic: NAME="value" lines, '#' comments; the value without its quotes
    kAttributes,  // Polycom: every XML attribute is a parameter; leaf elements by path
    kLeafName,    // Cisco, Grandstream, Snom, ALE: each leaf element by its own name (or name/id attribute)
    kPath,        // Fanvil, Gigaset: each leaf element by its path below the root
    kSet,         // Avaya: "SET NAME value" lines; each PHONEKEY by its key, PHONEKEY[3]
    kColon,       // Aastra: "name: value" lines, '#' comments; spaces in names read as '_'
};

// The shape a vendor's files have; kKeyValue for a vendor this test does not know.
Shape shapeOf(const std::string& vendor, bool xml);

// The parameters of `text`, in file order; false with `error` set when the
// text cannot be read in that shape.
bool parseParams(const std::string& text, Shape shape, std::vector<Param>& out, std::string& error);

// Whether `text` holds both Grandstream forms: <Pnnn> elements (config
// version 1) and <item name="..."> aliases (version 2). No reference mixes
// them in one file.
bool mixesForms(const std::string& text);

}  // namespace prov::conformance

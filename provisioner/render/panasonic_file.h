#pragma once

// Panasonic's configuration file format (vendor.json "format": "panasonic"):
// the text files KX-UT, KX-HDV and KX-TGP phones read, as their admin guides
// state it ("Configuration File Specifications"):
//
//   - the file starts with the 44 bytes "# Panasonic SIP Phone Standard Format
//     File #" (kHeader), else the phone rejects it;
//   - each line ends with CR LF and is at most 537 bytes with them; a longer
//     line is skipped by the phone, silently;
//   - a parameter line is NAME="value": name at most 32 characters, value at
//     most 500, enclosed in double quotes, with no way to write a double
//     quote inside it (the guides give no escape);
//   - the file ends with an empty line, and is at most 120 KB.
//
// The renderer guarantees this form or refuses the file: a template that does
// not start with the header does not load, and a rendered file with a value
// that cannot be written (a '"', too long a value or line) is an error naming
// the parameter, never a file the phone would read differently.

#include <string>
#include <string_view>

#include "provisioner/core/result.h"

namespace prov::panasonic {

inline constexpr std::string_view kHeader = "# Panasonic SIP Phone Standard Format File #";
inline constexpr size_t kMaxLine = 537;   // bytes, CR LF included
inline constexpr size_t kMaxName = 32;    // characters
inline constexpr size_t kMaxValue = 500;  // bytes, quotes excluded (the guides say characters; bytes is the safe reading)
inline constexpr size_t kMaxFile = 120 * 1024;

// A value as a template prints it: control characters become spaces (no value
// can start a line), and a '"' becomes kQuoteMark, which finish() refuses.
std::string escapeValue(std::string_view value);

// The byte escapeValue() writes for a '"'. No value can produce it otherwise
// (control characters become spaces) and checkTemplate() refuses a template
// holding it, so finish() finding it means a value had a '"'.
inline constexpr char kQuoteMark = '\x01';

// OK when the template text `body` starts with kHeader and holds no
// kQuoteMark; else an error naming `path`.
Status checkTemplate(std::string_view body, const std::string& path);

// The rendered text `text` of the file `where` (for messages) as the phone
// must get it: LF or CR LF line ends written as CR LF, one empty line at the
// end. Refused (kInvalidArgument, naming the parameter) for a value holding
// a '"', a value, name or line over the limits, a file over 120 KB; an
// internal error for a line that is neither a comment, empty, nor NAME="value"
// (a template's fault).
Result<std::string> finish(std::string_view text, const std::string& where);

}  // namespace prov::panasonic

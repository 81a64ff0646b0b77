#pragma once

// Escaping per output format. Every value a template prints goes through one
// of these, so no value (a caller ID "R&D <Sales>", a label with a newline)
// can break a file or inject a key.

#include <string>
#include <string_view>

#include "provisioner/catalog/vendor_catalog.h"
#include "provisioner/core/result.h"

namespace prov {

// key = value files: control characters (CR, LF, TAB, ...) become spaces.
std::string escapeKv(std::string_view value);
// XML text and attributes: & < > " ' as entities; control characters and the
// other characters XML 1.0 forbids become spaces.
std::string escapeXml(std::string_view value);
// Avaya settings scripts (`SET NAME "value"`): control characters become
// spaces, as for kv. A `"` cannot be written inside a quoted value (the
// format has no escape for it): it becomes kSetQuote, which finishSetLines
// refuses. A `;` becomes kSetSemicolon: it separates the fields of a
// PHONEKEY value (`Key=3;Type=feature;Name=blf;...;Label=x`), so a label
// holding one would add fields of its own. Templates quote every value that
// may hold a space.
std::string escapeSet(std::string_view value);
// Gigaset N510 provider files, whose string values are quoted inside an
// attribute (`<SYMB_ITEM ID="X" class="symb_item" value='"..."'/>`): as
// escapeXml, except that a `"`, which would end the inner string and has no
// escape there that we know of, becomes kXmlQuotedQuote, which
// finishXmlQuoted refuses.
std::string escapeXmlQuoted(std::string_view value);
// The escape of a file's format: the four above, and for Panasonic
// NAME="value" files as kv with a '"' (which such a value cannot hold) marked
// for refusal (render/panasonic_file.h).
std::string escapeFor(OutputFormat format, std::string_view value);

// The bytes escapeSet leaves: control characters, which no escaped value can
// otherwise hold.
inline constexpr char kSetQuote = '\x01';
inline constexpr char kSetSemicolon = '\x02';
inline constexpr char kXmlQuotedQuote = '\x01';

// A settings-script template as it loads: refused when it holds either mark
// byte itself, which would make every file it renders fail (kSetQuote) or
// gain a ';' nobody wrote (kSetSemicolon). `path` names it in the error.
Status checkSetTemplate(std::string_view body, const std::string& path);

// A rendered settings script made final: InvalidArgument when a value held a
// `"`, or a `;` in a `SET PHONEKEY` line, naming the line's statement (`SET
// DISPLAY_NAME`) and never the value, which may be a secret; elsewhere a
// value's `;` is written back as it was.
Result<std::string> finishSetLines(std::string rendered);

// An xml-quoted template as it loads: refused when it holds kXmlQuotedQuote
// itself, which would make every file it renders fail.
Status checkXmlQuotedTemplate(std::string_view body, const std::string& path);

// A rendered xml-quoted file (UTF-8, as the templates and values are) made
// final: well-formed XML, in ISO-8859-1, the encoding its declaration and
// every Gigaset example give. InvalidArgument, naming the parameter (the
// SYMB_ITEM's ID, or the element) and never the value, when a value held a
// `"` or a character ISO-8859-1 does not have (U+0100 on: "€", "Ł"); a
// template that writes broken XML is Internal, as for kXml.
Result<std::string> finishXmlQuoted(const std::string& rendered);

}  // namespace prov

#pragma once

// Checks on untrusted text. All functions are pure and total.

#include <string>
#include <string_view>

namespace prov::text {

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or code points
// past U+10FFFF).
bool isValidUtf8(std::string_view s);

// True when `s` is valid UTF-8 with no control characters (C0, DEL, C1).
bool isPrintable(std::string_view s);

// Number of code points in valid UTF-8 `s`.
size_t codePoints(std::string_view s);

bool isAsciiAlnum(std::string_view s);
bool isDigits(std::string_view s);

// A number a PBX can dial: an optional leading '+', then digits, '*' and '#'.
bool isDialable(std::string_view s);

// A plausible e-mail address: one '@', a non-empty local part of printable
// ASCII without spaces, a domain of dot-separated labels.
bool isEmail(std::string_view s);

// A host name (RFC 1123 labels) or an IPv4 / bracket-free IPv6 literal.
bool isHost(std::string_view s);

// Without leading and trailing spaces and tabs.
std::string trim(std::string_view s);

// `s` safe to put in a log line, as one quoted value: `"` + s + `"` with `"`
// written as \", backslash as \\, and control bytes, DEL and bytes over 0x7E
// as \xNN. A client's file name or User-Agent can then never start a line of
// its own (a forged line would fool fail2ban), move the cursor of a terminal,
// nor end its quotes early to look like another field of the line
// (docs/security-log.md).
std::string forLog(std::string_view s);
// ASCII letters only; other bytes are kept.
std::string toLower(std::string_view s);
std::string toUpper(std::string_view s);

// `path` with every run of '/' written as one ("//a///b" -> "/a/b"). Phones
// build their request from a server setting and a file name joined with
// their own '/', so a setting ending in '/' gives "//file". Only literal
// slashes are touched: an encoded one (%2F) and a backslash stay as they are,
// for the front end to refuse.
std::string collapseSlashes(std::string_view path);

}  // namespace prov::text

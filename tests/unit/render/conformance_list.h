#pragma once

// A vendor's conformance list (tests/data/conformance/<vendor>.txt): the
// parameter names the vendor documents, and which account or key slot owns
// each. The file format is described in tests/data/conformance/README.md.

#include <map>
#include <string>
#include <vector>

namespace prov::conformance {

enum class Scope { kGlobal, kSection, kAccount, kKey, kExpansionKey, kSpeedDial };

struct Entry {
    Scope scope = Scope::kGlobal;
    std::string pattern;        // literal text with {expression} placeholders
    std::vector<std::string> models;  // globs ('*' only); empty = every model
    int first = 0, last = 0;    // slots=first-last; 0 = the scope's whole range
    int line = 0;               // in the list file, for messages
};

struct List {
    std::string path;
    std::vector<Entry> entries;
};

// Loads and checks the syntax of a list; the error names the file and line.
bool loadList(const std::string& path, List& out, std::string& error);

// Who a parameter belongs to.
struct Owner {
    enum Kind { kGlobal, kSection, kAccount, kKey } kind = kGlobal;
    int slot = 0;
    bool operator==(const Owner& o) const { return kind == o.kind && slot == o.slot; }
    std::string describe() const;  // "global settings", "account 3", "key 12"
};

// The phone the names are expanded for.
struct Layout {
    std::string model;  // uppercase
    int lines = 0;
    int keys = 0;             // base keys
    int module_keys = 0;      // keys of one expansion module
    int modules = 0;          // modules attached
    std::vector<int> speed_dial_keys;  // the key index of the 1st, 2nd ... speed dial
};

// Every concrete name the list gives this phone, with its owner. Two entries
// giving one name to different owners is an error in the list (`error`).
std::map<std::string, Owner> expand(const List& list, const Layout& layout, std::string& error);

// Evaluates `expr` (integers, + - * / %, parentheses, single-letter
// variables); false on a syntax error or an unknown variable.
bool evaluate(const std::string& expr, const std::map<char, long>& vars, long& out);

}  // namespace prov::conformance

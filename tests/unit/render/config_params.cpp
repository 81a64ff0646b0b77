#include "config_params.h"

#include <tinyxml2.h>

#include <cstring>
#include <regex>
#include <sstream>

namespace prov::conformance {

namespace {

std::string trim(const std::string& s) {
    const size_t b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

bool parseKeyValue(const std::string& text, std::vector<Param>& out, std::string& error) {
    std::istringstream in(text);
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        const std::string t = trim(line);
        if (t.empty() || t[0] == '#') continue;
        // A Yealink boot file's directives name the files to load; they are not parameters.
        if (t.rfind("include:config ", 0) == 0) continue;
        const size_t eq = t.find('=');
        if (eq == std::string::npos) {
            error = "line " + std::to_string(number) + " is not name = value: " + t;
            return false;
        }
        out.push_back({trim(t.substr(0, eq)), trim(t.substr(eq + 1))});
    }
    return true;
}

// An Avaya settings script: `SET NAME value` (the value quoted or not), `##`
// comments, `# tag` lines and the GET/GOTO/IF directives, which name files
// and tags, not parameters. PHONEKEY is set once per key: its name takes the
// key's number, `PHONEKEY[3]` for "Key=3;...".
bool parseSet(const std::string& text, std::vector<Param>& out, std::string& error) {
    static const std::regex set_line("^SET ([A-Za-z0-9_]+) (.*)$");
    static const std::regex key_number("^Key=([0-9]+);");
    std::istringstream in(text);
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        const std::string t = trim(line);
        if (t.empty() || t[0] == '#') continue;
        if (t.rfind("GET ", 0) == 0 || t.rfind("GOTO ", 0) == 0 || t.rfind("IF ", 0) == 0) continue;
        std::smatch m;
        if (!std::regex_match(t, m, set_line)) {
            error = "line " + std::to_string(number) + " is not SET NAME value: " + t;
            return false;
        }
        std::string value = m[2];
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
        std::string name = m[1];
        if (name == "PHONEKEY") {
            std::smatch k;
            if (!std::regex_search(value, k, key_number)) {
                error = "line " + std::to_string(number) + ": PHONEKEY without Key=n: " + t;
                return false;
            }
            name += "[" + k[1].str() + "]";
        }
        out.push_back({name, value});
    }
    return true;
}

// Aastra's "sip line1 user name: 2001". A name keeps its words, joined by '_'
// so that a conformance list (whitespace-separated) can spell it.
bool parseColon(const std::string& text, std::vector<Param>& out, std::string& error) {
    std::istringstream in(text);
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        const std::string t = trim(line);
        if (t.empty() || t[0] == '#') continue;
        const size_t colon = t.find(':');
        if (colon == std::string::npos) {
            error = "line " + std::to_string(number) + " is not name: value: " + t;
            return false;
        }
        std::string name = trim(t.substr(0, colon));
        for (char& c : name)
            if (c == ' ') c = '_';
        out.push_back({name, trim(t.substr(colon + 1))});
    }
    return true;
}

bool isNamingAttribute(const char* name) {
    return !std::strcmp(name, "name") || !std::strcmp(name, "id") || !std::strcmp(name, "ID") ||
           !std::strcmp(name, "index") || !std::strcmp(name, "idx");
}

// An element's part of a parameter name: the `name` or `id` attribute when it
// has one (Grandstream <item name="...">, ALE <setting id="...">), else its tag with `.index` (Fanvil
// <line index="2">) or `[idx]` (Snom <user_name idx="2">); a Polycom
// directory <item> is numbered by its <sd> speed-dial index.
std::string segment(const tinyxml2::XMLElement& e) {
    // Gigaset's <oper name="add_hs" value="00002"> groups one handset's parameters.
    if (const char* n = e.Attribute("name"); n && e.FirstChildElement() && e.Attribute("value"))
        return std::string(n) + "." + e.Attribute("value");
    if (const char* n = e.Attribute("name")) return n;
    if (const char* n = e.Attribute("id")) return n;
    if (const char* n = e.Attribute("ID")) return n;  // Gigaset N510 <SYMB_ITEM ID="BS_IP_Data1.x">
    std::string s = e.Name();
    if (const char* i = e.Attribute("index")) s += std::string(".") + i;
    if (const char* i = e.Attribute("idx")) s += std::string("[") + i + "]";
    if (const auto* sd = e.FirstChildElement("sd"); sd && sd->GetText()) s += std::string(".") + sd->GetText();
    return s;
}

void walk(const tinyxml2::XMLElement& e, const std::string& path, Shape shape, bool root, std::vector<Param>& out) {
    if (shape == Shape::kAttributes) {
        for (const auto* a = e.FirstAttribute(); a; a = a->Next()) out.push_back({a->Name(), a->Value()});
    }
    const std::string here = root ? "" : (path.empty() ? "" : path + ".") + segment(e);
    if (!e.FirstChildElement()) {
        if (root || (shape == Shape::kAttributes && e.FirstAttribute())) return;
        Param p;
        p.name = shape == Shape::kLeafName ? segment(e) : here;
        p.value = e.GetText() ? e.GetText() : "";
        if (shape != Shape::kAttributes) {
            for (const auto* a = e.FirstAttribute(); a; a = a->Next())
                if (!isNamingAttribute(a->Name())) p.value += std::string("|") + a->Value();
        }
        out.push_back(std::move(p));
        return;
    }
    for (const auto* c = e.FirstChildElement(); c; c = c->NextSiblingElement()) walk(*c, here, shape, false, out);
}

}  // namespace

Shape shapeOf(const std::string& vendor, bool xml) {
    if (vendor == "panasonic") return Shape::kQuotedValue;
    if (vendor == "avaya") return Shape::kSet;
    if (!xml) return vendor == "aastra" ? Shape::kColon : Shape::kKeyValue;
    if (vendor == "polycom") return Shape::kAttributes;
    if (vendor == "fanvil" || vendor == "gigaset") return Shape::kPath;
    return Shape::kLeafName;
}

bool mixesForms(const std::string& text) {
    static const std::regex p_value("<P[0-9]+[ />]");
    static const std::regex alias("<item[ \t\r\n]+name=");
    return std::regex_search(text, alias) && std::regex_search(text, p_value);
}

// Panasonic: NAME="value" lines, '#' comments; the value without its quotes.
bool parsePanasonic(const std::string& text, std::vector<Param>& out, std::string& error) {
    std::vector<Param> raw;
    if (!parseKeyValue(text, raw, error)) return false;
    for (Param& p : raw) {
        if (p.value.size() < 2 || p.value.front() != '"' || p.value.back() != '"') {
            error = p.name + " is not NAME=\"value\": " + p.value;
            return false;
        }
        out.push_back({p.name, p.value.substr(1, p.value.size() - 2)});
    }
    return true;
}

bool parseParams(const std::string& text, Shape shape, std::vector<Param>& out, std::string& error) {
    if (shape == Shape::kKeyValue) return parseKeyValue(text, out, error);
    if (shape == Shape::kQuotedValue) return parsePanasonic(text, out, error);
    if (shape == Shape::kSet) return parseSet(text, out, error);
    if (shape == Shape::kColon) return parseColon(text, out, error);
    tinyxml2::XMLDocument doc;
    if (doc.Parse(text.data(), text.size()) != tinyxml2::XML_SUCCESS) {
        error = std::string("not well-formed XML: ") + doc.ErrorStr();
        return false;
    }
    for (const auto* e = doc.FirstChildElement(); e; e = e->NextSiblingElement()) walk(*e, "", shape, true, out);
    return true;
}

}  // namespace prov::conformance

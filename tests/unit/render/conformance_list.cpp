#include "conformance_list.h"

#include <cctype>
#include <fstream>
#include <sstream>

namespace prov::conformance {

namespace {

// Recursive descent over `s`: expr = term {(+|-) term}; term = factor
// {(*|/|%) factor}; factor = number | variable | (expr) | -factor.
struct Parser {
    const std::string& s;
    const std::map<char, long>& vars;
    size_t i = 0;
    bool ok = true;

    void skip() {
        while (i < s.size() && s[i] == ' ') ++i;
    }
    long factor() {
        skip();
        if (i >= s.size()) return ok = false, 0;
        if (s[i] == '(') {
            ++i;
            long v = expr();
            skip();
            if (i >= s.size() || s[i] != ')') return ok = false, 0;
            ++i;
            return v;
        }
        if (s[i] == '-') return ++i, -factor();
        if (std::isdigit(static_cast<unsigned char>(s[i]))) {
            long v = 0;
            while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) v = v * 10 + (s[i++] - '0');
            return v;
        }
        auto it = vars.find(s[i]);
        if (it == vars.end()) return ok = false, 0;
        ++i;
        return it->second;
    }
    long term() {
        long v = factor();
        for (skip(); ok && i < s.size() && (s[i] == '*' || s[i] == '/' || s[i] == '%'); skip()) {
            const char op = s[i++];
            const long r = factor();
            if (op != '*' && r == 0) return ok = false, 0;
            v = op == '*' ? v * r : op == '/' ? v / r : v % r;
        }
        return v;
    }
    long expr() {
        long v = term();
        for (skip(); ok && i < s.size() && (s[i] == '+' || s[i] == '-'); skip()) {
            const char op = s[i++];
            const long r = term();
            v = op == '+' ? v + r : v - r;
        }
        return v;
    }
};

bool globMatch(const std::string& glob, const std::string& text) {
    const size_t star = glob.find('*');
    if (star == std::string::npos) return glob == text;
    const std::string head = glob.substr(0, star), tail = glob.substr(star + 1);
    return text.size() >= head.size() + tail.size() && text.compare(0, head.size(), head) == 0 &&
           text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}

// `pattern` with every {expression} replaced by its value.
bool substitute(const std::string& pattern, const std::map<char, long>& vars, std::string& out) {
    out.clear();
    for (size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] != '{') {
            out += pattern[i];
            continue;
        }
        const size_t close = pattern.find('}', i);
        if (close == std::string::npos) return false;
        // "{N:5}": the value zero-padded to five digits (Gigaset's SipAccount.00002).
        std::string expr = pattern.substr(i + 1, close - i - 1);
        size_t width = 0;
        if (const size_t colon = expr.find(':'); colon != std::string::npos) {
            const std::string w = expr.substr(colon + 1);
            if (w.empty() || w.size() > 2 || w.find_first_not_of("0123456789") != std::string::npos) return false;
            width = std::stoul(w);
            expr.erase(colon);
        }
        long v = 0;
        if (!evaluate(expr, vars, v)) return false;
        const std::string digits = std::to_string(v);
        if (digits.size() < width) out += std::string(width - digits.size(), '0');
        out += digits;
        i = close;
    }
    return true;
}

}  // namespace

bool evaluate(const std::string& expr, const std::map<char, long>& vars, long& out) {
    Parser p{expr, vars};
    out = p.expr();
    p.skip();
    return p.ok && p.i == expr.size();
}

std::string Owner::describe() const {
    switch (kind) {
        case kGlobal: return "global settings";
        case kSection: return "a section element";
        case kAccount: return "account " + std::to_string(slot);
        case kKey: return "key " + std::to_string(slot);
    }
    return "?";
}

bool loadList(const std::string& path, List& out, std::string& error) {
    std::ifstream in(path);
    if (!in) return error = path + " cannot be read", false;
    out.path = path;
    static const std::map<std::string, Scope> scopes = {
        {"global", Scope::kGlobal},   {"section", Scope::kSection},       {"account", Scope::kAccount},
        {"key", Scope::kKey},         {"ekey", Scope::kExpansionKey},     {"speed", Scope::kSpeedDial}};
    std::string text;
    for (int number = 1; std::getline(in, text); ++number) {
        if (auto hash = text.find('#'); hash != std::string::npos) text.erase(hash);
        std::istringstream words(text);
        std::string scope;
        if (!(words >> scope)) continue;
        const std::string where = path + ":" + std::to_string(number) + ": ";
        auto s = scopes.find(scope);
        if (s == scopes.end()) return error = where + "unknown scope '" + scope + "'", false;
        Entry e;
        e.scope = s->second;
        e.line = number;
        if (!(words >> e.pattern)) return error = where + "no name", false;
        for (std::string option; words >> option;) {
            if (option.rfind("models=", 0) == 0) {
                std::istringstream globs(option.substr(7));
                for (std::string g; std::getline(globs, g, ',');) e.models.push_back(g);
            } else if (option.rfind("slots=", 0) == 0) {
                const std::string range = option.substr(6);
                const size_t dash = range.find('-');
                try {
                    e.first = std::stoi(range.substr(0, dash));
                    e.last = dash == std::string::npos ? e.first : std::stoi(range.substr(dash + 1));
                } catch (const std::exception&) {
                    return error = where + "bad slots '" + range + "'", false;
                }
            } else {
                return error = where + "unknown option '" + option + "'", false;
            }
        }
        out.entries.push_back(std::move(e));
    }
    return true;
}

std::map<std::string, Owner> expand(const List& list, const Layout& layout, std::string& error) {
    std::map<std::string, Owner> names;
    auto add = [&](const Entry& e, const std::map<char, long>& vars, Owner owner) {
        std::string name;
        if (!substitute(e.pattern, vars, name)) {
            error = list.path + ":" + std::to_string(e.line) + ": bad expression in " + e.pattern;
            return;
        }
        auto [it, fresh] = names.emplace(name, owner);
        if (!fresh && !(it->second == owner))
            error = list.path + ":" + std::to_string(e.line) + ": " + name + " given to " + owner.describe() +
                    " and to " + it->second.describe() + " (model " + layout.model + ")";
    };
    // The slots [lo, hi] an entry covers within the phone's own range.
    auto range = [](const Entry& e, int lo, int hi) {
        return std::pair{e.first ? std::max(lo, e.first) : lo, e.last ? std::min(hi, e.last) : hi};
    };
    for (const Entry& e : list.entries) {
        if (!e.models.empty()) {
            bool any = false;
            for (const auto& g : e.models) any = any || globMatch(g, layout.model);
            if (!any) continue;
        }
        switch (e.scope) {
            case Scope::kGlobal: {
                if (!e.first) {
                    add(e, {}, {Owner::kGlobal, 0});
                    break;
                }
                for (int i = e.first; i <= e.last; ++i) add(e, {{'I', i}}, {Owner::kGlobal, 0});
                break;
            }
            case Scope::kSection: add(e, {}, {Owner::kSection, 0}); break;
            case Scope::kAccount: {
                auto [lo, hi] = range(e, 1, layout.lines);
                for (int n = lo; n <= hi; ++n) add(e, {{'N', n}}, {Owner::kAccount, n});
                break;
            }
            case Scope::kKey: {
                auto [lo, hi] = range(e, 1, layout.keys);
                for (int k = lo; k <= hi; ++k) add(e, {{'K', k}}, {Owner::kKey, k});
                break;
            }
            case Scope::kExpansionKey: {
                for (int m = 1; m <= layout.modules; ++m) {
                    for (int j = 1; j <= layout.module_keys; ++j) {
                        const int k = layout.keys + (m - 1) * layout.module_keys + j;
                        if ((e.first && k < e.first) || (e.last && k > e.last)) continue;
                        add(e, {{'K', k}, {'M', m}, {'J', j}, {'X', k - layout.keys}}, {Owner::kKey, k});
                    }
                }
                break;
            }
            case Scope::kSpeedDial: {
                for (size_t s = 0; s < layout.speed_dial_keys.size(); ++s)
                    add(e, {{'S', static_cast<long>(s + 1)}}, {Owner::kKey, layout.speed_dial_keys[s]});
                break;
            }
        }
        if (!error.empty()) break;
    }
    return names;
}

}  // namespace prov::conformance

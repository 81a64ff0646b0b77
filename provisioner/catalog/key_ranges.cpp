#include "provisioner/catalog/key_ranges.h"

#include <Poco/Exception.h>

#include <cstdint>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

namespace prov {

namespace {

// A table covers at most this many keys: the duplicate check walks every
// key, and no phone has nearly as many.
constexpr int kMaxTableKeys = 1000;

std::string joined(const std::set<std::string>& names) {
    std::string out;
    for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
}

std::set<std::string> namesOf(const KeyRange& r) {
    std::set<std::string> out;
    for (const auto& [name, series] : r.params) out.insert(name);
    return out;
}

// Poco counts a JSON true as an integer; a key number is not one.
bool isInt(const Poco::Dynamic::Var& v) { return !v.isEmpty() && v.isInteger() && !v.isBoolean(); }

int intField(const Poco::JSON::Object& obj, const std::string& name, const std::string& where) {
    const Poco::Dynamic::Var v = obj.get(name);
    if (!isInt(v))
        throw Poco::DataFormatException(where + "." + name + " must be an integer");
    return v.convert<int>();
}

}  // namespace

const KeyRange* findKeyRange(const std::vector<KeyRange>& ranges, int index) {
    for (const KeyRange& r : ranges) {
        if (index >= r.from && index <= r.to) return &r;
    }
    return nullptr;
}

std::map<std::string, int> keyRangeParams(const std::vector<KeyRange>& ranges, int index) {
    std::map<std::string, int> out;
    const KeyRange* r = findKeyRange(ranges, index);
    if (!r) return out;
    for (const auto& [name, series] : r->params) out[name] = series.first + series.second * (index - r->from);
    return out;
}

std::optional<std::string> keyRangesProblem(const std::vector<KeyRange>& ranges, int keys,
                                            const std::set<std::string>& names, const std::set<std::string>& taken) {
    if (ranges.empty()) return "key_ranges is empty";
    if (keys > kMaxTableKeys) return "a key table covers at most " + std::to_string(kMaxTableKeys) + " keys";
    const std::set<std::string> want = names.empty() ? namesOf(ranges.front()) : names;
    int next = 1;
    for (size_t i = 0; i < ranges.size(); ++i) {
        const KeyRange& r = ranges[i];
        const std::string at = "key_ranges[" + std::to_string(i) + "]";
        if (r.from != next)
            return at + " starts at key " + std::to_string(r.from) + ": the ranges go in key order from key 1, " +
                   "each from the key after the last one's end (" + std::to_string(next) + ")";
        if (r.to < r.from) return at + " ends (" + std::to_string(r.to) + ") before it starts";
        if (r.to > keys)
            return at + " ends at key " + std::to_string(r.to) + ", past the model's " + std::to_string(keys) +
                   " keys";
        if (namesOf(r) != want)
            return at + " names the parameters " + joined(namesOf(r)) + ": every range names " + joined(want);
        if (r.default_line && !r.line_keys) return at + " takes no line, so its keys cannot default to one";
        next = r.to + 1;
    }
    if (next != keys + 1)
        return "key_ranges ends at key " + std::to_string(next - 1) + ": it must cover the model's " +
               std::to_string(keys) + " keys";
    // Each parameter number once: a second writer would overwrite another
    // key's (or account's) setting, the fault the table exists to avoid.
    std::map<int, std::string> owner;
    for (const KeyRange& r : ranges) {
        for (int k = r.from; k <= r.to; ++k) {
            for (const auto& [name, number] : keyRangeParams(ranges, k)) {
                const std::string what = "key " + std::to_string(k) + "'s " + name;
                const std::string p = "P" + std::to_string(number);
                if (number < 1) return what + " would be " + p + ": parameter numbers start at 1";
                if (taken.count(p)) return what + " would be " + p + ", which is a line parameter";
                auto [it, fresh] = owner.emplace(number, what);
                if (!fresh) return what + " would be " + p + ", which is already " + it->second;
            }
        }
    }
    return std::nullopt;
}

std::vector<KeyRange> parseKeyRanges(const Poco::JSON::Array& ranges, const std::string& where) {
    std::vector<KeyRange> out;
    for (size_t i = 0; i < ranges.size(); ++i) {
        const std::string at = where + "[" + std::to_string(i) + "]";
        auto obj = ranges.getObject(static_cast<unsigned>(i));
        if (!obj) throw Poco::DataFormatException(at + " must be an object");
        KeyRange r;
        r.from = intField(*obj, "from", at);
        r.to = intField(*obj, "to", at);
        r.kind = obj->optValue<std::string>("kind", "");
        r.line_keys = obj->optValue<bool>("line_keys", true);
        r.default_line = obj->optValue<bool>("default_line", false);
        // Every other member is a parameter: [number at `from`, step].
        for (const auto& [name, value] : *obj) {
            (void)value;
            if (name == "from" || name == "to" || name == "kind" || name == "line_keys" || name == "default_line")
                continue;
            auto series = obj->getArray(name);
            if (!series || series->size() != 2 || !isInt(series->get(0)) || !isInt(series->get(1)))
                throw Poco::DataFormatException(at + "." + name + " must be [number, step] (two integers)");
            r.params[name] = {series->getElement<int>(0), series->getElement<int>(1)};
        }
        if (r.params.empty()) throw Poco::DataFormatException(at + " names no parameter");
        out.push_back(std::move(r));
    }
    return out;
}

std::map<std::string, int> moduleKeyParams(const ModuleKeyParams& table, int module, int key) {
    std::map<std::string, int> out;
    for (const auto& [name, series] : table.params) {
        // In 64 bits, then held to an int: a table past it is refused when
        // loaded (moduleKeyParamsProblem), never wrapped.
        const int64_t n = int64_t{series.first} + int64_t{series.second} * (key - 1) +
                          int64_t{table.module_step} * (module - 1);
        out[name] = n < 1 || n > INT32_MAX ? 0 : static_cast<int>(n);
    }
    return out;
}

std::optional<std::string> moduleKeyParamsProblem(const ModuleKeyParams& table, int keys, int max,
                                                  const std::set<std::string>& taken) {
    if (!table.any()) return std::nullopt;
    if (static_cast<long long>(keys) * max > kMaxTableKeys)
        return "key_params numbers at most " + std::to_string(kMaxTableKeys) + " module keys";
    // As in a model's table: a number written twice would set one key's
    // parameter from another's, or a line's, so the table is refused whole.
    std::map<int, std::string> owner;
    for (int m = 1; m <= max; ++m) {
        for (int j = 1; j <= keys; ++j) {
            for (const auto& [name, number] : moduleKeyParams(table, m, j)) {
                const std::string what = "module " + std::to_string(m) + " key " + std::to_string(j) + "'s " + name;
                const std::string p = "P" + std::to_string(number);
                if (number < 1) return what + " would be below 1 or past 2^31: parameter numbers start at 1";
                if (taken.count(p)) return what + " would be " + p + ", which is a line or key parameter of the phone";
                auto [it, fresh] = owner.emplace(number, what);
                if (!fresh) return what + " would be " + p + ", which is already " + it->second;
            }
        }
    }
    return std::nullopt;
}

ModuleKeyParams parseModuleKeyParams(const Poco::JSON::Object& module, const std::string& where) {
    ModuleKeyParams out;
    if (module.has("module_step")) out.module_step = intField(module, "module_step", where);
    if (!module.has("key_params")) {
        if (module.has("module_step")) throw Poco::DataFormatException(where + ".module_step needs key_params");
        return out;
    }
    auto params = module.getObject("key_params");
    if (!params) throw Poco::DataFormatException(where + ".key_params must be an object");
    for (const auto& [name, value] : *params) {
        (void)value;
        auto series = params->getArray(name);
        if (!series || series->size() != 2 || !isInt(series->get(0)) || !isInt(series->get(1)))
            throw Poco::DataFormatException(where + ".key_params." + name + " must be [number, step] (two integers)");
        out.params[name] = {series->getElement<int>(0), series->getElement<int>(1)};
    }
    if (out.params.empty()) throw Poco::DataFormatException(where + ".key_params names no parameter");
    return out;
}

}  // namespace prov

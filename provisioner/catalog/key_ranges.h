#pragma once

// A model's key parameter table (vendor.json `models.<model>.key_ranges`),
// for phones whose keys are not one linear series of parameter numbers
// (Grandstream GRP26xx: VPK 1-6 at P1363.., VPK 7+ at P23800.., the MPKs in
// three series of their own). Each range gives, for keys `from`..`to`, each
// parameter's number at key `from` and its step from key to key:
//
//   {"from": 7, "to": 16, "kind": "VPK", "type": [23800, 4], "account": [23801, 4], ...}
//
// puts key 9's `type` at P23808. The vendor-level `key_params` stays for the
// models without a table.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace Poco::JSON {
class Array;
class Object;
}

namespace prov {

struct KeyRange {
    int from = 0;
    int to = 0;
    // What the phone calls these keys ("VPK", "MPK"), for messages; "" = plain keys.
    std::string kind{};
    // Whether a line appearance may sit on these keys (`"line_keys": false`:
    // Grandstream's MPKs have no line mode).
    bool line_keys = true;
    // An unused key K of this range with K <= the model's lines is written
    // as the phone's own default, the line key of account K (`"default_line"`:
    // Grandstream's fixed VPKs, which the phone re-creates as line keys).
    bool default_line = false;
    std::map<std::string, std::pair<int, int>> params{};  // name -> (number at key `from`, step)
};

// The range holding key `index`, or null.
const KeyRange* findKeyRange(const std::vector<KeyRange>& ranges, int index);

// Key `index`'s parameter numbers by name; empty when no range holds it.
std::map<std::string, int> keyRangeParams(const std::vector<KeyRange>& ranges, int index);

// Why `ranges` is no table for a model of `keys` keys, or nullopt. A table
// is in key order, contiguous from key 1 to key `keys` without overlap;
// every range names the same parameters (`names`, when not empty: the
// vendor's key_params, which the templates read); no parameter number is
// produced twice, nor one of `taken` (the vendor's line_params, "P271"
// spelled as a template writes it); a range without lines is not a
// default line range.
std::optional<std::string> keyRangesProblem(const std::vector<KeyRange>& ranges, int keys,
                                            const std::set<std::string>& names, const std::set<std::string>& taken);

// models.<model>.key_ranges as written (`where` names it in messages);
// shape only, keyRangesProblem checks the table. Throws
// Poco::DataFormatException, as the rest of VendorCatalog::load's parsing,
// which turns it into an error naming the file.
std::vector<KeyRange> parseKeyRanges(const Poco::JSON::Array& ranges, const std::string& where);

// An expansion module's key parameter numbers (vendor.json
// `expansion_modules.<module>.key_params` and `module_step`), for phones that
// give every key of every module a number of its own (Htek's UC46: key J of
// module M has its type at P60000 + 1000(M-1) + 5(J-1)):
//
//   "key_params": {"type": [60000, 5], "value": [60001, 5]}, "module_step": 1000
//
// puts parameter `name` of key J on module M at number + step*(J-1) +
// module_step*(M-1). Empty `params`: the module's keys get no numbers (the
// templates spell them, as Yealink's expansion_module.M.key.J).
struct ModuleKeyParams {
    std::map<std::string, std::pair<int, int>> params{};  // name -> (number at module 1 key 1, step)
    int module_step = 0;
    bool any() const { return !params.empty(); }
};

// Key `key` (1-based) of module `module` (1-based): its parameter numbers by name.
std::map<std::string, int> moduleKeyParams(const ModuleKeyParams& table, int module, int key);

// Why `table` cannot number `max` modules of `keys` keys, or nullopt: a
// number below 1, or one produced twice (two keys, or a key of one module
// and of another) or already `taken` by the phone ("P271" spelled as a
// template writes it: its line parameters and its own keys').
std::optional<std::string> moduleKeyParamsProblem(const ModuleKeyParams& table, int keys, int max,
                                                  const std::set<std::string>& taken);

// expansion_modules.<module>'s key_params and module_step as written
// (`where` names the module in messages); shape only. Throws
// Poco::DataFormatException as parseKeyRanges.
ModuleKeyParams parseModuleKeyParams(const Poco::JSON::Object& module, const std::string& where);

}  // namespace prov

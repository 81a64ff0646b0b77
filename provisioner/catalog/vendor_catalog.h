#pragma once

// The vendors and models described as data in vendor-templates/<vendor>/vendor.json
// (schema: vendor-templates/README.md). Loaded whole at start and on reload;
// immutable afterwards, so readers share it without locks.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "provisioner/catalog/key_ranges.h"
#include "provisioner/catalog/path_pattern.h"
#include "provisioner/core/result.h"

namespace Poco {
class RegularExpression;
}

namespace prov {

// A key expansion module (vendor.json `expansion_modules`): `keys` keys
// each, at most `max` on one phone.
struct ExpansionModule {
    std::string name;  // as vendor.json spells it, e.g. "EXP50"
    int keys = 0;
    int max = 0;
    // Whether a line appearance may sit on its keys (`"line_keys": false`:
    // they take BLF, speed dial and park only, as Cisco's KEMs in the references).
    bool line_keys = true;
    // Its keys' own parameter numbers (`key_params`, `module_step`:
    // catalog/key_ranges.h), for vendors that number them; empty otherwise.
    ModuleKeyParams key_params{};
};

// Where a phone's keys sit when it has more than its side keys (vendor.json
// `key_pages`, Fanvil's DSS keys): keys 1..side on the side of the screen,
// then `pages` screen pages of `per_page` keys each, key K > side on page
// (K-side-1)/per_page+1 at position (K-side-1)%per_page+1. All 0: no pages.
struct KeyPages {
    int side = 0;
    int per_page = 0;
    int pages = 0;
    bool any() const { return pages > 0; }
    int total() const { return side + per_page * pages; }
};

// Where key `index` (1-based) sits: page 0 is the side keys, `key` its
// index there; a page past `pages` for a key past `total()`.
struct KeyPlace {
    int page = 0;
    int key = 0;
};
KeyPlace placeKey(const KeyPages& layout, int index);

struct ModelInfo {
    std::string vendor;       // folder name, e.g. "yealink"
    std::string vendor_name;  // display name, e.g. "Yealink"
    std::string model;        // e.g. "T46U"
    int lines = 0;            // SIP accounts the phone registers
    int keys = 0;             // programmable line keys
    std::vector<ExpansionModule> expansion;  // the modules it takes, in vendor.json order
    // Its own key codes where a family of the vendor's numbers them
    // differently (Grandstream GRP26xx), replacing the vendor's
    // `button_types`; and the code of an unused key ("" = the template's).
    std::map<std::string, std::string> button_types{};
    std::string unused_key_code{};
    KeyPages key_pages{};
    // The vendor.json `families` entry the model belongs to ("" = none):
    // its files are rendered with that family's templates and vocabulary
    // (VendorSpec::forModel).
    std::string family{};
    // Keys 1..virtual_keys are on-screen keys and the rest physical ones,
    // numbered from 1 again in the vendor's own files (Grandstream VPKs and
    // MPKs: MPK M is key virtual_keys+M). 0: every key is of one kind.
    int virtual_keys = 0;
    // What the vendor's files call each kind of key (vendor.json
    // `bank_names`): the on-screen keys' name, then the physical keys' when
    // `virtual_keys` splits them (Aastra "topsoftkey" and "softkey": key
    // 21 of a 6867i is softkey1). Empty: the templates spell the keys.
    std::vector<std::string> bank_names{};
    // Keys 1..line_keys are the only ones of the phone's own that take a
    // line (Grandstream's fixed VPKs: a dynamic VPK's modes have no Line,
    // F grandstream/gxp2135/{$mac}.xml:3010-3031). 0: every on-screen key.
    int line_keys = 0;
    // Its key parameter table (`key_ranges`, catalog/key_ranges.h), in key
    // order; empty: the vendor's `key_params` formula.
    std::vector<KeyRange> key_ranges{};
    // The module named `name` (any case) that this model takes, or null.
    const ExpansionModule* findExpansion(std::string_view name) const;
};

// The key index space of a phone: its own keys 1..base, then module m
// (1-based) holds base+(m-1)*module_keys+1 .. base+m*module_keys.
struct KeySpace {
    int base = 0;
    int module_keys = 0;
    int modules = 0;
    std::string module_name;
    bool module_line_keys = true;
    int total() const { return base + module_keys * modules; }
};

// `model` with `count` modules named `module` (count 0 or an unknown module: none).
KeySpace keySpace(const ModelInfo& model, std::string_view module, int count);

// Where a softphone's application is downloaded (vendor.json `downloads`).
struct AppDownload {
    std::string platform;  // as shown, e.g. "Windows", "iOS"
    std::string url;       // https only
};

class ModelCatalog {
public:
    virtual ~ModelCatalog() = default;
    // Case-insensitive on both; `make` matches the vendor id or display name.
    virtual std::optional<ModelInfo> findModel(const std::string& make, const std::string& model) const = 0;
    // The display name of the vendor `make` names (id or name, any case), or "".
    virtual std::string findMake(const std::string& make) const = 0;
    // Every vendor's display name, for messages.
    virtual std::vector<std::string> makes() const = 0;
    // Whether `make` (id or name, any case) is a softphone vendor (vendor.json
    // `"softphone": true`): its extensions store make and model themselves,
    // with no device.
    virtual bool isSoftphone(const std::string& make) const {
        (void)make;
        return false;
    }
    // A softphone vendor's download links (vendor.json `downloads`).
    virtual std::vector<AppDownload> downloads(const std::string& make) const {
        (void)make;
        return {};
    }
    // Why phones of `make` (of `model`, whose family may have a vocabulary
    // of its own; "" = the vendor's) cannot take `value` of setting `key` (a
    // sentence naming the vendor), or nullopt: when they can, when the value
    // is "" (the phone keeps its own) or when no vendor is called `make`.
    virtual std::optional<std::string> settingProblem(const std::string& make, const std::string& model,
                                                      const std::string& key, const std::string& value) const {
        (void)make, (void)model, (void)key, (void)value;
        return std::nullopt;
    }
    // Why the files of a `make` `model` (its family's, if it has one; "" or
    // an unknown model: every file of the make's) cannot write `value` of a field the
    // templates print (a caller ID name, a secret, a key's label), or
    // nullopt: a quoted format whose values cannot hold a `"` (Avaya's
    // settings scripts, Panasonic's files), or a `;` in a key's label or
    // value (`key` true) where Avaya's PHONEKEY lines separate fields by it.
    virtual std::optional<std::string> valueProblem(const std::string& make, const std::string& model,
                                                    const std::string& value, bool key) const {
        (void)make, (void)model, (void)value, (void)key;
        return std::nullopt;
    }
};

enum class FileKind { kCommon, kDevice, kUpload };
// kKv: `key = value` lines; kXml: XML; kPanasonic: Panasonic's NAME="value"
// files, with their header line and limits (render/panasonic_file.h); kSet:
// Avaya settings scripts (`SET NAME "value"` lines), whose quoted values
// cannot hold a `"`; kXmlQuoted: XML in ISO-8859-1 whose values are quoted
// strings inside attributes (`value='"..."'`, Gigaset's N510 provider file),
// which cannot hold a `"` either (render/escape.h, finishXmlQuoted).
enum class OutputFormat { kKv, kXml, kPanasonic, kSet, kXmlQuoted };

struct FileRoute {
    PathPattern pattern;
    std::string template_name;  // file in the vendor folder; empty for uploads
    FileKind kind = FileKind::kCommon;
    bool secrets = false;
    OutputFormat format = OutputFormat::kKv;
    std::string content_type;
    // "aes-128-ecb": once the device has its own AES key (sent in the plain
    // config of a proven first contact), the file goes out encrypted with it
    // (Yealink's MAC-oriented key). "" = never encrypted.
    std::string encrypt;
    // The one device file that carries the firmware keys (issue 14): its
    // render gets the device's firmware target, and its fetches move the
    // device's firmware status (one fetch per boot, however many files).
    bool firmware = false;
};

struct UaPattern {
    std::shared_ptr<Poco::RegularExpression> regex;
    int model = 0, firmware = 0, mac = 0;
};

struct VendorSpec {
    std::string id;
    std::string name;
    // Other names a device's make may give the vendor (vendor.json `makes`:
    // "Mitel" for the Aastra folder); matched as the id and name are.
    std::vector<std::string> makes;
    std::string dir;           // the vendor folder
    std::string override_dir;  // its folder under templates.override_dir; may not exist
    bool mac_upper = false;
    // A softphone application (vendor.json `"softphone": true`): no files,
    // no MAC; its extensions carry make and model themselves and can be
    // sent an invitation with these download links.
    bool softphone = false;
    std::vector<AppDownload> downloads;
    std::vector<UaPattern> user_agents;
    std::vector<FileRoute> files;
    std::map<std::string, std::string> transports;
    // The Event header of the SIP NOTIFY that asks its phones to fetch their
    // config again (vendor.json `resync_event`, default "check-sync").
    std::string resync_event = "check-sync";
    std::map<std::string, std::string> button_types;
    // provisioning_url's scheme ("http", "https", "tftp") -> the vendor's
    // code for it, for phones that take the protocol in a field of its own.
    std::map<std::string, std::string> provisioning_protocols;
    // Every line gets a line key: one that no `line` button names takes the
    // first key no button uses, from its own number on (Cisco: a line with
    // no key has no call appearance).
    bool line_key_per_line = false;
    // The vendor's own name for a time zone (`tz_vendor_name`), looked up by
    // zone name ("Europe/Paris"), then by standard offset ("+1", "+5:30").
    std::map<std::string, std::string> time_zone_names;
    std::vector<std::map<std::string, std::string>> line_params;
    std::map<std::string, std::pair<int, int>> key_params;  // name -> (base, step)
    // The last key the key_params formula holds for (0: every key). Past it
    // the formula lands on other settings' parameters (Grandstream P1376...),
    // so a key there gets no `p` and a template writes nothing for it.
    int key_params_max = 0;
    std::map<std::string, ModelInfo> models;                 // key: uppercase model
    // A phone setting's values the vendor can express and its code for each
    // (vendor.json `setting_values`): setting -> our value -> parts. A value
    // given as a string is the one part "" ; an object gives named parts.
    // A setting the map lacks takes any value; one mapped to {} takes none.
    using SettingCode = std::map<std::string, std::string>;
    std::map<std::string, std::map<std::string, SettingCode>> setting_values;
    // The most codecs the vendor can put in order (0: no limit).
    int codecs_max = 0;
    // Key expansion modules (`expansion_modules`); a model lists the ones it takes.
    std::map<std::string, ExpansionModule> expansion_modules;  // key: uppercase name
    // The vendor's MAC prefixes (6 lowercase hex digits): which vendor a
    // file name several vendors use belongs to, for a MAC the store does not
    // know and a request without a User-Agent (TFTP).
    std::vector<std::string> ouis;
    // A model family with a file format of its own (vendor.json `families`):
    // this vendor with the family's templates and value maps in place of
    // its own. Built whole at load; a family's spec has no families.
    std::map<std::string, std::shared_ptr<const VendorSpec>> families;
    // In a family's spec: a route's template -> the family's file for it.
    std::map<std::string, std::string> templates;
    // In a family's spec: the format of every file of the family (vendor.json
    // `families.<family>.format`) in place of each route's; none: the route's.
    std::optional<OutputFormat> family_format;
    // The format `route` renders in under this spec.
    OutputFormat formatOf(const FileRoute& route) const { return family_format.value_or(route.format); }
    bool isModel(std::string_view model) const;
    // The model `model` names: its exact name in any case, else the one
    // that reads the same with letters and digits only ("X6U Pro", as
    // Fanvil's User-Agent spells it, is X6U-Pro). Null when none.
    const ModelInfo* findModel(std::string_view model) const;
    // The spec `model`'s files are rendered and its settings checked with:
    // its family's, or this one (an unknown model, a model in no family).
    const VendorSpec& forModel(std::string_view model) const;
    // The template a route's `template_name` is rendered with under this spec.
    const std::string& templateFor(const std::string& template_name) const;
    // The path of the file `name` of this vendor: under override_dir when
    // it is there, else under dir.
    std::string file(const std::string& name) const;
};

// Why `vendor`'s phones cannot take `value` of setting `key`, or nullopt
// (ModelCatalog::settingProblem for one vendor).
std::optional<std::string> settingProblem(const VendorSpec& vendor, const std::string& key, const std::string& value);

struct UaMatch {
    const VendorSpec* vendor = nullptr;
    std::string model;
    std::string firmware;
    std::string mac;  // as sent; empty when the UA carries none
};

struct RouteMatch {
    const VendorSpec* vendor = nullptr;
    const FileRoute* route = nullptr;
    PathCaptures captures;
};

class VendorCatalog final : public ModelCatalog {
public:
    // Reads every <dir>/*/vendor.json. A malformed file is an error naming it.
    // A file under `override_dir` (an admin's, when `dir` is the packaged
    // set) takes the place of the file of the same <vendor>/<name> under
    // `dir`, vendor.json included, as /etc overrides /usr/lib for systemd
    // units; a vendor folder found only there adds a vendor. An empty or
    // missing `override_dir` overrides nothing.
    static Result<VendorCatalog> load(const std::string& dir, const std::string& override_dir = "");

    std::optional<ModelInfo> findModel(const std::string& make, const std::string& model) const override;
    std::string findMake(const std::string& make) const override;
    std::vector<std::string> makes() const override;
    bool isSoftphone(const std::string& make) const override;
    std::vector<AppDownload> downloads(const std::string& make) const override;
    std::optional<std::string> settingProblem(const std::string& make, const std::string& model,
                                              const std::string& key, const std::string& value) const override;
    std::optional<std::string> valueProblem(const std::string& make, const std::string& model,
                                            const std::string& value, bool key) const override;
    // The vendor `make` names: its folder, display name or one of its
    // `makes`, in any case; null for "" and for any other name.
    const VendorSpec* findVendor(const std::string& make) const;
    std::optional<UaMatch> identifyUserAgent(const std::string& user_agent) const;
    // Every route whose pattern matches `file`, most specific first.
    std::vector<RouteMatch> matchFile(const std::string& file) const;
    const std::vector<std::unique_ptr<VendorSpec>>& vendors() const { return vendors_; }

private:
    std::optional<UaMatch> identifyUncached(const std::string& user_agent) const;
    std::vector<RouteMatch> matchUncached(const std::string& file) const;

    std::vector<std::unique_ptr<VendorSpec>> vendors_;
    // Phones of a site send the same few names and User-Agents over and over:
    // both answers are remembered (bounded; emptied when full).
    struct Memo {
        static constexpr size_t kMax = 4096;
        std::mutex mutex;
        std::unordered_map<std::string, std::optional<UaMatch>> user_agents;
        std::unordered_map<std::string, std::vector<RouteMatch>> files;
    };
    std::unique_ptr<Memo> memo_ = std::make_unique<Memo>();
};

}  // namespace prov

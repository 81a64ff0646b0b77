#include <catch2/catch.hpp>

#include <string>

#include "provisioner/model/settings.h"
#include "provisioner/render/render_context.h"
#include "provisioner/render/template_set.h"
#include "temp_dir.h"

using namespace prov;
using prov::testing::TempDir;

namespace {

// One vendor, "acme", whose device file prints the variables under test.
struct Acme {
    TempDir dir;
    explicit Acme(bool line_key_per_line) {
        dir.write("acme/vendor.json", std::string(R"({
  "name": "Acme",
  "files": [{"path": "{mac}.cfg", "template": "mac.mustache", "kind": "device"}],
  "button_types": {"line": "L", "blf": "B", "park": "P"},
  "provisioning_protocols": {"http": "1", "https": "2"},
  "line_key_per_line": )") + (line_key_per_line ? "true" : "false") + R"(,
  "models": {"A1": {"lines": 4, "keys": 6}}
})");
        dir.write("acme/mac.mustache",
                  "url={{provisioning_url}}|base={{provisioning_base}}|scheme={{provisioning_scheme}}"
                  "|host={{provisioning_host}}|path={{provisioning_path}}|server={{provisioning_server}}"
                  "|code={{#has_provisioning_protocol_code}}{{provisioning_protocol_code}}{{/has_provisioning_protocol_code}}"
                  "|hours={{resync_hours}}\n"
                  "{{#keys}}{{index}}:{{code}}:{{line}}:{{line_label}}\n{{/keys}}");
    }
};

std::string render(const Acme& acme, SettingsMap settings, const DeviceProfile& profile) {
    auto catalog = VendorCatalog::load(acme.dir.path());
    REQUIRE(catalog);
    auto set = TemplateSet::load(catalog.value());
    REQUIRE(set);
    auto matches = catalog.value().matchFile("0015654aa937.cfg");
    REQUIRE(matches.size() == 1);
    RenderInput in;
    in.vendor = matches[0].vendor;
    in.route = matches[0].route;
    in.captures = matches[0].captures;
    in.file = "0015654aa937.cfg";
    in.mac = "0015654aa937";
    in.model = "A1";
    in.profile = &profile;
    in.settings = std::move(settings);
    auto out = set.value()->render(in);
    REQUIRE(out);
    return out.value();
}

Extension line(int reg, const std::string& ext) {
    Extension e;
    e.extension = ext;
    e.phone_reg = reg;
    return e;
}

std::string firstLine(const std::string& s) { return s.substr(0, s.find('\n')); }
std::string afterFirstLine(const std::string& s) { return s.substr(s.find('\n') + 1); }

}  // namespace

TEST_CASE("render context: the provisioning server in every shape") {
    Acme acme(false);
    const DeviceProfile profile;
    struct Case {
        const char* url;
        const char* want;
    };
    const Case cases[] = {
        {"https://prov.example.net/",
         "url=https://prov.example.net/|base=https://prov.example.net|scheme=https|host=prov.example.net"
         "|path=|server=prov.example.net|code=2|hours=2"},
        {"http://192.0.2.10:8080/p//q",
         "url=http://192.0.2.10:8080/p/q/|base=http://192.0.2.10:8080/p/q|scheme=http|host=192.0.2.10:8080"
         "|path=/p/q|server=192.0.2.10:8080/p/q|code=1|hours=2"},
        {"tftp://192.0.2.10", "url=tftp://192.0.2.10/|base=tftp://192.0.2.10|scheme=tftp|host=192.0.2.10"
                              "|path=|server=192.0.2.10|code=|hours=2"},
        {"", "url=|base=|scheme=|host=|path=|server=|code=|hours=2"},
    };
    for (const Case& c : cases) {
        INFO(c.url);
        CHECK(firstLine(render(acme, {{"provisioning_url", c.url}, {"resync_interval", "3601"}}, profile)) == c.want);
    }
    // Hours are rounded up: an hour is 1, no resync is 0.
    CHECK(firstLine(render(acme, {{"resync_interval", "3600"}}, profile)).find("|hours=1") != std::string::npos);
    CHECK(firstLine(render(acme, {{"resync_interval", "0"}}, profile)).find("|hours=0") != std::string::npos);
}

TEST_CASE("render context: host and port apart, minutes west, lines in five digits, key bank names") {
    TempDir dir;
    dir.write("acme/vendor.json", R"({
  "name": "Acme",
  "files": [{"path": "{mac}.cfg", "template": "mac.mustache", "kind": "device"}],
  "button_types": {"line": "L"},
  "models": {"A1": {"lines": 2, "keys": 3, "virtual_keys": 2, "bank_names": ["top", "soft"]}}
})");
    dir.write("acme/mac.mustache",
              "{{provisioning_hostname}}|{{provisioning_port}}|{{#provisioning_is_http}}http{{/provisioning_is_http}}"
              "{{#provisioning_is_https}}https{{/provisioning_is_https}}{{#provisioning_is_tftp}}tftp{{/provisioning_is_tftp}}"
              "|{{tz_offset_minutes_west}}\n{{#account_slots}}{{number5}} {{/account_slots}}\n"
              "{{#key_slots}}{{bank_name}}{{bank_key}} {{/key_slots}}");
    auto catalog = VendorCatalog::load(dir.path());
    REQUIRE(catalog);
    auto set = TemplateSet::load(catalog.value());
    REQUIRE(set);
    const auto matches = catalog.value().matchFile("0015654aa937.cfg");
    REQUIRE(matches.size() == 1);
    const DeviceProfile profile;
    auto render = [&](const std::string& url, const std::string& zone) {
        RenderInput in;
        in.vendor = matches[0].vendor;
        in.route = matches[0].route;
        in.captures = matches[0].captures;
        in.file = "0015654aa937.cfg";
        in.mac = "0015654aa937";
        in.model = "A1";
        in.profile = &profile;
        in.settings = {{"provisioning_url", url}, {"timezone", zone}};
        auto out = set.value()->render(in);
        REQUIRE(out);
        return out.value();
    };
    struct Case {
        const char* url;
        const char* zone;
        const char* want;
    };
    const Case cases[] = {
        {"https://prov.example.net/p/", "Etc/GMT-1", "prov.example.net|443|https|-60"},
        {"http://192.0.2.10:8080/", "Etc/GMT+5", "192.0.2.10|8080|http|300"},
        {"http://[2001:db8::1]/", "UTC", "[2001:db8::1]|80|http|0"},
        {"http://[2001:db8::1]:8081/", "UTC", "[2001:db8::1]|8081|http|0"},
        {"tftp://192.0.2.10", "UTC", "192.0.2.10|69|tftp|0"},
        {"", "UTC", "|||0"},
    };
    for (const Case& c : cases) {
        INFO(c.url);
        CHECK(firstLine(render(c.url, c.zone)) == c.want);
    }
    // Every account slot in five digits; keys 1-2 the first kind's, key 3 the second's, from 1.
    CHECK(afterFirstLine(render("", "UTC")) == "00001 00002 \ntop1 top2 soft1 ");
}

TEST_CASE("render context: line_key_per_line gives every line a key") {
    DeviceProfile p;
    p.lines = {line(1, "1001"), line(2, "1002"), line(3, "1003")};
    // Line 1 has its key; key 2 is a BLF, 3 a park on line 2: line 2 takes the
    // first free key from 2 on (4), line 3 the next (5).
    p.keys = {Button{1, "line", "", "", 1}, Button{2, "blf", "1005", "Eve", 1}, Button{3, "park", "701", "", 2}};
    CHECK(afterFirstLine(render(Acme(true), {}, p)) ==
          "1:L:1:1001\n2:B:1:Eve\n3:P:2:701\n4:L:2:1002\n5:L:3:1003\n");
    // Without the flag the keys are the admin's, untouched.
    CHECK(afterFirstLine(render(Acme(false), {}, p)) == "1:L:1:1001\n2:B:1:Eve\n3:P:2:701\n");
    // A line's own number, when free, is its key; past the model's 6 keys, none.
    p.keys = {Button{1, "line", "", "", 1}, Button{4, "blf", "1005", "Eve", 1}, Button{5, "blf", "1006", "", 1},
              Button{6, "blf", "1007", "", 1}};
    p.lines.push_back(line(4, "1004"));
    CHECK(afterFirstLine(render(Acme(true), {}, p)) ==
          "1:L:1:1001\n2:L:2:1002\n3:L:3:1003\n4:B:1:Eve\n5:B:1:1006\n6:B:1:1007\n");
}

TEST_CASE("render context: expansion module keys follow the phone's, each with its module and key") {
    TempDir dir;
    dir.write("acme/vendor.json", R"({
  "name": "Acme",
  "files": [{"path": "{mac}.cfg", "template": "mac.mustache", "kind": "device"}],
  "button_types": {"line": "L", "blf": "B"},
  "expansion_modules": {"EM3": {"keys": 3, "max": 2}},
  "models": {"A2": {"lines": 1, "keys": 2, "expansion": ["EM3"]}}
})");
    dir.write("acme/mac.mustache",
              "{{#key_slots}}k{{index}}{{#used}}={{code}}{{/used}} {{/key_slots}}|"
              "{{#expansion_slots}}{{index}}:{{module}}.{{module_key}}{{#used}}={{code}}{{/used}} {{/expansion_slots}}|"
              "{{#all_key_slots}}{{index}} {{/all_key_slots}}|{{expansion_model}}x{{expansion_count}}"
              "{{#expansion_is_EM3}}!{{/expansion_is_EM3}}");
    auto catalog = VendorCatalog::load(dir.path());
    REQUIRE(catalog);
    auto set = TemplateSet::load(catalog.value());
    REQUIRE(set);
    auto matches = catalog.value().matchFile("0015654aa937.cfg");
    REQUIRE(matches.size() == 1);
    DeviceProfile p;
    p.lines = {line(1, "1001")};
    p.keys = {Button{1, "line", "", "", 1}, Button{3, "blf", "1002", "", 1}, Button{8, "blf", "1003", "", 1}};
    RenderInput in;
    in.vendor = matches[0].vendor;
    in.route = matches[0].route;
    in.captures = matches[0].captures;
    in.file = "0015654aa937.cfg";
    in.mac = "0015654aa937";
    in.model = "A2";
    in.profile = &p;
    auto render = [&] {
        auto out = set.value()->render(in);
        REQUIRE(out);
        return out.value();
    };
    // Two modules of 3: indexes 3-5 on the first, 6-8 on the second.
    p.device.expansion_model = "EM3";
    p.device.expansion_count = 2;
    CHECK(render() == "k1=L k2 |3:1.1=B 4:1.2 5:1.3 6:2.1 7:2.2 8:2.3=B |1 2 3 4 5 6 7 8 |EM3x2!");
    // No module: the phone's keys only, and the buttons past them as before
    // (stored before counts were enforced; a phone ignores a key it lacks).
    p.device.expansion_count = 0;
    CHECK(render() == "k1=L k2 k3=B k8=B ||1 2 3 8 |x0");
}

TEST_CASE("render context: a module that numbers its keys gives each its own parameters") {
    TempDir dir;
    dir.write("acme/vendor.json", R"({
  "name": "Acme",
  "files": [{"path": "{mac}.cfg", "template": "mac.mustache", "kind": "device"}],
  "button_types": {"line": "L", "blf": "B"},
  "key_params": {"type": [10, 1]},
  "expansion_modules": {"EM3": {"keys": 3, "max": 2, "key_params": {"type": [600, 5], "value": [601, 5]},
                                "module_step": 100}},
  "models": {"A2": {"lines": 1, "keys": 2, "expansion": ["EM3"]}}
})");
    dir.write("acme/mac.mustache",
              "{{#key_slots}}{{p.type}}{{#used}}={{code}}{{/used}} {{/key_slots}}|"
              "{{#expansion_slots}}{{p.type}},{{p.value}}{{#used}}={{code}}:{{value}}{{/used}} {{/expansion_slots}}");
    auto catalog = VendorCatalog::load(dir.path());
    REQUIRE(catalog);
    auto set = TemplateSet::load(catalog.value());
    REQUIRE(set);
    auto matches = catalog.value().matchFile("0015654aa937.cfg");
    REQUIRE(matches.size() == 1);
    DeviceProfile p;
    p.lines = {line(1, "1001")};
    p.keys = {Button{1, "line", "", "", 1}, Button{4, "blf", "1002", "", 1}, Button{8, "blf", "1003", "", 1}};
    p.device.expansion_model = "em3";  // stored as entered: the catalog takes any case
    p.device.expansion_count = 2;
    RenderInput in;
    in.vendor = matches[0].vendor;
    in.route = matches[0].route;
    in.captures = matches[0].captures;
    in.file = "0015654aa937.cfg";
    in.mac = "0015654aa937";
    in.model = "A2";
    in.profile = &p;
    auto out = set.value()->render(in);
    REQUIRE(out);
    // Module 1 keys 1-3 at 600/605/610, module 2 at 700/705/710 (module_step 100);
    // a used key (index 4 = module 1 key 2, index 8 = module 2 key 3) takes the
    // module's numbers, not the vendor's key formula.
    CHECK(out.value() == "P10=L P11 |P600,P601 P605,P606=B:1002 P610,P611 P700,P701 P705,P706 P710,P711=B:1003 ");
}

TEST_CASE("render context: the tag names a template reads") {
    const TagNames names = tagNames(
        "a={{plain}} {{ spaced }} {{#section}}{{.}}{{inner}}{{/section}}{{^inverted}}x{{/inverted}}"
        "{{! a comment {{not_read}} }}{{dotted.member}}{{#\nwrapped\n}}{{/wrapped}} {{unclosed");
    CHECK(names == TagNames{"plain", "spaced", "section", "inner", "inverted", "dotted", "wrapped"});
    CHECK(tagNames("no tags at all").empty());
    // Whitespace as the engine trims it: vertical tab and form feed too.
    CHECK(tagNames("{{#\vkey_slots}}{{/key_slots\f}}") == TagNames{"key_slots"});
}

TEST_CASE("render context: lists no tag reads are left out, and only those") {
    TempDir dir;
    dir.write("acme/vendor.json", R"({
  "name": "Acme",
  "files": [{"path": "{mac}.cfg", "template": "mac.mustache", "kind": "device"}],
  "button_types": {"line": "L", "blf": "B"},
  "expansion_modules": {"EM3": {"keys": 3, "max": 2}},
  "models": {"A2": {"lines": 1, "keys": 2, "expansion": ["EM3"], "key_pages": {"side": 1, "per_page": 1, "pages": 1}}}
})");
    dir.write("acme/mac.mustache", "-");
    auto catalog = VendorCatalog::load(dir.path());
    REQUIRE(catalog);
    auto matches = catalog.value().matchFile("0015654aa937.cfg");
    REQUIRE(matches.size() == 1);
    DeviceProfile p;
    p.lines = {line(1, "1001")};
    p.keys = {Button{1, "line", "", "", 1}, Button{4, "blf", "1002", "", 1}};
    p.device.expansion_model = "EM3";
    p.device.expansion_count = 1;
    RenderInput in;
    in.vendor = matches[0].vendor;
    in.route = matches[0].route;
    in.file = "0015654aa937.cfg";
    in.mac = "0015654aa937";
    in.model = "A2";
    in.profile = &p;
    auto size = [](const kainjow::mustache::data& ctx, const char* name) {
        const kainjow::mustache::data* d = ctx.get(name);
        REQUIRE(d);
        REQUIRE(d->is_list());
        return d->list_value().size();
    };
    const kainjow::mustache::data all = buildContext(in);
    CHECK(size(all, "key_slots") == 2);
    CHECK(size(all, "expansion_slots") == 3);
    CHECK(size(all, "all_key_slots") == 5);
    CHECK(size(all, "side_key_slots") + size(all, "key_pages") > 0);

    const TagNames only_base{"key_slots"};
    const kainjow::mustache::data base = buildContext(in, &only_base);
    CHECK(size(base, "key_slots") == 2);
    CHECK(size(base, "expansion_slots") == 0);
    CHECK(size(base, "all_key_slots") == 0);
    CHECK(size(base, "side_key_slots") == 0);
    CHECK(size(base, "key_pages") == 0);
    CHECK(base.get("expansion_count")->string_value() == "1");  // the counts stay

    const TagNames only_all{"all_key_slots"};
    const kainjow::mustache::data merged = buildContext(in, &only_all);
    CHECK(size(merged, "all_key_slots") == 5);
    CHECK(size(merged, "key_slots") == 2);  // built for the merged list; costs nothing more to keep

    const TagNames only_pages{"key_pages"};
    const kainjow::mustache::data paged = buildContext(in, &only_pages);
    CHECK(size(paged, "side_key_slots") + size(paged, "key_pages") == size(all, "side_key_slots") + size(all, "key_pages"));
    CHECK(size(paged, "expansion_slots") == 0);
}

TEST_CASE("render context: key pages place every key slot on the side or on its page") {
    TempDir dir;
    dir.write("acme/vendor.json", R"({
  "name": "Acme",
  "files": [{"path": "{mac}.cfg", "template": "mac.mustache", "kind": "device"}],
  "button_types": {"line": "L", "blf": "B"},
  "models": {"P1": {"lines": 1, "keys": 7, "key_pages": {"side": 1, "per_page": 3, "pages": 2}},
             "N1": {"lines": 1, "keys": 3}}
})");
    dir.write("acme/mac.mustache",
              "{{#has_key_pages}}n={{key_page_count}} {{/has_key_pages}}"
              "side:{{#side_key_slots}}{{page_key}}{{#used}}={{code}}{{/used}} {{/side_key_slots}}"
              "{{#key_pages}}|p{{page}}:{{#page_slots}}{{page_key}}{{#used}}={{code}}{{/used}} {{/page_slots}}{{/key_pages}}");
    auto catalog = VendorCatalog::load(dir.path());
    REQUIRE(catalog);
    auto set = TemplateSet::load(catalog.value());
    REQUIRE(set);
    auto matches = catalog.value().matchFile("0015654aa937.cfg");
    REQUIRE(matches.size() == 1);
    DeviceProfile p;
    p.lines = {line(1, "1001")};
    // Key 1 the side key, key 6 page 2 key 2, key 9 past every page (stored
    // before counts were enforced): written where the pages would put it.
    p.keys = {Button{1, "line", "", "", 1}, Button{6, "blf", "1002", "", 1}, Button{9, "blf", "1003", "", 1}};
    RenderInput in;
    in.vendor = matches[0].vendor;
    in.route = matches[0].route;
    in.captures = matches[0].captures;
    in.file = "0015654aa937.cfg";
    in.mac = "0015654aa937";
    in.model = "p1";  // any case
    in.profile = &p;
    auto render = [&] {
        auto out = set.value()->render(in);
        REQUIRE(out);
        return out.value();
    };
    CHECK(render() == "n=2 side:1=L |p1:1 2 3 |p2:1 2=B 3 |p3:2=B ");
    // No buttons: every slot of every page still written, blank.
    p.keys.clear();
    CHECK(render() == "n=2 side:1 |p1:1 2 3 |p2:1 2 3 ");
    // A model without pages has every key on the side, and no page.
    in.model = "N1";
    p.keys = {Button{3, "blf", "1002", "", 1}};
    CHECK(render() == "side:1 2 3=B ");
}

TEST_CASE("render context: the phone settings of every setting_values shape the catalog accepts") {
    // Parts objects (one empty), a code that writes nothing, a setting mapped
    // to no value and one the vendor does not map: each renders, none throws.
    TempDir dir;
    dir.write("acme/vendor.json", R"({
  "name": "Acme",
  "files": [{"path": "{mac}.cfg", "template": "mac.mustache", "kind": "device"}],
  "codecs_max": 2,
  "setting_values": {"dtmf_mode": {"rfc2833": {}, "info": {"a": "1", "b": "2"}},
                     "srtp": {"optional": ""}, "codecs": {"PCMU": "u", "G722": "g"},
                     "language": {"fr": "French"}, "tone_country": {}},
  "models": {"A1": {"lines": 1, "keys": 0}}
})");
    dir.write("acme/mac.mustache",
              "dtmf={{#has_dtmf_mode}}[{{dtmf_mode_code.a}}{{dtmf_mode_code.b}}]{{/has_dtmf_mode}}"
              "|srtp={{#srtp_code}}{{srtp_code}}{{/srtp_code}}{{^srtp_code}}none{{/srtp_code}}"
              "|codecs={{codecs_csv}}|table={{#codec_table}}{{code}}{{priority}}{{/codec_table}}"
              "|lang={{language_code}}|tone={{#has_tone_country}}{{tone_country_code}}{{/has_tone_country}}"
              "|pickup={{pickup_code_code}}");
    auto catalog = VendorCatalog::load(dir.path());
    REQUIRE(catalog);
    auto set = TemplateSet::load(catalog.value());
    REQUIRE(set);
    auto matches = catalog.value().matchFile("0015654aa937.cfg");
    REQUIRE(matches.size() == 1);
    DeviceProfile profile;
    profile.lines.push_back(line(1, "100"));
    auto renderWith = [&](const std::string& dtmf) {
        RenderInput in;
        in.vendor = matches[0].vendor;
        in.route = matches[0].route;
        in.captures = matches[0].captures;
        in.file = "0015654aa937.cfg";
        in.mac = "0015654aa937";
        in.model = "A1";
        in.profile = &profile;
        in.settings = defaultSettings();
        in.settings["dtmf_mode"] = dtmf;
        in.settings["srtp"] = "optional";
        in.settings["codecs"] = "G722,PCMU";
        in.settings["language"] = "fr";
        in.settings["tone_country"] = "FR";  // mapped to nothing: not written
        in.settings["pickup_code"] = "*8";   // not mapped: as given
        auto out = set.value()->render(in);
        REQUIRE(out);
        return out.value();
    };
    CHECK(renderWith("info") == "dtmf=[12]|srtp=none|codecs=g,u|table=g1u2|lang=French|tone=|pickup=*8");
    CHECK(renderWith("rfc2833") == "dtmf=[]|srtp=none|codecs=g,u|table=g1u2|lang=French|tone=|pickup=*8");
    CHECK(renderWith("auto") == "dtmf=|srtp=none|codecs=g,u|table=g1u2|lang=French|tone=|pickup=*8");
}

TEST_CASE("render context: a model's key table names each key's parameters and its unused keys") {
    TempDir dir;
    // A4: keys 1-2 default to their line when unused, 3 is plain, 4-5 take no line;
    // A9 has no table: the vendor's formula, none past key_params_max.
    dir.write("acme/vendor.json", R"({
  "name": "Acme",
  "files": [{"path": "{mac}.cfg", "template": "mac.mustache", "kind": "device"}],
  "button_types": {"line": "L", "blf": "B"},
  "key_params": {"type": [1, 10], "value": [2, 10]},
  "key_params_max": 2,
  "line_key_per_line": true,
  "models": {"A4": {"lines": 3, "keys": 5, "unused_key_code": "-1", "key_ranges": [
               {"from": 1, "to": 2, "default_line": true, "type": [100, 2], "value": [101, 2]},
               {"from": 3, "to": 3, "type": [200, 2], "value": [201, 2]},
               {"from": 4, "to": 5, "kind": "MPK", "line_keys": false, "type": [300, 1], "value": [310, 1]}]},
             "A9": {"lines": 1, "keys": 3}}
})");
    dir.write("acme/mac.mustache",
              "{{#key_slots}}k{{index}}:{{p.type}}/{{p.value}}={{#used}}{{code}}@{{line0}}{{/used}}"
              "{{^used}}{{unused_key_code}}@{{unused_line0}}{{/used}} {{/key_slots}}");
    auto catalog = VendorCatalog::load(dir.path());
    REQUIRE(catalog);
    auto set = TemplateSet::load(catalog.value());
    REQUIRE(set);
    auto matches = catalog.value().matchFile("0015654aa937.cfg");
    REQUIRE(matches.size() == 1);
    DeviceProfile p;
    RenderInput in;
    in.vendor = matches[0].vendor;
    in.route = matches[0].route;
    in.captures = matches[0].captures;
    in.file = "0015654aa937.cfg";
    in.mac = "0015654aa937";
    in.model = "A4";
    in.profile = &p;
    auto render = [&] {
        auto out = set.value()->render(in);
        REQUIRE(out);
        return out.value();
    };
    // Unused keys 1 and 2 of the default-line range (the model has lines 1-3):
    // the line key of their account; key 3 is in no such range, keys 4-5 take no line.
    p.keys = {Button{5, "blf", "1002", "", 1}};
    CHECK(render() == "k1:P100/P101=L@0 k2:P102/P103=L@1 k3:P200/P201=-1@0 k4:P300/P310=-1@0 k5:P301/P311=B@0 ");
    // line_key_per_line: line 3's own key 3 holds a BLF and keys 4-5 take no
    // line, so line 3 gets no key rather than an MPK.
    p.lines = {line(1, "1001"), line(3, "1003")};
    p.keys = {Button{3, "blf", "1002", "", 1}};
    CHECK(render() == "k1:P100/P101=L@0 k2:P102/P103=L@1 k3:P200/P201=B@0 k4:P300/P310=-1@0 k5:P301/P311=-1@0 ");
    // No table: the vendor formula up to key_params_max, then no parameters.
    in.model = "A9";
    p.lines = {};
    p.keys = {};
    CHECK(render() == "k1:P1/P2=0@0 k2:P11/P12=0@0 k3:/=0@0 ");
}

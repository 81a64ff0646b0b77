#include <catch2/catch.hpp>

#include "provisioner/model/validation.h"

using namespace prov;

namespace {

Extension valid() {
    Extension e;
    e.extension = "1001";
    e.callerid_name = "Alice";
    return e;
}

FieldErrors check(const Extension& e) {
    FieldErrors errors;
    validateExtension(e, errors);
    return errors;
}

}  // namespace

TEST_CASE("a minimal extension is valid") { CHECK(check(valid()).empty()); }

TEST_CASE("every bad field of an extension is named at once") {
    Extension e = valid();
    e.extension = "10-01";
    e.callerid_name = "";
    e.voicemail_enabled = true;
    e.did = "12a";
    e.voicemail_email = "nope";
    const FieldErrors errors = check(e);
    CHECK(errors.count("extension"));
    CHECK(errors.count("callerid_name"));
    CHECK(errors.count("voicemail_pin"));
    CHECK(errors.count("did"));
    CHECK(errors.count("voicemail_email"));
    CHECK(errors.size() == 5);
}

TEST_CASE("extension rules, one field at a time") {
    struct Case {
        const char* name;
        void (*mutate)(Extension&);
        const char* field;  // nullptr: valid
    };
    const Case cases[] = {
        {"32 characters", [](Extension& e) { e.extension = std::string(32, '7'); }, nullptr},
        {"33 characters", [](Extension& e) { e.extension = std::string(33, '7'); }, "extension"},
        {"letters", [](Extension& e) { e.extension = "sales1"; }, nullptr},
        {"space", [](Extension& e) { e.extension = "10 01"; }, "extension"},
        {"non-ASCII", [](Extension& e) { e.extension = "10ö1"; }, "extension"},
        {"blank name", [](Extension& e) { e.callerid_name = "   "; }, "callerid_name"},
        {"name with newline", [](Extension& e) { e.callerid_name = "A\nB"; }, "callerid_name"},
        {"64 char name", [](Extension& e) { e.callerid_name = std::string(64, 'x'); }, nullptr},
        {"65 char name", [](Extension& e) { e.callerid_name = std::string(65, 'x'); }, "callerid_name"},
        {"64 non-ASCII chars", [](Extension& e) {
             e.callerid_name.clear();
             for (int i = 0; i < 64; ++i) e.callerid_name += "é";
         }, nullptr},
        {"name with markup", [](Extension& e) { e.callerid_name = "R&D <Sales> \"Q\" = 1"; }, nullptr},
        {"pin 3 digits", [](Extension& e) { e.voicemail_pin = "123"; }, "voicemail_pin"},
        {"pin 9 digits", [](Extension& e) { e.voicemail_pin = "123456789"; }, "voicemail_pin"},
        {"pin letters", [](Extension& e) { e.voicemail_pin = "12a4"; }, "voicemail_pin"},
        {"pin 8 digits", [](Extension& e) { e.voicemail_pin = "12345678"; }, nullptr},
        {"voicemail without pin", [](Extension& e) { e.voicemail_enabled = true; }, "voicemail_pin"},
        {"voicemail with pin", [](Extension& e) { e.voicemail_enabled = true; e.voicemail_pin = "4321"; }, nullptr},
        {"forward dialable", [](Extension& e) { e.call_forward = "+4930123"; }, nullptr},
        {"forward to self", [](Extension& e) { e.call_forward = "1001"; }, "call_forward"},
        {"twinning letters", [](Extension& e) { e.twinning_number = "mobile"; }, "twinning_number"},
        {"external callerid", [](Extension& e) { e.external_callerid = "+1 555"; }, "external_callerid"},
        {"short secret", [](Extension& e) { e.secret = "short"; }, "secret"},
        {"secret with space", [](Extension& e) { e.secret = "long enough secret"; }, "secret"},
        {"good secret", [](Extension& e) { e.secret = "Correct-Horse-9"; }, nullptr},
        {"virtual with mac", [](Extension& e) { e.device_type = DeviceType::kVirtual; e.mac = "0015654aa937"; e.phone_reg = 1; }, "mac"},
        {"sip-virtual without mac", [](Extension& e) { e.device_type = DeviceType::kSipVirtual; }, "mac"},
        {"phone_reg without mac", [](Extension& e) { e.phone_reg = 2; }, "phone_reg"},
        {"make without mac", [](Extension& e) { e.phone_make = "Yealink"; }, "phone_make"},
        {"bound", [](Extension& e) { e.mac = "0015654aa937"; e.phone_reg = 2; }, nullptr},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        Extension e = valid();
        c.mutate(e);
        const FieldErrors errors = check(e);
        if (c.field) {
            CHECK(errors.count(c.field) == 1);
        } else {
            CHECK(errors.empty());
        }
    }
}

TEST_CASE("button lists") {
    FieldErrors errors;
    validateButtons({{1, "line", "", "", 1}, {2, "blf", "1002", "Bob", 1}, {3, "speed_dial", "*97", "VM", 1},
                     {4, "park", "701", "Park", 1}},
                    errors);
    CHECK(errors.empty());

    errors.clear();
    validateButtons({{1, "blf", "", "", 1}, {1, "laser", "x", "", 0}, {0, "line", "", "a\nb", 1}}, errors);
    CHECK(errors.count("buttons[0].value"));
    CHECK(errors.count("buttons[1].index"));
    CHECK(errors.count("buttons[1].type"));
    CHECK(errors.count("buttons[1].line"));
    CHECK(errors.count("buttons[2].index"));
    CHECK(errors.count("buttons[2].label"));
}

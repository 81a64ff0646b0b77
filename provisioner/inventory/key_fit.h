#pragma once

// Keys by model: a device's expansion modules must be ones its model takes,
// and every button must be on a key the phone has (the model's keys, then
// its modules'; catalog/vendor_catalog.h, KeySpace), and a line button only
// on a key that takes one (not a module's with "line_keys": false, nor one
// of a key table range without lines: Grandstream's MPKs). A model the
// catalog does not know has no limit we know of: nothing is checked against it.

#include <optional>
#include <string>
#include <vector>

#include "provisioner/catalog/vendor_catalog.h"
#include "provisioner/model/records.h"
#include "provisioner/model/validation.h"
#include "provisioner/store/store.h"

namespace prov {

// expansion_model and expansion_count of `d` against its model: the module
// must be one the model takes (spelled as the catalog spells it on return),
// the count at most the module's max, a count above 0 needs a module.
void checkExpansion(const ModelCatalog& models, Device& d, FieldErrors& errors);

struct DeviceKeys {
    ModelInfo model;
    KeySpace space;
};

// The keys a device has, or nullopt when its model is unknown.
std::optional<DeviceKeys> deviceKeys(const ModelCatalog& models, const Device& d);

// "27 keys (a Yealink T46U)", "147 keys (a Yealink T46U: 27, and 2 EXP43 of 60)".
std::string describeKeys(const DeviceKeys& keys);

// errors["buttons[i].index"] for each of `buttons` past the device's keys,
// or a line on a key that takes none.
void checkButtonsFit(const std::vector<Button>& buttons, const DeviceKeys& keys, FieldErrors& errors);

// A button of an extension on a device.
struct PlacedButton {
    std::string extension;
    Button button;
};

// Every button of the extensions on `mac`, but those of `skip` (an id; 0: none).
Result<std::vector<PlacedButton>> buttonsOnDevice(StoreTx& tx, const std::string& mac, int64_t skip = 0);

// "" when no key holds buttons of two extensions, else the reason naming
// each shared key ("key 33 holds extension 100's blf and extension 200's
// blf"): a phone has one key there, and a render would keep one of them.
std::string sharedKeys(const std::vector<PlacedButton>& buttons);

// "" when every button fits, else the reason naming each button that does
// not ("extension 1001's blf on key 31, ...: past the 29 keys (...)"), a
// line on a key that takes none with why.
std::string buttonsPastKeys(const std::vector<PlacedButton>& buttons, const DeviceKeys& keys);

// errors[field] for each field of `e` a phone of `make` gets in its files
// (extension, callerid_name, external_callerid, secret) that those files
// cannot write (ModelCatalog::valueProblem): refused when written, not when
// the phone asks. The reason never repeats the value (a secret).
void checkLineValues(const ModelCatalog& models, const std::string& make, const std::string& model, const Extension& e,
                     FieldErrors& errors);

// The first value on device `mac` (its extensions' lines and buttons, but
// `skip`'s (an id; 0: none), its own settings and the server-wide ones it
// inherits) that a `make` `model`
// cannot write, as "extension 1001's callerid_name holds ..." or "setting
// dial_plan holds ..."; "" when there is none. For a change of a device's
// make or model, whichever path makes it.
Result<std::string> unwritableOnDevice(StoreTx& tx, const ModelCatalog& models, const std::string& mac,
                                       const std::string& make, const std::string& model, int64_t skip = 0);

// The same for buttons' labels and values: errors["<field>[i].label"], "...value".
void checkKeyValues(const ModelCatalog& models, const std::string& make, const std::string& model,
                    const std::vector<Button>& buttons, FieldErrors& errors, const std::string& field = "buttons");

}  // namespace prov

#pragma once

// Field rules of the Extensions screen and the device inventory that need no
// store. Each check adds "field -> reason" to `errors`, so a caller reports
// every bad field at once. Rules that need the store (unique keys, licences,
// a model's line count) live in inventory/.

#include <map>
#include <string>
#include <vector>

#include "provisioner/model/records.h"

namespace prov {

using FieldErrors = std::map<std::string, std::string>;

inline constexpr size_t kMaxExtensionLength = 32;
inline constexpr size_t kMaxNameLength = 64;
inline constexpr size_t kMaxNumberLength = 32;
inline constexpr size_t kMinSecretLength = 8;
inline constexpr size_t kMaxSecretLength = 128;
inline constexpr size_t kGeneratedSecretLength = 24;
inline constexpr int kMaxButtons = 512;
inline constexpr int kMaxPhoneReg = 1000;
// Above any vendor's `max` modules per phone; the model's own limit is checked in inventory/.
inline constexpr int kMaxExpansionCount = 16;

void validateExtension(const Extension& ext, FieldErrors& errors);
void validateButtons(const std::vector<Button>& buttons, FieldErrors& errors);
void validateDevice(const Device& device, FieldErrors& errors);

// One free-text field: printable UTF-8, at most `max` code points, and not
// empty when `required`.
void checkText(const std::string& field, const std::string& value, size_t max, bool required,
               FieldErrors& errors);

}  // namespace prov

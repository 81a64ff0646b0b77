#pragma once

// Request bodies -> records, with strict types: a string field sent as a
// number is an error naming the field, never a coercion. Extensions and
// devices are decoded through their field tables (model/fields.h).

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <optional>
#include <vector>

#include "provisioner/model/records.h"
#include "provisioner/model/settings.h"
#include "provisioner/model/validation.h"

namespace prov::json {

// Copies the fields present in `obj` onto `target`. Unknown, read-only and
// wrongly typed fields are reported in `errors`; "version" is returned in
// `version` when present. For a full replace the caller starts from a fresh record.
void applyExtension(const Poco::JSON::Object& obj, Extension& target, FieldErrors& errors,
                    std::optional<int64_t>& version);
void applyDevice(const Poco::JSON::Object& obj, Device& target, FieldErrors& errors,
                 std::optional<int64_t>& version);
std::vector<Button> readButtons(const Poco::JSON::Array& arr, FieldErrors& errors);
// Reads {"key": value, ...}; integer settings may be sent as JSON integers,
// every other value as a string; null resets a key to its default.
SettingsMap readSettings(const Poco::JSON::Object& obj, FieldErrors& errors);

}  // namespace prov::json

#pragma once

// Request bodies -> records, with strict types: a string field sent as a
// number is an error naming the field, never a coercion. Extensions and
// devices are decoded through their field tables (model/fields.h).

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "provisioner/core/result.h"
#include "provisioner/model/records.h"
#include "provisioner/model/settings.h"
#include "provisioner/model/validation.h"

namespace prov::json {

// Parses a request body (json_parse.cpp). Beyond Poco's parser, it refuses,
// with a 400 that names the place in the body ("phone_reg", "macs[2]",
// "buttons[0].index"):
//  - a key given twice in one object, at any depth: Poco keeps the last one
//    silently, so {"label":"a","label":"b"} would pass a check on "a" and store "b";
//  - a number that neither a 64-bit integer nor a double holds
//    (99999999999999999999, 1e400), which Poco reports as a syntax error
//    without saying where.
// `root` names a top-level array in those places ("buttons" for the body of
// PUT .../buttons, so its errors read like readButtons' ones).
//
//   auto body = json::parseBody(R"({"a": 1, "a": 2})");   // invalid_input, fields {"a": "is given twice ..."}
Result<Poco::Dynamic::Var> parseBody(const std::string& body, std::string_view root = {});

// A JSON integer as int64_t. nullopt, with `problem` set, when `v` is not an
// integer ("must be an integer": a string, a bool, a fraction) or does not
// fit ("is out of range": an unsigned 64-bit number past INT64_MAX).
std::optional<int64_t> integerOf(const Poco::Dynamic::Var& v, std::string& problem);

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

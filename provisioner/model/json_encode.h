#pragma once

// Records -> JSON, in a stable key order: the fields of an extension or a
// device as their table (fields.h) lists them. Request decoding is the admin
// API's (admin/json_decode.h).

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <string>
#include <vector>

#include "provisioner/model/records.h"
#include "provisioner/model/settings.h"

namespace prov::json {

using ObjectPtr = Poco::JSON::Object::Ptr;
using ArrayPtr = Poco::JSON::Array::Ptr;

inline constexpr const char* kMask = "********";

enum class Masking { kNone, kSecrets };

ObjectPtr newObject();
std::string stringify(const Poco::Dynamic::Var& value);

ObjectPtr toJson(const Extension& e, Masking masking);
ObjectPtr toJson(const Device& d);
ObjectPtr toJson(const Button& b);
ArrayPtr toJson(const std::vector<Button>& buttons);
ObjectPtr toJson(const AuditEntry& a);
// A token as `token list` and GET /api/v1/tokens show it: never its hash;
// its state at `now`.
ObjectPtr toJson(const ApiToken& t, int64_t now);
ObjectPtr toJson(const Event& e);
ObjectPtr toJson(const StagingWindow& w);
// A resync push; times as UTC text, null while not reached.
ObjectPtr toJson(const ResyncPush& p);
ObjectPtr settingsToJson(const SettingsMap& settings, Masking masking);

// An audit entry's view of an extension: secrets masked, and marked
// "(changed)" where they differ from `before`.
ObjectPtr auditView(const Extension& e, const Extension* before);

}  // namespace prov::json

// The admin API's request bodies: json::parseBody as the API runs it (UTF-8,
// duplicate keys, numbers out of range: each a 400), then the strict decoders
// of provisioner/admin/json_decode.h for extensions, devices, buttons and
// settings. Nothing here may throw: an exception is a bug (a 500 at best).

#include "fuzz_check.h"
#include "provisioner/admin/json_decode.h"

using namespace prov;

namespace {

void decodeObject(const Poco::JSON::Object& obj) {
    {
        Extension e;
        FieldErrors errors;
        std::optional<int64_t> version;
        json::applyExtension(obj, e, errors, version);
    }
    {
        Device d;
        FieldErrors errors;
        std::optional<int64_t> version;
        json::applyDevice(obj, d, errors, version);
    }
    FieldErrors errors;
    json::readSettings(obj, errors);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string body(prov::fuzz::bytes(data, size));
    auto result = json::parseBody(body);
    if (!result) return 0;  // 400, naming what is wrong
    const Poco::Dynamic::Var parsed = std::move(result).value();
    if (parsed.type() == typeid(Poco::JSON::Object::Ptr)) {
        decodeObject(*parsed.extract<Poco::JSON::Object::Ptr>());
    } else if (parsed.type() == typeid(Poco::JSON::Array::Ptr)) {
        const auto arr = parsed.extract<Poco::JSON::Array::Ptr>();
        FieldErrors errors;
        const std::vector<Button> buttons = json::readButtons(*arr, errors);
        size_t objects = 0;
        for (size_t i = 0; i < arr->size(); ++i) {
            if (!arr->isObject(i)) continue;
            ++objects;
            decodeObject(*arr->getObject(static_cast<unsigned>(i)));
        }
        // One button per object, an error naming each element that is not one.
        FUZZ_CHECK(buttons.size() == objects);
    }
    return 0;
}

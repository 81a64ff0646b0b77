// The admin API's request bodies: Poco's JSON parser as the API runs it
// (parseJson in provisioner/admin/api_handler.cpp), then the strict decoders
// of provisioner/admin/json_decode.h for extensions, devices, buttons and
// settings. Only the parser may throw (the API answers 400); a decoder that
// throws is a bug (a 500 at best).

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>

#include "fuzz_check.h"
#include "provisioner/admin/json_decode.h"
#include "provisioner/core/text.h"

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
    if (!text::isValidUtf8(body)) return 0;  // refused before parsing
    Poco::Dynamic::Var parsed;
    try {
        Poco::JSON::Parser parser;
        parsed = parser.parse(body);
    } catch (const Poco::Exception&) {
        return 0;  // 400 invalid_json
    }
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

// An extension's notes in request bodies: editable, typed as a string.

#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>

#include "provisioner/admin/json_decode.h"

using namespace prov;

TEST_CASE("notes: read from a request body, strictly a string, null clears") {
    Poco::JSON::Parser p;
    auto body = [&](const std::string& text) {
        p.reset();
        return p.parse(text).extract<Poco::JSON::Object::Ptr>();
    };
    Extension e;
    FieldErrors errors;
    std::optional<int64_t> version;
    json::applyExtension(*body(R"({"notes": "Spare phone in the lobby"})"), e, errors, version);
    CHECK(errors.empty());
    CHECK(e.notes == "Spare phone in the lobby");
    json::applyExtension(*body(R"({"notes": 5})"), e, errors, version);
    CHECK(errors.at("notes") == "must be a string");
    CHECK(e.notes == "Spare phone in the lobby");
    errors.clear();
    json::applyExtension(*body(R"({"notes": null})"), e, errors, version);
    CHECK(errors.empty());
    CHECK(e.notes.empty());
}

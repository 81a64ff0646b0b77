#include "provisioner/admin/status_mapping.h"

namespace prov::admin {

using Poco::Net::HTTPResponse;

HTTPResponse::HTTPStatus httpStatus(Code code) {
    switch (code) {
        case Code::kInvalidArgument: return HTTPResponse::HTTP_BAD_REQUEST;
        case Code::kNotFound: return HTTPResponse::HTTP_NOT_FOUND;
        case Code::kAlreadyExists: return HTTPResponse::HTTP_CONFLICT;
        case Code::kConflict: return HTTPResponse::HTTP_CONFLICT;
        case Code::kPermissionDenied: return HTTPResponse::HTTP_FORBIDDEN;
        case Code::kUnauthenticated: return HTTPResponse::HTTP_UNAUTHORIZED;
        case Code::kTooLarge: return HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE;
        case Code::kMethodNotAllowed: return HTTPResponse::HTTP_METHOD_NOT_ALLOWED;
        case Code::kUnavailable: return HTTPResponse::HTTP_SERVICE_UNAVAILABLE;
        case Code::kInternal: return HTTPResponse::HTTP_INTERNAL_SERVER_ERROR;
    }
    return HTTPResponse::HTTP_INTERNAL_SERVER_ERROR;
}

json::ObjectPtr errorBody(const Error& error) {
    auto inner = json::newObject();
    inner->set("code", error.reason);
    inner->set("message", error.message);
    if (!error.fields.empty()) {
        auto fields = json::newObject();
        for (const auto& [k, v] : error.fields) fields->set(k, v);
        inner->set("fields", fields);
    }
    if (!error.details.empty() && error.code != Code::kMethodNotAllowed) {
        Poco::JSON::Array::Ptr refs = new Poco::JSON::Array();
        for (const auto& d : error.details) refs->add(d);
        inner->set("references", refs);
    }
    auto outer = json::newObject();
    outer->set("error", inner);
    return outer;
}

}  // namespace prov::admin

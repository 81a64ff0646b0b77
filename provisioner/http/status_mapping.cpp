#include "provisioner/http/status_mapping.h"

namespace prov::http {

using Poco::Net::HTTPResponse;

HTTPResponse::HTTPStatus httpStatus(Outcome outcome) {
    switch (outcome) {
        case Outcome::kServed: return HTTPResponse::HTTP_OK;
        case Outcome::kNotModified: return HTTPResponse::HTTP_NOT_MODIFIED;
        case Outcome::kStored: return HTTPResponse::HTTP_NO_CONTENT;
        case Outcome::kNotFound:
        case Outcome::kDenied: return HTTPResponse::HTTP_NOT_FOUND;
        case Outcome::kForbidden: return HTTPResponse::HTTP_FORBIDDEN;
        case Outcome::kUnauthorized: return HTTPResponse::HTTP_UNAUTHORIZED;
        case Outcome::kBadRequest: return HTTPResponse::HTTP_BAD_REQUEST;
        case Outcome::kTooLarge: return HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE;
        case Outcome::kMethodNotAllowed: return HTTPResponse::HTTP_METHOD_NOT_ALLOWED;
        case Outcome::kUnavailable: return HTTPResponse::HTTP_SERVICE_UNAVAILABLE;
        case Outcome::kError: return HTTPResponse::HTTP_INTERNAL_SERVER_ERROR;
    }
    return HTTPResponse::HTTP_INTERNAL_SERVER_ERROR;
}

const std::string& refusalBody(Outcome outcome) {
    static const std::string kNotFound = "Not Found\n";
    static const std::string kBad = "Bad Request\n";
    static const std::string kForbidden = "Forbidden\n";
    static const std::string kUnauthorized = "Unauthorized\n";
    static const std::string kLarge = "Request Entity Too Large\n";
    static const std::string kMethod = "Method Not Allowed\n";
    static const std::string kUnavailable = "Service Unavailable\n";
    static const std::string kError = "Internal Server Error\n";
    static const std::string kNone;
    switch (outcome) {
        case Outcome::kNotFound:
        case Outcome::kDenied: return kNotFound;
        case Outcome::kForbidden: return kForbidden;
        case Outcome::kUnauthorized: return kUnauthorized;
        case Outcome::kBadRequest: return kBad;
        case Outcome::kTooLarge: return kLarge;
        case Outcome::kMethodNotAllowed: return kMethod;
        case Outcome::kUnavailable: return kUnavailable;
        case Outcome::kError: return kError;
        default: return kNone;
    }
}

}  // namespace prov::http

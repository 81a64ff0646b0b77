#pragma once

// The one place where an Error becomes an HTTP status and the JSON error body
// of design.md: {"error": {"code", "message", "fields", "references"}}.

#include <Poco/Net/HTTPResponse.h>

#include "provisioner/core/result.h"
#include "provisioner/model/json_encode.h"

namespace prov::admin {

Poco::Net::HTTPResponse::HTTPStatus httpStatus(Code code);
json::ObjectPtr errorBody(const Error& error);

}  // namespace prov::admin

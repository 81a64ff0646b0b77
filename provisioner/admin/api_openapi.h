#pragma once

// GET /api/v1/openapi.json: the OpenAPI 3.1 description of the admin API
// (docs/openapi.json, compiled into the binary by embed_text.cmake).
//
// It is served without credentials, as signing in is: a client generator or
// an API browser reads it before it has a token, and it holds nothing a
// token would protect (the file is in the source tree; it names routes and
// fields, never a value of the store). A source blocked for failed
// authentication is refused it like everything else (api_handler.h).

#include <string_view>

#include "provisioner/admin/api_request.h"

namespace prov::admin {

// The description's bytes, as in docs/openapi.json.
std::string_view openApiJson();

// GET answers the description as application/json; other methods 405.
ApiResult openApiRoute(const ApiRequest& request);

}  // namespace prov::admin

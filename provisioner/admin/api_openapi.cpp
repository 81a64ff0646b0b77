#include "provisioner/admin/api_openapi.h"

namespace prov::admin {

ApiResult openApiRoute(const ApiRequest& request) {
    if (request.method != "GET") return methodNotAllowed("GET");
    // A string body is sent as it is (api_handler.cpp): the file's own
    // bytes, not a re-encoding of them.
    ApiResponse response = ok(Poco::Dynamic::Var(std::string(openApiJson())));
    response.headers["Content-Type"] = "application/json; charset=utf-8";
    return response;
}

}  // namespace prov::admin

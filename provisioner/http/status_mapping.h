#pragma once

// The one place where a pipeline Outcome becomes an HTTP status. Not-found
// and denied are the same answer, byte for byte, so a MAC sweep learns nothing.

#include <Poco/Net/HTTPResponse.h>

#include "provisioner/fetch/fetch.h"

namespace prov::http {

Poco::Net::HTTPResponse::HTTPStatus httpStatus(Outcome outcome);
// The body sent with a status that carries no file.
const std::string& refusalBody(Outcome outcome);

}  // namespace prov::http

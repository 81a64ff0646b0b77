#pragma once

// POST /api/v1/firmware: the request body is a firmware image. It is never
// held in memory: read in 64 KiB pieces into <firmware.dir>/.incoming (0600)
// and hashed as it comes, refused with 413 before a byte is read when its
// Content-Length is over firmware.max_bytes, and cut off as soon as a
// chunked body passes it. An empty body is refused, and so is a chunked one
// that gives neither `size` nor `sha256`: Poco ends a chunked body without
// an error when the client drops, and only those tell a cut-off image from
// a whole one. Then the catalog checks it and moves it in.

#include <Poco/Net/HTTPServerRequest.h>

#include "provisioner/admin/api_request.h"

namespace prov::admin {

// `body_read` is set once the whole body was read (the connection may then
// be kept). Poco exceptions from the stream are the caller's.
ApiResult receiveFirmware(ApiContext& context, Poco::Net::HTTPServerRequest& request,
                          const ApiRequest& req, int64_t limit, bool& body_read);

}  // namespace prov::admin

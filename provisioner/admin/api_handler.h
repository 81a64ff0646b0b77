#pragma once

// Poco glue for the admin API: reads the request (size-capped, UTF-8 and JSON
// checked), authenticates the bearer token, calls route() and writes the
// response. Protocol errors are mapped in status_mapping.cpp.

#include <Poco/Logger.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include "provisioner/admin/api_request.h"
#include "provisioner/inventory/inventory.h"

namespace prov::admin {

class ApiHandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    ApiHandlerFactory(Inventory& inventory, PreviewFn preview, ApiLimits limits, Poco::Logger& log)
        : context_{inventory, std::move(preview)}, limits_(limits), log_(log) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest& request) override;

private:
    ApiContext context_;
    ApiLimits limits_;
    Poco::Logger& log_;
};

}  // namespace prov::admin

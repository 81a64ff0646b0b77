#pragma once

// Poco glue for the admin API: refuses a source blocked for failed
// authentication (429, Retry-After), reads the request (size-capped, UTF-8 and
// JSON checked), authenticates the bearer token or else the portal's session
// cookie (which, for anything but GET and HEAD, needs its X-CSRF-Token: 403
// `csrf`), calls route() and writes the response. /api/v1/session and
// /api/v1/openapi.json need no credentials (api_session.cpp,
// api_openapi.h). Protocol errors are mapped in status_mapping.cpp.
//
// Logs: an authenticated request is one access line on `log`; refusals of
// requests that did not authenticate, failed authentications and blocks are
// security events (docs/security-log.md), the refusals rate-limited.

#include <Poco/Logger.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include "provisioner/admin/api_request.h"
#include "provisioner/admin/ops_routes.h"
#include "provisioner/admin/staging_stream.h"
#include "provisioner/core/security_log.h"
#include "provisioner/inventory/inventory.h"
#include "provisioner/policy/auth_guard.h"

namespace prov::admin {

// What guards the API: where security events go, and who is blocked.
struct ApiGuards {
    SecurityLog& log;
    policy::AuthGuard& auth;
    // Caps staging streams (staging_stream.h); none: no stream is served.
    StreamGate* streams;
};

class ApiHandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    // `portal_dir`: the portal's files, served for every path outside /api/
    // (portal_files.h); empty: those paths are 404 from the API. `ops`:
    // /metrics, /healthz and /readyz (ops_routes.h), before the portal.
    ApiHandlerFactory(ApiContext context, ApiLimits limits, ApiGuards guards, Poco::Logger& log,
                      std::string portal_dir = {}, OpsSources ops = {})
        : context_(std::move(context)), limits_(limits), guards_(guards), log_(log),
          portal_dir_(std::move(portal_dir)), ops_(std::move(ops)) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest& request) override;

private:
    ApiContext context_;
    ApiLimits limits_;
    ApiGuards guards_;
    Poco::Logger& log_;
    std::string portal_dir_;
    OpsSources ops_;
};

}  // namespace prov::admin

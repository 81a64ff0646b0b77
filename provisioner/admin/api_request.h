#pragma once

// What an admin API route sees and returns: no Poco Net types, so routes can
// be driven directly from tests.

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "provisioner/core/result.h"
#include "provisioner/core/security_log.h"
#include "provisioner/firmware/catalog.h"
#include "provisioner/inventory/inventory.h"

namespace prov::invite {
class Invitations;
}

namespace prov::admin {

struct ApiRequest {
    std::string method;
    std::vector<std::string> segments;  // path below /api/v1, decoded
    std::map<std::string, std::string> query;
    Poco::Dynamic::Var body;  // parsed JSON, empty when there was no body
    bool has_body = false;
    std::string raw_body;  // the bytes, for the routes that take CSV (imports)
    Actor actor;
    std::string session;  // the prov_session cookie; "" when none
    std::string device = "";  // the prov_device cookie (sent to /session only); "" when none
};

// The portal's session cookie, and its device cookie (device_cookie.h).
inline constexpr const char* kSessionCookie = "prov_session";
inline constexpr const char* kDeviceCookie = "prov_device";

struct ApiResponse {
    int status = 200;
    Poco::Dynamic::Var body;  // JSON object or array; empty for 204
    std::map<std::string, std::string> headers;
    std::vector<std::string> cookies = {};  // each a Set-Cookie header of its own
};

using ApiResult = Result<ApiResponse>;

class ImportJobs;  // import_jobs.h

// GET /catalog: the vendors and models of the templates now loaded.
struct CatalogModel {
    std::string model;
    int lines = 0;
    int keys = 0;
};
struct CatalogVendor {
    std::string vendor;  // folder id, e.g. "yealink"
    std::string name;    // display name
    bool softphone = false;
    std::vector<CatalogModel> models;
};
using CatalogFn = std::function<std::vector<CatalogVendor>()>;

// Renders the exact bytes a phone would get (the provisioning pipeline).
using PreviewFn = std::function<Result<std::string>(const std::string& mac, const std::string& file)>;

struct ApiContext {
    Inventory& inventory;
    PreviewFn preview;
    const Clock& clock;
    // The firmware catalog; none: /firmware is not found.
    firmware::Catalog* firmware;
    // The vendor catalog; none: /catalog is not found.
    CatalogFn catalog;
    // Imports run in the background (?async=true); none: only the synchronous form.
    ImportJobs* imports;
    // Softphone invitations; none: /extensions/{ext}/invitations is not found.
    invite::Invitations* invitations = nullptr;
    // The admin port serves HTTPS: the session cookie is marked Secure.
    bool https;
};

struct ApiLimits {
    size_t max_body_bytes = 1 << 20;
    size_t max_import_bytes = 64 << 20;  // POST /imports
    int64_t max_firmware_bytes = int64_t{512} << 20;  // POST /firmware, streamed to disk
};

// Dispatches one request to its route. Errors carry the code the caller maps.
ApiResult route(ApiContext& context, const ApiRequest& request);
// POST and GET /extensions/{ext}/invitations (api_invitations.cpp).
ApiResult invitationRoutes(ApiContext& context, const ApiRequest& request);

// Helpers shared by the route files.
ApiResponse ok(Poco::Dynamic::Var body, int status = 200);
Error forbidden(const Actor& actor, const std::string& what);
Result<Page> readPage(const ApiRequest& request);
Result<Poco::JSON::Object::Ptr> bodyObject(const ApiRequest& request);
bool wantsForce(const ApiRequest& request);
Error methodNotAllowed(const std::string& allow);
// ?sort=<one of keys>&order=asc|desc; a sort not in `keys` is refused naming the field.
Result<ListOrder> readOrder(const ApiRequest& request, const std::vector<std::string>& keys);
// Whether `actor` sees secrets in what it reads: admins with an API token
// (the portal's sessions see them only through an explicit reveal).
bool seesSecrets(const Actor& actor);

ApiResult extensionRoutes(Inventory& inventory, const ApiRequest& request);
ApiResult deviceRoutes(ApiContext& context, const ApiRequest& request);
// imports, exports, staging
ApiResult bulkRoutes(ApiContext& context, const ApiRequest& request);
// staging/windows[/id]
ApiResult windowRoutes(ApiContext& context, const ApiRequest& request);
// devices/{mac}/credentials
ApiResult credentialRoutes(ApiContext& context, const ApiRequest& request, const std::string& mac);
// devices/{mac}/credentials/reveal: POST, admins only, audited
ApiResult revealCredentials(ApiContext& context, const ApiRequest& request, const std::string& mac);
// tokens[/id-or-name], admins only
ApiResult tokenRoutes(ApiContext& context, const ApiRequest& request);
// devices/{mac}/resync: GET the device's pushes, POST queues one (202)
ApiResult deviceResyncRoute(Inventory& inventory, const ApiRequest& request, const std::string& mac);
// resync: GET the latest pushes, POST {"site"} or {"all": true} queues (202)
ApiResult resyncRoutes(Inventory& inventory, const ApiRequest& request);
// catalog: every vendor and model, for every role
ApiResult catalogRoutes(ApiContext& context, const ApiRequest& request);
// session: POST signs in (no credentials needed), GET shows it, DELETE signs
// out; failed sign-ins and blocks go to `log` (docs/security-log.md).
ApiResult sessionRoutes(ApiContext& context, const ApiRequest& request, SecurityLog& log);
// users[/name], admins only
ApiResult userRoutes(Inventory& inventory, const ApiRequest& request);
// firmware[/id], firmware/targets (uploads are streamed by the handler)
ApiResult firmwareRoutes(ApiContext& context, const ApiRequest& request);

}  // namespace prov::admin

#pragma once

// The portal's static files on the admin port: every path outside /api/ is a
// file of `portal.dir` (`/` and a folder's `/` are its index.html). No folder
// listing, no way out of the folder (`..`, encoded or not, NUL, backslash,
// dot files, symbolic links leading outside): all of those are 404, in the
// API's JSON error shape like any other 404 on the admin port. Answers
// carry a strict Content-Security-Policy (`default-src 'self'`: the portal has
// no inline script or style), nosniff, X-Frame-Options DENY and
// Referrer-Policy no-referrer. GET and HEAD only. The files are public (the
// sign-in screen among them): what they show comes from the API, which
// authenticates every call.

#include <Poco/Net/HTTPRequestHandler.h>

#include <filesystem>
#include <optional>
#include <string>

namespace prov::admin {

// The file `raw_path` (a request target's path, still percent-encoded, no
// query) names under `root`, or none when it names nothing servable there.
std::optional<std::filesystem::path> portalFile(const std::filesystem::path& root, const std::string& raw_path);

// The Content-Type for a file name, by its extension.
std::string portalContentType(const std::filesystem::path& file);

// True when a request target's path belongs to the portal, not the API.
bool isPortalPath(const std::string& raw_path);

// Serves one request from `root`.
Poco::Net::HTTPRequestHandler* newPortalFileHandler(const std::string& root);

}  // namespace prov::admin

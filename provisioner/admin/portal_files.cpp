#include "provisioner/admin/portal_files.h"

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/URI.h>

#include <system_error>
#include <vector>

namespace prov::admin {

namespace {

using Poco::Net::HTTPResponse;
namespace fs = std::filesystem;

// Percent-decoded path segments, or none when a segment could step out of
// the folder or hide a file: "..", ".", dot files, NUL, backslash. Empty
// segments ("//") are dropped.
std::optional<std::vector<std::string>> safeSegments(const std::string& raw_path) {
    std::string path;
    try {
        Poco::URI::decode(raw_path, path);
    } catch (const Poco::Exception&) {
        return std::nullopt;
    }
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string::npos) end = path.size();
        std::string seg = path.substr(start, end - start);
        start = end + 1;
        if (seg.empty()) continue;
        // A dot first covers "." and ".." and keeps .git-like files private.
        if (seg[0] == '.' || seg.find('\0') != std::string::npos || seg.find('\\') != std::string::npos)
            return std::nullopt;
        out.push_back(std::move(seg));
    }
    return out;
}

bool within(const fs::path& root, const fs::path& file) {
    auto r = root.begin();
    auto f = file.begin();
    for (; r != root.end(); ++r, ++f) {
        if (f == file.end() || *r != *f) return false;
    }
    return f != file.end();
}

class PortalFileHandler final : public Poco::Net::HTTPRequestHandler {
public:
    explicit PortalFileHandler(std::string root) : root_(std::move(root)) {}

    void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
        setSafetyHeaders(response);
        const std::string& method = request.getMethod();
        // A body we will not read would be taken for the next request.
        if (request.hasContentLength() || request.getChunkedTransferEncoding()) response.setKeepAlive(false);
        if (method != "GET" && method != "HEAD") {
            response.set("Allow", "GET, HEAD");
            sendError(response, HTTPResponse::HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
                      "method not allowed; use GET, HEAD");
            return;
        }
        const std::string& uri = request.getURI();
        const std::optional<fs::path> file = portalFile(root_, uri.substr(0, uri.find('?')));
        if (!file) {
            sendError(response, HTTPResponse::HTTP_NOT_FOUND, "not_found", "no such path");
            return;
        }
        // Revalidated each time: a changed portal is seen at the next load.
        response.set("Cache-Control", "no-cache");
        try {
            response.sendFile(file->string(), portalContentType(*file));
        } catch (const Poco::Exception&) {
            // Gone between the look and the read, or unreadable.
            if (!response.sent()) sendError(response, HTTPResponse::HTTP_NOT_FOUND, "not_found", "no such path");
        }
    }

private:
    static void setSafetyHeaders(Poco::Net::HTTPServerResponse& response) {
        response.set("Content-Security-Policy",
                     "default-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
        response.set("X-Content-Type-Options", "nosniff");
        response.set("X-Frame-Options", "DENY");
        response.set("Referrer-Policy", "no-referrer");
    }

    // The API's error shape, so that a 404 anywhere on the admin port reads
    // the same to a script. `code` and `message` are fixed text: no escaping.
    static void sendError(Poco::Net::HTTPServerResponse& response, HTTPResponse::HTTPStatus status,
                          const char* code, const char* message) {
        const std::string text =
            std::string("{\"error\":{\"code\":\"") + code + "\",\"message\":\"" + message + "\"}}\n";
        response.setStatusAndReason(status);
        response.set("Cache-Control", "no-store");
        response.setContentType("application/json; charset=utf-8");
        response.setContentLength(static_cast<std::streamsize>(text.size()));
        response.send() << text;
    }

    std::string root_;
};

}  // namespace

std::optional<fs::path> portalFile(const fs::path& root, const std::string& raw_path) {
    const std::optional<std::vector<std::string>> segments = safeSegments(raw_path);
    if (!segments) return std::nullopt;
    std::error_code ec;
    const fs::path base = fs::canonical(root, ec);
    if (ec) return std::nullopt;
    fs::path wanted = base;
    for (const std::string& s : *segments) wanted /= s;
    if (segments->empty() || raw_path.back() == '/') wanted /= "index.html";
    // The real path, links followed: it must still lie inside the folder.
    const fs::path real = fs::canonical(wanted, ec);
    if (ec || !within(base, real)) return std::nullopt;
    if (!fs::is_regular_file(real, ec) || ec) return std::nullopt;
    return real;
}

std::string portalContentType(const fs::path& file) {
    static const std::pair<const char*, const char*> kTypes[] = {
        {".html", "text/html; charset=utf-8"},  {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},          {".svg", "image/svg+xml"},
        {".png", "image/png"},                  {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},  {".woff2", "font/woff2"},
        {".webmanifest", "application/manifest+json"},
    };
    const std::string ext = file.extension().string();
    for (const auto& [e, type] : kTypes)
        if (ext == e) return type;
    return "application/octet-stream";
}

bool isPortalPath(const std::string& raw_path) {
    return !(raw_path == "/api" || raw_path.rfind("/api/", 0) == 0);
}

Poco::Net::HTTPRequestHandler* newPortalFileHandler(const std::string& root) {
    return new PortalFileHandler(root);
}

}  // namespace prov::admin

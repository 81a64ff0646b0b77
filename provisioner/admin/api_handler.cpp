#include "provisioner/admin/api_handler.h"

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <chrono>
#include <sstream>

#include "provisioner/admin/json_decode.h"
#include "provisioner/admin/status_mapping.h"

namespace prov::admin {

namespace {

using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

Error tooLarge(size_t limit) {
    return Error{Code::kTooLarge, "body_too_large",
                 "the request body is over the limit of " + std::to_string(limit) + " bytes", {}, {}};
}

// Reads at most `limit` bytes of body; a longer body is an error.
Result<std::string> readBody(HTTPServerRequest& request, size_t limit) {
    if (request.hasContentLength() && request.getContentLength64() > static_cast<int64_t>(limit))
        return tooLarge(limit);
    std::string body;
    // RFC 9112 6.3: a request with neither Content-Length nor chunked coding has no body.
    if (!request.hasContentLength() && !request.getChunkedTransferEncoding()) return body;
    std::istream& in = request.stream();
    char buf[16384];
    while (in) {
        in.read(buf, sizeof buf);
        body.append(buf, static_cast<size_t>(in.gcount()));
        if (body.size() > limit) return tooLarge(limit);
    }
    return body;
}

// An inventory CSV (POST /api/v1/imports) is the one body that is not JSON,
// and may be much larger.
bool isImport(const std::vector<std::string>& segments) {
    return segments.size() == 3 && segments[0] == "api" && segments[1] == "v1" && segments[2] == "imports";
}

size_t bodyLimit(bool import, const ApiLimits& limits) {
    return import ? limits.max_import_bytes : limits.max_body_bytes;
}

// After refusing a request whose body we did not read, reads and drops what
// the client is still sending, at most `max_bytes` and for at most `budget`
// (each read waits at most the socket's receive timeout), so that closing the
// socket does not reset the connection before the client has read the
// refusal (RFC 9112 9.6, nginx's lingering close).
void discardBody(std::istream& in, size_t max_bytes, std::chrono::milliseconds budget) {
    const auto until = std::chrono::steady_clock::now() + budget;
    char buf[16384];
    size_t dropped = 0;
    try {
        while (in && dropped < max_bytes && std::chrono::steady_clock::now() < until) {
            in.read(buf, sizeof buf);
            dropped += static_cast<size_t>(in.gcount());
        }
    } catch (const Poco::Exception&) {
        // The client went away or stalled: nothing left to protect.
    }
}

class ApiHandler final : public Poco::Net::HTTPRequestHandler {
public:
    ApiHandler(ApiContext& context, ApiLimits limits, Poco::Logger& log)
        : context_(context), inventory_(context.inventory), limits_(limits), log_(log) {}

    void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
        const auto start = std::chrono::steady_clock::now();
        // The factory set 413 when it withheld "100 Continue": the client has
        // not sent the body and waits for our answer.
        const bool body_withheld =
            request.getExpectContinue() && response.getStatus() == HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE;
        std::string actor = "-";
        ApiResult result = handle(request, actor);
        int status = 0;
        if (result) {
            status = result.value().status;
            send(response, result.value());
        } else {
            const Error& e = result.error();
            status = httpStatus(e.code);
            if (e.code == Code::kInternal) log_.error("admin API: %s", e.message);
            ApiResponse r{status, errorBody(e), {}};
            if (e.code == Code::kUnauthenticated) r.headers["WWW-Authenticate"] = "Bearer";
            if (e.reason == "method_not_allowed") r.headers["Allow"] = e.details.empty() ? "" : e.details[0];
            // A body we did not read would be taken for the next request.
            const bool unread = !body_read_ && (request.hasContentLength() || request.getChunkedTransferEncoding());
            if (unread) response.setKeepAlive(false);
            send(response, r);
            if (unread && !body_withheld) discardBody(request.stream(), kDiscardBytes, kDiscardTime);
        }
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - start).count();
        // The path is safe to log (no secrets travel in it); bodies never are.
        log_.information("admin %s %s %d %s %dus", request.getMethod(), Poco::URI(request.getURI()).getPath(),
                         status, actor, static_cast<int>(us));
    }

private:
    static constexpr size_t kDiscardBytes = 4 << 20;
    static constexpr std::chrono::milliseconds kDiscardTime{2000};

    ApiResult handle(HTTPServerRequest& request, std::string& actor_name) {
        Poco::URI uri;
        try {
            uri = Poco::URI(request.getURI());
        } catch (const Poco::Exception&) {
            return Error::invalid("the request URI is malformed");
        }
        std::vector<std::string> segments;
        uri.getPathSegments(segments);
        const bool csv = isImport(segments);
        if (segments.size() < 2 || segments[0] != "api" || segments[1] != "v1")
            return Error::notFound("no such path: " + uri.getPath());
        segments.erase(segments.begin(), segments.begin() + 2);

        ApiRequest req;
        req.method = request.getMethod();
        req.segments = std::move(segments);
        try {
            for (auto& [k, v] : uri.getQueryParameters()) req.query[k] = v;
        } catch (const Poco::Exception&) {
            return Error::invalid("the query string is malformed");
        }

        req.actor = TRY(authenticate(request));
        actor_name = req.actor.name;

        std::string body = TRY(readBody(request, bodyLimit(csv, limits_)));
        body_read_ = true;
        if (csv) {
            req.raw_body = std::move(body);
        } else if (!body.empty()) {
            // A top-level array (PUT .../buttons) is named after the resource in errors.
            req.body = TRY(json::parseBody(body, req.segments.empty() ? "" : req.segments.back()));
            req.has_body = true;
        }
        try {
            return route(context_, req);
        } catch (const Poco::Exception& e) {
            return Error::internal(e.displayText());
        } catch (const std::exception& e) {
            return Error::internal(e.what());
        }
    }

    Result<Actor> authenticate(const HTTPServerRequest& request) {
        const std::string header = request.get("Authorization", "");
        static const std::string kBearer = "Bearer ";
        if (header.size() <= kBearer.size() || header.compare(0, kBearer.size(), kBearer) != 0) {
            return Error{Code::kUnauthenticated, "unauthenticated",
                         "send an API token as 'Authorization: Bearer <token>' "
                         "(create one with 'provisioner token create --role admin')", {}, {}};
        }
        const std::optional<ApiToken> token = TRY(inventory_.authenticate(header.substr(kBearer.size())));
        if (!token)
            return Error{Code::kUnauthenticated, "unauthenticated", "the API token is not valid", {}, {}};
        const ApiToken& t = *token;
        return Actor{"token:" + std::to_string(t.id) + (t.name.empty() ? "" : " " + t.name) + " (" +
                         std::string(toString(t.role)) + ")",
                     t.role};
    }

    void send(HTTPServerResponse& response, const ApiResponse& r) {
        response.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(r.status));
        for (const auto& [k, v] : r.headers) response.set(k, v);
        response.set("Cache-Control", "no-store");
        if (r.body.type() == typeid(std::string)) {  // raw bytes (preview)
            const std::string& raw = r.body.extract<std::string>();
            auto type = r.headers.find("Content-Type");
            response.setContentType(type == r.headers.end() ? "application/octet-stream" : type->second);
            response.setContentLength(static_cast<std::streamsize>(raw.size()));
            response.send().write(raw.data(), static_cast<std::streamsize>(raw.size()));
            return;
        }
        if (r.body.isEmpty()) {
            response.setContentLength(0);
            response.send();
            return;
        }
        std::string out = json::stringify(r.body);
        out.push_back('\n');
        response.setContentType("application/json; charset=utf-8");
        response.setContentLength(static_cast<std::streamsize>(out.size()));
        response.send() << out;
    }

    ApiContext& context_;
    Inventory& inventory_;
    ApiLimits limits_;
    Poco::Logger& log_;
    bool body_read_ = false;
};

}  // namespace

Poco::Net::HTTPRequestHandler* ApiHandlerFactory::createRequestHandler(const HTTPServerRequest& request) {
    // Poco sends "100 Continue" after this call unless the status is no longer
    // 200: a client announcing a body over the limit is refused before it
    // sends it (RFC 9110 10.1.1), and cannot lose the refusal to a reset.
    if (request.getExpectContinue() && request.hasContentLength()) {
        std::vector<std::string> segments;
        try {
            Poco::URI(request.getURI()).getPathSegments(segments);
        } catch (const Poco::Exception&) {
        }
        if (request.getContentLength64() > static_cast<int64_t>(bodyLimit(isImport(segments), limits_)))
            request.response().setStatus(HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE);
    }
    return new ApiHandler(context_, limits_, log_);
}

}  // namespace prov::admin

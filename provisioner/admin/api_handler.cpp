#include "provisioner/admin/api_handler.h"

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/NameValueCollection.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>
#include <Poco/URI.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <chrono>
#include <sstream>

#include "provisioner/admin/api_openapi.h"
#include "provisioner/admin/firmware_upload.h"
#include "provisioner/admin/json_decode.h"
#include "provisioner/admin/portal_files.h"
#include "provisioner/admin/status_mapping.h"
#include "provisioner/admin/waiting_room.h"
#include "provisioner/core/server_metrics.h"
#include "provisioner/core/text.h"
#include "provisioner/model/json_encode.h"
#include "provisioner/policy/digest.h"

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

// POST /api/v1/firmware: the body is an image, streamed to disk (firmware_upload.cpp).
bool isFirmwareUpload(const std::string& method, const std::vector<std::string>& segments) {
    return method == "POST" && segments.size() == 3 && segments[0] == "api" && segments[1] == "v1" &&
           segments[2] == "firmware";
}

int64_t bodyLimit(const std::string& method, const std::vector<std::string>& segments, const ApiLimits& limits) {
    if (isFirmwareUpload(method, segments)) return limits.max_firmware_bytes;
    return static_cast<int64_t>(isImport(segments) ? limits.max_import_bytes : limits.max_body_bytes);
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

// A stream writes a few bytes every interval, and a client that vanished
// without a FIN (a laptop closed, a network gone) would leave them queued
// for the kernel's full retransmission time (~15 min), holding a stream
// place: unacknowledged data for 20 s, or 10 s of silence and two
// unanswered probes, drop the connection, and the next write fails.
void shortenDeadPeerTimeout(HTTPServerRequest& request) {
    auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request);
    if (!impl) return;
    const int fd = static_cast<int>(impl->socket().impl()->sockfd());
    if (fd < 0) return;
    const unsigned user_timeout_ms = 20'000;
    const int on = 1, idle_s = 10, interval_s = 5, probes = 2;
    // Best effort: a socket that refuses still ends at the stream's lifetime.
    (void)setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof user_timeout_ms);
    (void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    (void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle_s, sizeof idle_s);
    (void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval_s, sizeof interval_s);
    (void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes);
}

// "application/json", with or without parameters (charset), any case.
bool isJsonType(const std::string& content_type) {
    const std::string type = text::trim(content_type.substr(0, content_type.find(';')));
    return Poco::icompare(type, "application/json") == 0;
}

// The path of a request target as sent (still percent-encoded, no query):
// what the access line and security events show, escaped where they write it.
std::string rawPath(const std::string& uri) { return uri.substr(0, uri.find('?')); }

class ApiHandler final : public Poco::Net::HTTPRequestHandler {
public:
    ApiHandler(ApiContext& context, ApiLimits limits, ApiGuards guards, Poco::Logger& log)
        : context_(context), inventory_(context.inventory), limits_(limits), guards_(guards), log_(log) {}

    void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
        const auto start = std::chrono::steady_clock::now();
        peer_ = request.clientAddress().host().toString();

        // The factory set 413 when it withheld "100 Continue": the client has
        // not sent the body and waits for our answer.
        const bool body_withheld =
            request.getExpectContinue() && response.getStatus() == HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE;
        std::string actor;
        ApiResult result = handle(request, actor);
        // Anyone without a valid token gets one answer per connection: no
        // worker kept waiting for their next request, no pipelined answers
        // queued for a client that does not read them.
        if (actor.empty()) response.setKeepAlive(false);
        int status = 0;
        if (result && stream_) {
            status = HTTPResponse::HTTP_OK;
            serveStream(request, response);
        } else if (result) {
            status = result.value().status;
            send(response, result.value());
        } else {
            const Error& e = result.error();
            status = httpStatus(e.code);
            if (e.code == Code::kInternal) log_.error("admin API: %s", text::forLog(e.message));
            ApiResponse r{status, errorBody(e), {}};
            if (e.code == Code::kUnauthenticated) r.headers["WWW-Authenticate"] = "Bearer";
            if (e.reason == "method_not_allowed") r.headers["Allow"] = e.details.empty() ? "" : e.details[0];
            if (e.reason == "too_many_streams") r.headers["Retry-After"] = "10";
            if (e.reason == "too_many_failures") {
                status = r.status = HTTPResponse::HTTP_TOO_MANY_REQUESTS;
                r.headers["Retry-After"] = e.details.empty() ? "60" : e.details[0];
            }
            // A body we did not read would be taken for the next request.
            const bool unread = !body_read_ && (request.hasContentLength() || request.getChunkedTransferEncoding());
            if (unread) response.setKeepAlive(false);
            send(response, r);
            if (unread && !body_withheld) {
                // The budget is a deadline on every read, not just between
                // them: a body dribbled a byte at a time ends with it.
                if (ReadAheadSocketImpl* s = readAheadSocketOf(request))
                    s->setHeadDeadline(steadyMs() + kDiscardTime.count());
                discardBody(request.stream(), kDiscardBytes, kDiscardTime);
            }
        }
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - start).count();
        const std::string path = rawPath(request.getURI());
        if (actor.empty()) {
            // Not authenticated: a refusal, at most a few lines a minute.
            // (A failed authentication logged its own event.)
            if (!auth_failed_) {
                SecurityEvent line("api_refused", peer_);
                line.word("method", request.getMethod()).text("path", path).number("status", status);
                guards_.log.refusal(LogPriority::kInformation, line);
            }
            return;
        }
        // The path is safe to log (no secrets travel in it); bodies never are.
        // Client text is quoted and escaped (text::forLog).
        const std::string& method = request.getMethod();
        log_.information("admin %s %s %d %s %dus", SecurityEvent::isBare(method) ? method : text::forLog(method),
                         text::forLog(path), status, text::forLog(actor), static_cast<int>(us));
    }

private:
    static constexpr size_t kDiscardBytes = 4 << 20;
    static constexpr std::chrono::milliseconds kDiscardTime{2000};

    ApiResult handle(HTTPServerRequest& request, std::string& actor_name) {
        // A source blocked for failed authentication gets nothing else, a
        // correct token included (policy/auth_guard.h says why).
        if (const int64_t wait = guards_.auth.retryAfter(peer_)) {
            return Error{Code::kUnavailable, "too_many_failures",
                         "too many failed authentications from " + peer_ + "; try again in " + std::to_string(wait) +
                             " s",
                         {}, {std::to_string(wait)}};
        }
        Poco::URI uri;
        try {
            uri = Poco::URI(request.getURI());
        } catch (const Poco::Exception&) {
            return Error::invalid("the request URI is malformed");
        }
        std::vector<std::string> segments;
        uri.getPathSegments(segments);
        const bool csv = isImport(segments);
        const bool upload = isFirmwareUpload(request.getMethod(), segments);
        const int64_t limit = bodyLimit(request.getMethod(), segments, limits_);
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

        Poco::Net::NameValueCollection cookies;
        request.getCookies(cookies);
        req.session = cookies.get(kSessionCookie, "");
        // Signing in needs no credentials: the session route checks its own.
        if (req.segments.size() == 1 && req.segments[0] == "session") return session(request, req, actor_name);
        // Nor does reading the API's description (api_openapi.h says why).
        if (req.segments.size() == 1 && req.segments[0] == "openapi.json")
            return description(request, req, actor_name);

        req.actor = TRY(authenticate(request, req));
        actor_name = req.actor.name;

        if (upload) {
            try {
                return receiveFirmware(context_, request, req, limit, body_read_);
            } catch (const Poco::Exception& e) {
                return Error::invalid("the upload did not arrive whole: " + e.displayText(),
                                      {{"body", "incomplete"}});
            }
        }
        TRY(readRequestBody(request, req, csv, limit));
        if (req.segments.size() == 2 && req.segments[0] == "staging" && req.segments[1] == "stream")
            return openStream(std::move(req));
        return guarded([&] { return route(context_, req); });
    }

    Status readRequestBody(HTTPServerRequest& request, ApiRequest& req, bool csv, int64_t limit) {
        std::string body = TRY(readBody(request, static_cast<size_t>(limit)));
        body_read_ = true;
        if (csv) {
            req.raw_body = std::move(body);
        } else if (!body.empty()) {
            // A top-level array (PUT .../buttons) is named after the resource in errors.
            req.body = TRY(json::parseBody(body, req.segments.empty() ? "" : req.segments.back()));
            req.has_body = true;
        }
        return okStatus();
    }

    template <typename F>
    static ApiResult guarded(F&& f) {
        try {
            return f();
        } catch (const Poco::Exception& e) {
            return Error::internal(e.displayText());
        } catch (const std::exception& e) {
            return Error::internal(e.what());
        }
    }

    // GET /staging/stream reads the view first, so that a bad query is a
    // plain error answer (400 naming the field) that never held a place;
    // then takes a place among the streams, or is refused (503) before it
    // could hold a thread the other requests need.
    ApiResult openStream(ApiRequest req) {
        if (req.method != "GET") return methodNotAllowed("GET");
        if (!guards_.streams) return Error::notFound("staging streams are not served here");
        req.segments = {"staging"};
        std::string first = TRY(stagingView(req));
        StreamPlace place = guards_.streams->tryOpen(req.actor.name);
        if (!place)
            return Error{Code::kUnavailable, "too_many_streams",
                         "every staging stream place is taken (portal.streams); try again later", {}, {}};
        stream_ = std::move(req);
        first_view_ = std::move(first);
        place_ = std::move(place);
        return ok(Poco::Dynamic::Var());
    }

    Result<std::string> stagingView(const ApiRequest& req) {
        try {
            const ApiResponse r = TRY(route(context_, req));
            return json::stringify(r.body);
        } catch (const std::exception& e) {
            return Error::internal(e.what());
        }
    }

    // Writes the stream until its lifetime ends, the client leaves, the
    // caller's credentials end or the server stops; the place goes back
    // with place_ whatever happens.
    void serveStream(HTTPServerRequest& request, HTTPServerResponse& response) {
        shortenDeadPeerTimeout(request);
        response.setStatus(HTTPResponse::HTTP_OK);
        response.setContentType("text/event-stream");
        response.set("Cache-Control", "no-store");
        response.setChunkedTransferEncoding(true);
        response.setKeepAlive(false);
        try {
            std::ostream& out = response.send();
            StreamFeed feed{std::move(first_view_), [this] { return stagingView(*stream_); },
                            still_valid_};
            streamStaging(out, std::move(place_), feed);
        } catch (const Poco::Exception&) {
            // The client went away before the headers were out: the stream is over.
        } catch (const std::exception&) {
        }
    }

    // /api/v1/session. A refused sign-in logged its own security event.
    ApiResult session(HTTPServerRequest& request, ApiRequest& req, std::string& actor_name) {
        // A form on another site can POST text/plain that parses as JSON
        // and sign the victim's browser in as the attacker (login CSRF);
        // application/json is beyond what a form can send without CORS.
        if (req.method == "POST" && !isJsonType(request.getContentType()))
            return Error::invalid("sign in with a JSON body", {{"Content-Type", "must be application/json"}});
        TRY(readRequestBody(request, req, false, static_cast<int64_t>(limits_.max_body_bytes)));
        req.actor = Actor{"unauthenticated", Role::kViewer, peer_};
        ApiResult result = guarded([&] { return sessionRoutes(context_, req, guards_.log); });
        if (result) actor_name = "session";
        else if (result.error().code == Code::kUnauthenticated && req.method == "POST") {
            auth_failed_ = true;
            metrics::serverMetrics().adminAuthFailure();
        }
        return result;
    }

    // /api/v1/openapi.json. A body, which it does not take, is read and
    // dropped, so that it cannot be taken for the next request.
    ApiResult description(HTTPServerRequest& request, ApiRequest& req, std::string& actor_name) {
        TRY(readRequestBody(request, req, false, static_cast<int64_t>(limits_.max_body_bytes)));
        ApiResult result = openApiRoute(req);
        if (result) actor_name = "anonymous";
        return result;
    }

    Result<Actor> authenticate(const HTTPServerRequest& request, const ApiRequest& req) {
        const std::string header = request.get("Authorization", "");
        static const std::string kBearer = "Bearer ";
        if (header.empty() && !req.session.empty()) return sessionActor(request, req);
        // No credentials at all is no guess: refused, not counted.
        if (header.empty()) {
            return Error{Code::kUnauthenticated, "unauthenticated",
                         "send an API token as 'Authorization: Bearer <token>' "
                         "(create one with 'provisioner token create --role admin')", {}, {}};
        }
        if (header.size() <= kBearer.size() || header.compare(0, kBearer.size(), kBearer) != 0)
            return failed("malformed", nullptr, "send an API token as 'Authorization: Bearer <token>'");
        const TokenAuth auth = TRY(inventory_.authenticate(header.substr(kBearer.size())));
        if (auth.check == TokenCheck::kUnknown) return failed("unknown", nullptr, "the API token is not valid");
        if (auth.check == TokenCheck::kExpired) return failed("expired", &auth.token, "the API token has expired");
        if (auth.check == TokenCheck::kRevoked) return failed("revoked", &auth.token, "the API token was revoked");
        const ApiToken& t = auth.token;
        // A stream asks again on each tick (the token may be revoked or
        // expire meanwhile); a portal session sets its own in sessionActor.
        still_valid_ = [&inventory = inventory_, secret = header.substr(kBearer.size())] {
            const Result<TokenAuth> again = inventory.authenticate(secret);
            return again && again.value().check == TokenCheck::kValid;
        };
        return Actor{"token:" + std::to_string(t.id) + (t.name.empty() ? "" : " " + t.name) + " (" +
                         std::string(toString(t.role)) + ")",
                     t.role, peer_};
    }

    // A portal session. An unknown or ended one is not counted as a failure:
    // its id is 256 random bits, so a stale cookie is not a guess.
    Result<Actor> sessionActor(const HTTPServerRequest& request, const ApiRequest& req) {
        const std::optional<SessionView> s = TRY(inventory_.session(req.session));
        if (!s) return Error{Code::kUnauthenticated, "unauthenticated", "the session has ended; sign in again", {}, {}};
        // The cookie goes with every request the browser makes, a forged one
        // from another site too; only our page can read the token (from
        // POST/GET /session) and send it back in a header.
        if (req.method != "GET" && req.method != "HEAD" &&
            !policy::digest::constantTimeEqual(request.get("X-CSRF-Token", ""), s->csrf_token)) {
            return Error{Code::kPermissionDenied, "csrf",
                         "a request signed in by the session cookie must send its X-CSRF-Token", {}, {}};
        }
        // A stream asks again on each tick: signing out, an expired session,
        // or a user disabled, deleted or given a new password ends it.
        still_valid_ = [&inventory = inventory_, cookie = req.session] {
            const Result<std::optional<SessionView>> again = inventory.session(cookie);
            return again && again.value().has_value();
        };
        return Actor{"user:" + s->user.name + " (" + std::string(toString(s->user.role)) + ")", s->user.role, peer_,
                     true};
    }

    // Credentials were presented and did not verify: a security event, an
    // audit entry, one more failure against the source (maybe its block).
    Error failed(const char* reason, const ApiToken* token, const std::string& message) {
        auth_failed_ = true;
        metrics::serverMetrics().adminAuthFailure();
        SecurityEvent line("auth_failure", peer_);
        line.word("reason", reason);
        if (token) line.number("token", token->id);
        guards_.log.refusal(LogPriority::kWarning, line);
        const Actor anonymous{"unauthenticated", Role::kViewer, peer_};
        auto what = json::newObject();
        what->set("reason", reason);
        if (token) what->set("token_id", token->id);
        // Best effort: a busy store must not turn a refusal into a 503.
        (void)inventory_.auditAccess(anonymous, "failure", "auth", peer_, json::stringify(what));
        if (const std::optional<policy::AuthBlock> block = guards_.auth.failure(peer_)) {
            metrics::serverMetrics().adminAuthBlock();
            SecurityEvent b("auth_block", peer_);
            b.number("seconds", block->seconds).number("failures", block->failures).number("block", block->count);
            guards_.log.write(LogPriority::kWarning, b);
            auto about = json::newObject();
            about->set("seconds", block->seconds);
            about->set("failures", block->failures);
            about->set("block", block->count);
            (void)inventory_.auditAccess(anonymous, "block", "auth", peer_, json::stringify(about));
        }
        return Error{Code::kUnauthenticated, "unauthenticated", message, {}, {}};
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
    ApiGuards guards_;
    Poco::Logger& log_;
    std::string peer_;
    bool body_read_ = false;
    bool auth_failed_ = false;
    std::optional<ApiRequest> stream_;  // set once a stream place is taken
    std::string first_view_;            // the stream's first event
    StreamPlace place_;                 // given back when the handler goes
    StillValid still_valid_;            // whether the caller's credentials still hold
};

}  // namespace

Poco::Net::HTTPRequestHandler* ApiHandlerFactory::createRequestHandler(const HTTPServerRequest& request) {
    if (isOpsPath(rawPath(request.getURI()))) return newOpsHandler(ops_);
    if (!portal_dir_.empty() && isPortalPath(rawPath(request.getURI()))) return newPortalFileHandler(portal_dir_);
    // Poco sends "100 Continue" after this call unless the status is no longer
    // 200: a client announcing a body over the limit is refused before it
    // sends it (RFC 9110 10.1.1), and cannot lose the refusal to a reset.
    if (request.getExpectContinue() && request.hasContentLength()) {
        std::vector<std::string> segments;
        try {
            Poco::URI(request.getURI()).getPathSegments(segments);
        } catch (const Poco::Exception&) {
        }
        if (request.getContentLength64() > bodyLimit(request.getMethod(), segments, limits_))
            request.response().setStatus(HTTPResponse::HTTP_REQUEST_ENTITY_TOO_LARGE);
    }
    return new ApiHandler(context_, limits_, guards_, log_);
}

}  // namespace prov::admin

#include "provisioner/http/exchange.h"

#include <Poco/Net/HTTPResponse.h>

#include <ctime>

#include "provisioner/http/status_mapping.h"

namespace prov::http {

namespace {

using Poco::Net::HTTPResponse;

// A short text answer: its body is the text for GET and PUT; HEAD gets the
// same headers and no body.
Reply textReply(int status, const std::string& text, const RequestHead& head, bool closes, std::string extra) {
    Reply r;
    r.status = status;
    r.extra = std::move(extra);
    r.content_type = text.empty() ? "" : "text/plain";
    r.length = text.size();
    if (head.method != "HEAD") r.body = text;
    r.closes = closes;
    return r;
}

}  // namespace

Reply pageReply(const PageAnswer& page, const RequestHead& head) {
    Reply r;
    r.status = page.status;
    r.content_type = "text/html; charset=utf-8";
    r.length = page.html.size();
    if (head.method != "HEAD") r.body = page.html;
    r.extra = "Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nX-Content-Type-Options: nosniff\r\n"
              "X-Frame-Options: DENY\r\n";
    if (!page.csp.empty()) r.extra += "Content-Security-Policy: " + page.csp + "\r\n";
    return r;
}

bool isPhoneMethod(const std::string& method) { return method == "GET" || method == "HEAD" || method == "PUT"; }

FetchRequest toFetchRequest(const RequestHead& head, std::string body, const std::string& peer_ip, Protocol protocol,
                            const PeerProof& proof) {
    FetchRequest fetch;
    fetch.protocol = protocol;
    fetch.client_cert = proof.client_cert;
    fetch.cert_mac = proof.mac;
    fetch.peer_ip = peer_ip;
    fetch.user_agent = head.user_agent;
    fetch.if_none_match = head.if_none_match;
    fetch.method = head.method == "GET" ? Method::kGet : head.method == "HEAD" ? Method::kHead : Method::kPut;
    fetch.file = fileFromTarget(head.target);
    fetch.target = head.target;
    fetch.authorization = head.authorization;
    fetch.body = std::move(body);
    return fetch;
}

Reply replyTo(FetchResponse response, const RequestHead& head) {
    if (response.outcome == Outcome::kUnauthorized) {
        std::string extra;
        for (const std::string& c : response.challenges) extra += "WWW-Authenticate: " + c + "\r\n";
        return refusal(response.outcome, head, false, std::move(extra));
    }
    // The store is away and this node has nothing kept for the phone: it
    // asks again in a few seconds, as after any overload.
    if (response.outcome == Outcome::kUnavailable) return refusal(response.outcome, head, false, "Retry-After: 5\r\n");
    if (response.outcome != Outcome::kServed && response.outcome != Outcome::kNotModified)
        return refusal(response.outcome, head, false);
    Reply r;
    if (!response.etag.empty()) r.extra += "ETag: " + response.etag + "\r\n";
    r.extra += "Cache-Control: no-cache\r\n";
    if (response.outcome == Outcome::kNotModified) {
        r.status = HTTPResponse::HTTP_NOT_MODIFIED;
        return r;
    }
    r.content_type = std::move(response.content_type);
    if (!response.file_path.empty()) {
        r.length = static_cast<uint64_t>(response.file_size);
        r.file_path = response.file_path;
        r.file_check = response.file_check;
        r.stream_file = head.method != "HEAD" && r.length > 0;
        return r;
    }
    r.length = response.body.size();
    if (head.method != "HEAD") r.body = std::move(response.body);
    return r;
}

Reply refusal(Outcome outcome, const RequestHead& head, bool closes, std::string extra) {
    return textReply(httpStatus(outcome), refusalBody(outcome), head, closes, std::move(extra));
}

Reply headRefusal(HeadResult result, const RequestHead& head) {
    const HTTPResponse::HTTPStatus status = result == HeadResult::kTooLarge ? HTTPResponse::HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE
                                            : result == HeadResult::kVersion ? HTTPResponse::HTTP_VERSION_NOT_SUPPORTED
                                            : result == HeadResult::kNotImplemented ? HTTPResponse::HTTP_NOT_IMPLEMENTED
                                                                                    : HTTPResponse::HTTP_BAD_REQUEST;
    return textReply(status, HTTPResponse::getReasonForStatus(status) + "\n", head, true, "");
}

Reply overloaded(const RequestHead& head) {
    return textReply(HTTPResponse::HTTP_SERVICE_UNAVAILABLE, "Service Unavailable\n", head, true, "Retry-After: 5\r\n");
}

bool wantsKeepAlive(const RequestHead& head) {
    return head.minor == 1 ? !head.connection_close : head.connection_keep_alive;
}

std::string formatHead(const Reply& reply, int minor, bool keep_alive, const std::string& date_line) {
    std::string out;
    out.reserve(160 + reply.extra.size());
    out += minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ";
    out += std::to_string(reply.status);
    out += ' ';
    out += HTTPResponse::getReasonForStatus(static_cast<HTTPResponse::HTTPStatus>(reply.status));
    out += "\r\n";
    out += date_line;
    out += keep_alive ? "Connection: Keep-Alive\r\n" : "Connection: Close\r\n";
    out += reply.extra;
    if (!reply.content_type.empty()) out += "Content-Type: " + reply.content_type + "\r\n";
    out += "Content-Length: " + std::to_string(reply.length) + "\r\n\r\n";
    return out;
}

std::string dateLine(int64_t unix_seconds) {
    const time_t t = static_cast<time_t>(unix_seconds);
    tm parts{};
    gmtime_r(&t, &parts);
    char buf[64];
    strftime(buf, sizeof buf, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &parts);
    return buf;
}

}  // namespace prov::http

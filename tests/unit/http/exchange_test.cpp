// The pure halves of a phone's exchange: request head -> FetchRequest and
// FetchResponse -> status line and headers.

#include <catch2/catch.hpp>

#include "provisioner/http/exchange.h"

using namespace prov;
using namespace prov::http;

namespace {

RequestHead head(const std::string& method, int minor = 1) {
    RequestHead h;
    h.method = method;
    h.target = "/0015654aa937.cfg?x=1";
    h.minor = minor;
    h.user_agent = "Yealink SIP-T46U 108.86.0.90";
    h.if_none_match = "\"abc\"";
    return h;
}

const std::string kDate = "Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n";

}  // namespace

TEST_CASE("exchange: the request head becomes the pipeline's request") {
    const FetchRequest f = toFetchRequest(head("PUT"), "body", "10.0.0.9", Protocol::kHttps, {true, "0015654aa937"});
    CHECK(f.method == Method::kPut);
    CHECK(f.file == "0015654aa937.cfg");
    CHECK(f.user_agent == "Yealink SIP-T46U 108.86.0.90");
    CHECK(f.if_none_match == "\"abc\"");
    CHECK(f.peer_ip == "10.0.0.9");
    CHECK(f.protocol == Protocol::kHttps);
    CHECK(f.client_cert);
    CHECK(f.cert_mac == "0015654aa937");
    CHECK(f.body == "body");
    CHECK(toFetchRequest(head("HEAD"), "", "", Protocol::kHttp, {}).method == Method::kHead);
    CHECK(toFetchRequest(head("GET"), "", "", Protocol::kHttp, {}).method == Method::kGet);
}

TEST_CASE("exchange: keep-alive as each HTTP version asks") {
    RequestHead h = head("GET");
    CHECK(wantsKeepAlive(h));
    h.connection_close = true;
    CHECK_FALSE(wantsKeepAlive(h));
    RequestHead old = head("GET", 0);
    CHECK_FALSE(wantsKeepAlive(old));
    old.connection_keep_alive = true;
    CHECK(wantsKeepAlive(old));
}

TEST_CASE("exchange: every outcome's status line and headers, byte for byte") {
    struct Case {
        Outcome outcome;
        std::string method;
        std::string expected;
    };
    const std::vector<Case> cases = {
        {Outcome::kServed, "GET",
         "HTTP/1.1 200 OK\r\n" + kDate +
             "Connection: Keep-Alive\r\nETag: \"e\"\r\nCache-Control: no-cache\r\nContent-Type: text/plain\r\n"
             "Content-Length: 3\r\n\r\nabc"},
        {Outcome::kServed, "HEAD",
         "HTTP/1.1 200 OK\r\n" + kDate +
             "Connection: Keep-Alive\r\nETag: \"e\"\r\nCache-Control: no-cache\r\nContent-Type: text/plain\r\n"
             "Content-Length: 3\r\n\r\n"},
        {Outcome::kNotModified, "GET",
         "HTTP/1.1 304 Not Modified\r\n" + kDate +
             "Connection: Keep-Alive\r\nETag: \"e\"\r\nCache-Control: no-cache\r\nContent-Length: 0\r\n\r\n"},
        {Outcome::kStored, "PUT", "HTTP/1.1 204 No Content\r\n" + kDate + "Connection: Keep-Alive\r\nContent-Length: 0\r\n\r\n"},
        {Outcome::kNotFound, "GET",
         "HTTP/1.1 404 Not Found\r\n" + kDate +
             "Connection: Keep-Alive\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nNot Found\n"},
        // Denied reads exactly as not found: a sweep learns nothing.
        {Outcome::kDenied, "GET",
         "HTTP/1.1 404 Not Found\r\n" + kDate +
             "Connection: Keep-Alive\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nNot Found\n"},
        {Outcome::kDenied, "HEAD",
         "HTTP/1.1 404 Not Found\r\n" + kDate +
             "Connection: Keep-Alive\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\n"},
        {Outcome::kForbidden, "GET",
         "HTTP/1.1 403 Forbidden\r\n" + kDate +
             "Connection: Keep-Alive\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\nForbidden\n"},
        // The store away and nothing kept for the phone: it asks again later.
        {Outcome::kUnavailable, "GET",
         "HTTP/1.1 503 Service Unavailable\r\n" + kDate +
             "Connection: Keep-Alive\r\nRetry-After: 5\r\nContent-Type: text/plain\r\nContent-Length: 20\r\n\r\n"
             "Service Unavailable\n"},
        {Outcome::kError, "GET",
         "HTTP/1.1 500 Internal Server Error\r\n" + kDate +
             "Connection: Keep-Alive\r\nContent-Type: text/plain\r\nContent-Length: 22\r\n\r\nInternal Server Error\n"},
    };
    for (const auto& c : cases) {
        INFO(static_cast<int>(c.outcome) << " " << c.method);
        FetchResponse r;
        r.outcome = c.outcome;
        r.body = "abc";
        r.etag = "\"e\"";
        r.content_type = "text/plain";
        const Reply reply = replyTo(r, head(c.method));
        CHECK(formatHead(reply, 1, true, kDate) + reply.body == c.expected);
        CHECK_FALSE(reply.closes);
    }
}

TEST_CASE("exchange: a served file is streamed after its head, never for HEAD or when empty") {
    FetchResponse r;
    r.outcome = Outcome::kServed;
    r.file_path = "/srv/fw.bin";
    r.file_size = 1234;
    r.content_type = "application/octet-stream";
    r.etag = "\"1234-5\"";
    Reply get = replyTo(r, head("GET"));
    CHECK(get.file_path == "/srv/fw.bin");
    CHECK(get.stream_file);
    CHECK(get.length == 1234);
    CHECK(get.body.empty());
    const Reply head_only = replyTo(r, head("HEAD"));
    CHECK(head_only.file_path == "/srv/fw.bin");  // still opened: a file gone is a 404
    CHECK_FALSE(head_only.stream_file);
    r.file_size = 0;
    CHECK_FALSE(replyTo(r, head("GET")).stream_file);
}

TEST_CASE("exchange: refusals before the pipeline close the connection") {
    const Reply bad = headRefusal(HeadResult::kBad, head("GET"));
    CHECK(bad.closes);
    CHECK(formatHead(bad, 1, false, kDate) + bad.body ==
          "HTTP/1.1 400 Bad Request\r\n" + kDate +
              "Connection: Close\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\nBad Request\n");
    CHECK(headRefusal(HeadResult::kTooLarge, head("GET")).status == 431);
    CHECK(headRefusal(HeadResult::kVersion, head("GET")).status == 505);
    CHECK(headRefusal(HeadResult::kNotImplemented, head("GET")).status == 501);
    const Reply busy = overloaded(head("GET", 0));
    CHECK(formatHead(busy, 0, false, kDate) + busy.body ==
          "HTTP/1.0 503 Service Unavailable\r\n" + kDate +
              "Connection: Close\r\nRetry-After: 5\r\nContent-Type: text/plain\r\nContent-Length: 20\r\n\r\n"
              "Service Unavailable\n");
}

TEST_CASE("exchange: the Date line is RFC 1123") {
    CHECK(dateLine(0) == "Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n");
    CHECK(dateLine(1796040000) == "Date: Mon, 30 Nov 2026 12:00:00 GMT\r\n");
}

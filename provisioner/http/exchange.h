#pragma once

// A phone's HTTP exchange as pure functions: the request head (and body)
// becomes the pipeline's FetchRequest, and the pipeline's FetchResponse (or
// a refusal the connection decides on) becomes the status line and headers
// to write, with the body or the file that follows. The answers are those
// phones have always had from this server, header for header (the golden
// files in tests/data/golden are compared byte for byte).

#include <cstdint>
#include <string>

#include "provisioner/http/request_head.h"
#include "provisioner/http/transport.h"
#include "provisioner/fetch/fetch.h"

namespace prov::http {

struct Reply {
    int status = 200;
    std::string extra;         // header lines, each ending in CRLF
    std::string content_type;  // none when empty
    uint64_t length = 0;       // Content-Length
    std::string body;          // what follows the head (never for HEAD)
    std::string file_path;     // or a file of `length` bytes (opened for HEAD too: gone is 404)
    std::optional<FileCheck> file_check;  // what the opened file must still be, or 404
    bool stream_file = false;  // its bytes follow the head (not for HEAD, nor when empty)
    bool closes = false;       // this answer ends the connection
};

// A page's answer (Fetcher::page): HTML, with its Content-Security-Policy.
struct PageAnswer {
    int status = 404;
    std::string html;
    std::string csp;
};

// The reply of a page: no-store, no referrer, its CSP, never framed.
Reply pageReply(const PageAnswer& page, const RequestHead& head);

// GET, HEAD or PUT; anything else is refused before the pipeline.
bool isPhoneMethod(const std::string& method);

FetchRequest toFetchRequest(const RequestHead& head, std::string body, const std::string& peer_ip, Protocol protocol,
                            const PeerProof& proof);

// The pipeline's answer. For HEAD the body is left out (its length stays).
// Taken by value: a served body moves into the reply instead of being copied.
Reply replyTo(FetchResponse response, const RequestHead& head);
// An answer that carries no file: the status of `outcome` and its short
// text body; `closes` as given.
Reply refusal(Outcome outcome, const RequestHead& head, bool closes, std::string extra = "");
// A request head that could not be parsed: 400, 431, 501 or 505, and close.
Reply headRefusal(HeadResult result, const RequestHead& head);
// Past http.max_connections: 503 with Retry-After, and close.
Reply overloaded(const RequestHead& head);

// Whether the phone asked to keep the connection (HTTP/1.1: unless
// "Connection: close"; HTTP/1.0: only with "Connection: keep-alive").
bool wantsKeepAlive(const RequestHead& head);

// The status line and headers, in the order phones have always had them.
// `date_line` is "Date: ...\r\n" (dateLine()).
std::string formatHead(const Reply& reply, int minor, bool keep_alive, const std::string& date_line);
// "Date: Sun, 29 Nov 2026 14:02:03 GMT\r\n" for `unix_seconds` (RFC 1123).
std::string dateLine(int64_t unix_seconds);

}  // namespace prov::http

#pragma once

// The head of an HTTP/1.x request, parsed from the bytes read so far, for the
// event-loop front end (loop_server.h). Only what a phone's fetch needs is
// kept; every other header is skipped. Pure and total: any byte sequence
// gives one of the results below, never an exception.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace prov::http {

struct RequestHead {
    std::string method;
    std::string target;
    int minor = 1;  // HTTP/1.<minor>
    std::string user_agent;
    std::string if_none_match;
    std::string authorization;  // at most kMaxAuthorization bytes, else the request is bad
    bool connection_close = false;
    bool connection_keep_alive = false;
    bool chunked = false;
    bool expect_continue = false;
    std::optional<uint64_t> content_length;
    size_t size = 0;  // bytes of the head, blank line included
};

constexpr size_t kMaxAuthorization = 4096;

enum class HeadResult {
    kIncomplete,  // read more
    kComplete,
    kBad,         // 400
    kTooLarge,    // 431: no end of head within the limit
    kVersion,     // 505: not HTTP/1.0 or 1.1
    kNotImplemented,  // 501: a transfer coding other than chunked
};

HeadResult parseHead(std::string_view bytes, size_t max_size, RequestHead& out);

// A chunked body (RFC 9112 7.1) at the start of `bytes`, decoded a call at a
// time as bytes arrive: start with an empty `body` and `used` 0 and pass both
// back unchanged; each call appends the whole chunks it finds and moves
// `used` past them. kComplete when the last chunk and the trailers (skipped,
// at most 8 KiB) are in, `used` then being the bytes the body took;
// kIncomplete; kBad (a size line over 256 bytes, controls in it, bad
// framing); kTooLarge past `max_body`.
HeadResult decodeChunked(std::string_view bytes, size_t max_body, std::string& body, size_t& used);

// The file name asked for in a raw request target ("/0015654aa937.cfg?x=1"),
// or "" when the target is not one plain file at the root: encoded slashes,
// backslashes and NULs, "..", and anything in a folder are refused here.
// Repeated slashes count as one ("//0015654aa937.cfg" is the root file;
// "//etc/passwd" is "/etc/passwd", a folder, refused).
std::string fileFromTarget(const std::string& target);

}  // namespace prov::http

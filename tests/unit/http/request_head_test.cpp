#include <catch2/catch.hpp>

#include "provisioner/http/request_head.h"

using namespace prov::http;

TEST_CASE("request head: a phone's GET, with what the pipeline needs") {
    const std::string req =
        "GET /0015654aa937.cfg HTTP/1.1\r\nHost: prov\r\nUser-Agent: Yealink SIP-T46U 108.86.0.90 00:15:65:4a:a9:37\r\n"
        "If-None-Match: \"abc\"\r\nConnection: keep-alive\r\n\r\nGET /next";
    RequestHead h;
    REQUIRE(parseHead(req, 8192, h) == HeadResult::kComplete);
    CHECK(h.method == "GET");
    CHECK(h.target == "/0015654aa937.cfg");
    CHECK(h.minor == 1);
    CHECK(h.user_agent == "Yealink SIP-T46U 108.86.0.90 00:15:65:4a:a9:37");
    CHECK(h.if_none_match == "\"abc\"");
    CHECK(h.connection_keep_alive);
    CHECK_FALSE(h.connection_close);
    CHECK(req.substr(h.size) == "GET /next");  // a pipelined request stays in the buffer
}

TEST_CASE("request head: incomplete until the blank line, in any split, bare LF accepted") {
    const std::string req = "HEAD /a.cfg HTTP/1.0\r\nConnection: Keep-Alive, Upgrade\r\n\r\n";
    RequestHead h;
    for (size_t i = 0; i < req.size(); ++i) CHECK(parseHead(req.substr(0, i), 8192, h) == HeadResult::kIncomplete);
    REQUIRE(parseHead(req, 8192, h) == HeadResult::kComplete);
    CHECK(h.minor == 0);
    CHECK(h.connection_keep_alive);
    REQUIRE(parseHead("\r\nGET /x HTTP/1.1\nUser-Agent: a\n\n", 8192, h) == HeadResult::kComplete);
    CHECK(h.user_agent == "a");
}

TEST_CASE("request head: refusals") {
    RequestHead h;
    CHECK(parseHead("GET /x\r\n\r\n", 8192, h) == HeadResult::kBad);
    CHECK(parseHead("GET  /x HTTP/1.1\r\n\r\n", 8192, h) == HeadResult::kBad);
    CHECK(parseHead("GET /x HTTP/1.1 extra\r\n\r\n", 8192, h) == HeadResult::kBad);
    CHECK(parseHead("G(T /x HTTP/1.1\r\n\r\n", 8192, h) == HeadResult::kBad);
    CHECK(parseHead("GET /x HTTP/2.0\r\n\r\n", 8192, h) == HeadResult::kVersion);
    CHECK(parseHead("GET /x HTTX/1.1\r\n\r\n", 8192, h) == HeadResult::kBad);
    CHECK(parseHead("GET /x HTTP/1.1\r\nNo colon\r\n\r\n", 8192, h) == HeadResult::kBad);
    CHECK(parseHead("GET /x HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", 8192, h) == HeadResult::kBad);
    CHECK(parseHead("GET /x HTTP/1.1\r\nUser-Agent: a\x01z\r\n\r\n", 8192, h) == HeadResult::kBad);
    CHECK(parseHead(std::string("GET /x\0y HTTP/1.1\r\n\r\n", 22), 8192, h) == HeadResult::kBad);
    CHECK(parseHead("PUT /x HTTP/1.1\r\nContent-Length: 12a\r\n\r\n", 8192, h) == HeadResult::kBad);
    CHECK(parseHead("PUT /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 8192, h) == HeadResult::kBad);
    // Both framings at once: a request smuggling attempt.
    CHECK(parseHead("PUT /x HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 8192, h) ==
          HeadResult::kBad);
    CHECK(parseHead("PUT /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 8192, h) == HeadResult::kNotImplemented);
    const std::string huge = "GET /x HTTP/1.1\r\nX: " + std::string(9000, 'a');
    CHECK(parseHead(huge, 8192, h) == HeadResult::kTooLarge);
    CHECK(parseHead(huge + "\r\n\r\n", 8192, h) == HeadResult::kTooLarge);
}

TEST_CASE("request head: upload framing") {
    RequestHead h;
    REQUIRE(parseHead("PUT /a-app.log HTTP/1.1\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n", 8192, h) ==
            HeadResult::kComplete);
    CHECK(h.content_length == 10u);
    CHECK(h.expect_continue);
    REQUIRE(parseHead("PUT /a-app.log HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n", 8192, h) == HeadResult::kComplete);
    CHECK(h.chunked);
}

namespace {
HeadResult chunked(std::string_view bytes, size_t max, std::string& body, size_t& used) {
    body.clear();
    used = 0;
    return decodeChunked(bytes, max, body, used);
}
}  // namespace

TEST_CASE("chunked bodies") {
    std::string body;
    size_t used = 0;
    const std::string msg = "4\r\nWiki\r\n5;ext=1\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nTrailer: x\r\n\r\nNEXT";
    REQUIRE(chunked(msg, 1024, body, used) == HeadResult::kComplete);
    CHECK(body == "Wikipedia in\r\n\r\nchunks.");
    CHECK(msg.substr(used) == "NEXT");
    for (size_t i = 0; i < msg.size() - 4; ++i) CHECK(chunked(msg.substr(0, i), 1024, body, used) == HeadResult::kIncomplete);
    CHECK(chunked(msg, 10, body, used) == HeadResult::kTooLarge);
    CHECK(chunked("zz\r\n", 1024, body, used) == HeadResult::kBad);
    CHECK(chunked("3\r\nabcX\r\n", 1024, body, used) == HeadResult::kBad);
    CHECK(chunked("123456789\r\n", 1u << 30, body, used) == HeadResult::kBad);
    // Bounded: long extensions, controls in them, endless trailers.
    CHECK(chunked("1;" + std::string(300, 'x') + "\r\na\r\n", 1024, body, used) == HeadResult::kBad);
    CHECK(chunked("1;" + std::string(300, 'x'), 1024, body, used) == HeadResult::kBad);
    CHECK(chunked("1;a\nb\r\na\r\n", 1024, body, used) == HeadResult::kBad);
    CHECK(chunked("0\r\n" + std::string(9000, 'x'), 1024, body, used) == HeadResult::kBad);
}

TEST_CASE("chunked bodies decode a piece at a time, each byte looked at once") {
    std::string wire;
    for (int i = 0; i < 2000; ++i) wire += "1\r\nx\r\n";
    wire += "0\r\n\r\n";
    std::string body;
    size_t used = 0;
    HeadResult r = HeadResult::kIncomplete;
    for (size_t end = 1; end <= wire.size() && r == HeadResult::kIncomplete; end += 7) {
        const size_t before = used;
        r = decodeChunked(std::string_view(wire).substr(0, std::min(end, wire.size())), 1 << 20, body, used);
        CHECK(used >= before);  // resumed, never rescanned from the start
    }
    if (r == HeadResult::kIncomplete) r = decodeChunked(wire, 1 << 20, body, used);
    REQUIRE(r == HeadResult::kComplete);
    CHECK(body == std::string(2000, 'x'));
    CHECK(used == wire.size());
}

TEST_CASE("chunked bodies: a size line at the length limit is read alike whatever the split") {
    // 256 bytes of size line with its extension, the longest allowed. A read
    // ending between its CR and LF once refused it (the CR counted against
    // the line), while the same bytes in one read were accepted. Found by
    // tests/fuzz/http_chunked.
    const std::string line = "4;ext=" + std::string(250, 'v');
    REQUIRE(line.size() == 256);
    const std::string wire = line + "\r\nWiki\r\n0\r\n\r\n";
    std::string body;
    size_t used = 0;
    CHECK(decodeChunked(std::string_view(wire).substr(0, line.size() + 1), 1024, body, used) ==
          HeadResult::kIncomplete);
    REQUIRE(decodeChunked(wire, 1024, body, used) == HeadResult::kComplete);
    CHECK(body == "Wiki");
    CHECK(used == wire.size());
    // One byte more is over the limit, read in one piece or two.
    const std::string longer = "4;ext=" + std::string(251, 'v') + "\r\nWiki\r\n0\r\n\r\n";
    body.clear();
    used = 0;
    CHECK(decodeChunked(std::string_view(longer).substr(0, 258), 1024, body, used) == HeadResult::kBad);
    body.clear();
    used = 0;
    CHECK(decodeChunked(longer, 1024, body, used) == HeadResult::kBad);
}

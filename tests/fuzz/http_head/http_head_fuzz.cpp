// The HTTP request head parser (provisioner/http/request_head.h) and the
// target-to-file step after it: the bytes a phone, or anyone, sends first.

#include "fuzz_check.h"
#include "provisioner/http/request_head.h"

using namespace prov::http;

namespace {

// The limit the front end uses by default (http.max_header_bytes).
constexpr size_t kMaxHead = 8192;

bool same(const RequestHead& a, const RequestHead& b) {
    return a.method == b.method && a.target == b.target && a.minor == b.minor &&
           a.user_agent == b.user_agent && a.if_none_match == b.if_none_match &&
           a.authorization == b.authorization && a.connection_close == b.connection_close &&
           a.connection_keep_alive == b.connection_keep_alive && a.chunked == b.chunked &&
           a.expect_continue == b.expect_continue && a.content_length == b.content_length &&
           a.size == b.size;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in = prov::fuzz::bytes(data, size);
    RequestHead head;
    const HeadResult r = parseHead(in, kMaxHead, head);
    if (r != HeadResult::kComplete) return 0;

    // A complete head lies within what was read and the limit, and the bytes
    // after it (a body, a pipelined request) do not change it: the head alone
    // parses the same.
    FUZZ_CHECK(head.size > 0 && head.size <= in.size() && head.size <= kMaxHead);
    FUZZ_CHECK(!(head.chunked && head.content_length));
    FUZZ_CHECK(head.authorization.size() <= kMaxAuthorization);
    RequestHead alone;
    FUZZ_CHECK(parseHead(in.substr(0, head.size), kMaxHead, alone) == HeadResult::kComplete);
    FUZZ_CHECK(same(head, alone));
    // Read in pieces, the head is incomplete until its last byte is in.
    for (const size_t cut : {head.size - 1, head.size / 2}) {
        RequestHead part;
        FUZZ_CHECK(parseHead(in.substr(0, cut), kMaxHead, part) == HeadResult::kIncomplete);
    }

    // The file a phone asks for is one plain name at the root, or nothing.
    const std::string file = fileFromTarget(head.target);
    FUZZ_CHECK(file.find('/') == std::string::npos && file.find('\0') == std::string::npos);
    FUZZ_CHECK(file.find("..") == std::string::npos);
    return 0;
}

// The chunked body decoder (decodeChunked in provisioner/http/request_head.h),
// fed as the front end feeds it: whatever has arrived, again and again.
//
// Input: one byte choosing how many bytes arrive per read (1 to 64), then
// the body as sent.

#include "fuzz_check.h"
#include "provisioner/http/request_head.h"

using namespace prov::http;

namespace {

// Small, so that the fuzzer reaches the limit.
constexpr size_t kMaxBody = 4096;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    const size_t step = data[0] % 64 + 1;
    const std::string_view in = prov::fuzz::bytes(data + 1, size - 1);

    std::string whole_body;
    size_t whole_used = 0;
    const HeadResult whole = decodeChunked(in, kMaxBody, whole_body, whole_used);
    FUZZ_CHECK(whole_body.size() <= kMaxBody && whole_used <= in.size());
    if (whole == HeadResult::kComplete) FUZZ_CHECK(whole_used > 0);

    // The same bytes arriving `step` at a time, the state passed back each
    // call, end where the one-shot call ended.
    std::string body;
    size_t used = 0;
    HeadResult r = HeadResult::kIncomplete;
    for (size_t have = std::min(step, in.size());; have = std::min(have + step, in.size())) {
        const size_t used_before = used, body_before = body.size();
        r = decodeChunked(in.substr(0, have), kMaxBody, body, used);
        FUZZ_CHECK(used >= used_before && body.size() >= body_before && used <= have);
        if (r != HeadResult::kIncomplete || have == in.size()) break;
    }
    FUZZ_CHECK(r == whole);
    if (r == HeadResult::kComplete) {
        FUZZ_CHECK(used == whole_used);
        FUZZ_CHECK(body == whole_body);
    }
    return 0;
}

#pragma once

// What every fuzz target shares: the libFuzzer entry point's signature and a
// check that stops the run on a broken property. A parser that returns a
// wrong answer is as much a finding as one that crashes, so the targets check
// properties (a round trip, a split read giving the one-shot answer) and
// abort, which libFuzzer reports as a crash and saves the input.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

#define FUZZ_CHECK(cond)                                                                       \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                                      \
        }                                                                                      \
    } while (0)

namespace prov::fuzz {

inline std::string_view bytes(const uint8_t* data, size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

}  // namespace prov::fuzz

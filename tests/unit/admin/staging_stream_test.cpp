#include <catch2/catch.hpp>

#include <sstream>
#include <thread>

#include "provisioner/admin/staging_stream.h"

using namespace prov;
using namespace prov::admin;
using namespace std::chrono_literals;

namespace {

size_t count(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

}  // namespace

TEST_CASE("an SSE event: its name, each data line as a field, a blank line") {
    CHECK(sseEvent("staging", R"({"a":1})") == "event: staging\ndata: {\"a\":1}\n\n");
    CHECK(sseEvent("x", "one\ntwo") == "event: x\ndata: one\ndata: two\n\n");
    CHECK(sseEvent("x", "") == "event: x\ndata: \n\n");
}

TEST_CASE("a stream sends the view at once, again only when it changed, keepalives between, and ends") {
    StreamGate gate({8, 200ms, 20ms});
    int calls = 0;
    std::ostringstream out;
    const auto start = std::chrono::steady_clock::now();
    streamStaging(out, gate, [&]() -> Result<std::string> {
        ++calls;
        return std::string(calls < 4 ? "{\"v\":1}" : "{\"v\":2}");
    });
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(took >= 200ms);
    CHECK(took < 2s);
    const std::string s = out.str();
    CHECK(s.rfind("retry: 20\n\n", 0) == 0);
    CHECK(count(s, "event: staging\n") == 2);
    CHECK(count(s, "data: {\"v\":1}\n") == 1);
    CHECK(count(s, "data: {\"v\":2}\n") == 1);
    CHECK(count(s, ": unchanged\n\n") >= 2);
    CHECK(s.find("data: {\"v\":1}") < s.find("data: {\"v\":2}"));
}

TEST_CASE("a stream ends when the client is gone or the server stops") {
    StreamGate gate({8, 60s, 10ms});
    std::ostringstream out;
    int calls = 0;
    streamStaging(out, gate, [&]() -> Result<std::string> {
        if (++calls == 3) out.setstate(std::ios::badbit);  // the write failed
        return std::string("{}");
    });
    CHECK(calls == 3);

    StreamGate stopping({8, 60s, 10s});
    std::ostringstream out2;
    std::thread stopper([&] {
        std::this_thread::sleep_for(50ms);
        stopping.stop();
    });
    const auto start = std::chrono::steady_clock::now();
    streamStaging(out2, stopping, [] { return Result<std::string>(std::string("{}")); });
    stopper.join();
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    CHECK_FALSE(stopping.tryOpen());  // a stopped server opens no stream
}

TEST_CASE("the gate holds at most max_streams - a place given back is free again") {
    StreamGate gate({2, 1s, 1s});
    CHECK(gate.tryOpen());
    CHECK(gate.tryOpen());
    CHECK_FALSE(gate.tryOpen());
    CHECK(gate.open() == 2);
    gate.close();
    CHECK(gate.tryOpen());
    CHECK(gate.open() == 2);
}

TEST_CASE("an unavailable view is a comment, and the stream goes on") {
    StreamGate gate({8, 50ms, 10ms});
    std::ostringstream out;
    int calls = 0;
    streamStaging(out, gate, [&]() -> Result<std::string> {
        if (++calls == 1) return Error{Code::kUnavailable, "busy", "store busy", {}, {}};
        return std::string("{}");
    });
    const std::string s = out.str();
    CHECK(s.find(": the staging view is unavailable now\n\n") != std::string::npos);
    CHECK(count(s, "event: staging\n") == 1);
}

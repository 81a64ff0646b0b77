#include "provisioner/admin/staging_stream.h"

#include <Poco/Net/NetException.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <sstream>
#include <streambuf>
#include <thread>

using namespace prov;
using namespace prov::admin;
using namespace std::chrono_literals;

namespace {

size_t count(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

StreamOptions options(int max_streams, std::chrono::milliseconds lifetime,
                      std::chrono::milliseconds interval, int per_actor = 8) {
    StreamOptions o;
    o.max_streams = max_streams;
    o.max_per_actor = per_actor;
    o.lifetime = lifetime;
    o.interval = interval;
    return o;
}

StreamFeed feed(std::string first, Snapshot snapshot, StillValid still_valid = {}) {
    return StreamFeed{std::move(first), std::move(snapshot), std::move(still_valid)};
}

// What Poco's socket streams do when the peer is gone: the write throws
// (their exception mask has badbit).
class GoneBuf : public std::streambuf {
  public:
    explicit GoneBuf(size_t allowed) : allowed_(allowed) {}
    std::string written;

  protected:
    int_type overflow(int_type c) override {
        if (written.size() >= allowed_) throw Poco::Net::ConnectionResetException("peer gone");
        if (c != traits_type::eof()) written.push_back(static_cast<char>(c));
        return traits_type::not_eof(c);
    }

  private:
    size_t allowed_;
};

}  // namespace

TEST_CASE("an SSE event: its name, each data line as a field, a blank line") {
    CHECK(sseEvent("staging", R"({"a":1})") == "event: staging\ndata: {\"a\":1}\n\n");
    CHECK(sseEvent("x", "one\ntwo") == "event: x\ndata: one\ndata: two\n\n");
    CHECK(sseEvent("x", "") == "event: x\ndata: \n\n");
}

TEST_CASE(
    "a stream sends the first view at once, again only when it changed, keepalives between, and "
    "ends") {
    StreamGate gate(options(8, 200ms, 20ms));
    int calls = 0;
    std::ostringstream out;
    const auto start = std::chrono::steady_clock::now();
    streamStaging(out, gate.tryOpen("a"), feed("{\"v\":1}", [&]() -> Result<std::string> {
                      ++calls;
                      return std::string(calls < 3 ? "{\"v\":1}" : "{\"v\":2}");
                  }));
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(took >= 200ms);
    CHECK(took < 2s);
    CHECK(gate.open() == 0);
    const std::string s = out.str();
    CHECK(s.rfind("retry: 20\n\nevent: staging\ndata: {\"v\":1}\n\n", 0) == 0);
    CHECK(count(s, "event: staging\n") == 2);
    CHECK(count(s, "data: {\"v\":1}\n") == 1);
    CHECK(count(s, "data: {\"v\":2}\n") == 1);
    CHECK(count(s, ": unchanged\n\n") >= 2);
    CHECK(s.find("data: {\"v\":1}") < s.find("data: {\"v\":2}"));
}

TEST_CASE("a stream ends when the client is gone or the server stops") {
    StreamGate gate(options(8, 60s, 10ms));
    std::ostringstream out;
    int calls = 0;
    streamStaging(out, gate.tryOpen("a"), feed("{}", [&]() -> Result<std::string> {
                      if (++calls == 3) out.setstate(std::ios::badbit);  // the write failed
                      return std::string("{}");
                  }));
    CHECK(calls == 3);
    CHECK(gate.open() == 0);

    StreamGate stopping(options(8, 60s, 10s));
    std::ostringstream out2;
    std::thread stopper([&] {
        std::this_thread::sleep_for(50ms);
        stopping.stop();
    });
    const auto start = std::chrono::steady_clock::now();
    streamStaging(out2, stopping.tryOpen("a"),
                  feed("{}", [] { return Result<std::string>(std::string("{}")); }));
    stopper.join();
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    CHECK_FALSE(stopping.tryOpen("a"));  // a stopped server opens no stream
}

TEST_CASE(
    "a client really gone: the write throws, the stream ends quietly and its place is given back") {
    StreamGate gate(options(1, 60s, 10ms));
    GoneBuf buf(40);  // the retry line and part of the first event, then the peer is gone
    std::ostream out(&buf);
    out.exceptions(std::ios::badbit);
    int calls = 0;
    const auto start = std::chrono::steady_clock::now();
    StreamPlace place = gate.tryOpen("a");
    REQUIRE(place);
    CHECK(gate.open() == 1);
    CHECK_NOTHROW(streamStaging(out, std::move(place),
                                feed(std::string(100, 'x'), [&]() -> Result<std::string> {
                                    ++calls;
                                    return std::string("{}");
                                })));
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    CHECK(calls == 0);  // it ended at the first write that failed
    CHECK(buf.written.size() == 40);
    CHECK(gate.open() == 0);
    CHECK(gate.tryOpen("b"));  // the one place is free again
}

TEST_CASE("a stream asks whether its caller is still valid before each read, and ends once not") {
    StreamGate gate(options(8, 60s, 10ms));
    std::ostringstream out;
    int checks = 0, reads = 0;
    const auto start = std::chrono::steady_clock::now();
    streamStaging(out, gate.tryOpen("a"),
                  feed(
                      "{}",
                      [&]() -> Result<std::string> {
                          ++reads;
                          return std::string("{}");
                      },
                      [&] { return ++checks < 3; }));  // revoked before the third tick
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    CHECK(checks == 3);
    CHECK(reads == 2);
    CHECK(count(out.str(), ": unchanged\n\n") == 2);
    CHECK(gate.open() == 0);
}

TEST_CASE("the gate holds at most max_streams - a place given back is free again") {
    StreamGate gate(options(2, 1s, 1s));
    StreamPlace a = gate.tryOpen("a");
    StreamPlace b = gate.tryOpen("b");
    CHECK(a);
    CHECK(b);
    CHECK_FALSE(gate.tryOpen("c"));
    CHECK(gate.open() == 2);
    a = StreamPlace();
    CHECK(gate.open() == 1);
    StreamPlace c = gate.tryOpen("c");
    CHECK(c);
    CHECK(gate.open() == 2);
}

TEST_CASE("a caller holds at most max_per_actor streams: a new one ends its oldest at once") {
    StreamGate gate(options(8, 60s, 10s, 2));
    StreamPlace first = gate.tryOpen("token:1");
    REQUIRE(first);
    std::ostringstream out;
    std::atomic<bool> ended{false};
    std::thread oldest([&] {
        streamStaging(out, std::move(first),
                      feed("{}", [] { return Result<std::string>(std::string("{}")); }));
        ended = true;
    });
    // The stream may be anywhere before its 10 s wait ends: the ending finds it either way.
    StreamPlace second = gate.tryOpen("token:1");
    StreamPlace other = gate.tryOpen("token:2");
    CHECK(second);
    CHECK(other);
    CHECK_FALSE(ended);
    const auto start = std::chrono::steady_clock::now();
    StreamPlace third = gate.tryOpen("token:1");  // ends the oldest of token:1
    CHECK(third);
    oldest.join();
    CHECK(std::chrono::steady_clock::now() - start < 2s);  // not its 10 s interval
    CHECK(ended);
    CHECK(gate.live(second.id()));
    CHECK(gate.live(third.id()));
    CHECK(gate.live(other.id()));
    CHECK(gate.open() == 3);
    // A fourth of token:1 ends `second`, never token:2's.
    StreamPlace fourth = gate.tryOpen("token:1");
    CHECK_FALSE(gate.live(second.id()));
    CHECK(gate.live(other.id()));
}

TEST_CASE("an unavailable view is a comment, and the stream goes on") {
    StreamGate gate(options(8, 50ms, 10ms));
    std::ostringstream out;
    int calls = 0;
    streamStaging(out, gate.tryOpen("a"), feed("{}", [&]() -> Result<std::string> {
                      if (++calls == 1)
                          return Error{Code::kUnavailable, "busy", "store busy", {}, {}};
                      return std::string("{}");
                  }));
    const std::string s = out.str();
    CHECK(s.find(": the staging view is unavailable now\n\n") != std::string::npos);
    CHECK(count(s, "event: staging\n") == 1);
}

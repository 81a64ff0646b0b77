#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "provisioner/core/log_throttle.h"
#include "provisioner/core/security_log.h"
#include "provisioner/core/time_format.h"

using namespace prov;

namespace {

class Lines final : public SecurityLog::Sink {
public:
    LogPriority level = LogPriority::kInformation;
    std::vector<std::pair<LogPriority, std::string>> lines;
    bool enabled(LogPriority p) const override { return static_cast<int>(p) <= static_cast<int>(level); }
    void write(LogPriority p, const std::string& line) override { lines.emplace_back(p, line); }
};

SecurityEvent refused(const std::string& path) {
    SecurityEvent e("fetch_refused", "192.0.2.7");
    e.word("proto", "http").text("path", path);
    return e;
}

}  // namespace

TEST_CASE("a security event: event and src first, client text quoted") {
    SecurityEvent e("fetch_refused", "2001:db8::7");
    e.word("proto", "tftp").number("status", 404).text("path", "a\nb \"c\"").text("ua", "");
    CHECK(e.name() == "fetch_refused");
    CHECK(e.line() == "event=fetch_refused src=2001:db8::7 proto=tftp status=404 path=\"a\\x0ab \\\"c\\\"\" ua=\"\"");
    // A word that is not one (a mistake in the code) is quoted, never bare with a space.
    SecurityEvent odd("x", "");
    odd.word("k", "two words").word("empty", "");
    CHECK(odd.line() == "event=x src=- k=\"two words\" empty=\"\"");
    CHECK(SecurityEvent::isBare("192.0.2.7"));
    CHECK(SecurityEvent::isBare("fetch_refused/not_found"));
    CHECK_FALSE(SecurityEvent::isBare("a=b"));
    CHECK_FALSE(SecurityEvent::isBare("a\"b"));
    CHECK_FALSE(SecurityEvent::isBare(""));
}

TEST_CASE("the throttle lets `lines` of a kind through per interval and counts the rest") {
    FakeClock clock;
    LogThrottle t(clock, {3, 60, 16});
    for (int i = 0; i < 3; ++i) CHECK(t.admit("a"));
    for (int i = 0; i < 5; ++i) CHECK_FALSE(t.admit("a"));
    CHECK(t.admit("b"));  // each kind its own budget
    CHECK(t.takeSummaries().empty());  // the interval has not ended
    clock.advance(59);
    CHECK_FALSE(t.admit("a"));
    clock.advance(1);
    // The interval of "a" ended with 6 lines suppressed; "b" suppressed none.
    auto ended = t.takeSummaries();
    REQUIRE(ended.size() == 1);
    CHECK(ended[0].kind == "a");
    CHECK(ended[0].suppressed == 6);
    CHECK(ended[0].seconds == 60);
    CHECK(t.takeSummaries().empty());  // given once
    for (int i = 0; i < 3; ++i) CHECK(t.admit("a"));  // a fresh interval
    CHECK_FALSE(t.admit("a"));
}

TEST_CASE("an interval ended by the kind's next line is summarised at the next take") {
    FakeClock clock;
    LogThrottle t(clock, {1, 10, 16});
    CHECK(t.admit("a"));
    CHECK_FALSE(t.admit("a"));
    CHECK_FALSE(t.admit("a"));
    clock.advance(30);
    CHECK(t.admit("a"));  // starts the next interval
    auto ended = t.takeSummaries();
    REQUIRE(ended.size() == 1);
    CHECK(ended[0].suppressed == 2);
}

TEST_CASE("the throttle keeps at most max_kinds kinds, and a new kind past them is let through uncounted") {
    FakeClock clock;
    LogThrottle t(clock, {1, 60, 2});
    CHECK(t.admit("a"));
    CHECK(t.admit("b"));
    CHECK(t.admit("c"));
    CHECK(t.admit("c"));  // untracked: never counted
    CHECK_FALSE(t.admit("a"));
}

TEST_CASE("the throttle clamps options out of range") {
    FakeClock clock;
    LogThrottle t(clock, {0, 0, 0});
    CHECK(t.admit("a"));  // at least one line
    CHECK_FALSE(t.admit("a"));
    clock.advance(1);  // an interval of at least a second
    CHECK(t.admit("a"));
}

TEST_CASE("the security log writes events, throttles refusals and writes their counts") {
    FakeClock clock;
    Lines sink;
    SecurityLog log(sink, clock, {2, 60, 16});
    SecurityEvent block("sweep_block", "192.0.2.7");
    block.number("seconds", 60);
    for (int i = 0; i < 5; ++i) log.write(LogPriority::kWarning, block);  // never throttled
    for (int i = 0; i < 1000; ++i) log.refusal(LogPriority::kInformation, refused("x" + std::to_string(i)));
    REQUIRE(sink.lines.size() == 7);
    CHECK(sink.lines[5].second == "event=fetch_refused src=192.0.2.7 proto=http path=\"x0\"");
    CHECK(sink.lines[6].second == "event=fetch_refused src=192.0.2.7 proto=http path=\"x1\"");
    log.flush();
    CHECK(sink.lines.size() == 7);  // still inside the interval
    clock.advance(60);
    log.flush();
    REQUIRE(sink.lines.size() == 8);
    CHECK(sink.lines[7].first == LogPriority::kInformation);
    CHECK(sink.lines[7].second == "event=suppressed src=- kind=fetch_refused count=998 seconds=60");
    log.flush();
    CHECK(sink.lines.size() == 8);
}

TEST_CASE("a refusal's summary comes before the next interval's first line") {
    FakeClock clock;
    Lines sink;
    SecurityLog log(sink, clock, {1, 10, 16});
    log.refusal(LogPriority::kWarning, refused("a"));
    log.refusal(LogPriority::kWarning, refused("b"));
    clock.advance(10);
    log.refusal(LogPriority::kWarning, refused("c"));
    REQUIRE(sink.lines.size() == 3);
    CHECK(sink.lines[1].second == "event=suppressed src=- kind=fetch_refused count=1 seconds=10");
    CHECK(sink.lines[1].first == LogPriority::kWarning);
    CHECK(sink.lines[2].second.find("path=\"c\"") != std::string::npos);
}

TEST_CASE("refusals below the log level are neither written nor counted, and kinds are apart") {
    FakeClock clock;
    Lines sink;
    SecurityLog log(sink, clock, {1, 60, 16});
    for (int i = 0; i < 50; ++i) log.refusal(LogPriority::kDebug, refused("quiet"), "fetch_refused/not_found");
    log.refusal(LogPriority::kInformation, refused("denied"), "fetch_refused/denied");
    log.refusal(LogPriority::kInformation, refused("denied again"), "fetch_refused/denied");
    clock.advance(60);
    log.flush();
    REQUIRE(sink.lines.size() == 2);
    CHECK(sink.lines[1].second == "event=suppressed src=- kind=fetch_refused/denied count=1 seconds=60");
}

TEST_CASE("the discarding log writes nothing") {
    SecurityLog& none = SecurityLog::discard();
    none.refusal(LogPriority::kError, refused("x"));
    none.write(LogPriority::kError, refused("x"));
    none.flush();
    SUCCEED("nothing to see, and nothing crashed");
}

TEST_CASE("an expiry: days, hours, a date or a time, nothing else") {
    const int64_t now = 1'700'000'000;  // 2023-11-14T22:13:20Z
    CHECK(parseExpiry("30d", now) == now + 30 * 86400);
    CHECK(parseExpiry("12h", now) == now + 12 * 3600);
    CHECK(parseExpiry("2026-12-31", now) == parseUtc("2026-12-31T00:00:00Z"));
    CHECK(parseExpiry("2026-12-31T12:00:00Z", now) == parseUtc("2026-12-31T12:00:00Z"));
    CHECK(parseExpiry("2020-01-01", now) == parseUtc("2020-01-01T00:00:00Z"));  // the past: the caller's call
    for (const char* bad : {"", "d", "0d", "30", "1700000000", "30m", "-1d", "30 d", "36501d", "2026-13-01",
                            "2026-12-31T12:00:00", "tomorrow", "1e3d"}) {
        INFO(bad);
        CHECK_FALSE(parseExpiry(bad, now));
    }
}

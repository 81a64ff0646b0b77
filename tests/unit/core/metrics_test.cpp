#include "provisioner/core/metrics.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "provisioner/core/metrics_text.h"
#include "provisioner/core/server_metrics.h"

using namespace prov::metrics;

namespace {

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

// The text format's grammar, line by line (a sample's value: an integer, a
// decimal, an exponent, NaN or an infinity), and its rules across lines:
// every sample follows the HELP and TYPE of its family, a family is
// written once, and a histogram's series end in +Inf, _sum and _count with
// buckets that never decrease. Returns the problems found, "" for none.
std::string checkExposition(const std::string& text) {
    static const std::regex kHelp(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (?:[^\\\n]|\\\\|\\n)*)");
    static const std::regex kType(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram))");
    static const std::regex kSample(
        R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\\\|\\"|\\n)*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\\\|\\"|\\n)*")*)\})? (-?[0-9]+(\.[0-9]+)?(e[+-]?[0-9]+)?|NaN|[+-]Inf))");
    if (text.empty() || text.back() != '\n') return "the text does not end with a line break";
    std::set<std::string> families;
    std::string family, type;
    bool help_seen = false;
    std::map<std::string, double> last_bucket;  // per series, the last cumulative count
    for (const std::string& line : lines(text)) {
        std::smatch m;
        if (std::regex_match(line, m, kHelp)) {
            family = m[1];
            if (!families.insert(family).second) return "family written twice: " + family;
            help_seen = true;
            type.clear();
            continue;
        }
        if (std::regex_match(line, m, kType)) {
            if (!help_seen || m[1] != family) return "TYPE without its HELP: " + line;
            type = m[2];
            continue;
        }
        if (!std::regex_match(line, m, kSample)) return "not a sample line: " + line;
        const std::string name = m[1];
        if (type.empty()) return "sample before its TYPE: " + line;
        const bool ours = type == "histogram"
                              ? (name == family + "_bucket" || name == family + "_sum" ||
                                 name == family + "_count")
                              : name == family;
        if (!ours) return "sample of another family under " + family + ": " + line;
        if (name == family + "_bucket") {
            std::string series = m[3];
            series = family + std::regex_replace(series, std::regex(R"(,?le="[^"]*")"), "");
            const double v = std::stod(m[5]);
            if (v < last_bucket[series]) return "a bucket below the one before: " + line;
            last_bucket[series] = v;
        }
    }
    return "";
}

// The value of the sample line `head` ("name{labels}"), or -1.
double valueOf(const std::string& text, const std::string& head) {
    for (const std::string& line : lines(text)) {
        if (line.rfind(head + " ", 0) == 0) return std::stod(line.substr(head.size() + 1));
    }
    return -1;
}

}  // namespace

TEST_CASE("metrics text: help and label values are escaped as the format says") {
    CHECK(escapeHelp("a \\ b\nc \"q\"") == "a \\\\ b\\nc \"q\"");
    CHECK(escapeLabelValue("a \\ b\nc \"q\"") == "a \\\\ b\\nc \\\"q\\\"");
    Exposition out;
    out.family("x_total", Type::kCounter, "line one\nline two \\ end");
    out.sample("x_total", {{"vendor", "ac\"me\\\n"}, {"b", ""}}, uint64_t{7});
    out.sample("x_total", {}, uint64_t{0});
    CHECK(out.text() ==
          "# HELP x_total line one\\nline two \\\\ end\n"
          "# TYPE x_total counter\n"
          "x_total{vendor=\"ac\\\"me\\\\\\n\",b=\"\"} 7\n"
          "x_total 0\n");
    CHECK(checkExposition(out.text()).empty());
}

TEST_CASE("metrics text: values") {
    CHECK(formatValue(42) == "42");
    CHECK(formatValue(0.0005) == "0.0005");
    CHECK(formatValue(-1.5) == "-1.5");
    CHECK(formatValue(1e21) == "1e+21");
    CHECK(formatValue(100) == "100");
    CHECK(formatValue(2.5e9) == "2500000000");
    CHECK(formatValue(0.00001) == "1e-05");
    CHECK(formatValue(0.1 + 0.2) == "0.30000000000000004");  // what reads back the same
    CHECK(formatValue(-0.0) == "0");
    CHECK(formatValue(std::numeric_limits<double>::infinity()) == "+Inf");
    CHECK(formatValue(-std::numeric_limits<double>::infinity()) == "-Inf");
    CHECK(formatValue(std::nan("")) == "NaN");
}

TEST_CASE("histogram: buckets are cumulative, +Inf counts everything, sum and count") {
    Histogram h({500, 1000, 5000}, 2);
    for (int64_t v : {0, 500, 501, 999, 1000, 4000, 5000, 5001, 9'000'000}) h.observe(1, v);
    h.observe(1, -7);   // counts as 0
    h.observe(2, 100);  // no such series: ignored
    h.observe(0, 2000);
    const Histogram::Snapshot s = h.snapshot(1);
    CHECK(s.cumulative ==
          std::vector<uint64_t>{3, 6, 8});  // 0, 500, -7 | 501, 999, 1000 | 4000, 5000
    CHECK(s.count == 10);
    CHECK(s.sum == 0 + 500 + 501 + 999 + 1000 + 4000 + 5000 + 5001 + 9'000'000);
    CHECK(h.snapshot(0).cumulative == std::vector<uint64_t>{0, 0, 1});

    Exposition out;
    out.family("d_seconds", Type::kHistogram, "durations");
    out.histogram("d_seconds", {{"protocol", "http"}}, h.bounds(), s, 1e6);
    CHECK(out.text() ==
          "# HELP d_seconds durations\n"
          "# TYPE d_seconds histogram\n"
          "d_seconds_bucket{protocol=\"http\",le=\"0.0005\"} 3\n"
          "d_seconds_bucket{protocol=\"http\",le=\"0.001\"} 6\n"
          "d_seconds_bucket{protocol=\"http\",le=\"0.005\"} 8\n"
          "d_seconds_bucket{protocol=\"http\",le=\"+Inf\"} 10\n"
          "d_seconds_sum{protocol=\"http\"} 9.017001\n"
          "d_seconds_count{protocol=\"http\"} 10\n");
    CHECK(checkExposition(out.text()).empty());
}

TEST_CASE("counters: counts from many threads at once are all kept") {
    Counters c(20);
    constexpr int kThreads = 8;
    constexpr int kEach = 50000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&c, t] {
            for (int i = 0; i < kEach; ++i) {
                c.add(static_cast<size_t>(i % 20));
                c.add(19, static_cast<uint64_t>(t));
            }
        });
    }
    for (auto& t : threads) t.join();
    uint64_t total = 0;
    for (size_t i = 0; i < 19; ++i) total += c.value(i);
    CHECK(total == uint64_t{kThreads} * kEach * 19 / 20);
    // Cell 19: its share of the first adds, plus 0+1+...+7 per iteration.
    CHECK(c.value(19) ==
          uint64_t{kThreads} * kEach / 20 + uint64_t{kEach} * (0 + 1 + 2 + 3 + 4 + 5 + 6 + 7));
    c.add(20);  // out of range: ignored
    CHECK(c.value(20) == 0);
}

TEST_CASE("label slots: a value keeps its slot, past the capacity values share the overflow") {
    LabelSlots slots(4, "other");
    CHECK(slots.slot("yealink") == 0);
    CHECK(slots.slot("cisco") == 1);
    CHECK(slots.slot("yealink") == 0);
    CHECK(slots.slot("snom") == 2);
    CHECK(slots.used() == 3);
    CHECK(slots.slot("fanvil") == 3);
    CHECK(slots.slot("polycom") == 3);
    CHECK(slots.overflowSlot() == 3);
    CHECK(slots.name(1) == "cisco");
    CHECK(slots.name(3) == "other");

    // Threads racing to add the same values get the same slots.
    LabelSlots racing(64, "other");
    std::vector<std::thread> threads;
    std::vector<std::vector<size_t>> seen(4);
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 40; ++i)
                seen[static_cast<size_t>(t)].push_back(racing.slot("v" + std::to_string(i)));
        });
    }
    for (auto& t : threads) t.join();
    CHECK(racing.used() == 40);
    for (int t = 1; t < 4; ++t) CHECK(seen[static_cast<size_t>(t)] == seen[0]);
    for (int i = 0; i < 40; ++i)
        CHECK(racing.name(seen[0][static_cast<size_t>(i)]) == "v" + std::to_string(i));
}

TEST_CASE("server metrics: fetches by protocol, vendor and outcome, written as valid text") {
    ServerMetrics m;
    m.fetch("http", "yealink", "served", 300, 1200);
    m.fetch("http", "yealink", "served", 700, 1200);
    m.fetch("tftp", "", "not_found", 5'000'000, 0);
    m.fetch("https", "cisco", "sideways", 10, 0);   // an outcome it does not know: error
    m.fetch("gopher", "yealink", "served", 10, 0);  // not a protocol it counts
    m.tftpRetransmits(3);
    m.tlsHandshake(ServerMetrics::Handshake::kResumed);
    m.storeWork(ServerMetrics::StoreWork::kWrite, 1500);
    m.sweepBlock();
    CHECK(m.fetches("http", "yealink", "served") == 2);
    CHECK(m.fetches("tftp", "unknown", "not_found") == 1);
    CHECK(m.fetches("tftp", "", "not_found") == 1);
    CHECK(m.fetches("https", "cisco", "error") == 1);

    Exposition out;
    m.write(out);
    const std::string text = out.take();
    INFO(text);
    CHECK(checkExposition(text).empty());
    CHECK(valueOf(
              text,
              R"(provisioner_fetches_total{protocol="http",vendor="yealink",outcome="served"})") ==
          2);
    CHECK(
        valueOf(
            text,
            R"(provisioner_fetches_total{protocol="tftp",vendor="unknown",outcome="not_found"})") ==
        1);
    // Every combination of a vendor seen is written, zeros too.
    CHECK(valueOf(
              text,
              R"(provisioner_fetches_total{protocol="tftp",vendor="yealink",outcome="denied"})") ==
          0);
    CHECK(text.find("gopher") == std::string::npos);
    CHECK(text.find("vendor=\"other\"") == std::string::npos);
    CHECK(valueOf(text,
                  R"(provisioner_fetch_duration_seconds_bucket{protocol="http",le="0.00025"})") ==
          0);
    CHECK(valueOf(text,
                  R"(provisioner_fetch_duration_seconds_bucket{protocol="http",le="0.0005"})") ==
          1);
    CHECK(valueOf(text,
                  R"(provisioner_fetch_duration_seconds_bucket{protocol="http",le="+Inf"})") == 2);
    CHECK(valueOf(text, R"(provisioner_fetch_duration_seconds_sum{protocol="http"})") ==
          Approx(0.001));
    CHECK(valueOf(text, R"(provisioner_fetch_duration_seconds_count{protocol="tftp"})") == 1);
    CHECK(valueOf(text, R"(provisioner_fetch_bytes_total{protocol="http"})") == 2400);
    CHECK(valueOf(text, "provisioner_tftp_retransmits_total") == 3);
    CHECK(valueOf(text, R"(provisioner_tls_handshakes_total{result="resumed"})") == 1);
    CHECK(valueOf(text, R"(provisioner_tls_handshakes_total{result="full"})") == 0);
    CHECK(valueOf(text, R"(provisioner_store_duration_seconds_count{kind="write"})") == 1);
    CHECK(valueOf(text, "provisioner_sweep_blocks_total") == 1);
}

TEST_CASE("server metrics: vendors past the slots are counted as other") {
    ServerMetrics m;
    for (int i = 0; i < 40; ++i) m.fetch("http", "vendor" + std::to_string(i), "served", 1, 1);
    Exposition out;
    m.write(out);
    const std::string text = out.take();
    CHECK(checkExposition(text).empty());
    // "unknown" holds the first slot; 31 vendors fit beside it; the other 9 share "other".
    CHECK(valueOf(
              text,
              R"(provisioner_fetches_total{protocol="http",vendor="vendor30",outcome="served"})") ==
          1);
    CHECK(valueOf(
              text,
              R"(provisioner_fetches_total{protocol="http",vendor="vendor31",outcome="served"})") ==
          -1);
    CHECK(
        valueOf(text,
                R"(provisioner_fetches_total{protocol="http",vendor="other",outcome="served"})") ==
        9);
}

TEST_CASE("the exposition check itself refuses what the format forbids") {
    CHECK_FALSE(
        checkExposition("# HELP a x\n# TYPE a counter\na 1").empty());  // no final line break
    CHECK_FALSE(checkExposition("a 1\n").empty());                      // no TYPE
    CHECK_FALSE(checkExposition("# HELP a x\n# TYPE a counter\na{b=\"\n\"} 1\n")
                    .empty());  // a raw line break
    CHECK_FALSE(checkExposition("# HELP a x\n# TYPE a counter\na{b=\"q\"q\"} 1\n").empty());
    CHECK_FALSE(checkExposition("# HELP a x\n# TYPE a counter\nb 1\n").empty());
    CHECK_FALSE(
        checkExposition(
            "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 5\nh_bucket{le=\"+Inf\"} 4\n")
            .empty());
    CHECK(checkExposition(
              "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 4\nh_bucket{le=\"+Inf\"} 5\n"
              "h_sum 2.5\nh_count 5\n")
              .empty());
}

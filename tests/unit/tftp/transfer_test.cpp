#include <catch2/catch.hpp>

#include "provisioner/tftp/transfer.h"

using namespace prov::tftp;

namespace {

constexpr int64_t kSecond = 1'000'000;

std::string content(size_t n) {
    std::string s(n, '\0');
    for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 26);
    return s;
}

Negotiated plain(uint32_t blksize = 512, uint16_t window = 1, bool oack = false) {
    Negotiated n;
    n.blksize = blksize;
    n.windowsize = window;
    n.timeout_us = kSecond;
    if (oack) n.oack["blksize"] = std::to_string(blksize);
    return n;
}

// Block number and payload of a DATA datagram.
std::pair<uint16_t, std::string> dataOf(const std::string& d) {
    auto r = parse(d);
    REQUIRE(r.packet);
    const auto& p = std::get<Data>(*r.packet);
    return {p.block, std::string(p.payload)};
}

}  // namespace

TEST_CASE("negotiation: ranges, tsize, unknown options") {
    Limits limits;
    auto ok = negotiate({{"blksize", "1428"}, {"tsize", "0"}, {"timeout", "3"}, {"windowsize", "8"}, {"colour", "red"}},
                        uint64_t{4096}, limits);
    REQUIRE(ok);
    CHECK(ok.value().blksize == 1428);
    CHECK(ok.value().windowsize == 8);
    CHECK(ok.value().timeout_us == 3 * kSecond);
    CHECK(ok.value().oack.at("tsize") == "4096");
    CHECK_FALSE(ok.value().oack.count("colour"));
    for (auto [k, v] : {std::pair{"blksize", "7"}, {"blksize", "65465"}, {"timeout", "0"}, {"timeout", "256"},
                        {"windowsize", "0"}, {"blksize", "x"}, {"tsize", "-1"}}) {
        INFO(k << "=" << v);
        CHECK_FALSE(negotiate({{k, v}}, 10, limits));
    }
    CHECK(negotiate({{"blksize", "8"}}, 10, limits));
    CHECK(negotiate({{"blksize", "65464"}}, 10, limits));
    CHECK(negotiate({{"windowsize", "1000"}}, 10, limits).value().windowsize == limits.max_windowsize);
    CHECK(negotiate({}, 10, limits).value().oack.empty());
}

TEST_CASE("the datagrams of one call after another reuse their buffers") {
    // A 200 MiB image over 64 KiB blocks is 3,200 packets: each is written
    // into the buffer the one before used, not into a new allocation.
    const std::string file = content(65464 * 4 + 7);
    Transfer t(std::make_unique<MemorySource>(file), Mode::kOctet, plain(65464), Limits{});
    Datagrams out;
    t.start(0, out);
    REQUIRE(out.size() == 1);
    const char* buffer = out[0].data();
    std::string got = dataOf(out[0]).second;
    for (uint16_t b = 1; b <= 4; ++b) {
        out.clear();
        t.onAck(b, 10 * b, out);
        REQUIRE(out.size() == 1);
        CHECK(out[0].data() == buffer);
        CHECK(dataOf(out[0]).first == b + 1);
        got += dataOf(out[0]).second;
    }
    CHECK(got == file);

    // A wide window fills more; clear() keeps at most kKept of them.
    Datagrams many;
    for (size_t i = 0; i < Datagrams::kKept + 5; ++i) many.add().append(1, 'x');
    CHECK(many.size() == Datagrams::kKept + 5);
    many.clear();
    CHECK(many.empty());
    CHECK(many.begin() == many.end());
    many.push_back("y");
    CHECK(many[0] == "y");
    CHECK(many.size() == 1);
}

TEST_CASE("a transfer sends each block once per ACK and ends on the short block") {
    const std::string file = content(1024);  // exactly two blocks: a third, empty one ends it
    Transfer t(std::make_unique<MemorySource>(file), Mode::kOctet, plain(), Limits{});
    Datagrams out;
    t.start(0, out);
    REQUIRE(out.size() == 1);
    CHECK(dataOf(out[0]).first == 1);
    std::string got = dataOf(out[0]).second;
    for (uint16_t b = 1; b <= 2; ++b) {
        out.clear();
        t.onAck(b, 10, out);
        REQUIRE(out.size() == 1);
        CHECK(dataOf(out[0]).first == b + 1);
        got += dataOf(out[0]).second;
    }
    CHECK(dataOf(out[0]).second.empty());
    out.clear();
    t.onAck(3, 20, out);
    CHECK(out.empty());
    CHECK(t.state() == Transfer::State::kDone);
    CHECK(got == file);
    CHECK(t.bytesAcked() == 1024);
    CHECK(t.datagramsResent() == 0);
}

TEST_CASE("duplicate ACKs do not double the traffic (Sorcerer's Apprentice)") {
    Transfer t(std::make_unique<MemorySource>(content(5000)), Mode::kOctet, plain(), Limits{});
    Datagrams out;
    t.start(0, out);
    out.clear();
    t.onAck(1, 1, out);
    CHECK(out.size() == 1);  // block 2
    out.clear();
    t.onAck(1, 2, out);  // the same ACK again
    t.onAck(1, 3, out);
    t.onAck(0, 3, out);
    t.onAck(77, 3, out);  // not in flight
    CHECK(out.empty());
    CHECK(t.datagramsSent() == 2);
}

TEST_CASE("retransmission backs off and gives up after the cap") {
    Limits limits;
    limits.max_retries = 3;
    limits.give_up_after_us = 0;  // the count alone decides here
    Negotiated n = plain();
    n.explicit_timeout = true;  // a fixed 1 s base, as if the client asked for it
    Transfer t(std::make_unique<MemorySource>(content(2000)), Mode::kOctet, n, limits);
    Datagrams out;
    t.start(0, out);
    out.clear();
    t.onAck(1, 0, out);  // verified: the normal retry cap applies
    CHECK(t.deadline() == 1 * kSecond);
    out.clear();
    t.onTimer(kSecond - 1, out);  // not yet
    CHECK(out.empty());
    int64_t now = kSecond;
    std::vector<int64_t> gaps;
    for (int i = 0; i < 3; ++i) {
        out.clear();
        t.onTimer(now, out);
        REQUIRE(out.size() == 1);
        CHECK(dataOf(out[0]).first == 2);  // the same block again
        gaps.push_back(t.deadline() - now);
        now = t.deadline();
    }
    CHECK(gaps == std::vector<int64_t>{2 * kSecond, 4 * kSecond, 8 * kSecond});
    CHECK(t.datagramsResent() == 3);  // block 2, three times more (the metrics' retransmits)
    CHECK(t.datagramsSent() == 5);
    out.clear();
    t.onTimer(now, out);
    CHECK(out.empty());
    CHECK(t.state() == Transfer::State::kFailed);
}

TEST_CASE("an unverified peer gets one packet, never again, and is given up at the unverified wait") {
    Limits limits;
    limits.unverified_wait_us = 3 * kSecond;
    for (bool oack : {false, true}) {
        INFO("oack " << oack);
        Negotiated n = plain(512, 16, oack);
        n.explicit_timeout = true;  // timeout=255 asked for: it does not hold the transfer longer
        n.timeout_us = 255 * kSecond;
        Transfer t(std::make_unique<MemorySource>(content(100000)), Mode::kOctet, n, limits);
        Datagrams out;
        t.start(0, out);
        REQUIRE(out.size() == 1);
        CHECK(t.deadline() == 3 * kSecond);
        t.onTimer(3 * kSecond - 1, out);
        t.onAck(2, kSecond, out);  // not an ACK of what was sent
        CHECK(out.size() == 1);
        CHECK_FALSE(t.verified());
        t.onTimer(3 * kSecond, out);
        CHECK(t.state() == Transfer::State::kFailed);
        REQUIRE(out.size() == 1);  // no retransmission, despite a window of 16
        CHECK(out[0].size() <= 516);
        CHECK(t.datagramsSent() == 1);
        const auto first = parse(out[0]);
        if (oack) {
            CHECK(first.problem == "OACK is sent by servers only");
        } else {
            CHECK(dataOf(out[0]).first == 1);
        }
    }
}

TEST_CASE("an unverified peer that ACKs in time is served with its own timeout") {
    Limits limits;
    limits.unverified_wait_us = 3 * kSecond;
    Negotiated n = plain(512, 4, true);
    n.explicit_timeout = true;
    n.timeout_us = 10 * kSecond;
    Transfer t(std::make_unique<MemorySource>(content(100000)), Mode::kOctet, n, limits);
    Datagrams out;
    t.start(0, out);
    out.clear();
    t.onAck(0, 2 * kSecond, out);
    CHECK(t.verified());
    CHECK(out.size() == 4);
    CHECK(t.deadline() == 12 * kSecond);  // verified: the client's timeout now
    out.clear();
    t.onTimer(12 * kSecond, out);
    CHECK(out.size() == 4);  // and retransmissions
}

TEST_CASE("OACK first, then windows, and an ACK inside a window restarts after it") {
    const std::string file = content(10 * 100 + 50);  // 11 blocks of 100
    Negotiated n = plain(100, 4, true);
    Transfer t(std::make_unique<MemorySource>(file), Mode::kOctet, n, Limits{});
    Datagrams out;
    t.start(0, out);
    REQUIRE(out.size() == 1);
    CHECK(parse(out[0]).problem == "OACK is sent by servers only");
    out.clear();
    t.onAck(0, 1, out);
    REQUIRE(out.size() == 4);
    CHECK(dataOf(out[0]).first == 1);
    CHECK(dataOf(out[3]).first == 4);
    out.clear();
    t.onAck(2, 2, out);  // blocks 3 and 4 were lost
    REQUIRE(out.size() == 4);
    CHECK(dataOf(out[0]).first == 3);
    CHECK(dataOf(out[3]).first == 6);
    CHECK(t.datagramsResent() == 2);  // 3 and 4 went again; 5 and 6 are new
    out.clear();
    t.onTimer(t.deadline(), out);  // silence: the whole window again
    REQUIRE(out.size() == 4);
    CHECK(dataOf(out[0]).first == 3);
    CHECK(t.datagramsResent() == 6);
    out.clear();
    t.onAck(6, 3, out);
    t.onAck(10, 4, out);
    out.clear();
    t.onAck(11, 5, out);
    CHECK(t.state() == Transfer::State::kDone);
}

TEST_CASE("block numbers roll over past 65535") {
    const uint32_t blk = 8;
    const size_t blocks = 65536 + 10;
    const std::string file = content(blk * blocks);
    Transfer t(std::make_unique<MemorySource>(file), Mode::kOctet, plain(blk), Limits{});
    Datagrams out;
    t.start(0, out);
    std::string got;
    uint16_t expect = 1;
    for (size_t i = 0; i < blocks + 1; ++i) {
        REQUIRE(out.size() == 1);
        auto [block, payload] = dataOf(out[0]);
        REQUIRE(block == expect);
        got += payload;
        out.clear();
        t.onAck(block, 0, out);
        expect = static_cast<uint16_t>(expect + 1);
    }
    CHECK(t.state() == Transfer::State::kDone);
    CHECK(got == file);
}

TEST_CASE("without a timeout option the retransmit timer follows the round trip") {
    Limits limits;
    Transfer t(std::make_unique<MemorySource>(content(512 * 20)), Mode::kOctet, plain(), limits);
    Datagrams out;
    int64_t now = 0;
    t.start(now, out);
    CHECK(t.deadline() == limits.unverified_wait_us);  // the peer has not ACKed yet
    now += 2000;
    out.clear();
    t.onAck(1, now, out);
    CHECK(t.deadline() - now == limits.min_timeout_us);  // one 2 ms sample: 3 x 2 ms, under the floor
    for (uint16_t b = 2; b <= 10; ++b) {
        now += 2000;  // a 2 ms round trip
        out.clear();
        t.onAck(b, now, out);
    }
    CHECK(t.deadline() - now == limits.min_timeout_us);  // 3 x 2 ms is under the floor

    Negotiated n = plain();
    n.explicit_timeout = true;
    n.timeout_us = 3 * kSecond;
    Transfer fixed(std::make_unique<MemorySource>(content(512 * 20)), Mode::kOctet, n, limits);
    fixed.start(0, out);
    out.clear();
    fixed.onAck(1, 2000, out);
    CHECK(fixed.deadline() - 2000 == 3 * kSecond);  // the client's choice stands
}

TEST_CASE("a peer that has ACKed gets at least give_up_after of silence") {
    Limits limits;  // 5 retries, 20 s
    Transfer t(std::make_unique<MemorySource>(content(512 * 50)), Mode::kOctet, plain(), limits);
    Datagrams out;
    t.start(0, out);
    t.onAck(1, 2000, out);  // verified, fast round trip: the timer starts at 100 ms
    int64_t now = 2000;
    int sends = 0;
    while (t.state() == Transfer::State::kRunning && sends < 100) {
        now = t.deadline();
        out.clear();
        t.onTimer(now, out);
        sends += static_cast<int>(out.size());
    }
    CHECK(t.state() == Transfer::State::kFailed);
    CHECK(now - 2000 >= limits.give_up_after_us);  // not dropped after 6 s of backoff
    CHECK(now - 2000 < limits.give_up_after_us + 2 * limits.max_timeout_us);
    CHECK(sends > limits.max_retries);
}

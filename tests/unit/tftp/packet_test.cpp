#include <catch2/catch.hpp>

#include <random>

#include "provisioner/tftp/packet.h"

using namespace prov::tftp;

namespace {

std::string bytes(std::initializer_list<int> b) {
    std::string s;
    for (int c : b) s.push_back(static_cast<char>(c));
    return s;
}

std::string rrq(const std::string& file, const std::string& mode, const std::string& opts = "") {
    return std::string("\0\1", 2) + file + std::string(1, '\0') + mode + std::string(1, '\0') + opts;
}

}  // namespace

TEST_CASE("requests parse with lowercased mode and options") {
    auto r = parse(rrq("0015654aa937.cfg", "OcTeT", std::string("BlkSize\0" "1428\0tsize\0" "0\0", 21)));
    REQUIRE(r.packet);
    const auto& req = std::get<Request>(*r.packet);
    CHECK(req.op == Opcode::kRrq);
    CHECK(req.file == "0015654aa937.cfg");
    CHECK(req.mode == "octet");
    CHECK(req.options.at("blksize") == "1428");
    CHECK(req.options.at("tsize") == "0");
}

TEST_CASE("malformed packets are refused with a reason") {
    struct Case {
        const char* name;
        std::string data;
    };
    const Case cases[] = {
        {"empty", ""},
        {"one byte", bytes({0})},
        {"opcode only", bytes({0, 1})},
        {"name without NUL", std::string("\0\1abc", 5)},
        {"no mode", std::string("\0\1abc\0", 6)},
        {"mode without NUL", std::string("\0\1abc\0octet", 11)},
        {"empty name", std::string("\0\1\0octet\0", 9)},
        {"option without value", rrq("a", "octet", std::string("blksize\0", 8))},
        {"empty option name", rrq("a", "octet", std::string("\0" "5\0", 3))},
        {"short ACK", bytes({0, 4, 0})},
        {"long ACK", bytes({0, 4, 0, 1, 0})},
        {"short DATA", bytes({0, 3, 0})},
        {"short ERROR", bytes({0, 5, 0})},
        {"OACK from a client", bytes({0, 6, 'a', 0, 'b', 0})},
        {"unknown opcode", bytes({0, 9, 0, 0})},
        {"opcode zero", bytes({0, 0})},
        {"huge opcode", bytes({0xff, 0xff, 0, 0})},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        const ParseResult r = parse(c.data);
        CHECK_FALSE(r.packet);
        CHECK_FALSE(r.problem.empty());
    }
}

TEST_CASE("every truncation of a valid request is handled") {
    const std::string full = rrq("snomD785-000413922D24.htm", "netascii", std::string("windowsize\0" "8\0", 13));
    for (size_t n = 0; n <= full.size(); ++n) {
        const ParseResult r = parse(std::string_view(full.data(), n));
        CHECK((r.packet.has_value() || !r.problem.empty()));
        if (n == full.size()) CHECK(r.packet);
    }
}

TEST_CASE("random bytes never crash the parser") {
    std::mt19937 rng(7);
    for (int i = 0; i < 20000; ++i) {
        std::string s(static_cast<size_t>(rng() % 64), '\0');
        for (char& c : s) c = static_cast<char>(rng() % 8 == 0 ? 0 : rng());
        if (s.size() >= 2 && rng() % 2) s[0] = 0, s[1] = static_cast<char>(1 + rng() % 6);
        const ParseResult r = parse(s);
        CHECK((r.packet.has_value() || !r.problem.empty()));
    }
}

TEST_CASE("encoders round-trip through the parser") {
    auto ack = parse(encodeAck(65535));
    REQUIRE(ack.packet);
    CHECK(std::get<Ack>(*ack.packet).block == 65535);
    const std::string encoded = encodeData(0, "xyz");  // the payload is a view into it
    auto data = parse(encoded);
    REQUIRE(data.packet);
    CHECK(std::get<Data>(*data.packet).block == 0);
    CHECK(std::get<Data>(*data.packet).payload == "xyz");
    auto err = parse(encodeError(ErrorCode::kUnknownTid, "Unknown transfer ID"));
    REQUIRE(err.packet);
    CHECK(std::get<ErrorPacket>(*err.packet).code == ErrorCode::kUnknownTid);
    CHECK(std::get<ErrorPacket>(*err.packet).message == "Unknown transfer ID");
    CHECK(encodeOack({{"blksize", "1428"}}) == std::string("\0\6blksize\0" "1428\0", 15));
}

TEST_CASE("a fetch not served is answered with the ERROR packet its outcome names") {
    // Opcode 5, code 0 (not defined), the text, NUL: what a phone told to
    // try later (the store away) reads.
    CHECK(refusalFor(prov::Outcome::kUnavailable) == std::string("\0\5\0\0Server busy, try later\0", 27));
    CHECK(refusalFor(prov::Outcome::kError) == std::string("\0\5\0\0Internal error\0", 19));
    // Unknown and denied alike: code 1.
    CHECK(refusalFor(prov::Outcome::kNotFound) == std::string("\0\5\0\1File not found\0", 19));
    CHECK(refusalFor(prov::Outcome::kDenied) == refusalFor(prov::Outcome::kNotFound));
}

#include <catch2/catch.hpp>

#include <string>

#include "provisioner/policy/network_list.h"

using prov::policy::NetworkList;

namespace {

NetworkList parsed(const std::string& networks) {
    auto p = NetworkList::parse(networks);
    if (!p) FAIL("'" << networks << "' does not parse: " << p.error().message);
    return p.value();
}

struct Peer {
    const char* ip;
    bool allowed;
};

void checkPeers(const NetworkList& policy, std::initializer_list<Peer> peers) {
    for (const Peer& p : peers) {
        INFO(p.ip);
        CHECK(policy.contains(p.ip) == p.allowed);
    }
}

}  // namespace

TEST_CASE("network lists that do not parse name the bad item") {
    struct Case {
        const char* networks;
        const char* item;
    };
    const Case cases[] = {
        {"nope", "nope"},
        {"10.0.0.0/33", "10.0.0.0/33"},
        {"::1/129", "::1/129"},
        {"10.0.0.0/", "10.0.0.0/"},
        {"10.0.0.0/x", "10.0.0.0/x"},
        {"10.0.0.0/-1", "10.0.0.0/-1"},
        {"10.0.0.0/+8", "10.0.0.0/+8"},
        {"10.0.0.0/0008", "10.0.0.0/0008"},
        {"10.0.0.0/8/8", "10.0.0.0/8/8"},
        {"10.0.0.0 /8", "10.0.0.0 /8"},
        {"10.0.0/8", "10.0.0/8"},
        {"256.0.0.0/8", "256.0.0.0/8"},
        {"10.0.0.0/8; 192.168.0.0/16", "10.0.0.0/8; 192.168.0.0/16"},
        {"fe80::1%eth0", "fe80::1%eth0"},
        {"10.0.0.0/8, bad, 192.168.0.0/16", "bad"},
        {"/8", "/8"},
    };
    for (const Case& c : cases) {
        INFO(c.networks);
        auto p = NetworkList::parse(c.networks);
        CHECK_FALSE(p);
        if (p) continue;
        CHECK(p.error().code == prov::Code::kInvalidArgument);
        CHECK_THAT(p.error().message, Catch::Contains(std::string("'") + c.item + "'"));
    }
}

const std::string kPrivate = "127.0.0.0/8, ::1/128, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7";

TEST_CASE("network lists that parse") {
    const std::string lists[] = {"", " ", ",", " , ,", "10.0.0.0/8,", " 10.0.0.0/8 ,\t192.168.0.0/16 ", "::/0",
                                 "0.0.0.0/0", "10.0.0.0/08", "::ffff:10.0.0.0/104", kPrivate};
    for (const std::string& ok : lists) {
        INFO("'" << ok << "'");
        CHECK(NetworkList::parse(ok));
    }
}

TEST_CASE("loopback and the private ranges: exactly those addresses") {
    const NetworkList p = parsed(kPrivate);
    checkPeers(p, {
                      {"127.0.0.1", true},
                      {"127.255.255.254", true},
                      {"10.1.2.3", true},
                      {"10.255.255.255", true},
                      {"172.16.0.1", true},
                      {"172.31.255.255", true},
                      {"192.168.1.10", true},
                      {"::1", true},
                      {"fd00::1", true},
                      {"fc00::1", true},
                      {"::ffff:10.0.0.1", true},  // IPv4-mapped IPv6 is the IPv4 address
                      {"::ffff:127.0.0.1", true},
                      {"172.32.0.1", false},
                      {"172.15.255.255", false},
                      {"192.169.0.1", false},
                      {"11.0.0.1", false},
                      {"8.8.8.8", false},
                      {"::ffff:8.8.8.8", false},
                      {"2001:db8::1", false},
                      {"::2", false},
                      {"fe80::1", false},
                      {"fe00::1", false},
                      {"::", false},
                      {"", false},
                      {"localhost", false},
                      {"10.1.2.3:5060", false},
                      {"[::1]", false},
                  });
}

TEST_CASE("/0 allows its whole family") {
    checkPeers(parsed("0.0.0.0/0"), {{"8.8.8.8", true},
                                     {"10.0.0.1", true},
                                     {"::ffff:8.8.8.8", true},
                                     {"2001:db8::1", false},
                                     {"::1", false}});
    checkPeers(parsed("::/0"), {{"2001:db8::1", true}, {"::1", true}, {"8.8.8.8", true}, {"garbage", false}});
}

TEST_CASE("an address without /len, or with /32 or /128, is one host") {
    for (const char* spec : {"192.168.1.10", "192.168.1.10/32"}) {
        INFO(spec);
        checkPeers(parsed(spec), {{"192.168.1.10", true},
                                  {"::ffff:192.168.1.10", true},
                                  {"192.168.1.11", false},
                                  {"192.168.1.9", false},
                                  {"192.168.0.10", false}});
    }
    for (const char* spec : {"2001:db8::1", "2001:db8::1/128"}) {
        INFO(spec);
        checkPeers(parsed(spec), {{"2001:db8::1", true},
                                  {"2001:db8:0:0:0:0:0:1", true},
                                  {"2001:db8::2", false},
                                  {"2001:db9::1", false}});
    }
}

TEST_CASE("prefixes that are not a multiple of 8") {
    checkPeers(parsed("192.168.1.128/25"),
               {{"192.168.1.127", false}, {"192.168.1.128", true}, {"192.168.1.255", true}, {"192.168.2.128", false}});
    checkPeers(parsed("172.16.0.0/12"), {{"172.16.0.0", true}, {"172.31.0.1", true}, {"172.32.0.0", false}});
    checkPeers(parsed("10.1.2.3/8"), {{"10.200.0.1", true}, {"11.1.2.3", false}});  // host bits ignored
    checkPeers(parsed("fc00::/7"), {{"fdff::1", true}, {"fe00::1", false}, {"fbff::1", false}});
    checkPeers(parsed("::ffff:10.0.0.0/104"), {{"10.9.9.9", true}, {"11.0.0.1", false}});
}

TEST_CASE("an empty list allows no one") {
    checkPeers(parsed(""), {{"127.0.0.1", false}, {"::1", false}, {"10.0.0.1", false}});
}

TEST_CASE("several networks: any one is enough") {
    checkPeers(parsed("10.0.0.0/8, 2001:db8::/32 ,192.168.5.5"), {{"10.3.3.3", true},
                                                                    {"2001:db8:ffff::1", true},
                                                                    {"192.168.5.5", true},
                                                                    {"192.168.5.6", false},
                                                                    {"2001:db9::1", false}});
}

TEST_CASE("the empty default allows nobody") {
    const NetworkList p = parsed("");
    CHECK(p.empty());
    checkPeers(p, {{"127.0.0.1", false}, {"10.0.0.1", false}, {"::1", false}});
    CHECK(p.warnings().empty());
}

TEST_CASE("warnings for a list wider than a /16 or holding public addresses") {
    CHECK(parsed("10.20.0.0/24, 192.168.0.0/16, fd00:1:2::/48, 127.0.0.0/8").warnings().size() == 1);  // 127/8: wide
    CHECK(parsed("10.20.0.0/24, 192.168.0.0/16, fd00:1:2::/48").warnings().empty());
    const auto wide = parsed("10.0.0.0/8").warnings();
    REQUIRE(wide.size() == 1);
    CHECK_THAT(wide[0], Catch::Contains("10.0.0.0/8 is wider than a /16"));
    const auto pub = parsed("203.0.113.0/24").warnings();
    REQUIRE(pub.size() == 1);
    CHECK_THAT(pub[0], Catch::Contains("203.0.113.0/24 holds public addresses"));
    CHECK(parsed("0.0.0.0/0").warnings().size() == 2);
    CHECK(parsed("2001:db8::/32").warnings().size() == 2);
    CHECK(parsed("fe80::/64").warnings().empty());
    CHECK(parsed("172.16.0.0/12").warnings().size() == 1);  // private, but wider than /16
}

// The per-address connection counter behind http.max_per_address: the cap
// per address, addresses apart, IPv4 and its mapped IPv6 form as one, the
// memory given back, and many threads at once (the loops of one port).

#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "provisioner/core/address_counter.h"

using namespace prov::net;

namespace {

AddressKey key(const std::string& text) {
    SockAddr a{};
    if (inet_pton(AF_INET, text.c_str(), &a.v4.sin_addr) == 1) {
        a.v4.sin_family = AF_INET;
    } else {
        REQUIRE(inet_pton(AF_INET6, text.c_str(), &a.v6.sin6_addr) == 1);
        a.v6.sin6_family = AF_INET6;
    }
    return AddressKey::of(a);
}

}  // namespace

TEST_CASE("address counter: an address gets up to its cap, then no more until one closes") {
    AddressCounter c(3);
    const AddressKey a = key("192.0.2.7");
    CHECK(c.acquire(a));
    CHECK(c.acquire(a));
    CHECK(c.acquire(a));
    CHECK_FALSE(c.acquire(a));
    CHECK_FALSE(c.acquire(a));
    CHECK(c.count(a) == 3);  // a refusal counts nothing
    c.release(a);
    CHECK(c.count(a) == 2);
    CHECK(c.acquire(a));
    CHECK_FALSE(c.acquire(a));
}

TEST_CASE("address counter: addresses are counted apart") {
    AddressCounter c(1);
    CHECK(c.acquire(key("192.0.2.7")));
    CHECK_FALSE(c.acquire(key("192.0.2.7")));
    CHECK(c.acquire(key("192.0.2.8")));
    CHECK(c.acquire(key("2001:db8::7")));
    CHECK(c.acquire(key("2001:db8::8")));
    CHECK_FALSE(c.acquire(key("2001:db8::7")));
    CHECK(c.addresses() == 4);
}

TEST_CASE("address counter: an IPv4 address and its IPv4-mapped IPv6 form are one address") {
    AddressCounter c(2);
    CHECK(key("192.0.2.7") == key("::ffff:192.0.2.7"));
    CHECK(c.acquire(key("192.0.2.7")));
    CHECK(c.acquire(key("::ffff:192.0.2.7")));
    CHECK_FALSE(c.acquire(key("192.0.2.7")));
    CHECK_FALSE(key("192.0.2.7") == key("::192.0.2.7"));  // IPv4-compatible is another address
}

TEST_CASE("address counter: an address whose connections all closed is forgotten") {
    AddressCounter c(8);
    for (int i = 0; i < 1000; ++i) {
        const AddressKey k = key("10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250));
        REQUIRE(c.acquire(k));
        c.release(k);
    }
    CHECK(c.addresses() == 0);
    c.release(key("10.0.0.1"));  // one more release than acquires changes nothing
    CHECK(c.count(key("10.0.0.1")) == 0);
    CHECK(c.acquire(key("10.0.0.1")));
}

TEST_CASE("address counter: loops acquiring at once never pass the cap") {
    AddressCounter c(64);
    const AddressKey shared = key("198.51.100.1");
    std::atomic<int> admitted{0};
    std::atomic<int> held_max{0};
    std::vector<std::thread> loops;
    for (int t = 0; t < 4; ++t) {
        loops.emplace_back([&] {
            for (int i = 0; i < 5000; ++i) {
                if (!c.acquire(shared)) continue;
                ++admitted;
                const int now = c.count(shared);
                int seen = held_max.load();
                while (now > seen && !held_max.compare_exchange_weak(seen, now)) {
                }
                if (i % 3) c.release(shared);  // some stay open
            }
        });
    }
    for (auto& t : loops) t.join();
    CHECK(held_max.load() <= 64);
    CHECK(c.count(shared) == 64);  // every slot ended up held by one that stayed
    CHECK(admitted.load() > 64);
}

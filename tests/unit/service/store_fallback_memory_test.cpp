// StoreFallback's own bounds and order: what it keeps of a phone goes with
// it, a keep that read the store before a forget is ignored, and requests
// anyone can make do not push a phone's files out.

#include <catch2/catch.hpp>

#include "provisioner/service/store_fallback.h"

using namespace prov;

namespace {

std::shared_ptr<const CachedFile> fileOf(const std::string& body) {
    auto f = std::make_shared<CachedFile>();
    f->body = body;
    return f;
}

DeviceCredentials pair(const std::string& user, const std::string& password) {
    DeviceCredentials c{};
    c.user = user;
    c.password = password;
    c.aes_key = "0123456789abcdef";
    return c;
}

StoreFallback::Served served(std::optional<DeviceCredentials> creds, const std::string& key = "",
                             const std::string& body = "") {
    StoreFallback::Served s;
    s.vendor = "yealink";
    s.credentials_read = true;
    s.credentials = std::move(creds);
    s.file_key = key;
    if (!key.empty()) s.file = fileOf(body);
    return s;
}

}  // namespace

TEST_CASE("store fallback: credentials read as none erase those kept, not read they stay") {
    StoreFallback m;
    m.keepPhone(m.ticket(), "m1", served(pair("u", "p")));
    StoreFallback::Served trusted;  // the allowed network's path reads none
    m.keepPhone(m.ticket(), "m1", trusted);
    REQUIRE(m.phone("m1")->credentials);
    m.keepPhone(m.ticket(), "m1", served(std::nullopt));
    CHECK_FALSE(m.phone("m1")->credentials);
}

TEST_CASE("store fallback: a phone forgotten takes its files along, and new credentials drop them") {
    StoreFallback m;
    m.keepPhone(m.ticket(), "m1", served(pair("u", "p"), "k1", "old owner's secrets"));
    REQUIRE(m.phoneFile("m1", "k1"));
    m.forgetPhone("m1");
    m.keepPhone(m.ticket(), "m1", served(pair("u2", "p2")));
    CHECK_FALSE(m.phoneFile("m1", "k1"));

    m.keepPhone(m.ticket(), "m2", served(pair("u", "p"), "k2", "rendered with the first pair"));
    m.syncPhone(m.ticket(), "m2", false, pair("u", "p"));
    REQUIRE(m.phoneFile("m2", "k2"));
    m.syncPhone(m.ticket(), "m2", false, pair("u", "rotated"));
    CHECK_FALSE(m.phoneFile("m2", "k2"));
    CHECK(m.phone("m2")->credentials->password == "rotated");
    m.syncPhone(m.ticket(), "m2", true, std::nullopt);  // gone
    CHECK_FALSE(m.phone("m2"));
}

TEST_CASE("store fallback: a keep that read the store before a forget is ignored") {
    StoreFallback m;
    const uint64_t before = m.ticket();
    m.forgetPhone("m1");
    m.keepPhone(before, "m1", served(pair("u", "p"), "k", "rendered before the delete"));
    CHECK_FALSE(m.phone("m1"));
    m.keepPhone(m.ticket(), "m1", served(pair("u", "p")));
    CHECK(m.phone("m1"));
    // A change anywhere (the store's counter moved) forgets every phone,
    // and every keep in flight.
    const uint64_t in_flight = m.ticket();
    m.storeChanged(1);
    CHECK_FALSE(m.phone("m1"));
    m.keepPhone(in_flight, "m2", served(pair("u", "p")));
    CHECK_FALSE(m.phone("m2"));
    m.storeChanged(1);  // no move: nothing forgotten
    m.keepPhone(m.ticket(), "m2", served(pair("u", "p")));
    m.storeChanged(1);
    CHECK(m.phone("m2"));
}

TEST_CASE("store fallback: past the bound one phone goes, not every one") {
    StoreFallback m(3);
    for (const char* mac : {"m1", "m2", "m3", "m4"}) m.keepPhone(m.ticket(), mac, served(pair("u", "p")));
    int kept = 0;
    for (const char* mac : {"m1", "m2", "m3", "m4"}) kept += m.phone(mac) ? 1 : 0;
    CHECK(kept == 3);
    CHECK(m.phone("m4"));
}

TEST_CASE("store fallback: common files anyone can ask for keep a few variants and leave phones' files alone") {
    StoreFallback m(8);
    m.keepPhone(m.ticket(), "m1", served(pair("u", "p"), "secrets-key", "secrets"));
    // A requester varying its User-Agent: one group, its variants capped.
    for (int i = 0; i < 100; ++i) m.keepFile("common", "common|model" + std::to_string(i), fileOf("c"));
    CHECK(m.phoneFile("m1", "secrets-key"));
    CHECK(m.file("common", "common|model99"));
    CHECK(m.file("common", "common|model" + std::to_string(100 - StoreFallback::kVariants)));
    CHECK_FALSE(m.file("common", "common|model" + std::to_string(99 - StoreFallback::kVariants)));
    // Many groups: past the bound one goes at a time, never a phone's file.
    for (int i = 0; i < 100; ++i) m.keepFile("group" + std::to_string(i), "k", fileOf("c"));
    CHECK(m.phoneFile("m1", "secrets-key"));
    CHECK(m.file("group99", "k"));
}

#include "provisioner/tls/session_cache.h"

#include <catch2/catch.hpp>

#include <mbedtls/ssl_ciphersuites.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

using prov::FakeClock;
using prov::tls::SessionCache;
using prov::tls::SessionCacheOptions;

namespace {

// A session as the server keeps one after a full handshake: an ID, a suite
// and a master secret, all derived from `n`.
// With `offered`, only the ID, as mbedTLS hands it to get().
struct Session {
    mbedtls_ssl_session s;
    explicit Session(int n, bool offered = false) {
        mbedtls_ssl_session_init(&s);
        s.id_len = 32;
        std::memset(s.id, 0xA0, sizeof s.id);
        std::memcpy(s.id, &n, sizeof n);
        if (offered) return;
        s.start = 1'700'000'000;
        s.ciphersuite = MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
        std::memset(s.master, 0x40 + (n % 64), sizeof s.master);
    }
    ~Session() { mbedtls_ssl_session_free(&s); }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
};

// get(), on a copy of the offered ID: 0 and the master secret of session n when found.
bool found(SessionCache& cache, int n) {
    Session asked(n, true);
    if (SessionCache::get(&cache, &asked.s) != 0) return false;
    const Session original(n);
    CHECK(asked.s.ciphersuite == original.s.ciphersuite);
    CHECK(std::memcmp(asked.s.master, original.s.master, sizeof asked.s.master) == 0);
    return true;
}

int put(SessionCache& cache, int n) {
    const Session s(n);
    return SessionCache::set(&cache, &s.s);
}

// Counts the entries wiped, and checks each was all zeros when it was.
struct WipeLog {
    int wiped = 0;
    int not_zero = 0;
    SessionCacheOptions options(size_t max_entries, int64_t timeout_seconds) {
        SessionCacheOptions o;
        o.max_entries = max_entries;
        o.timeout_seconds = timeout_seconds;
        o.wiped = [this](const unsigned char* bytes, size_t size) {
            ++wiped;
            if (size == 0 || std::any_of(bytes, bytes + size, [](unsigned char b) { return b != 0; })) ++not_zero;
        };
        return o;
    }
};

}  // namespace

TEST_CASE("session cache: a session kept under its ID is given back whole, another ID is not found") {
    FakeClock clock;
    SessionCache cache(clock, {});
    REQUIRE(put(cache, 1) == 0);
    REQUIRE(put(cache, 2) == 0);
    CHECK(cache.size() == 2);
    CHECK(found(cache, 1));
    CHECK(found(cache, 2));
    CHECK_FALSE(found(cache, 3));
    Session no_id(1, true);
    no_id.s.id_len = 0;
    CHECK(SessionCache::get(&cache, &no_id.s) != 0);
    CHECK(SessionCache::set(&cache, &no_id.s) != 0);
}

TEST_CASE("session cache: a session is not given back once its time is up, and is wiped") {
    FakeClock clock;
    WipeLog log;
    SessionCache cache(clock, log.options(10, 3600));
    REQUIRE(put(cache, 1) == 0);
    clock.advance(3599);
    CHECK(found(cache, 1));
    clock.advance(1);
    CHECK_FALSE(found(cache, 1));
    CHECK(cache.size() == 0);
    CHECK(log.wiped == 1);
    CHECK(log.not_zero == 0);
}

TEST_CASE("session cache: expired sessions at the least recently used end go when one is added") {
    FakeClock clock;
    WipeLog log;
    SessionCache cache(clock, log.options(10, 100));
    REQUIRE(put(cache, 1) == 0);
    REQUIRE(put(cache, 2) == 0);
    clock.advance(60);
    REQUIRE(put(cache, 3) == 0);
    clock.advance(60);  // 1 and 2 are past their time, 3 is not
    REQUIRE(put(cache, 4) == 0);
    CHECK(cache.size() == 2);
    CHECK(log.wiped == 2);
    CHECK(found(cache, 3));
    CHECK(found(cache, 4));
}

TEST_CASE("session cache: bounded, the least recently used session is evicted and wiped") {
    FakeClock clock;
    WipeLog log;
    SessionCache cache(clock, log.options(3, 86400));
    for (int n = 1; n <= 3; ++n) REQUIRE(put(cache, n) == 0);
    CHECK(found(cache, 1));  // 1 is now the most recently used; 2 the least
    REQUIRE(put(cache, 4) == 0);
    CHECK(cache.size() == 3);
    CHECK(log.wiped == 1);
    CHECK_FALSE(found(cache, 2));
    CHECK(found(cache, 1));
    CHECK(found(cache, 3));
    CHECK(found(cache, 4));
    for (int n = 5; n < 105; ++n) REQUIRE(put(cache, n) == 0);
    CHECK(cache.size() == 3);
    CHECK(log.wiped == 101);
    CHECK(log.not_zero == 0);
}

TEST_CASE("session cache: the same ID again replaces the session, wiping the old one") {
    FakeClock clock;
    WipeLog log;
    SessionCache cache(clock, log.options(10, 86400));
    REQUIRE(put(cache, 7) == 0);
    Session changed(7);
    std::memset(changed.s.master, 0x11, sizeof changed.s.master);
    REQUIRE(SessionCache::set(&cache, &changed.s) == 0);
    CHECK(cache.size() == 1);
    CHECK(log.wiped == 1);
    Session asked(7, true);
    REQUIRE(SessionCache::get(&cache, &asked.s) == 0);
    CHECK(asked.s.master[0] == 0x11);
}

TEST_CASE("session cache: clear() and the destructor wipe every session") {
    FakeClock clock;
    WipeLog log;
    {
        SessionCache cache(clock, log.options(100, 86400));
        for (int n = 0; n < 5; ++n) REQUIRE(put(cache, n) == 0);
        cache.clear();
        CHECK(cache.size() == 0);
        CHECK(log.wiped == 5);
        for (int n = 0; n < 3; ++n) REQUIRE(put(cache, n) == 0);
    }
    CHECK(log.wiped == 8);
    CHECK(log.not_zero == 0);
}

TEST_CASE("session cache: 20,000 sessions, every one found by its ID") {
    FakeClock clock;
    SessionCache cache(clock, {});
    for (int n = 0; n < 20000; ++n) REQUIRE(put(cache, n) == 0);
    CHECK(cache.size() == 20000);
    int hits = 0;
    for (int n = 0; n < 20000; n += 97) hits += found(cache, n) ? 1 : 0;
    CHECK(hits == (20000 + 96) / 97);
    REQUIRE(put(cache, 20000) == 0);  // the bound: the least recently used goes
    CHECK(cache.size() == 20000);
}

TEST_CASE("session cache: a session whose client certificate failed, or too big to keep, is not kept") {
    FakeClock clock(1000);
    SessionCacheOptions o;
    o.max_entries = 10;
    o.timeout_seconds = 60;
    SessionCache cache(clock, o);
    // A certificate that did not verify (a small one).
    const auto withCert = [](Session& session, size_t size) {
        session.s.peer_cert = static_cast<mbedtls_x509_crt*>(calloc(1, sizeof(mbedtls_x509_crt)));
        mbedtls_x509_crt_init(session.s.peer_cert);
        session.s.peer_cert->raw.p = static_cast<unsigned char*>(calloc(1, size));
        std::memset(session.s.peer_cert->raw.p, 0x30, size);
        session.s.peer_cert->raw.len = size;
        session.s.peer_cert->own_buffer = 1;  // freed with the session
    };
    {
        Session refused(1);
        withCert(refused, 600);
        refused.s.verify_result = MBEDTLS_X509_BADCERT_NOT_TRUSTED;
        CHECK(SessionCache::set(&cache, &refused.s) == 1);
    }
    CHECK(cache.size() == 0);
    CHECK_FALSE(found(cache, 1));
    // A phone that sent no certificate has a verify_result too, and is kept.
    {
        Session none(4);
        none.s.verify_result = MBEDTLS_X509_BADCERT_MISSING;
        CHECK(SessionCache::set(&cache, &none.s) == 0);
    }
    CHECK(cache.size() == 1);
    // A peer certificate of 8 KiB (a client parking its certificate here):
    // the saved session passes kMaxEntryBytes and is not kept.
    {
        Session big(2);
        withCert(big, 8192);
        CHECK(SessionCache::set(&cache, &big.s) == 1);
    }
    CHECK(cache.size() == 1);
    CHECK(put(cache, 3) == 0);
    CHECK(cache.size() == 2);
}

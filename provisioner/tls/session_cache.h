#pragma once

// The server's cache of TLS sessions for clients that resume by session ID
// (phones without tickets), given to mbedTLS as its get/set callbacks:
//
//   SessionCache cache(clock, {.max_entries = 20000, .timeout_seconds = 86400});
//   mbedtls_ssl_conf_session_cache(&conf, &cache, SessionCache::get, SessionCache::set);
//
// A hash map by session ID with a list in order of last use: a look-up, an
// insertion and an eviction each cost the same with one session cached or
// with the cache full. (mbedTLS 2.28's own cache is a list that every look-up
// and every insertion walks under one lock: with 20,000 sessions a resumption
// cost four times what it costs with one.)
//
// Bounded: at most max_entries sessions; a new one evicts the least recently
// used. A session older than timeout_seconds (from when it was cached) is
// never returned and is dropped when found. Every entry holds the session's
// master secret: its bytes are wiped (zeroed) before they are freed, on
// eviction, expiry, replacement, clear() and destruction.
//
// Thread-safe (one mutex, held for a hash look-up and a copy); a node's own:
// resumption by session ID stays on the node that made the session.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <mbedtls/ssl.h>

#include "provisioner/core/clock.h"

namespace prov::tls {

struct SessionCacheOptions {
    size_t max_entries = 20000;
    int64_t timeout_seconds = 86400;
    // For tests: called with an entry's bytes just after they were wiped,
    // before they are freed.
    std::function<void(const unsigned char* bytes, size_t size)> wiped;
};

class SessionCache {
public:
    SessionCache(const Clock& clock, SessionCacheOptions options);
    ~SessionCache();
    SessionCache(const SessionCache&) = delete;
    SessionCache& operator=(const SessionCache&) = delete;

    // mbedTLS's f_get_cache: fills `session` (initialised, with the ID the
    // client offered) from the cache; 0 when found, 1 otherwise.
    static int get(void* cache, mbedtls_ssl_session* session);
    // mbedTLS's f_set_cache: keeps a copy of `session` under its ID,
    // replacing one with the same ID; 0, or 1 when it cannot be kept.
    static int set(void* cache, const mbedtls_ssl_session* session);

    size_t size() const;
    // A saved session larger than this is not kept (a phone's, certificate
    // included, is about 1-2 KiB): the cache holds at most
    // max_entries x kMaxEntryBytes, 80 MiB at 20,000.
    static constexpr size_t kMaxEntryBytes = 4096;
    // Drops (and wipes) every session.
    void clear();

private:
    struct Entry {
        std::string id;                    // the session ID, the map's key
        int64_t cached_at = 0;             // monotonicSeconds()
        std::vector<unsigned char> bytes;  // mbedtls_ssl_session_save
    };
    using Lru = std::list<Entry>;  // most recently used first

    int find(mbedtls_ssl_session* session);
    int keep(const mbedtls_ssl_session* session);
    // Wipes the entry's bytes and forgets it. Caller holds mutex_.
    void drop(Lru::iterator it);
    void wipe(std::vector<unsigned char>& bytes) const;
    // Ages on the monotonic clock: a wall clock stepped back would keep
    // sessions past their time.
    int64_t monotonicSeconds() const { return clock_.monotonicMicros() / 1'000'000; }

    const Clock& clock_;
    SessionCacheOptions options_;
    mutable std::mutex mutex_;
    Lru lru_;
    std::unordered_map<std::string, Lru::iterator> by_id_;
};

}  // namespace prov::tls

#include "provisioner/tls/session_cache.h"

#include <mbedtls/platform_util.h>

#include <iterator>
#include <utility>

namespace prov::tls {

namespace {

std::string idOf(const mbedtls_ssl_session& s) {
    return std::string(reinterpret_cast<const char*>(s.id), s.id_len);
}

}  // namespace

SessionCache::SessionCache(const Clock& clock, SessionCacheOptions options)
    : clock_(clock), options_(std::move(options)) {
    if (options_.max_entries == 0) options_.max_entries = 1;
}

SessionCache::~SessionCache() { clear(); }

int SessionCache::get(void* cache, mbedtls_ssl_session* session) {
    return static_cast<SessionCache*>(cache)->find(session);
}

int SessionCache::set(void* cache, const mbedtls_ssl_session* session) {
    return static_cast<SessionCache*>(cache)->keep(session);
}

size_t SessionCache::size() const {
    std::lock_guard lock(mutex_);
    return lru_.size();
}

void SessionCache::clear() {
    std::lock_guard lock(mutex_);
    while (!lru_.empty()) drop(lru_.begin());
}

void SessionCache::wipe(std::vector<unsigned char>& bytes) const {
    mbedtls_platform_zeroize(bytes.data(), bytes.size());
    if (options_.wiped) options_.wiped(bytes.data(), bytes.size());
}

void SessionCache::drop(Lru::iterator it) {
    wipe(it->bytes);
    by_id_.erase(it->id);
    lru_.erase(it);
}

// The session is rebuilt with mbedtls_ssl_session_load under the lock: it
// copies a few hundred bytes (and parses the client's certificate when the
// session has one); copying the secret out first would only make one more
// copy to wipe.
int SessionCache::find(mbedtls_ssl_session* session) {
    if (session->id_len == 0) return 1;
    std::lock_guard lock(mutex_);
    const auto found = by_id_.find(idOf(*session));
    if (found == by_id_.end()) return 1;
    const Lru::iterator it = found->second;
    if (monotonicSeconds() - it->cached_at >= options_.timeout_seconds) {
        drop(it);
        return 1;
    }
    lru_.splice(lru_.begin(), lru_, it);  // most recently used
    if (mbedtls_ssl_session_load(session, it->bytes.data(), it->bytes.size()) != 0) return 1;
    return 0;
}

int SessionCache::keep(const mbedtls_ssl_session* session) {
    if (session->id_len == 0) return 1;
    // A session whose client certificate did not verify is refused after the
    // handshake (the server's peer check) and is never resumed: keeping it
    // would let any client park its certificate (up to ~16 KiB) here. (A
    // client that sent none has a non-zero verify_result too, and is kept.)
    if (session->peer_cert != nullptr && session->verify_result != 0) return 1;
    size_t size = 0;
    (void)mbedtls_ssl_session_save(session, nullptr, 0, &size);
    // The memory bound: max_entries sessions of at most kMaxEntryBytes each.
    if (size == 0 || size > kMaxEntryBytes) return 1;
    std::vector<unsigned char> bytes(size);
    if (mbedtls_ssl_session_save(session, bytes.data(), bytes.size(), &size) != 0) {
        wipe(bytes);
        return 1;
    }
    bytes.resize(size);
    std::string id = idOf(*session);
    std::lock_guard lock(mutex_);
    if (const auto old = by_id_.find(id); old != by_id_.end()) drop(old->second);
    // The least recently used go first: those past their time, then as many
    // as the bound needs.
    const int64_t now = monotonicSeconds();
    while (!lru_.empty() && now - lru_.back().cached_at >= options_.timeout_seconds) drop(std::prev(lru_.end()));
    while (lru_.size() >= options_.max_entries) drop(std::prev(lru_.end()));
    lru_.push_front(Entry{id, now, std::move(bytes)});
    by_id_.emplace(std::move(id), lru_.begin());
    return 0;
}

}  // namespace prov::tls

#include "provisioner/policy/auth_guard.h"

#include <algorithm>

namespace prov::policy {

namespace {

constexpr int64_t kMicros = 1'000'000;
constexpr int64_t kLongest = int64_t{7} * 24 * 3600;  // far below what doubling could overflow

AuthGuardOptions clamped(AuthGuardOptions o) {
    o.max_failures = std::clamp(o.max_failures, 1, 100000);
    o.window_seconds = std::clamp<int64_t>(o.window_seconds, 1, kLongest);
    o.max_block_seconds = std::clamp<int64_t>(o.max_block_seconds, 1, kLongest);
    o.first_block_seconds = std::clamp<int64_t>(o.first_block_seconds, 1, o.max_block_seconds);
    o.max_sources = std::max<size_t>(o.max_sources, 1);
    return o;
}

}  // namespace

AuthGuard::AuthGuard(AuthGuardOptions options, const Clock& clock) : options_(clamped(options)), clock_(clock) {}

int64_t AuthGuard::retryAfter(std::string_view source) const {
    const int64_t now = clock_.monotonicMicros();
    std::lock_guard lock(mutex_);
    auto it = sources_.find(std::string(source));
    if (it == sources_.end() || it->second.blocked_until <= now) return 0;
    return (it->second.blocked_until - now + kMicros - 1) / kMicros;
}

std::optional<AuthBlock> AuthGuard::failure(std::string_view source) {
    const int64_t now = clock_.monotonicMicros();
    std::lock_guard lock(mutex_);
    Source& s = touch(source, now)->second;
    if (s.blocked_until > now) return std::nullopt;
    // Rule 2: a long quiet spell after the last block starts the series again.
    if (s.blocks > 0 && now - s.blocked_until >= options_.max_block_seconds * kMicros) s.blocks = 0;
    const int64_t window = options_.window_seconds * kMicros;
    s.failures.erase(std::remove_if(s.failures.begin(), s.failures.end(),
                                    [&](int64_t at) { return now - at >= window || at < s.blocked_until; }),
                     s.failures.end());
    s.failures.push_back(now);
    if (static_cast<int>(s.failures.size()) < options_.max_failures) return std::nullopt;
    AuthBlock block;
    block.source = std::string(source);
    block.failures = static_cast<int>(s.failures.size());
    block.count = ++s.blocks;
    block.seconds = options_.first_block_seconds;
    for (int i = 1; i < block.count && block.seconds < options_.max_block_seconds; ++i) block.seconds *= 2;
    block.seconds = std::min(block.seconds, options_.max_block_seconds);
    s.blocked_until = now + block.seconds * kMicros;
    s.failures.clear();
    return block;
}

size_t AuthGuard::trackedSources() const {
    std::lock_guard lock(mutex_);
    return sources_.size();
}

AuthGuard::Map::iterator AuthGuard::touch(std::string_view source, int64_t now) {
    auto it = sources_.find(std::string(source));
    if (it == sources_.end()) {
        if (sources_.size() >= options_.max_sources) evictOne(now);
        it = sources_.emplace(std::string(source), Source{}).first;
    }
    it->second.seen_us = now;
    return it;
}

// Linear in max_sources, and only when a new source finds the table full.
void AuthGuard::evictOne(int64_t now) {
    auto victim = sources_.end();
    for (auto it = sources_.begin(); it != sources_.end(); ++it) {
        if (victim == sources_.end()) {
            victim = it;
            continue;
        }
        const bool it_blocked = it->second.blocked_until > now;
        const bool v_blocked = victim->second.blocked_until > now;
        if (it_blocked != v_blocked) {
            if (!it_blocked) victim = it;
        } else if (it_blocked ? it->second.blocked_until < victim->second.blocked_until
                              : it->second.seen_us < victim->second.seen_us) {
            victim = it;
        }
    }
    if (victim != sources_.end()) sources_.erase(victim);
}

}  // namespace prov::policy

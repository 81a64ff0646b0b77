#include "provisioner/policy/sweep_guard.h"

#include <algorithm>

namespace prov::policy {

namespace {

constexpr int64_t kMicros = 1'000'000;
constexpr int64_t kMinute = 60 * kMicros;
constexpr int64_t kHour = 3600 * kMicros;
// Block lengths stay far below what doubling or microseconds could overflow.
constexpr int64_t kLongestBlockSeconds = int64_t{365} * 24 * 3600;

SweepOptions clamped(SweepOptions o) {
    o.budget = std::max(o.budget, 1);
    o.refill_per_minute = std::max(o.refill_per_minute, 0.0);
    o.earn_per_hit = std::max(o.earn_per_hit, 0);
    o.max_block_seconds = std::clamp<int64_t>(o.max_block_seconds, 1, kLongestBlockSeconds);
    o.first_block_seconds = std::clamp<int64_t>(o.first_block_seconds, 1, o.max_block_seconds);
    o.max_sources = std::max<size_t>(o.max_sources, 1);
    o.unknown_per_hour = std::max(o.unknown_per_hour, 0);
    return o;
}

// A canonical MAC (12 hex digits) is its own 48-bit key, so distinct MACs
// never share one. Anything else (the caller should not pass it) is hashed
// with the top bit set, clear of every MAC.
uint64_t macKey(std::string_view mac) {
    uint64_t value = 0;
    bool hex = mac.size() == 12;
    for (size_t i = 0; hex && i < mac.size(); ++i) {
        const char c = mac[i];
        int digit = -1;
        if (c >= '0' && c <= '9') digit = c - '0';
        if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
        if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
        hex = digit >= 0;
        value = value << 4 | static_cast<uint64_t>(digit & 0xf);
    }
    if (hex) return value;
    return std::hash<std::string_view>{}(mac) | uint64_t{1} << 63;
}

}  // namespace

template <size_t N>
bool SweepGuard::RecentKeys<N>::insert(uint64_t key) {
    if (std::find(keys, keys + size, key) != keys + size) return false;
    keys[next] = key;
    next = (next + 1) % N;
    size = std::min(size + 1, N);
    return true;
}

SweepGuard::SweepGuard(SweepOptions options, const Clock& clock)
    : options_(clamped(options)), clock_(clock) {}

bool SweepGuard::blocked(std::string_view source) const {
    std::lock_guard lock(mutex_);
    auto it = sources_.find(source);
    return it != sources_.end() && it->second.in_block &&
           it->second.blocked_until > clock_.monotonicMicros();
}

std::optional<Block> SweepGuard::miss(std::string_view source, std::string_view mac) {
    std::lock_guard lock(mutex_);
    const int64_t now = clock_.monotonicMicros();
    Source& s = touch(source, now);
    if (s.in_block) return std::nullopt;
    // Repeats are free before the budget is even looked at: an unknown
    // phone's second file must not be the one that blocks its NAT.
    if (!s.recent_misses.insert(macKey(mac))) return std::nullopt;
    refill(s, now);
    ++s.misses;
    s.tokens -= 1;
    spend(s, 1);
    if (s.tokens >= 1) return std::nullopt;
    return startBlock(s, now);
}

void SweepGuard::hit(std::string_view source, std::string_view mac) {
    std::lock_guard lock(mutex_);
    // An untracked source has a full budget: nothing to earn, nothing to store.
    if (sources_.find(source) == sources_.end()) return;
    const int64_t now = clock_.monotonicMicros();
    Source& s = touch(source, now);
    if (s.in_block) return;
    refill(s, now);
    if (s.recent_hits.insert(macKey(mac))) earn(s, now);
}

bool SweepGuard::mayRecordUnknown(std::string_view source) {
    std::lock_guard lock(mutex_);
    const int64_t now = clock_.monotonicMicros();
    Source& s = touch(source, now);
    if (s.in_block) return false;
    const double cap = options_.unknown_per_hour;
    s.unknown_tokens = std::min(
        cap, s.unknown_tokens + static_cast<double>(now - s.unknown_refilled_at) * cap / kHour);
    s.unknown_refilled_at = now;
    if (s.unknown_tokens < 1) return false;
    s.unknown_tokens -= 1;
    return true;
}

size_t SweepGuard::trackedSources() const {
    std::lock_guard lock(mutex_);
    return sources_.size();
}

SecurityEvent SweepGuard::blockEvent(const Block& b) {
    SecurityEvent e("sweep_block", b.source);
    e.number("seconds", b.seconds).number("unknown_macs", b.misses).number("block", b.count);
    return e;
}

// The source's entry, added if new, its block ended if over, and marked as
// the most recently seen.
SweepGuard::Source& SweepGuard::touch(std::string_view source, int64_t now) {
    if (auto found = sources_.find(source); found != sources_.end()) {
        Source& s = found->second;
        endBlockIfOver(s, now);
        if (!s.in_block) idle_.splice(idle_.begin(), idle_, s.lru);
        return s;
    }
    if (sources_.size() >= options_.max_sources) evictOne();
    auto [it, added] = sources_.try_emplace(std::string(source));
    Source& s = it->second;
    s.key = &it->first;
    freshBudget(s, now);
    s.unknown_tokens = options_.unknown_per_hour;
    s.unknown_refilled_at = now;
    idle_.push_front(&s);
    s.lru = idle_.begin();
    return s;
}

// Rule 6: idle sources go first, least recently seen first; then blocked
// ones, the block that ends soonest (or ended already) first, so that the
// sources still blocked longest keep their blocks and their back-off.
void SweepGuard::evictOne() {
    Source* victim = nullptr;
    if (!idle_.empty()) {
        victim = idle_.back();
        idle_.pop_back();
    } else if (!blocked_.empty()) {
        victim = blocked_.begin()->second;
        blocked_.erase(blocked_.begin());
    }
    if (victim == nullptr) return;
    // Erase through an iterator: the key passed to erase(key) would be the
    // victim's own, destroyed while erase still reads it.
    sources_.erase(sources_.find(*victim->key));
}

void SweepGuard::refill(Source& s, int64_t now) const {
    const double gained =
        static_cast<double>(now - s.refilled_at) * options_.refill_per_minute / kMinute;
    s.tokens = std::min<double>(options_.budget, s.tokens + gained);
    s.refilled_at = now;
}

// Rule 3: what hits earn is capped at a budget a minute, counting only what
// the budget could take, so a full budget does not use up the allowance.
void SweepGuard::earn(Source& s, int64_t now) {
    if (now - s.earn_window_start >= kMinute) {
        s.earn_window_start = now;
        s.earned = 0;
    }
    const double room = std::min<double>(options_.budget - s.tokens, options_.budget - s.earned);
    const double credit = std::min<double>(options_.earn_per_hit, room);
    if (credit <= 0) return;
    s.tokens += credit;
    s.earned += credit;
    spend(s, -credit);
}

void SweepGuard::spend(Source& s, double amount) {
    s.unmerged += amount;
    if (s.in_unmerged || unmerged_.size() >= options_.max_sources) return;
    s.in_unmerged = true;
    unmerged_.push_back(*s.key);
}

std::vector<std::pair<std::string, double>> SweepGuard::takeSpent(size_t max) {
    std::lock_guard lock(mutex_);
    std::vector<std::pair<std::string, double>> out;
    size_t taken = 0;
    for (; taken < unmerged_.size() && out.size() < max; ++taken) {
        auto it = sources_.find(unmerged_[taken]);
        if (it == sources_.end() || !it->second.in_unmerged) continue;  // evicted since
        Source& s = it->second;
        s.in_unmerged = false;
        if (s.unmerged != 0) out.emplace_back(it->first, s.unmerged);
        s.unmerged = 0;
    }
    unmerged_.erase(unmerged_.begin(), unmerged_.begin() + static_cast<std::ptrdiff_t>(taken));
    return out;
}

// Credit (spent < 0) goes only to a source tracked here: an untracked one
// has a full budget already, and adding it would cost memory for nothing.
std::optional<Block> SweepGuard::charge(std::string_view source, double spent) {
    std::lock_guard lock(mutex_);
    if (spent == 0 || (spent < 0 && sources_.find(source) == sources_.end())) return std::nullopt;
    const int64_t now = clock_.monotonicMicros();
    Source& s = touch(source, now);
    if (s.in_block) return std::nullopt;
    refill(s, now);
    s.tokens = std::min<double>(options_.budget, s.tokens - spent);
    if (spent > 0) s.misses += static_cast<int>(spent + 0.5);
    if (s.tokens >= 1) return std::nullopt;
    return startBlock(s, now);
}

Block SweepGuard::startBlock(Source& s, int64_t now) {
    // Rule 4: the back-off decays after a quiet max_block_seconds since the
    // last block ended (blocked_until still holds that end).
    if (s.blocks > 0 && now - s.blocked_until >= options_.max_block_seconds * kMicros) s.blocks = 0;
    ++s.blocks;
    int64_t seconds = options_.first_block_seconds;
    for (int i = 1; i < s.blocks && seconds < options_.max_block_seconds; ++i) {
        seconds = std::min(seconds * 2, options_.max_block_seconds);
    }
    idle_.erase(s.lru);
    s.in_block = true;
    s.blocked_until = now + seconds * kMicros;
    blocked_.emplace(s.blocked_until, &s);
    return Block{*s.key, seconds, s.misses, s.blocks};
}

void SweepGuard::endBlockIfOver(Source& s, int64_t now) {
    if (!s.in_block || s.blocked_until > now) return;
    blocked_.erase({s.blocked_until, &s});
    s.in_block = false;
    freshBudget(s, now);
    idle_.push_front(&s);
    s.lru = idle_.begin();
}

void SweepGuard::freshBudget(Source& s, int64_t now) const {
    s.tokens = options_.budget;
    s.refilled_at = now;
    s.misses = 0;
    s.earn_window_start = now;
    s.earned = 0;
}

}  // namespace prov::policy

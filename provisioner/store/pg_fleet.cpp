// PgStore: what several nodes on one database coordinate beyond the
// writers' lock: which node leads the fleet's chores, and which outbox rows a
// live node is sending.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "provisioner/store/pg_store.h"

namespace prov {

namespace {

Error unreachable(const std::string& what, const std::string& why) {
    return Error{Code::kUnavailable,
                 "store_unreachable",
                 "the PostgreSQL store does not answer (" + what + "): " + why,
                 {},
                 {}};
}

// The leader's session is dropped soon after its host is gone or cut off,
// on both ends: by default the server would keep it (and the lock) for the
// system's TCP keepalive time, two hours, and a round trip on a half-open
// connection would wait as long. Idle: probed after 5 s, dropped after 3
// unanswered probes 2 s apart; data unacknowledged for 10 s: dropped.
const std::vector<std::pair<std::string, std::string>>& leaderKeepalives() {
    static const std::vector<std::pair<std::string, std::string>> options{
        {"keepalives", "1"},
        {"keepalives_idle", "5"},
        {"keepalives_interval", "2"},
        {"keepalives_count", "3"},
        {"tcp_user_timeout", "10000"}};
    return options;
}

constexpr const char* kServerKeepalives =
    "SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2;"
    " SET tcp_keepalives_count = 3; SET tcp_user_timeout = 10000";

}  // namespace

// Past kPgLeadProofMicros without a fresh proof, this node may already have
// lost the lock to a successor without knowing it (its last round trip
// still waiting on a half-open connection): it no longer leads.
bool PgStore::leads() const {
    return leads_.load(std::memory_order_relaxed) &&
           clock_.monotonicMicros() - lead_proven_at_.load() < kPgLeadProofMicros;
}

Result<bool> PgStore::tryLead() {
    std::lock_guard lock(leader_mutex_);
    const int64_t asked_at = clock_.monotonicMicros();
    if (leader_ && leads_) {
        // The lock lives as long as the session: a round trip shows that it does.
        if (leader_->exec("SELECT 1")) {
            lead_proven_at_ = asked_at;
            return true;
        }
        leader_.reset();  // and the lock with it, if the server still had it
        leads_ = false;
    }
    // A kept connection the server dropped (a restart, a failover) fails at
    // once: tried again on a fresh one rather than reported.
    for (int attempt = 0;; ++attempt) {
        if (!leader_) {
            auto conn = pg::Connection::open(url_, leaderKeepalives());
            if (!conn) return unreachable("leadership", conn.error().message);
            if (!conn.value()->exec(kServerKeepalives))
                return unreachable("leadership", conn.value()->lastError());
            leader_ = std::move(conn).value();
        }
        std::optional<bool> taken;
        {
            pg::Stmt q(*leader_, "SELECT pg_try_advisory_lock(7262017003)");
            static_assert(kPgLeaderLock == 7262017003);
            if (q.step()) taken = q.integer(0) != 0;
        }
        if (taken) {
            // A connection that did not get it is kept to try again on.
            if (*taken) lead_proven_at_ = asked_at;
            leads_ = *taken;
            return *taken;
        }
        const bool dropped = !leader_->healthy();
        const std::string why = leader_->lastError();
        leader_.reset();
        if (!dropped || attempt > 0) return unreachable("leadership", why);
    }
}

// Unlocked first: a closed connection's lock is freed only once its backend
// has seen the close, a moment later, and the next node should not miss it.
void PgStore::resign() {
    std::lock_guard lock(leader_mutex_);
    if (leader_ && leads_) (void)leader_->exec("SELECT pg_advisory_unlock(7262017003)");
    leader_.reset();
    leads_ = false;
}

// FOR KEY SHARE, the weakest row lock: it blocks neither this sender's own
// updates of the row (claim, settle: FOR NO KEY UPDATE) on other
// connections, nor another sender's hold, only requeueSending's FOR UPDATE,
// which then skips the row (SKIP LOCKED) instead of waiting for a relay's
// answer. A hold taken while a requeue has the row is not waited for either.
Result<std::unique_ptr<Store::Hold>> PgStore::holdOutbox(int64_t id) {
    class RowHold final : public Hold {
      public:
        explicit RowHold(Lease lease) : lease_(std::move(lease)) {}
        ~RowHold() override { (void)(*lease_).exec("ROLLBACK"); }

      private:
        Lease lease_;
    };
    Lease lease = TRY(acquire());
    pg::Connection& conn = *lease;
    // A relay may keep the sender longer than the server's
    // idle_in_transaction_session_timeout, which would end the session and
    // the hold with it while the sender lives: not for this transaction.
    if (!conn.exec("BEGIN") || !conn.exec("SET LOCAL idle_in_transaction_session_timeout = 0"))
        return unreachable("outbox", conn.lastError());
    bool held = false;
    {
        pg::Stmt q(conn, "SELECT id FROM outbox WHERE id = ? FOR KEY SHARE SKIP LOCKED");
        q.bind(1, id);
        held = q.step();
        if (q.failed()) {
            const std::string why = conn.lastError();
            (void)conn.exec("ROLLBACK");
            return unreachable("outbox", why);
        }
    }
    if (!held) {
        (void)conn.exec("ROLLBACK");
        return std::unique_ptr<Hold>();
    }
    return std::unique_ptr<Hold>(new RowHold(std::move(lease)));
}

}  // namespace prov

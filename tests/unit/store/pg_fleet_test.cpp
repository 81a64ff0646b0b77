// What several nodes on one PostgreSQL database coordinate beyond the
// writers' lock (store/pg_fleet.cpp): the fleet's leader, and the outbox
// rows a live node is sending. Two or three PgStores on one schema stand
// for the nodes. Run by tests/pg/with_cluster.sh only.

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "fakes/shared_database.h"
#include "provisioner/mail/outbox.h"

using namespace prov;

namespace {

PgStore& asPg(Store& store) { return dynamic_cast<PgStore&>(store); }

bool leads(Store& store) {
    auto r = store.tryLead();
    REQUIRE(r);
    return r.value();
}

// Ends, from another session, the session holding the leader's lock.
void killLeaderSession() {
    auto conn = pg::Connection::open(testing::testPgUrl());
    REQUIRE(conn);
    // A bigint advisory key is classid (high 32 bits) and objid (low 32 bits).
    pg::Stmt q(
        *conn.value(),
        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted"
        " AND classid = ? AND objid = ? AND objsubid = 1");
    q.bind(1, kPgLeaderLock >> 32).bind(2, kPgLeaderLock & 0xffffffff);
    REQUIRE(q.step());
    CHECK(q.integer(0) == 1);
}

int64_t queue(Store& store, const std::string& recipient) {
    OutboxRow row;
    row.ref_id = 1;
    row.recipient = recipient;
    REQUIRE(store.write([&](StoreTx& tx) { return tx.insertOutbox(row); }));
    return row.id;
}

std::string state(Store& store, int64_t id) {
    std::string out;
    REQUIRE(store.read([&](StoreTx& tx) -> Status {
        auto r = TRY(tx.getOutbox(id));
        REQUIRE(r);
        out = r->state;
        return okStatus();
    }));
    return out;
}

int64_t requeue(Store& store, const Clock& clock) {
    int64_t n = -1;
    REQUIRE(store.write([&](StoreTx& tx) -> Status {
        n = TRY(tx.requeueSending(clock.nowSeconds()));
        return okStatus();
    }));
    return n;
}

}  // namespace

TEST_CASE("postgresql fleet: one node leads, and another takes the lead when it resigns") {
    REQUIRE_FALSE(testing::testPgUrl().empty());
    FakeClock clock;
    testing::SharedDatabase db(clock, 2);
    Store& a = *db.stores[0];
    Store& b = *db.stores[1];
    CHECK_FALSE(a.leads());  // not before it tried
    CHECK(leads(a));
    CHECK_FALSE(leads(b));
    CHECK(leads(a));  // held, and proved so again
    CHECK_FALSE(leads(b));
    CHECK(a.leads());
    CHECK_FALSE(b.leads());
    asPg(a).resign();
    CHECK_FALSE(a.leads());
    CHECK(leads(b));
    CHECK_FALSE(leads(a));
}

TEST_CASE(
    "postgresql fleet: a leader not proven for kPgLeadProofMicros no longer leads, until proven "
    "again") {
    REQUIRE_FALSE(testing::testPgUrl().empty());
    FakeClock clock;
    testing::SharedDatabase db(clock, 1);
    Store& a = *db.stores[0];
    REQUIRE(leads(a));
    clock.advanceMicros(kPgLeadProofMicros - 1);
    CHECK(a.leads());
    // Its round trip hanging on a half-open connection, as far as leads() knows.
    clock.advanceMicros(1);
    CHECK_FALSE(a.leads());
    CHECK(leads(a));
    CHECK(a.leads());
}

TEST_CASE(
    "postgresql fleet: a leader whose session the server ends loses the lead to the next node") {
    REQUIRE_FALSE(testing::testPgUrl().empty());
    FakeClock clock;
    testing::SharedDatabase db(clock, 2);
    Store& a = *db.stores[0];
    Store& b = *db.stores[1];
    REQUIRE(leads(a));
    killLeaderSession();
    // The backend ends shortly after it is told to; bounded wait.
    bool took = false;
    for (int i = 0; i < 100 && !took; ++i) {
        took = leads(b);
        if (!took) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    CHECK(took);
    // a finds out at its next try (its round trip fails), and does not lead.
    auto again = a.tryLead();
    CHECK((!again || !again.value()));
    CHECK_FALSE(a.leads());
}

TEST_CASE("postgresql fleet: a row a live node is sending is not taken back, a dead sender's is") {
    REQUIRE_FALSE(testing::testPgUrl().empty());
    FakeClock clock;
    testing::SharedDatabase db(clock, 2);
    Store& a = *db.stores[0];
    Store& b = *db.stores[1];
    const int64_t id = queue(a, "alice@example.com");
    auto hold = a.holdOutbox(id);
    REQUIRE(hold);
    REQUIRE(hold.value());
    REQUIRE(a.write([&](StoreTx& tx) -> Status {
        CHECK(TRY(tx.claimOutbox(id)));
        return okStatus();
    }));
    // Another node starting (requeueSending) passes over it, without waiting.
    CHECK(requeue(b, clock) == 0);
    CHECK(state(b, id) == "sending");
    // A second node may hold it too (its claim then fails), and is not kept waiting.
    auto other = b.holdOutbox(id);
    REQUIRE(other);
    CHECK(other.value());
    other.value().reset();
    // The sender's own outcome is not blocked by its hold.
    REQUIRE(a.write([&](StoreTx& tx) -> Status {
        CHECK(TRY(tx.settleOutbox(id, 1, "queued", "451 later", clock.nowSeconds(),
                                  clock.nowSeconds())));
        return okStatus();
    }));
    REQUIRE(a.write([&](StoreTx& tx) -> Status {
        CHECK(TRY(tx.claimOutbox(id)));
        return okStatus();
    }));
    // The sender dies mid-try: its hold ends with it, and the row goes back.
    hold.value().reset();
    CHECK(requeue(b, clock) == 1);
    CHECK(state(b, id) == "queued");
}

TEST_CASE(
    "postgresql fleet: two nodes' outboxes send each e-mail exactly once, while a third starts") {
    REQUIRE_FALSE(testing::testPgUrl().empty());
    FakeClock clock;
    testing::SharedDatabase db(clock, 3);
    constexpr int kRows = 40;
    std::vector<int64_t> ids;
    for (int i = 0; i < kRows; ++i)
        ids.push_back(queue(*db.stores[0], "r" + std::to_string(i) + "@example.com"));

    std::mutex mutex;
    std::map<std::string, int> delivered;  // recipient -> times sent
    std::atomic<int> sends{0};
    auto makeOutbox = [&](Store& store) {
        mail::Composer compose = [](StoreTx&, const OutboxRow& row) -> Result<mail::Message> {
            mail::Message m;
            m.from = "pbx@example.com";
            m.to = row.recipient;
            return m;
        };
        mail::Sender send = [&](const mail::Message& m, mail::Interrupter&) {
            // A relay that takes a while: the other node's passes overlap it.
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            {
                std::lock_guard lock(mutex);
                ++delivered[m.to];
            }
            ++sends;
            mail::SendResult r;
            r.outcome = mail::SendOutcome::kSent;
            r.reply.code = 250;
            r.reply.text = "Ok";
            return r;
        };
        return std::make_unique<mail::Outbox>(store, clock, compose, send, mail::OutboxOptions{});
    };
    auto one = makeOutbox(*db.stores[0]);
    auto two = makeOutbox(*db.stores[1]);
    std::atomic<bool> done{false};
    std::atomic<int> failures{0};  // counted here: Catch's assertions are for the main thread
    auto work = [&](mail::Outbox& box) {
        for (int pass = 0; pass < 200 && sends < kRows; ++pass) {
            if (!box.runOnce()) ++failures;
        }
    };
    // A third node starting again and again meanwhile: it takes back only
    // what no live node holds, which is nothing here.
    std::atomic<int64_t> taken_back{0};
    std::thread starter([&] {
        for (int i = 0; i < 2000 && !done; ++i) {
            (void)db.stores[2]->write([&](StoreTx& tx) -> Status {
                taken_back += TRY(tx.requeueSending(clock.nowSeconds()));
                return okStatus();
            });
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    });
    std::thread t1([&] { work(*one); });
    std::thread t2([&] { work(*two); });
    t1.join();
    t2.join();
    done = true;
    starter.join();

    CHECK(failures == 0);
    CHECK(taken_back == 0);
    CHECK(sends == kRows);
    CHECK(delivered.size() == static_cast<size_t>(kRows));
    for (const auto& [to, times] : delivered) {
        INFO(to);
        CHECK(times == 1);
    }
    for (int64_t id : ids) CHECK(state(*db.stores[1], id) == "sent");
}

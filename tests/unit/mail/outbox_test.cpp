#include "provisioner/mail/outbox.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <deque>
#include <thread>

#include "fakes/test_store.h"

using namespace prov;
using namespace prov::mail;

namespace {

struct World {
    FakeClock clock;
    std::unique_ptr<Store> store;
    std::deque<SendResult> replies;  // what the relay answers, try by try
    std::atomic<int> sends{0};
    std::vector<int64_t> composed;  // rows written

    World() {
        store = testing::openTestStore(clock);
    }
    Outbox outbox(OutboxOptions o = {}, Sender send = nullptr) {
        o.retry_seconds = {60, 300};
        return Outbox(
            *store, clock,
            [this](StoreTx&, const OutboxRow& row) -> Result<Message> {
                composed.push_back(row.id);
                if (row.ref_id == 999)
                    return Error::conflict("revoked", "not sent: a newer invitation replaced it");
                Message m;
                m.from = "pbx@example.com";
                m.to = row.recipient;
                return m;
            },
            send ? send : Sender([this](const Message&, Interrupter&) {
                ++sends;
                SendResult r = replies.front();
                replies.pop_front();
                return r;
            }),
            o);
    }
    int64_t queue(int64_t ref = 1) {
        OutboxRow row;
        row.ref_id = ref;
        row.recipient = "alice@example.com";
        REQUIRE(store->write([&](StoreTx& tx) { return tx.insertOutbox(row); }));
        return row.id;
    }
    OutboxRow row(int64_t id) {
        OutboxRow out;
        REQUIRE(store->read([&](StoreTx& tx) -> Status {
            auto r = TRY(tx.getOutbox(id));
            REQUIRE(r);
            out = *r;
            return okStatus();
        }));
        return out;
    }
    std::string state(int64_t id) { return row(id).state; }
};

SendResult reply(SendOutcome outcome, int code, const std::string& text) {
    SendResult r;
    r.outcome = outcome;
    r.reply.code = code;
    r.reply.text = text;
    return r;
}

}  // namespace

TEST_CASE("outbox: a 4xx reply is retried after the back-off, then sent") {
    World w;
    Outbox box = w.outbox();
    const int64_t id = w.queue();
    w.replies = {reply(SendOutcome::kRetry, 451, "4.3.0 try later"),
                 reply(SendOutcome::kRetry, 421, "busy"),
                 reply(SendOutcome::kSent, 250, "2.0.0 Ok")};
    REQUIRE(box.runOnce());
    CHECK(w.sends == 1);
    OutboxRow r = w.row(id);
    CHECK(r.state == "queued");
    CHECK(r.tries == 1);
    CHECK(r.smtp_reply == "451 4.3.0 try later");
    CHECK(r.next_try_at == w.clock.nowSeconds() + 60);

    w.clock.advance(59);
    REQUIRE(box.runOnce());
    CHECK(w.sends == 1);  // not due yet
    w.clock.advance(1);
    REQUIRE(box.runOnce());
    CHECK(w.sends == 2);
    r = w.row(id);
    CHECK(r.tries == 2);
    CHECK(r.next_try_at == w.clock.nowSeconds() + 300);  // the second wait

    w.clock.advance(300);
    REQUIRE(box.runOnce());
    CHECK(w.sends == 3);
    r = w.row(id);
    CHECK(r.state == "sent");
    CHECK(r.sent_at == w.clock.nowSeconds());
    CHECK(r.next_try_at == 0);
    CHECK(r.smtp_reply == "250 2.0.0 Ok");
    REQUIRE(w.store->read([&](StoreTx& tx) -> Status {
        CHECK(TRY(tx.nextOutboxDue()) == 0);
        return okStatus();
    }));
    CHECK(box.backoff(1) == 60);
    CHECK(box.backoff(2) == 300);
    CHECK(box.backoff(9) == 300);  // the last repeated
}

TEST_CASE("outbox: a 5xx reply fails at once - max_tries temporary failures fail too") {
    World w;
    OutboxOptions o;
    o.max_tries = 2;
    Outbox box = w.outbox(o);
    const int64_t bad = w.queue();
    w.replies = {reply(SendOutcome::kFailed, 550, "5.1.1 no such user")};
    REQUIRE(box.runOnce());
    CHECK(w.state(bad) == "failed");
    CHECK(w.row(bad).smtp_reply == "550 5.1.1 no such user");
    w.clock.advance(3600);
    REQUIRE(box.runOnce());
    CHECK(w.sends == 1);  // never again

    const int64_t busy = w.queue();
    w.replies = {reply(SendOutcome::kRetry, 451, "later"),
                 reply(SendOutcome::kRetry, 451, "later")};
    REQUIRE(box.runOnce());
    CHECK(w.state(busy) == "queued");
    w.clock.advance(60);
    REQUIRE(box.runOnce());
    CHECK(w.sends == 3);
    CHECK(w.state(busy) == "failed");  // after its second try
}

TEST_CASE("outbox: a row whose e-mail cannot be written any more fails without a send") {
    World w;
    Outbox box = w.outbox();
    const int64_t id = w.queue(999);
    REQUIRE(box.runOnce());
    CHECK(w.sends == 0);
    CHECK(w.composed == std::vector<int64_t>{id});
    CHECK(w.state(id) == "failed");
    CHECK(w.row(id).smtp_reply == "not sent: a newer invitation replaced it");
}

TEST_CASE("outbox: rows a stopped server left sending are queued again at start") {
    World w;
    const int64_t id = w.queue();
    REQUIRE(w.store->write([&](StoreTx& tx) -> Status {
        CHECK(TRY(tx.claimOutbox(id)));
        CHECK_FALSE(TRY(tx.claimOutbox(id)));  // one claim only
        return okStatus();
    }));
    CHECK(w.state(id) == "sending");
    w.replies = {reply(SendOutcome::kSent, 250, "Ok")};
    {
        Outbox box = w.outbox();
        REQUIRE(box.start());
        // The thread sends it; wait (bounded) for that.
        for (int i = 0; i < 200 && w.sends == 0; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        box.stop();
    }
    CHECK(w.sends == 1);
    CHECK(w.state(id) == "sent");
    CHECK(w.row(id).tries == 2);  // the interrupted try counts
}

TEST_CASE(
    "outbox: the outcome of a try whose row was taken back and claimed again changes nothing") {
    World w;
    const int64_t id = w.queue();
    REQUIRE(w.store->write([&](StoreTx& tx) -> Status {
        CHECK(TRY(tx.claimOutbox(id)));  // the first sender: tries 1
        return okStatus();
    }));
    // Its hold lost while it still sends: taken back, and claimed again.
    REQUIRE(w.store->write([&](StoreTx& tx) -> Status {
        CHECK(TRY(tx.requeueSending(w.clock.nowSeconds())) == 1);
        CHECK(TRY(tx.claimOutbox(id)));  // the second sender: tries 2
        return okStatus();
    }));
    REQUIRE(w.store->write([&](StoreTx& tx) -> Status {
        CHECK_FALSE(TRY(tx.settleOutbox(id, 1, "failed", "550 no", 0, w.clock.nowSeconds())));
        return okStatus();
    }));
    CHECK(w.state(id) == "sending");
    CHECK(w.row(id).smtp_reply.empty());
    REQUIRE(w.store->write([&](StoreTx& tx) -> Status {
        CHECK(TRY(tx.settleOutbox(id, 2, "sent", "250 Ok", 0, w.clock.nowSeconds())));
        // Settled once: a late settle of the same claim changes nothing either.
        CHECK_FALSE(TRY(tx.settleOutbox(id, 2, "failed", "550 no", 0, w.clock.nowSeconds())));
        return okStatus();
    }));
    CHECK(w.state(id) == "sent");
    CHECK(w.row(id).smtp_reply == "250 Ok");
}

TEST_CASE("outbox: stop() ends a conversation in progress and tries no further row") {
    // A relay that accepts connections (the backlog) and never says a word.
    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(listener >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(listener, 8) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    SmtpOptions smtp;
    smtp.host = "127.0.0.1";
    smtp.port = ntohs(addr.sin_port);
    smtp.starttls = StartTls::kOff;
    smtp.timeout_ms = 30000;  // a wait the stop must not sit out

    World w;
    const int64_t first = w.queue();
    const int64_t second = w.queue();
    std::atomic<int> sends{0};
    std::chrono::steady_clock::duration stop_took{};
    {
        Outbox box = w.outbox({}, [&](const Message& m, Interrupter& interrupter) {
            ++sends;
            return sendMail(smtp, m, &interrupter);
        });
        REQUIRE(box.start());
        for (int i = 0; i < 200 && sends == 0; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));  // in the greeting's wait
        const auto start = std::chrono::steady_clock::now();
        box.stop();
        stop_took = std::chrono::steady_clock::now() - start;
    }
    ::close(listener);
    CHECK(stop_took < std::chrono::seconds(2));
    CHECK(sends == 1);
    CHECK(w.state(first) == "queued");  // tried again after the next start
    CHECK(w.row(first).smtp_reply.find("stopping") != std::string::npos);
    CHECK(w.state(second) == "queued");
    CHECK(w.row(second).tries == 0);
}

TEST_CASE("outbox: the stored reply has no control characters, the logged one no address") {
    CHECK(storedReply("550 5.1.1 <alice@example.com>:\x1b[2J no\r\nsuch user\x7f") ==
          "550 5.1.1 <alice@example.com>: [2J no  such user ");
    CHECK(loggedReply("550 5.1.1 <alice@example.com>: no such user") ==
          "550 5.1.1 <address> no such user");
    CHECK(loggedReply("after RCPT TO: 550 user\nbob@x.org\tunknown") ==
          "after RCPT TO: 550 user <address> unknown");
}

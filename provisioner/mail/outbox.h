#pragma once

// The e-mail outbox (migration 14): rows queued by requests, sent by one
// thread of its own, never on a request's path. A try that meets a
// temporary failure (4xx, no connection, a timeout) is queued again after
// the next wait of `retry_seconds` (the last repeated), until `max_tries`;
// a permanent one (5xx, a local refusal) fails at once. Each row keeps the
// relay's last reply. Rows a stopped server left `sending` are queued again
// by start() and by each pass, so a restart loses nothing (an e-mail may then
// go twice).
//
// Several nodes on one store each run an outbox: a row is claimed by one of
// them (a conditional update under the store's single-writer lock) and held
// while it is sent (Store::holdOutbox), so no live node sends what another
// sends, and none waits on another's relay.
//
//   Outbox box(store, clock, compose, send, options);
//   TRY(box.start());
//   box.wake();  // after queuing a row

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "provisioner/core/clock.h"
#include "provisioner/mail/smtp_client.h"
#include "provisioner/store/store.h"

namespace prov::mail {

struct OutboxOptions {
    std::vector<int64_t> retry_seconds = {60, 300, 900, 3600};
    int64_t max_tries = 6;
    int64_t batch = 20;  // rows per pass
};

// The e-mail of a row, written as it is sent (inside the transaction that
// claims it: an invitation's token is made then and its hash stored). An
// error: nothing to send any more (a revoked invitation); the row fails
// with the error's message.
using Composer = std::function<Result<Message>(StoreTx& tx, const OutboxRow& row)>;
// Runs the SMTP dialogue (sendMail with the configured relay; a fake in
// tests), which stop() ends early through `interrupter`.
using Sender = std::function<SendResult(const Message& message, Interrupter& interrupter)>;

// The relay's reply as it is stored (smtp_reply): no control characters.
std::string storedReply(std::string_view summary);
// As it is logged: no control characters and no e-mail address (the
// relay's text often quotes the recipient; logs are not the outbox).
std::string loggedReply(std::string_view summary);

class Outbox {
  public:
    Outbox(Store& store, const Clock& clock, Composer compose, Sender send, OutboxOptions options);
    ~Outbox();
    Outbox(const Outbox&) = delete;
    Outbox& operator=(const Outbox&) = delete;

    // Queues again what a stopped server left `sending`, then starts the thread.
    Status start();
    // From any thread: look at the queue now.
    void wake();
    // Ends a conversation in progress (its row is queued again) and the thread.
    void stop();

    // One pass: every row due now is tried once. The thread's work; public
    // for tests, which drive it on a fake clock without the thread.
    Status runOnce();
    // When the next queued row is due (0: none).
    Result<int64_t> nextDue();
    // The wait after try `tries` (1-based) that failed for a while.
    int64_t backoff(int64_t tries) const;

  private:
    void run();
    bool stopping();
    Status tryRow(const OutboxRow& row);

    Store& store_;
    const Clock& clock_;
    Composer compose_;
    Sender send_;
    OutboxOptions options_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool woken_ = false;
    bool stopping_ = false;
    Interrupter interrupter_;
    std::thread thread_;
};

}  // namespace prov::mail

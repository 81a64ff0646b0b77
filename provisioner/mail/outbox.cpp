#include "provisioner/mail/outbox.h"

#include <Poco/Logger.h>

#include <algorithm>

namespace prov::mail {

namespace {

Poco::Logger& logger() { return Poco::Logger::get("mail"); }

bool isControl(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

}  // namespace

std::string storedReply(std::string_view summary) {
    std::string out;
    for (char c : summary) out.push_back(isControl(c) ? ' ' : c);
    return out;
}

std::string loggedReply(std::string_view summary) {
    // Word by word: a word with an '@' is an address, whatever wraps it.
    std::string out;
    std::string word;
    auto flush = [&] {
        out += word.find('@') == std::string::npos ? word : "<address>";
        word.clear();
    };
    for (char c : storedReply(summary)) {
        if (c == ' ') {
            flush();
            out.push_back(' ');
        } else {
            word.push_back(c);
        }
    }
    flush();
    return out;
}

Outbox::Outbox(Store& store, const Clock& clock, Composer compose, Sender send,
               OutboxOptions options)
    : store_(store),
      clock_(clock),
      compose_(std::move(compose)),
      send_(std::move(send)),
      options_(std::move(options)) {
    if (options_.retry_seconds.empty()) options_.retry_seconds = {60};
}

Outbox::~Outbox() { stop(); }

Status Outbox::start() {
    const int64_t now = clock_.nowSeconds();
    int64_t requeued = 0;
    TRY(store_.write([&](StoreTx& tx) -> Status {
        requeued = TRY(tx.requeueSending(now));
        return okStatus();
    }));
    if (requeued)
        logger().information("mail: %Ld e-mail(s) interrupted by a stop queued again", requeued);
    thread_ = std::thread([this] { run(); });
    return okStatus();
}

void Outbox::wake() {
    {
        std::lock_guard lock(mutex_);
        woken_ = true;
    }
    cv_.notify_one();
}

void Outbox::stop() {
    if (!thread_.joinable()) return;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    interrupter_.interrupt();  // a conversation in progress ends now
    cv_.notify_one();
    thread_.join();
}

bool Outbox::stopping() {
    std::lock_guard lock(mutex_);
    return stopping_;
}

int64_t Outbox::backoff(int64_t tries) const {
    const auto& r = options_.retry_seconds;
    const size_t i = tries < 1 ? 0 : static_cast<size_t>(tries - 1);
    return r[std::min(i, r.size() - 1)];
}

Result<int64_t> Outbox::nextDue() {
    int64_t due = 0;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        due = TRY(tx.nextOutboxDue());
        return okStatus();
    }));
    return due;
}

// Each pass first takes back what a stopped sender left `sending`: another
// node of the store that stopped mid-try, or this one when the store failed
// under its last settle. A row a live sender holds is not one of them
// (Store::holdOutbox), and this thread holds none between its rows.
Status Outbox::runOnce() {
    const int64_t now = clock_.nowSeconds();
    int64_t requeued = 0;
    TRY(store_.write([&](StoreTx& tx) -> Status {
        requeued = TRY(tx.requeueSending(now));
        return okStatus();
    }));
    if (requeued)
        logger().information("mail: %Ld e-mail(s) left sending by a stopped sender queued again", requeued);
    std::vector<OutboxRow> rows;
    TRY(store_.read([&](StoreTx& tx) -> Status {
        rows = TRY(tx.dueOutbox(now, options_.batch));
        return okStatus();
    }));
    for (const OutboxRow& row : rows) {
        if (stopping()) break;  // the rest wait for the next start
        TRY(tryRow(row));
    }
    return okStatus();
}

Status Outbox::tryRow(const OutboxRow& row) {
    // Held from before the claim until after the outcome is stored, so that
    // no node's requeueSending takes the row back while it is sent.
    const std::unique_ptr<Store::Hold> hold = TRY(store_.holdOutbox(row.id));
    if (!hold) return okStatus();  // being taken back by another node: a later pass
    // Claim and write the e-mail in one transaction; send outside it (a
    // relay may take "30 seconds or more" and the store must not wait). The
    // claim is a conditional update under the store's single-writer lock:
    // of two nodes that listed the row, one claims it, the other skips it.
    // The row's tries as this claim left them: the settle is conditional
    // on them (StoreTx::settleOutbox).
    std::optional<Message> message;
    int64_t tries = 0;
    TRY(store_.write([&](StoreTx& tx) -> Status {
        if (!TRY(tx.claimOutbox(row.id))) return okStatus();
        const auto claimed = TRY(tx.getOutbox(row.id));
        if (!claimed) return Error::internal("outbox: e-mail " + std::to_string(row.id) + " gone");
        tries = claimed->tries;
        auto m = compose_(tx, row);
        if (m) {
            message = std::move(m).value();
        } else {
            TRY(tx.settleOutbox(row.id, tries, "failed", m.error().message, 0, clock_.nowSeconds()));
        }
        return okStatus();
    }));
    if (!message) return okStatus();
    const SendResult r = send_(*message, interrupter_);
    const int64_t now = clock_.nowSeconds();
    std::string state = "sent";
    int64_t next = 0;
    if (r.outcome == SendOutcome::kFailed) {
        state = "failed";
    } else if (r.outcome == SendOutcome::kRetry) {
        state = tries >= options_.max_tries ? "failed" : "queued";
        next = now + backoff(tries);
    }
    const std::string reply = storedReply(r.summary());
    // The row's id and the reply without addresses, never the recipient or
    // the message: logs are not the outbox.
    const std::string logged = loggedReply(reply);
    if (state == "sent") {
        logger().information("mail: e-mail %Ld sent (try %Ld): %s", row.id, tries, logged);
    } else {
        logger().warning("mail: e-mail %Ld %s (try %Ld): %s", row.id,
                         std::string(state == "failed" ? "failed" : "will be tried again"), tries,
                         logged);
    }
    bool settled = false;
    TRY(store_.write([&](StoreTx& tx) -> Status {
        settled = TRY(tx.settleOutbox(row.id, tries, state, reply, next, now));
        return okStatus();
    }));
    if (!settled)
        logger().warning("mail: e-mail %Ld was taken back while this try ran (its hold lost): its "
                         "outcome is not stored over the newer try's",
                         row.id);
    return okStatus();
}

void Outbox::run() {
    for (;;) {
        const Status st = runOnce();
        if (!st) logger().error("mail: the outbox: %s", st.error().message);
        // Sleep until the next row is due (at most a minute: a row queued by
        // another process of the store is found too), a wake() or stop(); a
        // failing store is not retried in a busy loop.
        int64_t wait_s = 60;
        if (auto due = nextDue(); due && due.value() > 0)
            wait_s = std::clamp<int64_t>(due.value() - clock_.nowSeconds(), st ? 0 : 5, 60);
        std::unique_lock lock(mutex_);
        if (wait_s > 0 && !woken_ && !stopping_)
            cv_.wait_for(lock, std::chrono::seconds(wait_s),
                         [this] { return woken_ || stopping_; });
        if (stopping_) return;
        woken_ = false;
    }
}

}  // namespace prov::mail

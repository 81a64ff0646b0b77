#pragma once

// One NOTIFY as a non-INVITE client transaction over UDP (RFC 3261
// 17.1.2.2), a state machine on (response, now): no socket and no clock of
// its own, so the retransmission schedule is tested on a fake time. The
// sender feeds it the responses whose top Via branch is branch() and the
// timer ticks at deadline(), and sends what it returns.
//
// Timer E retransmits the request at T1, then doubling, capped at T2; after
// a provisional (1xx) response every T2. Timer F gives up 64*T1 after the
// request was first sent: timeout. A 2xx is ok. A 401 or 407 is answered
// once with the line's credentials: a new transaction (new branch, CSeq + 1,
// the same Call-ID and From tag) with its own timers; a second challenge is
// "challenged", as is a challenge that cannot be answered (not MD5). Any
// other final response (3xx-6xx) is "rejected".

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "provisioner/core/random_source.h"
#include "provisioner/resync/digest_client.h"
#include "provisioner/resync/sip_message.h"

namespace prov::resync {

enum class PushResult { kOk, kTimeout, kChallenged, kRejected, kError, kSkipped };
// "ok", "timeout", "challenged", "rejected", "error", "skipped" (resync_pushes.result).
std::string_view toString(PushResult r);

struct Timers {
    int64_t t1_us = 500'000;
    int64_t t2_us = 4'000'000;
};

struct PushOutcome {
    PushResult result = PushResult::kError;
    int status = 0;    // the final SIP status; 0 without one
    int attempts = 0;  // datagrams sent, retransmissions and the answer to a challenge included
    std::string detail;
};

class NotifyTransaction {
  public:
    // `request` is complete but for branch, from_tag, call_id and cseq,
    // which are drawn from `random` (the first CSeq is 1). `random` and
    // `hasher` must outlive the transaction.
    NotifyTransaction(NotifyRequest request, Credentials credentials, RandomSource& random,
                      const Hasher& hasher, Timers timers);

    // The first datagram, sent at `now_us`; arms timers E and F.
    std::string start(int64_t now_us);
    // A response to this transaction (its branch is branch(); others are the
    // caller's to drop). The datagram to send, if any: the answer to a
    // challenge. A response to an earlier branch or with another CSeq is
    // ignored.
    std::optional<std::string> onResponse(const SipResponse& response, int64_t now_us);
    // Called at or after deadline(): the retransmission to send, if timer E
    // fired; done() with timeout if timer F did.
    std::optional<std::string> onTimer(int64_t now_us);

    bool done() const { return done_; }
    // The next time onTimer has work: timer E's or F's, the earlier.
    int64_t deadline() const;
    const std::string& branch() const { return request_.branch; }
    const PushOutcome& outcome() const { return outcome_; }
    const NotifyRequest& request() const { return request_; }

  private:
    std::string send();
    void finish(PushResult result, int status, std::string detail);
    std::string newBranch();

    NotifyRequest request_;
    Credentials credentials_;
    RandomSource& random_;
    const Hasher& hasher_;
    Timers timers_;
    std::string datagram_;     // the request as last sent
    int64_t interval_us_ = 0;  // timer E's current interval
    int64_t next_e_us_ = 0;
    int64_t give_up_us_ = 0;  // timer F
    bool proceeding_ = false;
    bool answered_challenge_ = false;
    bool done_ = false;
    PushOutcome outcome_;
};

}  // namespace prov::resync

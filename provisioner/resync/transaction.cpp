#include "provisioner/resync/transaction.h"

#include <algorithm>

#include "provisioner/policy/digest.h"

namespace prov::resync {

namespace {

// " (realm \"x\")" for a detail line, "" when the challenge names none.
std::string realmOf(std::string_view challenge) {
    auto c = policy::digest::parseChallenge(challenge);
    return c ? " (realm \"" + c.value().realm + "\")" : "";
}

}  // namespace

std::string_view toString(PushResult r) {
    switch (r) {
        case PushResult::kOk:
            return "ok";
        case PushResult::kTimeout:
            return "timeout";
        case PushResult::kChallenged:
            return "challenged";
        case PushResult::kRejected:
            return "rejected";
        case PushResult::kError:
            return "error";
        case PushResult::kSkipped:
            return "skipped";
    }
    return "error";
}

NotifyTransaction::NotifyTransaction(NotifyRequest request, Credentials credentials,
                                     RandomSource& random, const Hasher& hasher, Timers timers)
    : request_(std::move(request)),
      credentials_(std::move(credentials)),
      random_(random),
      hasher_(hasher),
      timers_(timers) {
    request_.branch = newBranch();
    request_.from_tag = random_.alnum(16);
    request_.call_id = random_.alnum(32);
    request_.cseq = 1;
}

// RFC 3261 8.1.1.7: the magic cookie, then enough randomness to be unique
// across space and time.
std::string NotifyTransaction::newBranch() { return "z9hG4bK" + random_.alnum(24); }

std::string NotifyTransaction::start(int64_t now_us) {
    datagram_ = buildNotify(request_);
    interval_us_ = timers_.t1_us;
    next_e_us_ = now_us + interval_us_;
    give_up_us_ = now_us + 64 * timers_.t1_us;
    proceeding_ = false;
    return send();
}

std::string NotifyTransaction::send() {
    ++outcome_.attempts;
    return datagram_;
}

int64_t NotifyTransaction::deadline() const { return std::min(next_e_us_, give_up_us_); }

void NotifyTransaction::finish(PushResult result, int status, std::string detail) {
    done_ = true;
    outcome_.result = result;
    outcome_.status = status;
    outcome_.detail = std::move(detail);
}

std::optional<std::string> NotifyTransaction::onTimer(int64_t now_us) {
    if (done_) return std::nullopt;
    if (now_us >= give_up_us_) {
        finish(PushResult::kTimeout, 0,
               "no final response in " + std::to_string(64 * timers_.t1_us / 1000) + " ms (" +
                   std::to_string(outcome_.attempts) + " datagrams sent)");
        return std::nullopt;
    }
    if (now_us < next_e_us_) return std::nullopt;
    // Trying: T1, 2*T1, 4*T1 ... capped at T2. Proceeding: T2 (17.1.2.2).
    interval_us_ = proceeding_ ? timers_.t2_us : std::min(2 * interval_us_, timers_.t2_us);
    next_e_us_ = now_us + interval_us_;
    return send();
}

std::optional<std::string> NotifyTransaction::onResponse(const SipResponse& r, int64_t now_us) {
    if (done_ || r.branch != request_.branch || r.cseq != request_.cseq ||
        r.cseq_method != "NOTIFY")
        return std::nullopt;
    if (r.status < 200) {
        // Proceeding: the pending timer E still fires when it was due; each
        // firing from then on resets it to T2 (RFC 3261 17.1.2.2).
        proceeding_ = true;
        return std::nullopt;
    }
    if (r.status < 300) {
        finish(PushResult::kOk, r.status, std::to_string(r.status) + " " + r.reason);
        return std::nullopt;
    }
    if (r.status != 401 && r.status != 407) {
        finish(PushResult::kRejected, r.status, std::to_string(r.status) + " " + r.reason);
        return std::nullopt;
    }
    const std::string& challenge = r.status == 401 ? r.www_authenticate : r.proxy_authenticate;
    const std::string realm = realmOf(challenge);
    if (answered_challenge_) {
        finish(PushResult::kChallenged, r.status, "challenged again" + realm);
        return std::nullopt;
    }
    if (credentials_.password.empty()) {
        finish(PushResult::kChallenged, r.status, "challenged and the line has no secret" + realm);
        return std::nullopt;
    }
    const std::string uri = requestUri(request_);
    auto answer =
        answerChallenge(hasher_, challenge, "NOTIFY", uri, credentials_, random_.alnum(16));
    if (!answer) {
        finish(PushResult::kChallenged, r.status, answer.error().message);
        return std::nullopt;
    }
    // A new request, so a new client transaction (RFC 3261 22.2): new branch,
    // next CSeq, the same dialog identifiers.
    answered_challenge_ = true;
    request_.branch = newBranch();
    ++request_.cseq;
    request_.auth_header = r.status == 401 ? "Authorization" : "Proxy-Authorization";
    request_.auth_value = std::move(answer).value();
    return start(now_us);
}

}  // namespace prov::resync

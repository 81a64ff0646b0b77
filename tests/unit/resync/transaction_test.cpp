#include "provisioner/resync/transaction.h"

#include <catch2/catch.hpp>
#include <vector>

#include "fake_random.h"
#include "provisioner/core/clock.h"
#include "provisioner/policy/digest.h"
#include "provisioner/tls/crypto.h"

using namespace prov::resync;

namespace {

const prov::tls::Sha256Hasher kHasher{};
constexpr int64_t kMs = 1000;

NotifyRequest request() {
    NotifyRequest n;
    n.user = "1001";
    n.host = "127.0.0.1";
    n.port = 5062;
    n.local_host = "127.0.0.1";
    n.local_port = 5070;
    n.event = "check-sync";
    n.user_agent = "Provisioner";
    return n;
}

SipResponse answer(const NotifyTransaction& t, int status, std::string challenge = "") {
    SipResponse r;
    r.status = status;
    r.reason = "Reason";
    r.branch = t.branch();
    r.cseq = t.request().cseq;
    r.cseq_method = "NOTIFY";
    r.call_id = t.request().call_id;
    if (status == 401) r.www_authenticate = challenge;
    if (status == 407) r.proxy_authenticate = challenge;
    return r;
}

// Drives the transaction on a fake clock with no answer: the times (ms
// after the start) at which it sends, until it gives up.
std::vector<int64_t> sendTimes(NotifyTransaction& t, prov::FakeClock& clock) {
    const int64_t t0 = clock.monotonicMicros();
    std::vector<int64_t> at{0};
    const std::string first = t.start(t0);
    for (int i = 0; i < 100 && !t.done(); ++i) {
        clock.advanceMicros(t.deadline() - clock.monotonicMicros());
        if (auto again = t.onTimer(clock.monotonicMicros())) {
            CHECK(*again == first);  // a retransmission is the same bytes
            at.push_back((clock.monotonicMicros() - t0) / kMs);
        }
    }
    return at;
}

}  // namespace

TEST_CASE("timer E doubles from T1 up to T2, timer F gives up at 64*T1") {
    prov::FakeClock clock;
    CountingRandom random;
    NotifyTransaction t(request(), {"1001", "pw"}, random, kHasher, Timers{500 * kMs, 4000 * kMs});
    const std::vector<int64_t> at = sendTimes(t, clock);
    CHECK(at ==
          std::vector<int64_t>{0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500});
    REQUIRE(t.done());
    CHECK(t.outcome().result == PushResult::kTimeout);
    CHECK(t.outcome().attempts == 11);
}

TEST_CASE("a shorter T1 (resync.t1_ms) shrinks the schedule, T2 still caps it") {
    prov::FakeClock clock;
    CountingRandom random;
    NotifyTransaction t(request(), {"1001", "pw"}, random, kHasher, Timers{100 * kMs, 400 * kMs});
    CHECK(sendTimes(t, clock) == std::vector<int64_t>{0, 100, 300, 700, 1100, 1500, 1900, 2300,
                                                      2700, 3100, 3500, 3900, 4300, 4700, 5100,
                                                      5500, 5900, 6300});
    CHECK(t.outcome().result == PushResult::kTimeout);
}

TEST_CASE("after a provisional answer the pending timer E fires when due, then runs at T2") {
    prov::FakeClock clock;
    CountingRandom random;
    NotifyTransaction t(request(), {"1001", "pw"}, random, kHasher, Timers{500 * kMs, 4000 * kMs});
    const int64_t sent = clock.monotonicMicros();
    (void)t.start(sent);
    clock.advanceMicros(200 * kMs);
    CHECK_FALSE(t.onResponse(answer(t, 100), clock.monotonicMicros()));
    CHECK(t.deadline() == sent + 500 * kMs);  // as it was: a 1xx does not move it
    clock.advanceMicros(300 * kMs);
    CHECK(t.onTimer(clock.monotonicMicros()));
    CHECK(t.deadline() == clock.monotonicMicros() + 4000 * kMs);
    CHECK_FALSE(t.done());
    CHECK(!t.onResponse(answer(t, 200), clock.monotonicMicros()));
    CHECK(t.outcome().result == PushResult::kOk);
    CHECK(t.outcome().status == 200);
    CHECK(t.outcome().attempts == 2);
}

TEST_CASE("a 2xx ends it, answers to another branch or CSeq do not") {
    prov::FakeClock clock;
    CountingRandom random;
    NotifyTransaction t(request(), {"1001", "pw"}, random, kHasher, Timers{});
    const std::string bytes = t.start(clock.monotonicMicros());
    CHECK(bytes.find("branch=" + t.branch() + ";rport") != std::string::npos);
    CHECK(t.branch().rfind("z9hG4bK", 0) == 0);
    SipResponse other = answer(t, 200);
    other.branch = "z9hG4bKsomeoneelse";
    CHECK_FALSE(t.onResponse(other, 0));
    other = answer(t, 200);
    other.cseq = 5;
    CHECK_FALSE(t.onResponse(other, 0));
    other = answer(t, 200);
    other.cseq_method = "INVITE";
    CHECK_FALSE(t.onResponse(other, 0));
    CHECK_FALSE(t.done());
    (void)t.onResponse(answer(t, 202), 0);
    CHECK(t.done());
    CHECK(t.outcome().result == PushResult::kOk);
    CHECK(t.outcome().status == 202);
}

TEST_CASE(
    "a 401 is answered once with the line's credentials: new branch, next CSeq, same Call-ID and "
    "tag") {
    prov::FakeClock clock;
    CountingRandom random;
    NotifyTransaction t(request(), {"1001", "s3cret"}, random, kHasher, Timers{});
    (void)t.start(0);
    const std::string branch1 = t.branch();
    const std::string call_id = t.request().call_id;
    const std::string tag = t.request().from_tag;
    auto retry =
        t.onResponse(answer(t, 401, "Digest realm=\"t\", nonce=\"n\", qop=\"auth\""), 10 * kMs);
    REQUIRE(retry);
    CHECK(t.branch() != branch1);
    CHECK(t.request().cseq == 2);
    CHECK(t.request().call_id == call_id);
    CHECK(t.request().from_tag == tag);
    CHECK(retry->find("CSeq: 2 NOTIFY\r\n") != std::string::npos);
    const size_t at = retry->find("Authorization: ");
    REQUIRE(at != std::string::npos);
    const std::string header = retry->substr(at + 15, retry->find("\r\n", at) - at - 15);
    auto creds = prov::policy::digest::parse(header);
    REQUIRE(creds);
    CHECK(creds.value().username == "1001");
    CHECK(creds.value().uri == "sip:1001@127.0.0.1:5062");
    CHECK(creds.value().response ==
          prov::policy::digest::expectedResponse(kHasher, creds.value(), "NOTIFY", "s3cret"));
    // Its own timers: timer E from the retry.
    CHECK(t.deadline() == 10 * kMs + 500 * kMs);
    // A late 401 to the first branch changes nothing.
    SipResponse late = answer(t, 401, "Digest realm=\"t\", nonce=\"n\"");
    late.branch = branch1;
    late.cseq = 1;
    CHECK_FALSE(t.onResponse(late, 20 * kMs));
    CHECK_FALSE(t.done());
    (void)t.onResponse(answer(t, 200), 30 * kMs);
    CHECK(t.outcome().result == PushResult::kOk);
    CHECK(t.outcome().attempts == 2);
}

TEST_CASE("a 407 is answered with Proxy-Authorization, a second challenge is challenged") {
    CountingRandom random;
    NotifyTransaction t(request(), {"1001", "s3cret"}, random, kHasher, Timers{});
    (void)t.start(0);
    auto retry = t.onResponse(answer(t, 407, "Digest realm=\"pbx\", nonce=\"n\""), 0);
    REQUIRE(retry);
    CHECK(retry->find("\r\nProxy-Authorization: Digest username=\"1001\", realm=\"pbx\"") !=
          std::string::npos);
    CHECK_FALSE(t.onResponse(answer(t, 407, "Digest realm=\"pbx\", nonce=\"m\""), 0));
    REQUIRE(t.done());
    CHECK(t.outcome().result == PushResult::kChallenged);
    CHECK(t.outcome().status == 407);
    CHECK(t.outcome().detail.find("realm \"pbx\"") != std::string::npos);
    CHECK(t.outcome().detail.find("s3cret") == std::string::npos);
}

TEST_CASE("a challenge it cannot answer is challenged, other final answers rejected") {
    CountingRandom random;
    {
        NotifyTransaction t(request(), {"1001", "s3cret"}, random, kHasher, Timers{});
        (void)t.start(0);
        CHECK_FALSE(
            t.onResponse(answer(t, 401, "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-256"), 0));
        CHECK(t.outcome().result == PushResult::kChallenged);
    }
    {
        NotifyTransaction t(request(), {"1001", ""}, random, kHasher, Timers{});
        (void)t.start(0);
        CHECK_FALSE(t.onResponse(answer(t, 401, "Digest realm=\"r\", nonce=\"n\""), 0));
        CHECK(t.outcome().result == PushResult::kChallenged);
    }
    for (int status : {302, 403, 481, 489, 503, 603}) {
        NotifyTransaction t(request(), {"1001", "s3cret"}, random, kHasher, Timers{});
        (void)t.start(0);
        CHECK_FALSE(t.onResponse(answer(t, status), 0));
        CHECK(t.outcome().result == PushResult::kRejected);
        CHECK(t.outcome().status == status);
    }
}

// What keeps portal sign-in from being raced, flooded or turned against its
// users: one attempt at a time per throttle key, a bounded wait for a hash
// place, device cookies that a block on the name does not hold, and the last
// admin kept.

#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <thread>

#include "fakes/inventory_fixture.h"
#include "provisioner/inventory/device_cookie.h"
#include "provisioner/inventory/password.h"
#include "provisioner/inventory/sign_in_gate.h"

using namespace prov;
using namespace std::chrono_literals;

namespace {

const std::string kKey = "0123456789abcdefghijklmnopqrstuvwxyzABCD";
constexpr int64_t kHalfYear = 180 * 24 * 3600;

struct GuardFixture : testing::InventoryFixture {
    GuardFixture() {
        PortalOptions o;
        o.password = PasswordParams{1, 64, 1, 2000};
        o.device_key = kKey;
        inv->setPortalOptions(o);
        REQUIRE(inv->createUser(UserSpec{"ann", Role::kAdmin, "correct horse battery"}, admin));
    }

    SignInResult signIn(const std::string& password, const std::string& source, const std::string& device = "",
                        const std::string& name = "ann") {
        auto r = inv->signIn(name, password, source, device);
        REQUIRE(r);
        return r.value();
    }

    int64_t failures(const std::string& key) {
        std::optional<SignInThrottle> row;
        REQUIRE(store->read([&](StoreTx& tx) -> Status {
            row = TRY(tx.getThrottle(key));
            return okStatus();
        }));
        return row ? row->failures : 0;
    }

    // Waits (at most 5 s) until sign-ins under way hold `n` keys.
    bool keysHeld(size_t n) {
        for (int i = 0; i < 500 && inv->signInKeysHeld() != n; ++i) std::this_thread::sleep_for(10ms);
        return inv->signInKeysHeld() == n;
    }
};

// Holds every password hash place while it lives.
struct AllSlotsTaken {
    AllSlotsTaken() {
        REQUIRE(passwordHashSlots().acquire(1s));
        REQUIRE(passwordHashSlots().acquire(1s));
    }
    ~AllSlotsTaken() { release(); }
    void release() {
        if (held) {
            passwordHashSlots().release();
            passwordHashSlots().release();
            held = false;
        }
    }
    bool held = true;
};

double secondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST_CASE("a hash place is waited for at most the time given") {
    HashSlots slots(1);
    REQUIRE(slots.acquire(0ms));
    auto start = std::chrono::steady_clock::now();
    CHECK_FALSE(slots.acquire(50ms));
    CHECK(secondsSince(start) >= 0.05);
    CHECK(secondsSince(start) < 2);

    // A place given back during the wait is taken at once.
    std::thread giver([&] {
        std::this_thread::sleep_for(50ms);
        slots.release();
    });
    start = std::chrono::steady_clock::now();
    CHECK(slots.acquire(5000ms));
    CHECK(secondsSince(start) < 2.5);
    giver.join();
    CHECK_FALSE(slots.acquire(0ms));
    slots.release();

    HashSlots two(2);
    CHECK(two.acquire(0ms));
    CHECK(two.acquire(0ms));
    CHECK_FALSE(two.acquire(10ms));
    two.release();
    CHECK(two.acquire(0ms));
    two.release();
    two.release();
}

TEST_CASE("with every hash place taken, a password check is busy, and a sign-in is not counted") {
    GuardFixture f;
    PasswordParams quick{1, 64, 1, 30};
    tls::CtrDrbgRandom random;
    const std::string hash = hashPassword("correct horse battery", quick, random).value();
    AllSlotsTaken taken;
    CHECK(verifyPassword("correct horse battery", hash, quick) == PasswordCheck::kBusy);
    CHECK(verifyPassword("correct horse battery", "", quick) == PasswordCheck::kBusy);
    auto busy = hashPassword("correct horse battery", quick, random);
    REQUIRE_FALSE(busy);
    CHECK(busy.error().code == Code::kUnavailable);
    CHECK(busy.error().reason == "busy");

    PortalOptions o = f.inv->portalOptions();
    o.password.slot_wait_ms = 30;
    f.inv->setPortalOptions(o);
    const SignInResult r = f.signIn("wrong password!", "192.0.2.1");
    CHECK(r.check == SignInCheck::kBusy);
    CHECK(r.retry_after == 1);
    CHECK(f.failures("source:192.0.2.1") == 0);
    CHECK(f.failures("user:ann") == 0);
    CHECK(f.inv->signInKeysHeld() == 0);
    taken.release();
    CHECK(f.signIn("correct horse battery", "192.0.2.1").check == SignInCheck::kSignedIn);
}

TEST_CASE("the sign-in gate lets one attempt hold a key at a time") {
    SignInGate gate;
    {
        SignInGate::Pass a = gate.enter({"source:192.0.2.1", "user:ann"});
        REQUIRE(a);
        CHECK(gate.held() == 2);
        CHECK_FALSE(gate.enter({"source:192.0.2.1", "user:bob"}));
        CHECK_FALSE(gate.enter({"source:198.51.100.1", "user:ann"}));
        CHECK(gate.held() == 2);  // a refused attempt holds nothing
        SignInGate::Pass b = gate.enter({"source:198.51.100.1", "user:bob"});
        CHECK(b);
        CHECK(gate.held() == 4);
        SignInGate::Pass moved = std::move(a);
        CHECK(gate.held() == 4);
        CHECK_FALSE(gate.enter({"user:ann"}));
    }
    CHECK(gate.held() == 0);
    CHECK(gate.enter({"user:ann", "user:ann"}));
}

TEST_CASE("a second sign-in on a key under way is turned away, not counted") {
    GuardFixture f;
    AllSlotsTaken taken;
    // The first attempt waits for a hash place, holding its keys.
    auto first = std::async(std::launch::async, [&] { return f.inv->signIn("ann", "wrong password!", "192.0.2.1"); });
    REQUIRE(f.keysHeld(2));
    const SignInResult same_source = f.signIn("wrong password!", "192.0.2.1", "", "bob");
    CHECK(same_source.check == SignInCheck::kInFlight);
    CHECK(same_source.retry_after == 1);
    const SignInResult same_name = f.signIn("correct horse battery", "198.51.100.1");
    CHECK(same_name.check == SignInCheck::kInFlight);
    taken.release();
    auto done = first.get();
    REQUIRE(done);
    CHECK(done.value().check == SignInCheck::kRefused);
    CHECK(f.inv->signInKeysHeld() == 0);
    // Only the attempt that was checked counts.
    CHECK(f.failures("source:192.0.2.1") == 1);
    CHECK(f.failures("user:ann") == 1);
    CHECK(f.failures("user:bob") == 0);
    CHECK(f.failures("source:198.51.100.1") == 0);
}

TEST_CASE("a device cookie names its user and time, and vouches only for that user while young") {
    tls::Sha256Hasher hasher;
    const int64_t t0 = 1'700'000'000;
    const std::string c = device_cookie::issue(hasher, kKey, "ann", t0);
    CHECK(c.rfind("ann.1700000000.", 0) == 0);
    CHECK(c.size() == 15 + 64);
    CHECK(device_cookie::vouches(hasher, kKey, c, "ann", t0, kHalfYear));
    CHECK(device_cookie::vouches(hasher, kKey, c, "ann", t0 + kHalfYear, kHalfYear));
    CHECK_FALSE(device_cookie::vouches(hasher, kKey, c, "ann", t0 + kHalfYear + 1, kHalfYear));
    CHECK_FALSE(device_cookie::vouches(hasher, kKey, c, "ann", t0 - 1, kHalfYear));  // issued later
    CHECK_FALSE(device_cookie::vouches(hasher, kKey, c, "an", t0, kHalfYear));
    CHECK_FALSE(device_cookie::vouches(hasher, kKey, c, "bob", t0, kHalfYear));
    CHECK_FALSE(device_cookie::vouches(hasher, kKey + "x", c, "ann", t0, kHalfYear));
    CHECK_FALSE(device_cookie::vouches(hasher, "", c, "ann", t0, kHalfYear));
    CHECK(device_cookie::issue(hasher, "", "ann", t0).empty());

    // A name with dots; the time or the MAC changed, or bytes cut.
    const std::string dotted = device_cookie::issue(hasher, kKey, "a.n.n", t0);
    CHECK(device_cookie::vouches(hasher, kKey, dotted, "a.n.n", t0, kHalfYear));
    CHECK_FALSE(device_cookie::vouches(hasher, kKey, dotted, "a.n", t0, kHalfYear));
    std::string later = c;
    later[14] = '1';
    CHECK_FALSE(device_cookie::vouches(hasher, kKey, later, "ann", t0 + 10, kHalfYear));
    std::string flipped = c;
    flipped.back() = flipped.back() == '0' ? '1' : '0';
    CHECK_FALSE(device_cookie::vouches(hasher, kKey, flipped, "ann", t0, kHalfYear));
    for (size_t cut = 0; cut < c.size(); ++cut) {
        INFO(cut);
        CHECK_FALSE(device_cookie::vouches(hasher, kKey, c.substr(0, cut), "ann", t0, kHalfYear));
    }
    for (const char* junk : {"", ".", "..", "ann..", "ann.-5.x", "ann.17e8.x", "ann. 1.x"}) {
        INFO(junk);
        CHECK_FALSE(device_cookie::vouches(hasher, kKey, junk, "ann", t0, kHalfYear));
    }
    CHECK_FALSE(device_cookie::vouches(hasher, kKey, std::string(1000, 'a'), "ann", t0, kHalfYear));
}

TEST_CASE("a name blocked by guessing still signs in from a browser that signed in before") {
    GuardFixture f;
    const SignInResult before = f.signIn("correct horse battery", "192.0.2.1");
    REQUIRE(before.check == SignInCheck::kSignedIn);
    const std::string device = before.device_cookie;
    REQUIRE(device.rfind("ann.", 0) == 0);

    // Someone else guesses at the name until it is blocked.
    for (int i = 0; i < 5; ++i) (void)f.signIn("wrong password!", "203.0.113." + std::to_string(i));
    CHECK(f.signIn("correct horse battery", "192.0.2.1").check == SignInCheck::kThrottled);
    // The browser that signed in before is not held; a fresh one is; a
    // cookie for another name vouches for nothing here.
    const SignInResult known = f.signIn("correct horse battery", "192.0.2.1", device);
    REQUIRE(known.check == SignInCheck::kSignedIn);
    CHECK_FALSE(known.device_cookie.empty());
    REQUIRE(f.inv->createUser(UserSpec{"bob", Role::kViewer, "correct horse battery"}, f.admin));
    const std::string bobs = f.signIn("correct horse battery", "192.0.2.2", "", "bob").device_cookie;
    CHECK(f.signIn("correct horse battery", "192.0.2.1", bobs).check == SignInCheck::kThrottled);
    // The guesser's run on the name goes on: the user's sign-in did not end it.
    CHECK(f.failures("user:ann") == 5);

    // Failures with the cookie count on the device's key, not the name's: a
    // stolen cookie is throttled too.
    const std::string device_key = throttle::deviceKey(f.hasher.sha256Hex(device));
    for (int i = 0; i < 5; ++i) {
        const SignInResult r = f.signIn("wrong password!", "198.51.100." + std::to_string(i), device);
        CHECK(r.check == SignInCheck::kRefused);
    }
    CHECK(f.failures(device_key) == 5);
    CHECK(f.failures("user:ann") == 5);
    CHECK(f.signIn("correct horse battery", "198.51.100.9", device).check == SignInCheck::kThrottled);
    // Past the block, a success clears the device's run.
    f.clock.advance(30);
    CHECK(f.signIn("correct horse battery", "198.51.100.9", device).check == SignInCheck::kSignedIn);
    CHECK(f.failures(device_key) == 0);

    // The source's key always counts; an old cookie vouches no more.
    for (int i = 0; i < 5; ++i) (void)f.signIn("wrong password!", "192.0.2.50", device, "nobody" + std::to_string(i));
    CHECK(f.signIn("correct horse battery", "192.0.2.50", device).check == SignInCheck::kThrottled);
    f.clock.advance(kHalfYear + 1);
    for (int i = 0; i < 5; ++i) (void)f.signIn("wrong password!", "203.0.113." + std::to_string(i));
    CHECK(f.signIn("correct horse battery", "192.0.2.1", device).check == SignInCheck::kThrottled);
}

TEST_CASE("the last enabled admin is not deleted, disabled or demoted unless the CLI forces it") {
    GuardFixture f;
    const UserChange demote{Role::kInstaller, std::nullopt, std::nullopt};
    const UserChange disable{std::nullopt, std::nullopt, true};
    for (const UserChange* c : {&demote, &disable}) {
        auto r = f.inv->changeUser("ann", *c, f.admin);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == Code::kConflict);
        CHECK(r.error().reason == "last_admin");
        CHECK(r.error().message.find("'ann' is the last admin") == 0);
    }
    auto del = f.inv->deleteUser("ann", f.admin);
    REQUIRE_FALSE(del);
    CHECK(del.error().reason == "last_admin");
    CHECK(del.error().message.find("cannot be deleted") != std::string::npos);
    CHECK(f.inv->getUser("ann").value().role == Role::kAdmin);
    CHECK_FALSE(f.inv->getUser("ann").value().disabled);
    // Changes that keep it an enabled admin are fine.
    CHECK(f.inv->changeUser("ann", UserChange{std::nullopt, std::string("another good one"), std::nullopt}, f.admin));

    // A disabled admin is no admin to fall back on; an enabled one is.
    REQUIRE(f.inv->createUser(UserSpec{"bea", Role::kAdmin, "correct horse battery"}, f.admin));
    REQUIRE(f.inv->changeUser("bea", disable, f.admin));
    CHECK_FALSE(f.inv->deleteUser("ann", f.admin));
    REQUIRE(f.inv->changeUser("bea", UserChange{std::nullopt, std::nullopt, false}, f.admin));
    CHECK(f.inv->changeUser("ann", demote, f.admin));
    CHECK_FALSE(f.inv->deleteUser("bea", f.admin));
    // The host's root may.
    CHECK(f.inv->changeUser("bea", disable, f.admin, LastAdmin::kMayRemove));
    CHECK(f.inv->deleteUser("bea", f.admin, LastAdmin::kMayRemove));
    CHECK(f.inv->deleteUser("ann", f.admin));  // an installer now
}

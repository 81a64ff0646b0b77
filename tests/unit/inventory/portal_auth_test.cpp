// Portal sign-in: password hashing, the throttle's rules on a fake clock,
// sessions (idle and absolute expiry, CSRF token), users' changes ending
// sessions, and what the audit keeps.

#include <catch2/catch.hpp>

#include "fakes/inventory_fixture.h"
#include "provisioner/inventory/password.h"
#include "provisioner/inventory/sign_in_throttle.h"

using namespace prov;

namespace {

// Argon2's smallest settings: the tests check behaviour, not cost.
PasswordParams fast() { return PasswordParams{1, 64, 1}; }

struct PortalFixture : testing::InventoryFixture {
    PortalFixture() {
        PortalOptions o;
        o.password = fast();
        o.session_idle_seconds = 600;
        o.session_max_seconds = 3600;
        inv->setPortalOptions(o);
        REQUIRE(inv->createUser(UserSpec{"ann", Role::kAdmin, "correct horse battery"}, admin));
    }

    SignInResult signIn(const std::string& password, const std::string& name = "ann",
                        const std::string& source = "192.0.2.1") {
        auto r = inv->signIn(name, password, source);
        REQUIRE(r);
        return r.value();
    }

    std::string auditText() {
        std::string all;
        auto listed = inv->listAudit({}, Page{1000, 0});
        REQUIRE(listed);
        const std::vector<AuditEntry> entries = listed.value().items;
        for (const AuditEntry& a : entries)
            all += a.actor + "|" + a.action + "|" + a.entity + "|" + a.entity_id + "|" + a.before + "|" + a.after + "\n";
        return all;
    }
};

}  // namespace

TEST_CASE("a password hash is Argon2id, salted, and verifies only its password") {
    tls::CtrDrbgRandom random;
    const std::string a = hashPassword("correct horse battery", fast(), random).value();
    const std::string b = hashPassword("correct horse battery", fast(), random).value();
    CHECK(a.rfind("$argon2id$v=19$m=64,t=1,p=1$", 0) == 0);
    CHECK(a != b);  // a fresh salt each time
    CHECK(a.find("correct") == std::string::npos);
    CHECK(verifyPassword("correct horse battery", a, fast()) == PasswordCheck::kMatch);
    CHECK(verifyPassword("correct horse battery", b, fast()) == PasswordCheck::kMatch);
    CHECK(verifyPassword("correct horse batterY", a, fast()) == PasswordCheck::kMismatch);
    CHECK(verifyPassword("", a, fast()) == PasswordCheck::kMismatch);
    CHECK(verifyPassword("correct horse battery", "", fast()) == PasswordCheck::kMismatch);
    CHECK(verifyPassword("correct horse battery", "$argon2id$garbage", fast()) == PasswordCheck::kMismatch);
    CHECK(hashPassword("x", PasswordParams{}, random).value().rfind("$argon2id$v=19$m=47104,t=1,p=1$", 0) == 0);
}

TEST_CASE("the throttle blocks after five failures, doubles, caps and forgives a quiet window") {
    const throttle::Rules rules;
    const int64_t t0 = 1'700'000'000;
    SignInThrottle row{"user:ann", 0, 0, 0, 0, 0};
    for (int i = 0; i < 4; ++i) {
        row = throttle::afterFailure(row, t0 + i, rules);
        CHECK(throttle::retryAfter(row, t0 + i) == 0);
    }
    row = throttle::afterFailure(row, t0 + 4, rules);
    CHECK(throttle::retryAfter(row, t0 + 4) == 30);
    CHECK(throttle::retryAfter(row, t0 + 20) == 14);
    CHECK(throttle::retryAfter(row, t0 + 34) == 0);
    // Each failure once free blocks again, twice as long, up to 15 minutes.
    int64_t now = t0 + 34;
    const int64_t expected[] = {60, 120, 240, 480, 900, 900};
    for (int64_t seconds : expected) {
        row = throttle::afterFailure(row, now, rules);
        CHECK(throttle::retryAfter(row, now) == seconds);
        now += seconds;
    }
    // A quarter hour with no failure: the next run starts from scratch.
    now += 15 * 60;
    row = throttle::afterFailure(row, now, rules);
    CHECK(row.failures == 1);
    CHECK(throttle::retryAfter(row, now) == 0);
    CHECK(throttle::sourceKey("192.0.2.1") == "source:192.0.2.1");
    CHECK(throttle::userKey("ann") == "user:ann");
    CHECK(throttle::deviceKey("0123456789abcdef0123") == "device:0123456789abcdef");
}

TEST_CASE("an IPv6 source is keyed by its /64, an IPv4-mapped one as IPv4") {
    const std::pair<const char*, const char*> table[] = {
        {"2001:db8:1:2::1", "source:2001:db8:1:2::/64"},
        {"2001:db8:1:2:ffff:eeee:dddd:cccc", "source:2001:db8:1:2::/64"},
        {"2001:DB8:1:2:0:0:0:9", "source:2001:db8:1:2::/64"},
        {"2001:db8:1:3::1", "source:2001:db8:1:3::/64"},
        {"::1", "source:::/64"},
        {"fe80::1:2:3:4", "source:fe80::/64"},
        {"::ffff:192.0.2.1", "source:192.0.2.1"},
        {"::ffff:c000:201", "source:192.0.2.1"},
        {"192.0.2.1", "source:192.0.2.1"},
        // Not an address (what `unthrottle` may be given): kept as it is.
        {"2001:db8:1:2::/64", "source:2001:db8:1:2::/64"},
        {"", "source:"},
    };
    for (const auto& [ip, key] : table) {
        INFO(ip);
        CHECK(throttle::sourceKey(ip) == key);
    }
}

TEST_CASE("a failure deletes the rows whose run ended, not those still running or blocked") {
    PortalFixture f;
    const throttle::Rules rules;
    auto row = [&](const std::string& key) {
        std::optional<SignInThrottle> out;
        REQUIRE(f.store->read([&](StoreTx& tx) -> Status {
            out = TRY(tx.getThrottle(key));
            return okStatus();
        }));
        return out;
    };
    (void)f.signIn("wrong password!", "ann", "192.0.2.1");
    // A source blocked for a while: five failures, a 30 s block.
    for (int i = 0; i < 5; ++i) (void)f.signIn("wrong password!", "user" + std::to_string(i), "192.0.2.2");
    REQUIRE(row("source:192.0.2.2"));
    const int64_t blocked_until = row("source:192.0.2.2")->blocked_until;
    REQUIRE(blocked_until == f.clock.nowSeconds() + 30);

    // A quarter hour less a second: every run still counts.
    f.clock.advance(rules.window - 1);
    (void)f.signIn("wrong password!", "ann", "192.0.2.3");
    CHECK(row("source:192.0.2.1"));
    CHECK(row("user:user0"));
    // A quarter hour since 192.0.2.1's last failure: its run ended; the
    // blocked source's run ends a quarter hour after its block does.
    f.clock.advance(1);
    (void)f.signIn("wrong password!", "ann", "192.0.2.4");
    CHECK_FALSE(row("source:192.0.2.1"));
    CHECK_FALSE(row("user:user0"));
    CHECK(row("source:192.0.2.2"));
    CHECK(row("source:192.0.2.3"));
    CHECK(row("user:ann"));
    f.clock.advance(blocked_until + rules.window - f.clock.nowSeconds());
    (void)f.signIn("wrong password!", "ann", "192.0.2.5");
    CHECK_FALSE(row("source:192.0.2.2"));
    CHECK(row("source:192.0.2.5"));
}

TEST_CASE("signing in starts a session that idles out and ends at its maximum") {
    PortalFixture f;
    const SignInResult in = f.signIn("correct horse battery");
    REQUIRE(in.check == SignInCheck::kSignedIn);
    const SessionView& s = in.session;
    CHECK(s.user.name == "ann");
    CHECK(s.user.role == Role::kAdmin);
    CHECK(s.cookie.size() == 43);
    CHECK(s.csrf_token == f.inv->csrfToken(s.cookie));
    CHECK(s.csrf_token != f.inv->csrfToken(s.cookie + "x"));
    CHECK(s.expires_at == f.clock.nowSeconds() + 3600);
    CHECK(s.idle_expires_at == f.clock.nowSeconds() + 600);
    CHECK(f.inv->getUser("ann").value().last_sign_in_at == f.clock.nowSeconds());

    // Requests keep it alive...
    for (int i = 0; i < 5; ++i) {
        f.clock.advance(500);
        auto seen = f.inv->session(s.cookie);
        REQUIRE(seen);
        REQUIRE(seen.value());
        CHECK(seen.value()->csrf_token == s.csrf_token);
        CHECK(seen.value()->idle_expires_at == std::min(f.clock.nowSeconds() + 600, s.expires_at));
    }
    // ...up to its absolute end.
    f.clock.advance(1100);
    CHECK_FALSE(f.inv->session(s.cookie).value());

    const SignInResult again = f.signIn("correct horse battery");
    REQUIRE(again.check == SignInCheck::kSignedIn);
    f.clock.advance(599);
    CHECK(f.inv->session(again.session.cookie).value());
    f.clock.advance(600);
    CHECK_FALSE(f.inv->session(again.session.cookie).value());
    CHECK_FALSE(f.inv->session("").value());
    CHECK_FALSE(f.inv->session("not a cookie").value());
}

TEST_CASE("a wrong password and an unknown user are refused alike, and counted") {
    PortalFixture f;
    const SignInResult bad = f.signIn("wrong password!");
    CHECK(bad.check == SignInCheck::kRefused);
    CHECK(bad.reason == "bad_password");
    CHECK(bad.known_name == "ann");
    const SignInResult unknown = f.signIn("correct horse battery", "bob");
    CHECK(unknown.check == SignInCheck::kRefused);
    CHECK(unknown.reason == "unknown_user");
    CHECK(unknown.known_name.empty());
    CHECK(f.auditText().find("unauthenticated|failure|sign_in|ann||{\"reason\":\"bad_password\"}") !=
          std::string::npos);
    // A name that is no user's may be a password typed in the wrong box:
    // the audit keeps the reason alone.
    CHECK(f.auditText().find("unauthenticated|failure|sign_in|||{\"reason\":\"unknown_user\"}") !=
          std::string::npos);
    CHECK(f.auditText().find("bob") == std::string::npos);
    CHECK(f.auditText().find("wrong password") == std::string::npos);
    CHECK(f.auditText().find("correct horse") == std::string::npos);
    // Counted all the same (else the throttle would tell names apart).
    for (int i = 0; i < 3; ++i) (void)f.signIn("correct horse battery", "bob", "198.51.100.7");
    const SignInResult fifth = f.signIn("correct horse battery", "bob", "198.51.100.8");
    REQUIRE(fifth.blocked.size() == 1);
    CHECK(fifth.blocked[0].first == "user:(unknown)");
    CHECK(f.signIn("correct horse battery", "bob", "198.51.100.9").check == SignInCheck::kThrottled);
}

TEST_CASE("a throttled name is refused before its password is checked, then recovers") {
    PortalFixture f;
    for (int i = 0; i < 4; ++i) CHECK(f.signIn("wrong password!", "ann", "192.0.2." + std::to_string(i)).blocked.empty());
    const SignInResult fifth = f.signIn("wrong password!", "ann", "192.0.2.9");
    REQUIRE(fifth.blocked.size() == 1);
    CHECK(fifth.blocked[0] == std::make_pair(std::string("user:ann"), int64_t{30}));
    // The right password from another address: still blocked, no oracle.
    const SignInResult blocked = f.signIn("correct horse battery", "ann", "198.51.100.1");
    CHECK(blocked.check == SignInCheck::kThrottled);
    CHECK(blocked.retry_after == 30);
    f.clock.advance(30);
    CHECK(f.signIn("correct horse battery", "ann", "198.51.100.1").check == SignInCheck::kSignedIn);
}

TEST_CASE("one address guessing many names is throttled, and unthrottle clears it") {
    PortalFixture f;
    for (int i = 0; i < 5; ++i) (void)f.signIn("wrong password!", "user" + std::to_string(i), "203.0.113.5");
    const SignInResult r = f.signIn("correct horse battery", "ann", "203.0.113.5");
    CHECK(r.check == SignInCheck::kThrottled);
    CHECK(f.inv->unthrottle("203.0.113.5", f.admin).value());
    CHECK_FALSE(f.inv->unthrottle("203.0.113.5", f.admin).value());
    CHECK(f.signIn("correct horse battery", "ann", "203.0.113.5").check == SignInCheck::kSignedIn);
    CHECK(f.auditText().find("test|unthrottle|sign_in|203.0.113.5") != std::string::npos);
}

TEST_CASE("a new password, a disabled account or a deleted user ends its sessions") {
    PortalFixture f;
    // Another admin, so that ann may be disabled and deleted.
    REQUIRE(f.inv->createUser(UserSpec{"zed", Role::kAdmin, "correct horse battery"}, f.admin));
    const std::string c1 = f.signIn("correct horse battery").session.cookie;
    REQUIRE(f.inv->changeUser("ann", UserChange{std::nullopt, std::string("another good one"), std::nullopt}, f.admin));
    CHECK_FALSE(f.inv->session(c1).value());
    CHECK(f.signIn("correct horse battery").check == SignInCheck::kRefused);
    const std::string c2 = f.signIn("another good one").session.cookie;
    REQUIRE(f.inv->session(c2).value());

    REQUIRE(f.inv->changeUser("ann", UserChange{std::nullopt, std::nullopt, true}, f.admin));
    CHECK_FALSE(f.inv->session(c2).value());
    const SignInResult disabled = f.signIn("another good one");
    CHECK(disabled.check == SignInCheck::kRefused);
    CHECK(disabled.reason == "disabled");

    REQUIRE(f.inv->changeUser("ann", UserChange{std::nullopt, std::nullopt, false}, f.admin));
    const std::string c3 = f.signIn("another good one").session.cookie;
    REQUIRE(f.inv->deleteUser("ann", f.admin));
    CHECK_FALSE(f.inv->session(c3).value());
    CHECK(f.inv->getUser("ann").error().code == Code::kNotFound);
    // The audit says what changed, never the password or its hash.
    const std::string audit = f.auditText();
    CHECK(audit.find("test|update|user|ann|") != std::string::npos);
    CHECK(audit.find("\"password\":\"changed\"") != std::string::npos);
    CHECK(audit.find("another good") == std::string::npos);
    CHECK(audit.find("argon2") == std::string::npos);
}

TEST_CASE("users need a valid name, a long enough password and a unique name") {
    PortalFixture f;
    auto short_pw = f.inv->createUser(UserSpec{"bob", Role::kViewer, "short"}, f.admin);
    REQUIRE_FALSE(short_pw);
    CHECK(short_pw.error().fields.count("password"));
    auto bad_name = f.inv->createUser(UserSpec{"bob smith", Role::kViewer, "long enough pw"}, f.admin);
    REQUIRE_FALSE(bad_name);
    CHECK(bad_name.error().fields.count("name"));
    auto dup = f.inv->createUser(UserSpec{"ann", Role::kViewer, "long enough pw"}, f.admin);
    REQUIRE_FALSE(dup);
    CHECK(dup.error().code == Code::kAlreadyExists);
    CHECK(f.inv->listUsers().value().size() == 1);
}

TEST_CASE("sign-out ends the session and is audited") {
    PortalFixture f;
    const std::string cookie = f.signIn("correct horse battery").session.cookie;
    REQUIRE(f.inv->signOut(cookie, "192.0.2.1"));
    CHECK_FALSE(f.inv->session(cookie).value());
    REQUIRE(f.inv->signOut(cookie, "192.0.2.1"));  // again: nothing to do
    const std::string audit = f.auditText();
    CHECK(audit.find("user:ann (admin)|sign_in|session|ann") != std::string::npos);
    CHECK(audit.find("user:ann (admin)|sign_out|session|ann") != std::string::npos);
}

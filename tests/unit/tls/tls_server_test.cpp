// TlsServerContext and TlsConnection against an mbedTLS client over a
// socket pair, in one thread: the curve a client is given, and resumption
// by session ID.

#include "provisioner/tls/tls_server.h"

#include <catch2/catch.hpp>

#include <map>

#include "tls_harness.h"

using namespace prov;
using namespace prov::testing;

TEST_CASE("tls server: X25519 when the client offers it, whatever its order, and P-256 to a client with only that") {
    Certificate cert;
    auto server = tls::TlsServerContext::create(cert.options);
    REQUIRE(server);
    Phone modern(kX25519ThenP256, true);
    Phone p256_first(kP256ThenX25519, true);
    Phone p256_only(kP256Only, true);
    const Outcome a = handshake(server.value(), modern);
    const Outcome b = handshake(server.value(), p256_first);
    const Outcome c = handshake(server.value(), p256_only);
    REQUIRE(a.done);
    REQUIRE(b.done);
    REQUIRE(c.done);
    CHECK(a.curve == "X25519");
    CHECK(b.curve == "X25519");
    CHECK(c.curve == "P-256");
}

TEST_CASE("tls server: a client without tickets resumes by session ID from the server's cache") {
    Certificate cert;
    auto server = tls::TlsServerContext::create(cert.options);
    REQUIRE(server);
    Phone phone(kX25519ThenP256, false);
    SavedSession first;
    const Outcome full = handshake(server.value(), phone, nullptr, &first.s);
    REQUIRE(full.done);
    CHECK_FALSE(full.resumed);
    REQUIRE(first.s.id_len == 32);
    REQUIRE(first.s.ticket_len == 0);
    const Outcome again = handshake(server.value(), phone, &first.s);
    REQUIRE(again.done);
    CHECK(again.resumed);
    CHECK(again.curve.empty());  // no key exchange: the session was resumed

    SECTION("another server's cache does not know the session") {
        auto other = tls::TlsServerContext::create(cert.options);
        REQUIRE(other);
        const Outcome elsewhere = handshake(other.value(), phone, &first.s);
        REQUIRE(elsewhere.done);
        CHECK_FALSE(elsewhere.resumed);
    }
}

namespace {

// The secrets of a fleet's store, shared by the nodes' key sources.
struct FleetSecrets {
    std::map<int64_t, std::string> by_period;
    int asked = 0;
    bool reachable = true;
};

class FakeKeys final : public tls::TicketKeySource {
public:
    FakeKeys(std::shared_ptr<FleetSecrets> fleet, std::string seed) : fleet_(std::move(fleet)), seed_(std::move(seed)) {}
    Result<std::string> secret(int64_t period) override {
        ++fleet_->asked;
        if (!fleet_->reachable) return Error{Code::kUnavailable, "store", "store unreachable", {}, {}};
        // The first asker's value stays, as in the store.
        return fleet_->by_period.emplace(period, seed_ + std::to_string(period) + "-0123456789abcdef0123456789")
            .first->second;
    }
    Status forgetBefore(int64_t period) override {
        fleet_->by_period.erase(fleet_->by_period.begin(), fleet_->by_period.lower_bound(period));
        return okStatus();
    }

private:
    std::shared_ptr<FleetSecrets> fleet_;
    std::string seed_;
};

// A node: its own TLS context and tickets, its keys from `fleet`.
struct Node {
    std::shared_ptr<tls::SessionTickets> tickets;
    std::shared_ptr<tls::TlsServerContext> context;
    Node(const Certificate& cert, std::shared_ptr<FleetSecrets> fleet, const Clock& clock, const std::string& seed) {
        tickets = std::make_shared<tls::SessionTickets>(std::make_unique<FakeKeys>(std::move(fleet), seed), clock, 3600);
        REQUIRE(tickets->refresh());
        tls::TlsOptions o = cert.options;
        o.tickets = tickets;
        context = std::move(tls::TlsServerContext::create(o)).value();
    }
};

}  // namespace

TEST_CASE("tls server: a ticket sealed by one node resumes on another that shares its store's keys") {
    Certificate cert;
    FakeClock clock(1'800'000'000);
    auto fleet = std::make_shared<FleetSecrets>();
    Node a(cert, fleet, clock, "node-a");
    Node b(cert, fleet, clock, "node-b");
    CHECK(fleet->by_period.size() == 3);  // the previous, current and next period
    Phone phone(kX25519ThenP256, true);
    SavedSession first;
    const Outcome full = handshake(a.context, phone, nullptr, &first.s);
    REQUIRE(full.done);
    CHECK_FALSE(full.resumed);
    REQUIRE(first.s.ticket_len > 0);
    const Outcome on_b = handshake(b.context, phone, &first.s);
    REQUIRE(on_b.done);
    CHECK(on_b.resumed);
    const Outcome on_a = handshake(a.context, phone, &first.s);
    REQUIRE(on_a.done);
    CHECK(on_a.resumed);

    SECTION("a node of another fleet (other keys) makes a full handshake") {
        Node stranger(cert, std::make_shared<FleetSecrets>(), clock, "other");
        const Outcome out = handshake(stranger.context, phone, &first.s);
        REQUIRE(out.done);
        CHECK_FALSE(out.resumed);
    }
    SECTION("a ticket whose bytes were changed is refused, and the handshake goes on in full") {
        first.s.ticket[first.s.ticket_len / 2] ^= 0x01;
        const Outcome out = handshake(b.context, phone, &first.s);
        REQUIRE(out.done);
        CHECK_FALSE(out.resumed);
    }
}

TEST_CASE("tls server: a ticket is accepted in its own period and the next, not after") {
    Certificate cert;
    FakeClock clock(1'800'000'000 / 3600 * 3600);  // the start of a period
    auto fleet = std::make_shared<FleetSecrets>();
    Node a(cert, fleet, clock, "node-a");
    Node b(cert, fleet, clock, "node-b");
    Phone phone(kX25519ThenP256, true);
    SavedSession first;
    REQUIRE(handshake(a.context, phone, nullptr, &first.s).done);
    clock.advance(3600 + 1800);  // the next period: the key is the previous one now
    REQUIRE(a.tickets->refresh());
    REQUIRE(b.tickets->refresh());
    CHECK(handshake(b.context, phone, &first.s).resumed);
    const int asked = fleet->asked;
    REQUIRE(b.tickets->refresh());
    CHECK(fleet->asked == asked);  // nothing missing: the store is not asked again
    clock.advance(3600);  // two periods on
    REQUIRE(b.tickets->refresh());
    CHECK(fleet->by_period.count(1'800'000'000 / 3600) == 0);  // forgotten in the store too
    const Outcome late = handshake(b.context, phone, &first.s);
    REQUIRE(late.done);
    CHECK_FALSE(late.resumed);
}

TEST_CASE("tls server: with the store unreachable, the keys already loaded go on serving") {
    Certificate cert;
    FakeClock clock(1'800'000'000 / 3600 * 3600);
    auto fleet = std::make_shared<FleetSecrets>();
    Node a(cert, fleet, clock, "node-a");
    fleet->reachable = false;
    clock.advance(3600);  // a rollover: the next period's key was loaded ahead
    const Status st = a.tickets->refresh();
    CHECK_FALSE(st);  // the period after it cannot be loaded yet
    Phone phone(kX25519ThenP256, true);
    SavedSession first;
    REQUIRE(handshake(a.context, phone, nullptr, &first.s).done);
    CHECK(first.s.ticket_len > 0);
    CHECK(handshake(a.context, phone, &first.s).resumed);

    SECTION("a node that never loaded a key sends no ticket, and phones still connect") {
        auto dark = std::make_shared<FleetSecrets>();
        dark->reachable = false;
        auto tickets = std::make_shared<tls::SessionTickets>(std::make_unique<FakeKeys>(dark, "x"), clock, 3600);
        CHECK_FALSE(tickets->refresh());
        tls::TlsOptions o = cert.options;
        o.tickets = tickets;
        auto ctx = std::move(tls::TlsServerContext::create(o)).value();
        SavedSession none;
        const Outcome out = handshake(ctx, phone, nullptr, &none.s);
        REQUIRE(out.done);
        CHECK(none.s.ticket_len == 0);
    }
}

TEST_CASE("session tickets: a stored secret shorter than 32 characters is no key") {
    class ShortKeys final : public tls::TicketKeySource {
    public:
        Result<std::string> secret(int64_t) override { return std::string("short"); }
        Status forgetBefore(int64_t) override { return okStatus(); }
    };
    FakeClock clock(500'004 * 3600 + 100);
    tls::SessionTickets tickets(std::make_unique<ShortKeys>(), clock, 3600);
    const Status st = tickets.refresh();
    REQUIRE_FALSE(st);
    CHECK_THAT(st.error().message, Catch::Contains("shorter than 32 characters"));
    CHECK(st.error().message.find("short\"") == std::string::npos);
}

// The fleet's session tickets through a real store: two nodes (their own TLS
// contexts and tickets) on one store resume each other's phones. Two
// `provisioner serve` processes cannot share one SQLite file (the server
// lock), so the nodes here are two contexts in one process on one store; a
// test with two processes waits for a store that several servers may share.

#include "provisioner/app/ticket_keys.h"

#include <catch2/catch.hpp>

#include "provisioner/store/sqlite_store.h"
#include "provisioner/tls/crypto.h"
#include "tls/tls_harness.h"

using namespace prov;
using namespace prov::testing;

namespace {

std::shared_ptr<tls::TlsServerContext> node(const Certificate& cert, std::shared_ptr<tls::SessionTickets> tickets) {
    tls::TlsOptions o = cert.options;
    o.tickets = std::move(tickets);
    return std::move(tls::TlsServerContext::create(o)).value();
}

// The ticket secrets in the store for periods 500,000 to 500,009, by name.
// The probe leaves an empty row under each name that was not there: call it last.
std::vector<std::string> ticketKeys(Store& store) {
    std::vector<std::string> names;
    REQUIRE(store.write([&](StoreTx& tx) -> Status {
        for (int64_t p = 0; p < 10; ++p) {
            const std::string name = app::StoreTicketKeys::kPrefix + std::to_string(500'000 + p);
            if (TRY(tx.serverKey(name, "")) != "") names.push_back(name);
        }
        return okStatus();
    }));
    return names;
}

}  // namespace

TEST_CASE("ticket keys: a ticket one node sealed resumes on another node of the same store") {
    FakeClock clock(500'004 * 3600 + 100);  // period 500,004 of an hour
    auto store = std::move(SqliteStore::open(":memory:", clock)).value();
    REQUIRE(store->migrate());
    tls::CtrDrbgRandom random;
    Certificate cert;
    auto tickets_a = app::storeTickets(*store, random, clock, 3600);
    auto tickets_b = app::storeTickets(*store, random, clock, 3600);
    REQUIRE(tickets_a->refresh());
    REQUIRE(tickets_b->refresh());
    auto a = node(cert, tickets_a);
    auto b = node(cert, tickets_b);

    Phone phone(kX25519ThenP256, true);
    SavedSession first;
    REQUIRE(handshake(a, phone, nullptr, &first.s).done);
    REQUIRE(first.s.ticket_len > 0);
    const Outcome on_b = handshake(b, phone, &first.s);
    REQUIRE(on_b.done);
    CHECK(on_b.resumed);

    SECTION("a node of another store does not open it") {
        auto other_store = std::move(SqliteStore::open(":memory:", clock)).value();
        REQUIRE(other_store->migrate());
        auto tickets_c = app::storeTickets(*other_store, random, clock, 3600);
        REQUIRE(tickets_c->refresh());
        const Outcome on_c = handshake(node(cert, tickets_c), phone, &first.s);
        REQUIRE(on_c.done);
        CHECK_FALSE(on_c.resumed);
    }
    SECTION("the store keeps the previous, current and next period's secrets, and drops older ones") {
        CHECK(ticketKeys(*store) == std::vector<std::string>{"tls_ticket.500003", "tls_ticket.500004",
                                                             "tls_ticket.500005"});
    }
}

TEST_CASE("ticket keys: after two rotations the secret is gone from the store and the ticket is refused") {
    FakeClock clock(500'004 * 3600);
    auto store = std::move(SqliteStore::open(":memory:", clock)).value();
    REQUIRE(store->migrate());
    tls::CtrDrbgRandom random;
    Certificate cert;
    auto tickets_a = app::storeTickets(*store, random, clock, 3600);
    REQUIRE(tickets_a->refresh());
    Phone phone(kX25519ThenP256, true);
    SavedSession first;
    REQUIRE(handshake(node(cert, tickets_a), phone, nullptr, &first.s).done);
    clock.advance(2 * 3600);
    auto tickets_b = app::storeTickets(*store, random, clock, 3600);
    REQUIRE(tickets_b->refresh());
    const Outcome late = handshake(node(cert, tickets_b), phone, &first.s);
    REQUIRE(late.done);
    CHECK_FALSE(late.resumed);
    CHECK(ticketKeys(*store) == std::vector<std::string>{"tls_ticket.500005", "tls_ticket.500006",
                                                         "tls_ticket.500007"});
}

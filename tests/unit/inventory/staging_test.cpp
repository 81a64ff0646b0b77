// The staging state machine from one table: every state under every input.

#include <catch2/catch.hpp>

#include <string>

#include "fakes/inventory_fixture.h"
#include "provisioner/inventory/staging.h"

using namespace prov;
using staging::Input;
using S = DeviceState;

namespace {

struct Row {
    S from;
    Input input;
    S to;
};

// All 6 states x 4 inputs.
const Row kTable[] = {
    // An admin claims a device: added by hand or bound to an extension.
    {S::kNew, Input::kClaimed, S::kStaged},
    {S::kUnassigned, Input::kClaimed, S::kStaged},
    {S::kStaged, Input::kClaimed, S::kStaged},
    {S::kProvisioned, Input::kClaimed, S::kProvisioned},
    {S::kApplied, Input::kClaimed, S::kApplied},
    {S::kStale, Input::kClaimed, S::kStale},
    // An edit changes what its config is rendered from.
    {S::kNew, Input::kConfigEdited, S::kNew},
    {S::kUnassigned, Input::kConfigEdited, S::kUnassigned},
    {S::kStaged, Input::kConfigEdited, S::kStaged},
    {S::kProvisioned, Input::kConfigEdited, S::kStale},
    {S::kApplied, Input::kConfigEdited, S::kStale},
    {S::kStale, Input::kConfigEdited, S::kStale},
    // Its own config delivered, bytes it did not have.
    {S::kNew, Input::kDelivered, S::kProvisioned},
    {S::kUnassigned, Input::kDelivered, S::kUnassigned},
    {S::kStaged, Input::kDelivered, S::kProvisioned},
    {S::kProvisioned, Input::kDelivered, S::kProvisioned},
    {S::kApplied, Input::kDelivered, S::kProvisioned},
    {S::kStale, Input::kDelivered, S::kProvisioned},
    // Its own config delivered, bytes it already had (304 or the same hash).
    {S::kNew, Input::kRedelivered, S::kProvisioned},
    {S::kUnassigned, Input::kRedelivered, S::kUnassigned},
    {S::kStaged, Input::kRedelivered, S::kProvisioned},
    {S::kProvisioned, Input::kRedelivered, S::kApplied},
    {S::kApplied, Input::kRedelivered, S::kApplied},
    {S::kStale, Input::kRedelivered, S::kProvisioned},  // never applied straight from stale
};

const char* name(Input input) {
    switch (input) {
        case Input::kClaimed: return "claimed";
        case Input::kConfigEdited: return "config edited";
        case Input::kDelivered: return "delivered";
        case Input::kRedelivered: return "redelivered";
    }
    return "?";
}

}  // namespace

TEST_CASE("staging: every state under every input") {
    for (const Row& row : kTable) {
        INFO(toString(row.from) << " --" << name(row.input) << "--> " << toString(row.to));
        CHECK(staging::next(row.from, row.input) == row.to);
    }
}

TEST_CASE("staging: the table covers every state and input once") {
    const S states[] = {S::kNew, S::kUnassigned, S::kStaged, S::kProvisioned, S::kApplied, S::kStale};
    const Input inputs[] = {Input::kClaimed, Input::kConfigEdited, Input::kDelivered, Input::kRedelivered};
    for (S s : states) {
        for (Input i : inputs) {
            int rows = 0;
            for (const Row& row : kTable) rows += row.from == s && row.input == i;
            INFO(toString(s) << " / " << name(i));
            CHECK(rows == 1);
        }
    }
}

// The store applies kConfigEdited in one statement (StoreTx::markStale), for
// one device or all: it must agree with the table.
TEST_CASE("staging: the store's markStale is the table's kConfigEdited") {
    testing::InventoryFixture f;
    const S states[] = {S::kNew, S::kUnassigned, S::kStaged, S::kProvisioned, S::kApplied, S::kStale};
    auto put = [&](const std::string& mac, S state) {
        REQUIRE(f.store->write([&](StoreTx& tx) -> Status {
            Device d;
            d.mac = mac;
            d.state = state;
            return tx.insertDevice(d);
        }));
    };
    auto stateOf = [&](const std::string& mac) {
        S state = S::kNew;
        REQUIRE(f.store->read([&](StoreTx& tx) -> Status {
            state = TRY(tx.getDevice(mac)).value().state;
            return okStatus();
        }));
        return state;
    };
    int n = 0;
    for (S s : states) {
        INFO(toString(s));
        const std::string one = "0015650000" + std::to_string(10 + n);
        const std::string all = "0015650001" + std::to_string(10 + n);
        ++n;
        put(one, s);
        put(all, s);
        REQUIRE(f.store->write([&](StoreTx& tx) { return tx.markStale(one); }));
        CHECK(stateOf(one) == staging::next(s, Input::kConfigEdited));
        CHECK(stateOf(all) == s);  // another device's edit leaves it alone
    }
    REQUIRE(f.store->write([&](StoreTx& tx) { return tx.markStale(""); }));
    n = 0;
    for (S s : states) {
        INFO(toString(s));
        CHECK(stateOf("0015650001" + std::to_string(10 + n)) == staging::next(s, Input::kConfigEdited));
        ++n;
    }
}

#pragma once

// The fleet's TLS session-ticket secrets (tls/session_tickets.h) in the
// store's server_keys, one per rotation period, named "tls_ticket.<period>":
// the first node to ask for a period makes its secret, every other node
// reads the same one, so a ticket one node sealed opens on any other that
// shares the store.

#include <memory>

#include "provisioner/core/clock.h"
#include "provisioner/store/store.h"
#include "provisioner/core/random_source.h"
#include "provisioner/tls/session_tickets.h"

namespace prov::app {

class StoreTicketKeys final : public tls::TicketKeySource {
public:
    static constexpr const char* kPrefix = "tls_ticket.";

    StoreTicketKeys(Store& store, RandomSource& random) : store_(store), random_(random) {}
    Result<std::string> secret(int64_t period) override;
    Status forgetBefore(int64_t period) override;

private:
    Store& store_;
    RandomSource& random_;
};

// Session tickets with the store's keys, rotating every `rotation_seconds`,
// their keys loaded once (refresh(); an unreachable store is an error, and
// no ticket is sealed until a later refresh() succeeds).
std::shared_ptr<tls::SessionTickets> storeTickets(Store& store, RandomSource& random, const Clock& clock,
                                                  int64_t rotation_seconds);

}  // namespace prov::app

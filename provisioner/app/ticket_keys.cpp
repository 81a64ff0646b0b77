#include "provisioner/app/ticket_keys.h"

#include <string>

namespace prov::app {

// 64 characters of [A-Za-z0-9]: about 381 bits, hashed into the AES-256 key.
Result<std::string> StoreTicketKeys::secret(int64_t period) {
    const std::string name = kPrefix + std::to_string(period);
    std::string value;
    TRY(store_.write([&](StoreTx& tx) -> Status {
        value = TRY(tx.serverKey(name, random_.alnum(64)));
        return okStatus();
    }));
    return value;
}

Status StoreTicketKeys::forgetBefore(int64_t period) {
    return store_.write([&](StoreTx& tx) { return tx.dropServerKeysBefore(kPrefix, period); });
}

std::shared_ptr<tls::SessionTickets> storeTickets(Store& store, RandomSource& random, const Clock& clock,
                                                  int64_t rotation_seconds) {
    return std::make_shared<tls::SessionTickets>(std::make_unique<StoreTicketKeys>(store, random), clock,
                                                 rotation_seconds);
}

}  // namespace prov::app

#pragma once

// The store fallback tests' node: a service whose store can be made to stop
// answering (store_fallback_test.cpp, store_fallback_forget_test.cpp).

#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "fakes/digest_header.h"
#include "fakes/inventory_fixture.h"
#include "provisioner/render/bundle.h"
#include "provisioner/service/provisioning_service.h"

namespace prov::testing::fallback {

// The store as `inner` answers, or, while `away`, a store that fails every
// read and write as PgStore does when PostgreSQL is gone (`reason`: what it
// fails with). `writes_away`: reads answer, writes fail. `busy_left`: that
// many reads or writes fail as busy first.
class AwayStore final : public Store {
public:
    explicit AwayStore(Store& inner) : inner_(inner) {}
    bool away = false;
    bool writes_away = false;
    int busy_left = 0;
    Error error{Code::kUnavailable, "store_unreachable", "the PostgreSQL store does not answer: test", {}, {}};
    Status read(const Work& work) override { return failing(false) ? failure() : inner_.read(work); }
    Status write(const Work& work) override { return failing(true) ? failure() : inner_.write(work); }

private:
    bool failing(bool write) {
        if (busy_left > 0) return true;
        return away || (write && writes_away);
    }
    Error failure() {
        if (busy_left > 0) {
            --busy_left;
            return Error{Code::kUnavailable, "store_busy", "the store is busy; try again", {}, {}};
        }
        return error;
    }
    Store& inner_;
};

struct Sink final : EventSink {
    void record(Event) override {}
};

inline const char* const kMac = "001565000001";
inline const char* const kFile = "001565000001.cfg";
inline const char* const kBobFile = "001565000002.cfg";
inline const char* const kUa = "Yealink SIP-T31 124.86.0.75 00:15:65:00:00:01";
inline const char* const kOutside = "203.0.113.7";

// The inventory writes the real store (an admin's edits work whatever the
// service sees); the service, its proofs and the generation read through
// the AwayStore.
struct Fixture : InventoryFixture {
    AwayStore flaky{*store};
    std::unique_ptr<BundleSource> bundles;
    policy::Config policy;
    Sink sink;
    std::unique_ptr<ConfigGeneration> generation;
    std::unique_ptr<PhoneProofs> proofs;
    std::unique_ptr<policy::SweepGuard> sweep;
    tls::AesCipher cipher;
    TrustSource trust;
    std::unique_ptr<ProvisioningService> service;

    explicit Fixture(policy::SweepOptions sweep_options = {}) {
        auto bundle = loadBundle(TEMPLATES_DIR);
        REQUIRE(bundle);
        bundles = std::make_unique<BundleSource>(bundle.value());
        auto networks = policy::NetworkList::parse("10.0.0.0/8");
        REQUIRE(networks);
        policy = policy::Config{networks.value(), false};
        generation = std::make_unique<ConfigGeneration>(flaky, *bundles);
        generation->refresh();
        inv->setChangeListener([this] { generation->refresh(); });
        ProofKeys keys;
        keys.nonce_secret = "nonce-secret-for-tests";
        proofs = std::make_unique<PhoneProofs>(flaky, hasher, random, clock, keys);
        ServiceOptions options;
        options.hash_key = "hash-key-for-tests";
        options.trust = &trust;
        sweep = std::make_unique<policy::SweepGuard>(sweep_options, clock);
        service = std::make_unique<ProvisioningService>(flaky, *bundles, policy, sink, hasher, clock, *generation,
                                                        *proofs, *sweep, cipher, options);
        addPhone("1001", "Ann", kMac);
        addPhone("1002", "Bob", "001565000002");
    }

    void addPhone(const char* extension, const char* name, const char* mac) {
        Extension e;
        e.extension = extension;
        e.callerid_name = name;
        e.mac = mac;
        e.phone_make = "Yealink";
        e.phone_model = "T31";
        REQUIRE(inv->createExtension(e, admin));
    }

    // The store stops (or starts) answering; the server's once-a-second
    // refresh of the generation runs.
    void storeAway(bool away) {
        flaky.away = away;
        generation->refresh();
    }

    Fetched fetch(const std::string& file, const std::string& peer, const std::string& cert_mac = "",
                  const std::string& authorization = "", Protocol protocol = Protocol::kHttp,
                  const std::string& if_none_match = "") {
        FetchRequest r;
        r.protocol = protocol;
        r.file = file;
        r.target = "/" + file;
        r.authorization = authorization;
        // Ann's phone says who it is; the others send no User-Agent (one
        // naming another MAC would be refused).
        r.user_agent = protocol != Protocol::kTftp && file.rfind(kMac, 0) == 0 ? kUa : "";
        r.peer_ip = peer;
        r.client_cert = !cert_mac.empty();
        r.cert_mac = cert_mac;
        r.if_none_match = if_none_match;
        return service->fetch(r);
    }

    DeviceCredentials credentials(const std::string& mac) { return *inv->deviceCredentials(mac).value(); }
    std::string challenge() { return fetch(kFile, kOutside).response.challenges.at(0); }
    // A Digest answer with `c`'s current pair for `file`, to a fresh challenge.
    std::string digest(const DeviceCredentials& c, const std::string& file = kFile) {
        return testing::digestHeader(hasher, challenge(), c.user, c.password, "/" + file);
    }
};

}  // namespace prov::testing::fallback

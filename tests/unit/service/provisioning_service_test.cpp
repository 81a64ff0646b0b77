// The service's contract with the front ends: fetch() answers and hands back
// the event, records nothing; record() is the front end's call. And edits
// reach the next fetch through the one cache invalidation path.

#include <catch2/catch.hpp>

#include <memory>
#include <vector>

#include "fakes/inventory_fixture.h"
#include "provisioner/render/bundle.h"
#include "provisioner/service/provisioning_service.h"

using namespace prov;

namespace {

struct Sink final : EventSink {
    std::vector<Event> events;
    void record(Event event) override { events.push_back(std::move(event)); }
};

const char* kMac = "001565000001";
const char* kUa = "Yealink SIP-T31 124.86.0.75 00:15:65:00:00:01";

struct Fixture : testing::InventoryFixture {
    std::unique_ptr<BundleSource> bundles;
    policy::Config policy;
    Sink sink;
    std::unique_ptr<ConfigGeneration> generation;
    std::unique_ptr<ProvisioningService> service;

    explicit Fixture(bool require_cert = false) {
        auto bundle = loadBundle(TEMPLATES_DIR);
        REQUIRE(bundle);
        bundles = std::make_unique<BundleSource>(bundle.value());
        auto networks = policy::NetworkList::parse("10.0.0.0/8");
        REQUIRE(networks);
        policy = policy::Config{networks.value(), require_cert};
        generation = std::make_unique<ConfigGeneration>(*store, *bundles);
        generation->refresh();
        inv->setChangeListener([this] { generation->refresh(); });
        service = std::make_unique<ProvisioningService>(*store, *bundles, policy, sink, hasher, clock, *generation,
                                                        ServiceOptions{});
        Extension e;
        e.extension = "1001";
        e.callerid_name = "Ann";
        e.mac = kMac;
        e.phone_make = "Yealink";
        e.phone_model = "T31";
        REQUIRE(inv->createExtension(e, admin));
    }

    Fetched fetch(const std::string& file, const std::string& peer, const std::string& cert_mac = "",
                  const std::string& ua = kUa) {
        FetchRequest r;
        r.file = file;
        r.user_agent = ua;
        r.peer_ip = peer;
        r.client_cert = !cert_mac.empty();
        r.cert_mac = cert_mac;
        return service->fetch(r);
    }
};

}  // namespace

TEST_CASE("fetch returns the event and records nothing; record() does") {
    Fixture f;
    Fetched got = f.fetch("001565000001.cfg", "10.0.0.5");
    CHECK(got.response.outcome == Outcome::kServed);
    CHECK(f.sink.events.empty());
    const Event& e = got.event;
    CHECK(e.outcome == "served");
    CHECK(e.auth == "network");
    CHECK(e.mac == kMac);
    CHECK(e.protocol == "http");
    CHECK(e.path == "001565000001.cfg");
    CHECK(e.bytes == static_cast<int64_t>(got.response.body.size()));
    CHECK(e.device_config);
    CHECK_FALSE(e.config_hash.empty());
    f.service->record(got.event);
    REQUIRE(f.sink.events.size() == 1);
    CHECK(f.sink.events[0].outcome == "served");
}

TEST_CASE("fetch: each policy verdict becomes its outcome and event") {
    Fixture f;
    struct Case {
        const char* file;
        const char* peer;
        const char* cert_mac;
        Outcome outcome;
        const char* event_outcome;
        const char* auth;
        const char* ua = kUa;
    };
    const Case cases[] = {
        {"001565000001.cfg", "203.0.113.7", "", Outcome::kDenied, "denied", "none"},
        {"0015650000ff.cfg", "203.0.113.7", "", Outcome::kNotFound, "not_found", "none", ""},  // unknown: same answer
        {"001565000001.cfg", "203.0.113.7", "", Outcome::kDenied, "denied", "none", ""},
        {"001565000001.cfg", "203.0.113.7", kMac, Outcome::kServed, "served", "client_cert"},
        {"001565000001.cfg", "10.0.0.5", "0015650000ff", Outcome::kForbidden, "denied", "client_cert"},
        {"001565000001.boot", "203.0.113.7", "", Outcome::kServed, "served", "none"},  // no secrets
    };
    for (const Case& c : cases) {
        INFO(c.file << " from " << c.peer << " cert '" << c.cert_mac << "'");
        Fetched got = f.fetch(c.file, c.peer, c.cert_mac, c.ua);
        CHECK(got.response.outcome == c.outcome);
        CHECK(got.event.outcome == c.event_outcome);
        CHECK(got.event.auth == c.auth);
        if (c.outcome != Outcome::kServed) CHECK(got.event.bytes == 0);
    }
    CHECK(f.sink.events.empty());
}

TEST_CASE("fetch: an edit is served at once, through the config generation") {
    Fixture f;
    const std::string before = f.fetch("001565000001.cfg", "10.0.0.5").response.body;
    CHECK(f.fetch("001565000001.cfg", "10.0.0.5").response.body == before);  // from the cache
    REQUIRE(f.inv->editExtension(
        "1001", [](Extension& e, FieldErrors&, std::optional<int64_t>&) { e.callerid_name = "Ann Other"; }, f.admin));
    const std::string after = f.fetch("001565000001.cfg", "10.0.0.5").response.body;
    CHECK(after != before);
    CHECK_THAT(after, Catch::Contains("Ann Other"));
}

TEST_CASE("fetch: a rendered file follows its time zone across a DST change within the hour") {
    Fixture f;
    // 2026-03-29 00:30 UTC: Paris is on winter time (+1); at 01:00 UTC it moves to +2.
    f.clock.advance(1774744200 - f.clock.nowSeconds());
    REQUIRE(f.inv->putSettings("", {{"timezone", "Europe/Paris"}}, f.admin));
    const std::string winter = f.fetch("001565000001.cfg", "10.0.0.5").response.body;
    CHECK_THAT(winter, Catch::Contains("local_time.time_zone = +1\n"));
    f.clock.advance(3600);  // 01:30 UTC: summer time
    const std::string summer = f.fetch("001565000001.cfg", "10.0.0.5").response.body;
    CHECK_THAT(summer, Catch::Contains("local_time.time_zone = +2\n"));
}

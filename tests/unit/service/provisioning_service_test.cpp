// The service's contract with the front ends: fetch() answers and hands back
// the event, records nothing; record() is the front end's call. And edits
// reach the next fetch through the one cache invalidation path.

#include <catch2/catch.hpp>

#include <cstdio>
#include <memory>
#include <set>
#include <vector>

#include "fakes/digest_header.h"
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
    std::unique_ptr<PhoneProofs> proofs;
    std::unique_ptr<policy::SweepGuard> sweep;
    tls::AesCipher cipher;
    TrustSource trust;
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
        ProofKeys keys;
        keys.nonce_secret = "nonce-secret-for-tests";
        keys.window_grace = 600;
        proofs = std::make_unique<PhoneProofs>(*store, hasher, random, clock, keys);
        ServiceOptions options;
        options.hash_key = "hash-key-for-tests";
        options.trust = &trust;
        policy::SweepOptions sweep_options;
        sweep_options.budget = 8;
        sweep = std::make_unique<policy::SweepGuard>(sweep_options, clock);
        service = std::make_unique<ProvisioningService>(*store, *bundles, policy, sink, hasher, clock, *generation,
                                                        *proofs, *sweep, cipher, options);
        Extension e;
        e.extension = "1001";
        e.callerid_name = "Ann";
        e.mac = kMac;
        e.phone_make = "Yealink";
        e.phone_model = "T31";
        REQUIRE(inv->createExtension(e, admin));
    }

    // A second Yealink, 001565000002, with extension 1002 (Bob).
    void addBob() {
        Extension e;
        e.extension = "1002";
        e.callerid_name = "Bob";
        e.mac = "001565000002";
        e.phone_make = "Yealink";
        e.phone_model = "T31";
        REQUIRE(inv->createExtension(e, admin));
    }

    Fetched fetch(const std::string& file, const std::string& peer, const std::string& cert_mac = "",
                  const std::string& ua = kUa, const std::string& authorization = "",
                  Protocol protocol = Protocol::kHttp) {
        FetchRequest r;
        r.protocol = protocol;
        r.file = file;
        r.target = "/" + file;
        r.authorization = authorization;
        r.user_agent = ua;
        r.peer_ip = peer;
        r.client_cert = !cert_mac.empty();
        r.cert_mac = cert_mac;
        return service->fetch(r);
    }
};

}  // namespace

TEST_CASE("fetch returns the event and records nothing, record() does") {
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
        // No proof over HTTP: a challenge, for a known and an unknown MAC alike.
        {"001565000001.cfg", "203.0.113.7", "", Outcome::kUnauthorized, "denied", "none"},
        {"0015650000ff.cfg", "203.0.113.7", "", Outcome::kUnauthorized, "denied", "none", ""},
        {"001565000001.cfg", "203.0.113.7", "", Outcome::kUnauthorized, "denied", "none", ""},
        {"001565000001.cfg", "203.0.113.7", kMac, Outcome::kServed, "served", "client_cert"},
        {"001565000001.cfg", "10.0.0.5", "0015650000ff", Outcome::kForbidden, "denied", "client_cert"},
        {"001565000001.boot", "203.0.113.7", "", Outcome::kServed, "served", "none"},  // no secrets
        {"0015650000ff.boot", "203.0.113.7", "", Outcome::kServed, "served", "none", ""},  // known or not
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

TEST_CASE("fetch: a rendered file states the standard offset and the DST rule, the same across a DST change") {
    Fixture f;
    // 2026-03-29 00:30 UTC: Paris is on winter time (+1); at 01:00 UTC it moves to +2.
    f.clock.advance(1774744200 - f.clock.nowSeconds());
    REQUIRE(f.inv->putSettings("", {{"timezone", "Europe/Paris"}}, f.admin));
    const std::string winter = f.fetch("001565000001.cfg", "10.0.0.5").response.body;
    CHECK_THAT(winter, Catch::Contains("local_time.time_zone = +1\n"));
    CHECK_THAT(winter, Catch::Contains("local_time.start_time = 3/5/7/2\n"));
    f.clock.advance(3600);  // 01:30 UTC: summer time; the phone applies the rule itself
    const std::string summer = f.fetch("001565000001.cfg", "10.0.0.5").response.body;
    CHECK_THAT(summer, Catch::Contains("local_time.time_zone = +1\n"));
    CHECK_THAT(summer, Catch::Contains("local_time.summer_time = 1\n"));
}

using testing::digestHeader;

TEST_CASE("fetch: a phone's own digest credentials open its files, and only its files") {
    Fixture f;
    // First contact from an allowed network: the config carries the device's credentials.
    const Fetched first = f.fetch("001565000001.cfg", "10.0.0.5");
    REQUIRE(first.response.outcome == Outcome::kServed);
    auto creds = f.inv->deviceCredentials(kMac);
    REQUIRE(creds);
    REQUIRE(creds.value());
    const DeviceCredentials c = *creds.value();
    CHECK_THAT(first.response.body, Catch::Contains(c.user));
    CHECK_THAT(first.response.body, Catch::Contains(c.password));
    CHECK(c.used_at == 0);

    // From outside: a challenge, then the answer with the right credentials.
    const Fetched challenged = f.fetch("001565000001.cfg", "203.0.113.7");
    REQUIRE(challenged.response.outcome == Outcome::kUnauthorized);
    REQUIRE(challenged.response.challenges.size() == 2);
    CHECK_THAT(challenged.response.challenges[0], Catch::StartsWith("Digest ") && Catch::Contains("MD5"));
    CHECK_THAT(challenged.response.challenges[1], Catch::Contains("SHA-256"));
    const std::string header =
        digestHeader(f.hasher, challenged.response.challenges[0], c.user, c.password, "/001565000001.cfg");
    const Fetched proved = f.fetch("001565000001.cfg", "203.0.113.7", "", kUa, header);
    CHECK(proved.response.outcome == Outcome::kServed);
    CHECK(proved.event.auth == "digest");
    CHECK(f.inv->deviceCredentials(kMac).value()->used_at != 0);

    // A wrong password, or the right header for another file name, is refused.
    const std::string wrong =
        digestHeader(f.hasher, challenged.response.challenges[0], c.user, "not-the-password", "/001565000001.cfg");
    CHECK(f.fetch("001565000001.cfg", "203.0.113.7", "", kUa, wrong).response.outcome == Outcome::kUnauthorized);
    CHECK(f.fetch("001565000001.cfg", "203.0.113.7", "", kUa, "Digest garbage").response.outcome ==
          Outcome::kUnauthorized);

    // Another device's credentials never open this one's files.
    f.addBob();
    REQUIRE(f.fetch("001565000002.cfg", "10.0.0.6", "", "").response.outcome == Outcome::kServed);
    const DeviceCredentials c2 = *f.inv->deviceCredentials("001565000002").value();
    const std::string others =
        digestHeader(f.hasher, challenged.response.challenges[0], c2.user, c2.password, "/001565000001.cfg");
    CHECK(f.fetch("001565000001.cfg", "203.0.113.7", "", kUa, others).response.outcome == Outcome::kUnauthorized);

    // An expired nonce with the right credentials: a challenge marked stale.
    f.clock.advance(3600);
    const Fetched stale = f.fetch("001565000001.cfg", "203.0.113.7", "", kUa, header);
    REQUIRE(stale.response.outcome == Outcome::kUnauthorized);
    CHECK_THAT(stale.response.challenges[0], Catch::Contains("stale=true"));
}

TEST_CASE("fetch: a rotation keeps the old credentials until the phone used the new ones") {
    Fixture f;
    REQUIRE(f.fetch("001565000001.cfg", "10.0.0.5").response.outcome == Outcome::kServed);
    const DeviceCredentials old = *f.inv->deviceCredentials(kMac).value();
    const auto rotated = f.inv->rotateCredentials(kMac, f.admin);
    REQUIRE(rotated);
    CHECK(rotated.value().user != old.user);
    const auto challenge = f.fetch("001565000001.cfg", "203.0.113.7").response.challenges.at(0);
    const std::string with_old = digestHeader(f.hasher, challenge, old.user, old.password, "/001565000001.cfg");
    // Over HTTPS: a Yealink config stays plain there (over HTTP it is sealed
    // once the phone used its credentials).
    const Fetched by_old = f.fetch("001565000001.cfg", "203.0.113.7", "", kUa, with_old, Protocol::kHttps);
    REQUIRE(by_old.response.outcome == Outcome::kServed);
    CHECK_THAT(by_old.response.body, Catch::Contains(rotated.value().password));  // the phone learns the new pair
    const std::string with_new =
        digestHeader(f.hasher, challenge, rotated.value().user, rotated.value().password, "/001565000001.cfg");
    CHECK(f.fetch("001565000001.cfg", "203.0.113.7", "", kUa, with_new).response.outcome == Outcome::kServed);
    // Used once: the old pair stops working.
    CHECK(f.fetch("001565000001.cfg", "203.0.113.7", "", kUa, with_old).response.outcome == Outcome::kUnauthorized);
}

TEST_CASE("fetch: a device deleted between a rotation and its use proves itself for its wipe with either pair") {
    Fixture f;
    REQUIRE(f.fetch("001565000001.cfg", "10.0.0.5").response.outcome == Outcome::kServed);
    const DeviceCredentials old = *f.inv->deviceCredentials(kMac).value();
    const DeviceCredentials rotated = f.inv->rotateCredentials(kMac, f.admin).value();
    REQUIRE(f.inv->deleteDevice(kMac, true, f.admin));
    const auto challenge = f.fetch("001565000001.cfg", "203.0.113.7").response.challenges.at(0);
    // The phone never fetched the rotated config: it holds the old pair.
    const std::string with_old = digestHeader(f.hasher, challenge, old.user, old.password, "/001565000001.cfg");
    const Fetched wiped = f.fetch("001565000001.cfg", "203.0.113.7", "", kUa, with_old, Protocol::kHttps);
    REQUIRE(wiped.response.outcome == Outcome::kServed);
    CHECK(wiped.event.wipe);
    CHECK_THAT(wiped.response.body, !Catch::Contains(old.password) && !Catch::Contains(rotated.password));
    // Within the grace period the new pair (had it got it) proves it too,
    // and a retry is not counted again; a stranger still gets a challenge.
    const std::string with_new =
        digestHeader(f.hasher, challenge, rotated.user, rotated.password, "/001565000001.cfg");
    const Fetched again = f.fetch("001565000001.cfg", "203.0.113.7", "", kUa, with_new, Protocol::kHttps);
    CHECK(again.response.outcome == Outcome::kServed);
    CHECK_FALSE(again.event.wipe);
    const std::string wrong = digestHeader(f.hasher, challenge, old.user, "guess", "/001565000001.cfg");
    CHECK(f.fetch("001565000001.cfg", "203.0.113.7", "", kUa, wrong, Protocol::kHttps).response.outcome ==
          Outcome::kUnauthorized);
    // After it, the MAC is unknown: the same challenge as any MAC, and its
    // old credentials open nothing.
    f.clock.advance(kWipeGraceSeconds + 1);
    const auto later = f.fetch("001565000001.cfg", "203.0.113.7").response.challenges.at(0);
    const std::string late = digestHeader(f.hasher, later, old.user, old.password, "/001565000001.cfg");
    CHECK(f.fetch("001565000001.cfg", "203.0.113.7", "", kUa, late, Protocol::kHttps).response.outcome ==
          Outcome::kUnauthorized);
}

TEST_CASE("fetch: a phone of any vendor deleted right after a rotation still gets its wipe") {
    // No AES key for a Polycom: only the rotation's previous pair, which went
    // out, says the phone holds accounts.
    Fixture f;
    Extension e;
    e.extension = "1003";
    e.callerid_name = "Cy";
    e.mac = "0004f2000003";
    e.phone_make = "Polycom";
    e.phone_model = "VVX400";
    REQUIRE(f.inv->createExtension(e, f.admin));
    const std::string ua = "FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 Type/Application";
    const std::string file = "0004f2000003-settings.cfg";
    REQUIRE(f.fetch(file, "10.0.0.7", "", ua).response.outcome == Outcome::kServed);
    const DeviceCredentials old = *f.inv->deviceCredentials("0004f2000003").value();
    REQUIRE(f.inv->rotateCredentials("0004f2000003", f.admin));
    REQUIRE(f.inv->deleteDevice("0004f2000003", true, f.admin));
    const auto challenge = f.fetch(file, "203.0.113.7", "", ua).response.challenges.at(0);
    const std::string with_old = digestHeader(f.hasher, challenge, old.user, old.password, "/" + file);
    const Fetched wiped = f.fetch(file, "203.0.113.7", "", ua, with_old, Protocol::kHttps);
    REQUIRE(wiped.response.outcome == Outcome::kServed);
    CHECK(wiped.event.wipe);
    CHECK_THAT(wiped.response.body, !Catch::Contains("1003"));
}

TEST_CASE("fetch: a staging window lets its devices in once, over HTTP only") {
    Fixture f;
    CHECK(f.fetch("001565000001.cfg", "203.0.113.7").response.outcome == Outcome::kUnauthorized);
    WindowSpec spec;
    spec.macs = {"00:15:65:00:00:01"};
    spec.minutes = 30;
    spec.max_devices = 1;
    REQUIRE(f.inv->openWindow(spec, f.admin));
    // TFTP never: no secret goes out in the clear to an unproven peer (a
    // Yealink that has no key yet gets bytes nobody can read).
    const Fetched tftp = f.fetch("001565000001.cfg", "203.0.113.7", "", kUa, "", Protocol::kTftp);
    CHECK(tftp.response.decoy);
    CHECK(tftp.event.outcome == "denied");
    CHECK(tftp.response.body.find("account.1.password") == std::string::npos);
    const Fetched in = f.fetch("001565000001.cfg", "203.0.113.7");
    CHECK(in.response.outcome == Outcome::kServed);
    CHECK(in.event.auth == "staging_window");
    // The rest of the same boot, within the grace period.
    f.clock.advance(60);
    CHECK(f.fetch("001565000001.cfg", "203.0.113.7").response.outcome == Outcome::kServed);
    // After it, the window is used up for this device.
    f.clock.advance(601);
    CHECK(f.fetch("001565000001.cfg", "203.0.113.7").response.outcome == Outcome::kUnauthorized);
}

TEST_CASE("fetch: a window's place count, closing and expiry") {
    Fixture f;
    f.addBob();
    REQUIRE(f.inv->editDevice(kMac, [](Device& d, FieldErrors&, std::optional<int64_t>&) { d.label = "hq"; },
                              f.admin));
    REQUIRE(f.inv->editDevice("001565000002",
                              [](Device& d, FieldErrors&, std::optional<int64_t>&) { d.label = "hq"; }, f.admin));
    WindowSpec spec;
    spec.label = "hq";
    spec.minutes = 10;
    spec.max_devices = 1;
    const auto w = f.inv->openWindow(spec, f.admin);
    REQUIRE(w);
    CHECK(f.fetch("001565000001.cfg", "203.0.113.7").response.outcome == Outcome::kServed);
    CHECK(f.fetch("001565000002.cfg", "203.0.113.8", "", "").response.outcome == Outcome::kUnauthorized);  // full
    REQUIRE(f.inv->closeWindow(w.value().id, f.admin));
    CHECK(f.fetch("001565000001.cfg", "203.0.113.7").response.outcome == Outcome::kUnauthorized);  // closed
    spec.max_devices = 5;
    REQUIRE(f.inv->openWindow(spec, f.admin));
    f.clock.advance(11 * 60);
    CHECK(f.fetch("001565000002.cfg", "203.0.113.8", "", "").response.outcome == Outcome::kUnauthorized);  // expired
}

TEST_CASE("fetch: an installer's window covers only devices an admin added") {
    Fixture f;
    const Actor installer{"token:9 (installer)", Role::kInstaller};
    Device d;
    d.mac = "001565000003";
    d.make = "Yealink";
    d.model = "T31";
    REQUIRE(f.inv->createDevice(d, installer));
    WindowSpec spec;
    spec.macs = {"001565000003"};
    const auto refused = f.inv->openWindow(spec, installer);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Code::kPermissionDenied);
    spec.macs = {kMac};
    CHECK(f.inv->openWindow(spec, installer));
}

TEST_CASE("fetch: without a proof, a known and an unknown MAC get the same answer") {
    Fixture f;
    for (Protocol p : {Protocol::kHttp, Protocol::kTftp}) {
        const Fetched known = f.fetch("001565000001.cfg", "203.0.113.7", "", "", "", p);
        const Fetched unknown = f.fetch("0015650000ff.cfg", "203.0.113.7", "", "", "", p);
        CHECK(known.response.outcome == unknown.response.outcome);
        // HTTP: the same challenge; TFTP (a sealed Yealink file): stand-ins of one size.
        if (p == Protocol::kHttp) CHECK(known.response.body == unknown.response.body);
        CHECK(known.response.body.size() == unknown.response.body.size());
        CHECK(known.response.challenges.size() == unknown.response.challenges.size());
        CHECK(known.event.outcome == unknown.event.outcome);
    }
    // Files without secrets depend on the MAC string alone.
    const std::string known = f.fetch("001565000001.boot", "203.0.113.7", "", "").response.body;
    const std::string unknown = f.fetch("0015650000ff.boot", "203.0.113.7", "", "").response.body;
    std::string expected = known;
    for (size_t at = expected.find("001565000001"); at != std::string::npos; at = expected.find("001565000001"))
        expected.replace(at, 12, "0015650000ff");
    CHECK(unknown == expected);
}

TEST_CASE("fetch: served hashes are keyed, not plain hashes of the body") {
    Fixture f;
    const Fetched got = f.fetch("001565000001.cfg", "10.0.0.5");
    REQUIRE(got.response.outcome == Outcome::kServed);
    CHECK(got.event.config_hash == f.hasher.hmacSha256Hex("hash-key-for-tests", got.response.body));
    CHECK(got.event.config_hash != f.hasher.sha256Hex(got.response.body));
}

TEST_CASE("fetch: a source sweeping MACs is blocked, and a proof still gets through") {
    Fixture f;  // budget 8
    // The phone knows its credentials from a first contact on the allowed network.
    REQUIRE(f.fetch("001565000001.cfg", "10.0.0.5").response.outcome == Outcome::kServed);
    const DeviceCredentials c = *f.inv->deviceCredentials(kMac).value();
    const std::string challenge = f.fetch("001565000001.cfg", "203.0.113.7").response.challenges.at(0);
    int tries = 0;
    for (int i = 0x10; i < 0x10 + 50; ++i) {
        char mac[13];
        std::snprintf(mac, sizeof mac, "0015650001%02x", i);
        ++tries;
        CHECK(f.fetch(std::string(mac) + ".cfg", "203.0.113.66", "", "").response.outcome == Outcome::kUnauthorized);
        // Blocked: a common file gets the challenge too (a phone then sends its credentials).
        if (f.fetch("y000000000000.boot", "203.0.113.66").response.outcome == Outcome::kUnauthorized) break;
    }
    CHECK(tries == 8);
    CHECK(f.sweep->blocked("203.0.113.66"));
    // Blocked: the same answer for everything, known MACs included; TFTP a 404.
    CHECK(f.fetch("001565000001.cfg", "203.0.113.66").response.outcome == Outcome::kUnauthorized);
    CHECK(f.fetch("y000000000000.boot", "203.0.113.66", "", "", "", Protocol::kTftp).response.outcome ==
          Outcome::kNotFound);
    // ...but the phone's own credentials still get its config.
    const std::string header = digestHeader(f.hasher, challenge, c.user, c.password, "/001565000001.cfg");
    CHECK(f.fetch("001565000001.cfg", "203.0.113.66", "", kUa, header).response.outcome == Outcome::kServed);
    const std::string common = digestHeader(f.hasher, challenge, c.user, c.password, "/y000000000000.boot");
    CHECK(f.fetch("y000000000000.boot", "203.0.113.66", "", kUa, common).response.outcome == Outcome::kServed);
    CHECK(f.fetch("001565000001.cfg", "203.0.113.66", "", kUa, "Digest username=\"x\"").response.outcome ==
          Outcome::kUnauthorized);
    // Other sources are not affected; the block ends.
    CHECK(f.fetch("y000000000000.boot", "203.0.113.67").response.outcome == Outcome::kServed);
    f.clock.advance(61);
    CHECK(f.fetch("y000000000000.boot", "203.0.113.66").response.outcome == Outcome::kServed);
}

TEST_CASE("fetch: unproven fetches of real MACs earn no budget back") {
    Fixture f;  // budget 8
    for (int i = 0; i < 7; ++i) {
        char mac[13];
        std::snprintf(mac, sizeof mac, "0015650002%02x", i);
        f.fetch(std::string(mac) + ".cfg", "203.0.113.70", "", "");
        f.fetch("001565000001.cfg", "203.0.113.70", "", "");  // a real MAC, no proof
        f.fetch("001565000001.boot", "203.0.113.70", "", "");
    }
    CHECK_FALSE(f.sweep->blocked("203.0.113.70"));
    f.fetch("001565000299.cfg", "203.0.113.70", "", "");
    CHECK(f.sweep->blocked("203.0.113.70"));
}

TEST_CASE("fetch: a Yealink that got its AES key gets its config sealed with it, other MACs get stand-ins") {
    Fixture f;
    // First contact from the allowed network: in the clear, carrying the key.
    const Fetched first = f.fetch("001565000001.cfg", "10.0.0.5");
    REQUIRE(first.response.outcome == Outcome::kServed);
    const DeviceCredentials c = *f.inv->deviceCredentials(kMac).value();
    REQUIRE(c.aes_key.size() == 16);
    CHECK_THAT(first.response.body, Catch::Contains("static.auto_provision.aes_key_16.mac = " + c.aes_key));
    CHECK(f.inv->deviceCredentials(kMac).value()->key_sent_at != 0);
    // Sealed: the config's whole blocks encrypted with the device's key, then
    // padding to 32 KiB in which no block repeats (spaces would, under ECB).
    const std::string& plain = first.response.body;
    const size_t whole = plain.size() / 16 * 16;
    const size_t bucketed = (plain.size() + 1 + 32767) / 32768 * 32768;
    auto is_sealed = [&](const std::string& body) {
        if (body.size() != bucketed || body.compare(0, whole, f.cipher.aes128Ecb(c.aes_key, plain.substr(0, whole))) != 0)
            return false;
        // The padding's blocks (the config's own may repeat: its unused
        // slots are alike, and ECB shows that whatever the padding).
        std::set<std::string> blocks;
        for (size_t i = whole + 16; i < body.size(); i += 16) blocks.insert(body.substr(i, 16));
        return blocks.size() == (body.size() - whole - 16) / 16;
    };

    // TFTP from anywhere: sealed with the device's key, nothing else to prove.
    const Fetched tftp = f.fetch("001565000001.cfg", "203.0.113.7", "", "", "", Protocol::kTftp);
    REQUIRE(tftp.response.outcome == Outcome::kServed);
    const std::string sealed = tftp.response.body;
    CHECK(is_sealed(sealed));
    CHECK(tftp.event.auth == "device_key");
    CHECK(tftp.event.outcome == "served");
    CHECK(tftp.response.body.find("aes_key") == std::string::npos);
    // HTTP with the phone's credentials: sealed too (the phone has the key).
    const std::string challenge = f.fetch("001565000001.cfg", "203.0.113.7").response.challenges.at(0);
    const std::string header = digestHeader(f.hasher, challenge, c.user, c.password, "/001565000001.cfg");
    CHECK(f.fetch("001565000001.cfg", "203.0.113.7", "", kUa, header).response.body == sealed);
    // Over HTTPS the proven phone gets it plain.
    CHECK(f.fetch("001565000001.cfg", "203.0.113.7", "", kUa, header, Protocol::kHttps).response.body == plain);

    // A MAC without a key (unknown, or known and never contacted): bytes of the
    // same size, stable, recorded as denied.
    const Fetched unknown = f.fetch("0015650000ff.cfg", "203.0.113.7", "", "", "", Protocol::kTftp);
    REQUIRE(unknown.response.outcome == Outcome::kServed);
    CHECK(unknown.response.body.size() == sealed.size());
    CHECK(unknown.event.outcome == "denied");
    CHECK(f.fetch("0015650000ff.cfg", "203.0.113.7", "", "", "", Protocol::kTftp).response.body ==
          unknown.response.body);
    f.addBob();
    const Fetched no_key = f.fetch("001565000002.cfg", "203.0.113.7", "", "", "", Protocol::kTftp);
    CHECK(no_key.response.body.size() == sealed.size());
    CHECK(no_key.event.outcome == "denied");
    CHECK(no_key.response.body.find("Bob") == std::string::npos);
}

TEST_CASE("fetch: a window never reopens an enrolled phone, and forgetting its credentials re-enrols it") {
    Fixture f;
    REQUIRE(f.fetch("001565000001.cfg", "10.0.0.5").response.outcome == Outcome::kServed);  // enrolled
    const DeviceCredentials first = *f.inv->deviceCredentials(kMac).value();
    WindowSpec spec;
    spec.macs = {kMac};
    REQUIRE(f.inv->openWindow(spec, f.admin));
    CHECK(f.fetch("001565000001.cfg", "203.0.113.7").response.outcome == Outcome::kUnauthorized);
    // Not after a rotation either (the new pair never went out, but the phone is enrolled).
    REQUIRE(f.inv->rotateCredentials(kMac, f.admin));
    REQUIRE(f.inv->openWindow(spec, f.admin));
    CHECK(f.fetch("001565000001.cfg", "203.0.113.7").response.outcome == Outcome::kUnauthorized);
    // Reset to factory settings: an admin forgets the credentials, a window lets it in again.
    REQUIRE(f.inv->forgetCredentials(kMac, f.admin));
    CHECK_FALSE(f.inv->deviceCredentials(kMac).value());
    REQUIRE(f.inv->openWindow(spec, f.admin));
    const Fetched again = f.fetch("001565000001.cfg", "203.0.113.7");
    REQUIRE(again.response.outcome == Outcome::kServed);
    CHECK(again.event.auth == "staging_window");
    const DeviceCredentials fresh = *f.inv->deviceCredentials(kMac).value();
    CHECK(fresh.user != first.user);
    CHECK_THAT(again.response.body, Catch::Contains(fresh.password));
    CHECK(again.response.body.find(first.password) == std::string::npos);
}

TEST_CASE("fetch: after a rotation a Yealink's config is sealed with the key the phone holds") {
    Fixture f;
    REQUIRE(f.fetch("001565000001.cfg", "10.0.0.5").response.outcome == Outcome::kServed);
    const DeviceCredentials k0 = *f.inv->deviceCredentials(kMac).value();
    const std::string challenge = f.fetch("001565000001.cfg", "203.0.113.7").response.challenges.at(0);
    auto fetch_with = [&](const DeviceCredentials& c) {
        return f.fetch("001565000001.cfg", "203.0.113.7", "", kUa,
                       digestHeader(f.hasher, challenge, c.user, c.password, "/001565000001.cfg"));
    };
    auto sealed_with = [&](const std::string& body, const std::string& key) {
        const std::string probe = "#!version:1.0.0.1";  // the first bytes of every Yealink config
        return body.size() % 32768 == 0 && body.substr(0, 16) == f.cipher.aes128Ecb(key, probe.substr(0, 16));
    };
    REQUIRE(fetch_with(k0).response.outcome == Outcome::kServed);  // the phone used its pair: it has k0's key
    const DeviceCredentials k1 = f.inv->rotateCredentials(kMac, f.admin).value();
    CHECK(k1.aes_key != k0.aes_key);
    const Fetched old_pair = fetch_with(k0);
    REQUIRE(old_pair.response.outcome == Outcome::kServed);
    CHECK(sealed_with(old_pair.response.body, k0.aes_key));  // it carries k1 and its key, sealed with k0's
    const Fetched new_pair = fetch_with(k1);
    REQUIRE(new_pair.response.outcome == Outcome::kServed);
    CHECK(sealed_with(new_pair.response.body, k1.aes_key));
}

TEST_CASE("fetch: ca.pem is the trust certificate, to anyone, and the configs follow a new one") {
    Fixture f;
    // None delivered: ca.pem is an ordinary (missing) static file.
    CHECK(f.fetch("ca.pem", "203.0.113.7", "", "").response.outcome == Outcome::kNotFound);
    REQUIRE(f.inv->putSettings("", {{"provisioning_url", "http://prov.example.net/"}}, f.admin));
    const std::string before = f.fetch("001565000001.cfg", "10.0.0.5").response.body;
    CHECK_THAT(before, !Catch::Contains("trusted_certificates"));

    const std::string pem = "-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n";
    f.trust.replace(std::make_shared<const std::string>(pem));
    // From any address, over each protocol, with no proof: it is public.
    for (Protocol p : {Protocol::kHttp, Protocol::kTftp}) {
        Fetched got = f.fetch("ca.pem", "203.0.113.7", "", "", "", p);
        REQUIRE(got.response.outcome == Outcome::kServed);
        CHECK(got.response.body == pem);
        CHECK(got.response.content_type == "application/x-pem-file");
        CHECK(got.event.bytes == static_cast<int64_t>(pem.size()));
    }
    // The cached config is not served with the old (no) certificate.
    const std::string after = f.fetch("001565000001.cfg", "10.0.0.5").response.body;
    CHECK_THAT(after, Catch::Contains("static.trusted_certificates.url = http://prov.example.net/ca.pem\n"));

    FetchRequest again;
    again.protocol = Protocol::kHttp;
    again.file = "ca.pem";
    again.peer_ip = "203.0.113.7";
    again.if_none_match = f.fetch("ca.pem", "203.0.113.7", "", "").response.etag;
    CHECK(f.service->fetch(again).response.outcome == Outcome::kNotModified);

    f.trust.replace(nullptr);  // trust.deliver=false
    CHECK(f.fetch("ca.pem", "203.0.113.7", "", "").response.outcome == Outcome::kNotFound);
    CHECK(f.fetch("001565000001.cfg", "10.0.0.5").response.body == before);
}

// A node whose store stops answering keeps serving the phones it served,
// from memory (service/store_fallback.h, serve_from_memory.cpp): the same
// bytes to the same proofs, nothing to a phone it cannot check, and the
// store again as soon as it answers.

#include <catch2/catch.hpp>

#include <memory>
#include <vector>

#include "fakes/digest_header.h"
#include "provisioner/core/server_metrics.h"
#include "service/store_fallback_fixture.h"

using namespace prov;
using namespace prov::testing::fallback;
using testing::digestHeader;

namespace {

uint64_t fromCache() { return metrics::serverMetrics().fetchesFromCache(); }

}  // namespace

TEST_CASE("store away: a phone served with Digest gets the same bytes for the same credentials, sealed alike") {
    Fixture f;
    REQUIRE(f.fetch(kFile, "10.0.0.5").response.outcome == Outcome::kServed);  // first contact: pair and key
    const DeviceCredentials c = f.credentials(kMac);
    const std::string header = digestHeader(f.hasher, f.challenge(), c.user, c.password, "/001565000001.cfg");
    const Fetched https = f.fetch(kFile, kOutside, "", header, Protocol::kHttps);
    const Fetched http = f.fetch(kFile, kOutside, "", header, Protocol::kHttp);
    const Fetched tftp = f.fetch(kFile, kOutside, "", "", Protocol::kTftp);
    REQUIRE(https.response.outcome == Outcome::kServed);
    REQUIRE(http.response.outcome == Outcome::kServed);
    REQUIRE(tftp.event.auth == "device_key");
    REQUIRE(http.response.body.size() % 32768 == 0);  // sealed over HTTP
    CHECK_THAT(https.response.body, Catch::Contains(c.password));  // plain over HTTPS

    f.storeAway(true);
    REQUIRE(f.fetch(kFile, kOutside, "", header, Protocol::kHttps).response.outcome == Outcome::kServed);
    const uint64_t before = fromCache();
    const Fetched https2 = f.fetch(kFile, kOutside, "", header, Protocol::kHttps);
    CHECK(https2.response.outcome == Outcome::kServed);
    CHECK(https2.response.body == https.response.body);
    CHECK(https2.response.etag == https.response.etag);
    CHECK(https2.event.auth == "digest");
    CHECK(https2.event.config_hash == https.event.config_hash);
    CHECK(f.fetch(kFile, kOutside, "", header, Protocol::kHttp).response.body == http.response.body);
    const Fetched tftp2 = f.fetch(kFile, kOutside, "", "", Protocol::kTftp);
    CHECK(tftp2.response.body == tftp.response.body);
    CHECK(tftp2.event.auth == "device_key");
    CHECK(fromCache() == before + 3);
    const Fetched unchanged =
        f.fetch(kFile, kOutside, "", header, Protocol::kHttps, https.response.etag);
    CHECK(unchanged.response.outcome == Outcome::kNotModified);

    // Nonces need no store: a new challenge and its answer work too.
    const Fetched asked = f.fetch(kFile, kOutside);
    REQUIRE(asked.response.outcome == Outcome::kUnauthorized);
    const std::string fresh = digestHeader(f.hasher, asked.response.challenges.at(0), c.user, c.password,
                                           "/001565000001.cfg");
    CHECK(f.fetch(kFile, kOutside, "", fresh, Protocol::kHttps).response.body == https.response.body);

    // Wrong credentials are told to try later, as those for a MAC not kept
    // (a 401 would tell a sweep this node served the MAC); the right ones
    // with an expired nonce are answered stale, as the store answers them.
    const std::string wrong = digestHeader(f.hasher, asked.response.challenges.at(0), c.user, "guess",
                                           "/001565000001.cfg");
    const Fetched refused = f.fetch(kFile, kOutside, "", wrong, Protocol::kHttps);
    CHECK(refused.response.outcome == Outcome::kUnavailable);
    CHECK(refused.response.challenges.empty());
    f.clock.advance(3600);
    const Fetched stale = f.fetch(kFile, kOutside, "", fresh, Protocol::kHttps);
    REQUIRE(stale.response.outcome == Outcome::kUnauthorized);
    CHECK_THAT(stale.response.challenges.at(0), Catch::Contains("stale=true"));
}

TEST_CASE("store away: a phone this node never served is told to try later") {
    Fixture f;
    REQUIRE(f.fetch(kFile, "10.0.0.5").response.outcome == Outcome::kServed);
    REQUIRE(f.fetch(kBobFile, "10.0.0.6").response.outcome == Outcome::kServed);  // Bob gets his pair...
    const DeviceCredentials bob = f.credentials("001565000002");
    f.storeAway(true);
    // ...but no fetch of his was proven here with it: nothing kept to check it against.
    const std::string header = digestHeader(f.hasher, f.challenge(), bob.user, bob.password, "/001565000002.cfg");
    const Fetched with_pair = f.fetch(kBobFile, kOutside, "", header);
    CHECK(with_pair.response.outcome == Outcome::kUnavailable);
    CHECK(with_pair.event.outcome == "error");
    const std::string unknown_header = digestHeader(f.hasher, f.challenge(), "u", "p", "/0015650000ff.cfg");
    CHECK(f.fetch("0015650000ff.cfg", kOutside, "", unknown_header).response.outcome == Outcome::kUnavailable);
    // Over TFTP the encrypted file of a MAC whose key is not kept is the
    // stand-in, as a kept MAC without its key gets.
    const Fetched tftp = f.fetch("0015650000ff.cfg", kOutside, "", "", Protocol::kTftp);
    CHECK(tftp.response.outcome == Outcome::kServed);
    CHECK(tftp.response.decoy);
    CHECK(f.fetch("0015650000ff.cfg", "10.0.0.7").response.outcome == Outcome::kUnavailable);
    // Without credentials: the challenge every MAC-shaped name gets.
    CHECK(f.fetch("0015650000ff.cfg", kOutside).response.outcome == Outcome::kUnauthorized);
    CHECK(f.fetch(kBobFile, kOutside).response.outcome == Outcome::kUnauthorized);
}

TEST_CASE("store away: a client certificate, and an allowed network, prove a phone as before") {
    Fixture f;
    const Fetched by_cert = f.fetch(kFile, kOutside, kMac, "", Protocol::kHttps);
    REQUIRE(by_cert.response.outcome == Outcome::kServed);
    const Fetched by_network = f.fetch(kFile, "10.0.0.5");
    REQUIRE(by_network.response.outcome == Outcome::kServed);
    f.storeAway(true);
    const Fetched cert_again = f.fetch(kFile, kOutside, kMac, "", Protocol::kHttps);
    CHECK(cert_again.response.outcome == Outcome::kServed);
    CHECK(cert_again.response.body == by_cert.response.body);
    CHECK(cert_again.event.auth == "client_cert");
    const Fetched network_again = f.fetch(kFile, "10.0.0.9");
    CHECK(network_again.response.body == by_network.response.body);
    CHECK(network_again.event.auth == "network");
    // Another phone's certificate: forbidden as ever; Bob's own, never served here: try later.
    CHECK(f.fetch(kFile, kOutside, "001565000002", "", Protocol::kHttps).response.outcome == Outcome::kForbidden);
    CHECK(f.fetch(kBobFile, kOutside, "001565000002", "", Protocol::kHttps).response.outcome ==
          Outcome::kUnavailable);
}

TEST_CASE("store away: a TFTP name several vendors share is taken as the vendor it was served as") {
    Fixture f;
    // A Yealink whose MAC has Polycom's prefix: without the store's make,
    // 0004f2000009.cfg would be Polycom's master file for it.
    f.addPhone("1003", "Cy", "0004f2000009");
    REQUIRE(f.fetch("0004f2000009.cfg", "10.0.0.5").response.outcome == Outcome::kServed);  // its key goes out
    const Fetched tftp = f.fetch("0004f2000009.cfg", kOutside, "", "", Protocol::kTftp);
    REQUIRE(tftp.event.auth == "device_key");
    REQUIRE(tftp.event.vendor == "yealink");
    f.storeAway(true);
    const Fetched again = f.fetch("0004f2000009.cfg", kOutside, "", "", Protocol::kTftp);
    CHECK(again.event.vendor == "yealink");
    CHECK(again.response.body == tftp.response.body);
}

TEST_CASE("store away: a device the store found deleted is not served from memory") {
    Fixture f;
    REQUIRE(f.fetch(kFile, "10.0.0.5").response.outcome == Outcome::kServed);
    REQUIRE(f.inv->deleteDevice(kMac, true, f.admin));
    const Fetched wipe = f.fetch(kFile, "10.0.0.5");
    REQUIRE(wipe.response.outcome == Outcome::kServed);
    REQUIRE(wipe.event.wipe);
    f.storeAway(true);
    CHECK(f.fetch(kFile, "10.0.0.5").response.outcome == Outcome::kUnavailable);
}

TEST_CASE("store away: a staging window cannot be used") {
    Fixture f;
    WindowSpec spec;
    spec.macs = {"001565000002"};
    spec.minutes = 30;
    REQUIRE(f.inv->openWindow(spec, f.admin));
    const Fetched in = f.fetch(kBobFile, kOutside);
    REQUIRE(in.response.outcome == Outcome::kServed);
    REQUIRE(in.event.auth == "staging_window");
    f.storeAway(true);
    const Fetched again = f.fetch(kBobFile, kOutside);
    CHECK(again.response.outcome == Outcome::kUnauthorized);
    CHECK(again.event.auth == "none");
}

TEST_CASE("store away: files without secrets, for any MAC, and common files") {
    Fixture f;
    const std::string seen = f.fetch("0015650000aa.boot", kOutside).response.body;
    const std::string common = f.fetch("y000000000000.boot", kOutside).response.body;
    REQUIRE_FALSE(seen.empty());
    f.storeAway(true);
    // Rendered again from the settings kept: a MAC never asked for before
    // gets what the store would have given it.
    const Fetched never = f.fetch("0015650000bb.boot", kOutside);
    CHECK(f.fetch("0015650000aa.boot", kOutside).response.body == seen);
    CHECK(f.fetch("y000000000000.boot", kOutside).response.body == common);
    f.storeAway(false);
    CHECK(never.response.outcome == Outcome::kServed);
    CHECK(never.response.body == f.fetch("0015650000bb.boot", kOutside).response.body);
    CHECK(never.response.body != seen);
}

TEST_CASE("store away and back: the store answers the next fetch, edits made meanwhile included") {
    Fixture f;
    const std::string before = f.fetch(kFile, "10.0.0.5").response.body;
    f.storeAway(true);
    REQUIRE(f.inv->editExtension(
        "1001", [](Extension& e, FieldErrors&, std::optional<int64_t>&) { e.callerid_name = "Ann Other"; }, f.admin));
    CHECK(f.fetch(kFile, "10.0.0.5").response.body == before);  // the store's edit is not seen yet
    f.storeAway(false);
    const uint64_t cached = fromCache();
    const Fetched after = f.fetch(kFile, "10.0.0.5");
    CHECK_THAT(after.response.body, Catch::Contains("Ann Other"));
    CHECK(fromCache() == cached);
    // A phone never served is served again too.
    CHECK(f.fetch(kBobFile, "10.0.0.6").response.outcome == Outcome::kServed);
}

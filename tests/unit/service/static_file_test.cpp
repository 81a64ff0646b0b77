// A static file of firmware_dir (ProvisioningService::firmwarePath through
// fetch()): served from inside the root by its real path; a name that would
// climb out, or a link that leads out, is no file.

#include <catch2/catch.hpp>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "fakes/inventory_fixture.h"
#include "provisioner/render/bundle.h"
#include "provisioner/service/provisioning_service.h"
#include "temp_dir.h"

using namespace prov;
namespace fs = std::filesystem;

namespace {

struct Sink final : EventSink {
    void record(Event) override {}
};

// The service over `root` as firmware_dir, with a secret file beside it.
struct Fixture : testing::InventoryFixture {
    testing::TempDir dir;
    std::string root;  // the real path of dir/firmware
    std::unique_ptr<BundleSource> bundles;
    policy::Config policy;
    Sink sink;
    std::unique_ptr<ConfigGeneration> generation;
    std::unique_ptr<PhoneProofs> proofs;
    std::unique_ptr<policy::SweepGuard> sweep;
    tls::AesCipher cipher;
    std::unique_ptr<ProvisioningService> service;

    explicit Fixture(const std::string& firmware_dir = "firmware") {
        dir.write("firmware/ring.wav", "ring");
        dir.write("firmware/sub/logo.bmp", "logo");
        dir.write("secret.txt", "not for phones");
        char real[PATH_MAX];
        REQUIRE(realpath((dir.path() + "/firmware").c_str(), real));
        root = real;
        auto bundle = loadBundle(TEMPLATES_DIR);
        REQUIRE(bundle);
        bundles = std::make_unique<BundleSource>(bundle.value());
        auto networks = policy::NetworkList::parse("10.0.0.0/8");
        REQUIRE(networks);
        policy = policy::Config{networks.value(), false};
        generation = std::make_unique<ConfigGeneration>(*store, *bundles);
        generation->refresh();
        ProofKeys keys;
        keys.nonce_secret = "nonce-secret-for-tests";
        proofs = std::make_unique<PhoneProofs>(*store, hasher, random, clock, keys);
        sweep = std::make_unique<policy::SweepGuard>(policy::SweepOptions{}, clock);
        ServiceOptions options;
        options.hash_key = "hash-key-for-tests";
        options.firmware_dir = dir.path() + "/" + firmware_dir;
        service = std::make_unique<ProvisioningService>(*store, *bundles, policy, sink, hasher, clock, *generation,
                                                        *proofs, *sweep, cipher, options);
    }

    void link(const std::string& target, const std::string& name) {
        fs::create_symlink(target, dir.path() + "/" + name);
    }

    FetchResponse fetch(const std::string& file) {
        FetchRequest r;
        r.protocol = Protocol::kTftp;
        r.file = file;
        r.target = "/" + file;
        r.peer_ip = "10.0.0.5";
        return service->fetch(r).response;
    }
};

}  // namespace

TEST_CASE("static files: a file inside firmware_dir is served by its real path") {
    Fixture f;
    const FetchResponse r = f.fetch("ring.wav");
    CHECK(r.outcome == Outcome::kServed);
    CHECK(r.file_path == f.root + "/ring.wav");
    CHECK(r.file_size == 4);
    REQUIRE(r.file_check);
    CHECK(r.file_check->size == 4);
}

TEST_CASE("static files: a name that climbs out of firmware_dir or into a folder is no file") {
    Fixture f;
    for (const char* name : {"../secret.txt", "..", ".", "sub/logo.bmp", "sub", "..%2fsecret.txt", "sub\\logo.bmp",
                             "missing.bin"}) {
        INFO(name);
        const FetchResponse r = f.fetch(name);
        CHECK(r.outcome == Outcome::kNotFound);
        CHECK(r.file_path.empty());
    }
}

TEST_CASE("static files: a link is followed only while it stays inside firmware_dir") {
    Fixture f;
    f.link("ring.wav", "firmware/alias.wav");             // inside
    f.link("sub/logo.bmp", "firmware/logo.bmp");          // inside, in a folder
    f.link("../firmware/ring.wav", "firmware/back.wav");  // out and back in
    f.link("../secret.txt", "firmware/out.txt");          // out
    f.link(f.dir.path() + "/secret.txt", "firmware/abs.txt");
    f.link("/etc/passwd", "firmware/passwd");
    f.link("nowhere.bin", "firmware/dangling.bin");
    f.link("..", "firmware/up");

    const FetchResponse alias = f.fetch("alias.wav");
    CHECK(alias.outcome == Outcome::kServed);
    CHECK(alias.file_path == f.root + "/ring.wav");
    const FetchResponse logo = f.fetch("logo.bmp");
    CHECK(logo.outcome == Outcome::kServed);
    CHECK(logo.file_path == f.root + "/sub/logo.bmp");
    CHECK(f.fetch("back.wav").file_path == f.root + "/ring.wav");
    for (const char* name : {"out.txt", "abs.txt", "passwd", "dangling.bin", "up"}) {
        INFO(name);
        const FetchResponse r = f.fetch(name);
        CHECK(r.outcome == Outcome::kNotFound);
        CHECK(r.file_path.empty());
    }
}

TEST_CASE("static files: firmware_dir may itself be a link (a release swapped in)") {
    Fixture f("current");
    f.link("firmware", "current");
    const FetchResponse r = f.fetch("ring.wav");
    CHECK(r.outcome == Outcome::kServed);
    CHECK(r.file_path == f.root + "/ring.wav");
    f.link("../secret.txt", "firmware/out.txt");
    CHECK(f.fetch("out.txt").outcome == Outcome::kNotFound);
}

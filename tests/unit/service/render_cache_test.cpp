// The render cache's one invalidation path: ConfigGeneration::refresh moves
// when, and only when, the store's config counter or the template bundle did.

#include <catch2/catch.hpp>

#include <memory>

#include "fakes/inventory_fixture.h"
#include "provisioner/render/bundle.h"
#include "provisioner/service/render_cache.h"

using namespace prov;

namespace {

struct Fixture : testing::InventoryFixture {
    BundleSource bundles{std::make_shared<const Bundle>()};
    ConfigGeneration generation{*store, bundles};

    Fixture() { generation.refresh(); }
    void write(const Store::Work& work) { REQUIRE(store->write(work)); }
};

}  // namespace

TEST_CASE("config generation: a refresh with nothing changed keeps it") {
    Fixture f;
    const uint64_t g = f.generation.current();
    f.generation.refresh();
    f.generation.refresh();
    CHECK(f.generation.current() == g);
}

TEST_CASE("config generation: a store change a config is rendered from moves it, once") {
    Fixture f;
    const uint64_t g = f.generation.current();
    f.write([](StoreTx& tx) { return tx.putSettings("", {{"sip_server", "pbx.example.com"}}); });
    CHECK(f.generation.current() == g);  // nothing moves it but refresh
    f.generation.refresh();
    CHECK(f.generation.current() > g);
    const uint64_t after = f.generation.current();
    f.generation.refresh();
    CHECK(f.generation.current() == after);
}

TEST_CASE("config generation: events and staging do not move it") {
    Fixture f;
    f.write([](StoreTx& tx) {
        Device d;
        d.mac = "001565000001";
        d.state = DeviceState::kStaged;
        return tx.insertDevice(d);
    });
    f.generation.refresh();
    const uint64_t g = f.generation.current();
    f.write([](StoreTx& tx) -> Status {
        Event e;
        e.at = 1;
        e.mac = "001565000001";
        e.outcome = "served";
        TRY(tx.insertEvents({e}));
        return tx.setDeviceState("001565000001", DeviceState::kProvisioned);
    });
    f.generation.refresh();
    CHECK(f.generation.current() == g);
}

TEST_CASE("config generation: a template reload moves it") {
    Fixture f;
    const uint64_t g = f.generation.current();
    f.bundles.replace(std::make_shared<const Bundle>());
    f.generation.refresh();
    CHECK(f.generation.current() > g);
}

TEST_CASE("render cache: an entry is served only at the generation it was rendered at") {
    RenderCache cache;
    auto file = std::make_shared<CachedFile>();
    file->body = "bytes";
    file->generation = 7;
    cache.put("k", file);
    REQUIRE(cache.get("k", 7));
    CHECK(cache.get("k", 7)->body == "bytes");
    CHECK_FALSE(cache.get("k", 8));
    CHECK_FALSE(cache.get("other", 7));
}

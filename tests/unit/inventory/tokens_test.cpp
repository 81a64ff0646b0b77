#include <catch2/catch.hpp>

#include "fakes/inventory_fixture.h"
#include "provisioner/core/time_format.h"
#include "provisioner/inventory/inventory.h"

using namespace prov;

namespace {

struct Fixture : testing::InventoryFixture {
    NewToken make(const std::string& name = "", const std::string& expires = "", Role role = Role::kViewer) {
        auto made = inv->createToken(TokenSpec{role, name, expires}, admin);
        REQUIRE(made);
        return made.value();
    }
    TokenCheck check(const std::string& secret) {
        auto auth = inv->authenticate(secret);
        REQUIRE(auth);
        return auth.value().check;
    }
    std::vector<AuditEntry> audit(const std::string& entity) {
        AuditFilter f;
        f.entity = entity;
        return inv->listAudit(f, {}).value().items;
    }
};

}  // namespace

TEST_CASE("tokens are stored hashed and authenticate") {
    Fixture f;
    const NewToken t = f.make("wallboard");
    CHECK(t.secret.rfind("prov_", 0) == 0);
    CHECK(t.secret.size() == 45);
    auto found = f.inv->authenticate(t.secret);
    REQUIRE(found);
    CHECK(found.value().check == TokenCheck::kValid);
    CHECK(found.value().token.role == Role::kViewer);
    CHECK(found.value().token.name == "wallboard");
    CHECK(found.value().token.hash != t.secret);
    CHECK(found.value().token.hash.find(t.secret) == std::string::npos);
    CHECK(f.check(t.secret + "x") == TokenCheck::kUnknown);
    CHECK(f.check("") == TokenCheck::kUnknown);
}

TEST_CASE("a token expires at its time and is refused from then on") {
    Fixture f;
    const NewToken t = f.make("ci", "2d");
    CHECK(t.record.expires_at == f.clock.nowSeconds() + 2 * 86400);
    CHECK(f.check(t.secret) == TokenCheck::kValid);
    f.clock.advance(2 * 86400 - 1);
    CHECK(f.check(t.secret) == TokenCheck::kValid);
    f.clock.advance(1);
    CHECK(f.check(t.secret) == TokenCheck::kExpired);
    CHECK(tokenState(f.inv->listTokens().value().at(0), f.clock.nowSeconds()) == "expired");
    const NewToken dated = f.make("dated", formatUtc(f.clock.nowSeconds() + 3600));
    CHECK(f.check(dated.secret) == TokenCheck::kValid);
}

TEST_CASE("a bad name or expiry is refused, naming the field, and stores nothing") {
    Fixture f;
    struct Bad {
        TokenSpec spec;
        const char* field;
    };
    const Bad bad[] = {
        {{Role::kAdmin, "12", ""}, "name"},                   // revoke could not tell it from an id
        {{Role::kAdmin, "line\nbreak", ""}, "name"},          // not printable
        {{Role::kAdmin, std::string(65, 'n'), ""}, "name"},  // too long
        {{Role::kAdmin, "ok", "30"}, "expires"},              // days or seconds?
        {{Role::kAdmin, "ok", "2001-01-01"}, "expires"},      // the past
        {{Role::kAdmin, "ok", "soon"}, "expires"},
    };
    for (const Bad& b : bad) {
        INFO(b.spec.name << " / " << b.spec.expires);
        auto r = f.inv->createToken(b.spec, f.admin);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == Code::kInvalidArgument);
        CHECK(r.error().fields.count(b.field) == 1);
    }
    CHECK(f.inv->tokenCount().value() == 0);
    CHECK(f.audit("api_token").empty());
}

TEST_CASE("names are unique among tokens not revoked") {
    Fixture f;
    const NewToken first = f.make("ci");
    auto again = f.inv->createToken(TokenSpec{Role::kViewer, "ci", ""}, f.admin);
    REQUIRE_FALSE(again);
    CHECK(again.error().code == Code::kAlreadyExists);
    CHECK(again.error().fields.count("name") == 1);
    f.make();  // nameless tokens are many
    f.make();
    REQUIRE(f.inv->revokeToken("ci", f.admin));
    CHECK(f.inv->createToken(TokenSpec{Role::kViewer, "ci", ""}, f.admin));  // free again
    CHECK(f.check(first.secret) == TokenCheck::kRevoked);
}

TEST_CASE("revoke by id or name: a revoked token is refused and stays listed") {
    Fixture f;
    const NewToken a = f.make("a");
    const NewToken b = f.make("b", "", Role::kAdmin);
    f.clock.advance(5);
    auto by_name = f.inv->revokeToken("a", f.admin);
    REQUIRE(by_name);
    CHECK(by_name.value().id == a.record.id);
    CHECK(by_name.value().revoked_at == f.clock.nowSeconds());
    CHECK(f.check(a.secret) == TokenCheck::kRevoked);
    CHECK(f.check(b.secret) == TokenCheck::kValid);
    auto by_id = f.inv->revokeToken(std::to_string(b.record.id), f.admin);
    REQUIRE(by_id);
    CHECK(f.check(b.secret) == TokenCheck::kRevoked);

    auto twice = f.inv->revokeToken(std::to_string(b.record.id), f.admin);
    REQUIRE_FALSE(twice);
    CHECK(twice.error().reason == "already_revoked");
    auto gone = f.inv->revokeToken("a", f.admin);  // a name finds only tokens not revoked
    REQUIRE_FALSE(gone);
    CHECK(gone.error().code == Code::kNotFound);
    CHECK_FALSE(f.inv->revokeToken("99", f.admin));

    const auto listed = f.inv->listTokens().value();
    REQUIRE(listed.size() == 2);
    CHECK(listed[0].name == "a");
    CHECK(tokenState(listed[0], f.clock.nowSeconds()) == "revoked");
    CHECK(f.inv->tokenCount().value() == 2);  // a store whose tokens were revoked is not a new store
}

TEST_CASE("creation and revocation are audited, with who and from where, never the secret") {
    Fixture f;
    const Actor api{"token:1 (admin)", Role::kAdmin, "192.0.2.9"};
    auto made = f.inv->createToken(TokenSpec{Role::kInstaller, "van", "30d"}, api);
    REQUIRE(made);
    REQUIRE(f.inv->revokeToken("van", api));
    const auto entries = f.audit("api_token");
    REQUIRE(entries.size() == 2);
    CHECK(entries[1].action == "create");
    CHECK(entries[0].action == "revoke");
    for (const AuditEntry& e : entries) {
        CHECK(e.actor == "token:1 (admin)");
        CHECK(e.source == "192.0.2.9");
        CHECK(e.entity_id == std::to_string(made.value().record.id));
        CHECK(e.before.find(made.value().secret) == std::string::npos);
        CHECK(e.after.find(made.value().secret) == std::string::npos);
        CHECK(e.after.find(made.value().record.hash) == std::string::npos);
    }
    CHECK(entries[1].after.find("\"role\":\"installer\"") != std::string::npos);
    CHECK(entries[0].after.find("\"state\":\"revoked\"") != std::string::npos);
}

TEST_CASE("the last use is kept to the minute") {
    Fixture f;
    const NewToken t = f.make();
    CHECK(f.inv->listTokens().value().at(0).last_used_at == 0);
    f.check(t.secret);
    const int64_t first = f.clock.nowSeconds();
    CHECK(f.inv->listTokens().value().at(0).last_used_at == first);
    f.clock.advance(30);
    f.check(t.secret);
    CHECK(f.inv->listTokens().value().at(0).last_used_at == first);  // no write for 30 s
    f.clock.advance(30);
    f.check(t.secret);
    CHECK(f.inv->listTokens().value().at(0).last_used_at == first + 60);
    f.check(t.secret + "x");  // a failure is no use
    CHECK(f.inv->listTokens().value().at(0).last_used_at == first + 60);
}

TEST_CASE("reads that show secrets are audited with their source") {
    Fixture f;
    const Actor api{"token:2 (admin)", Role::kAdmin, "2001:db8::2"};
    REQUIRE(f.inv->auditAccess(api, "preview", "device", "0015654aa937", "{\"file\":\"0015654aa937.cfg\"}"));
    const auto entries = f.audit("device");
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].action == "preview");
    CHECK(entries[0].source == "2001:db8::2");
    CHECK(entries[0].after == "{\"file\":\"0015654aa937.cfg\"}");
    CHECK(entries[0].before.empty());
}

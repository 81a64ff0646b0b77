// The session and users routes, driven directly (no Poco Net): the answer's
// shape, the cookie's attributes, the refusals and the security lines.

#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <thread>

#include "fakes/inventory_fixture.h"
#include "provisioner/admin/api_request.h"
#include "provisioner/admin/json_decode.h"
#include "provisioner/model/json_encode.h"

using namespace prov;
using namespace prov::admin;

namespace {

struct Lines final : SecurityLog::Sink {
    std::vector<std::string> lines;
    bool enabled(LogPriority) const override { return true; }
    void write(LogPriority, const std::string& line) override { lines.push_back(line); }
};

struct RouteFixture : testing::InventoryFixture {
    Lines sink;
    SecurityLog log{sink, clock, {100, 60, 16}};
    ApiContext context{*inv, nullptr, clock, nullptr, nullptr, nullptr, nullptr, false};

    RouteFixture() {
        PortalOptions o;
        o.password = PasswordParams{1, 64, 1};
        o.device_key = "0123456789abcdefghijklmnopqrstuvwxyzABCD";
        inv->setPortalOptions(o);
        REQUIRE(inv->createUser(UserSpec{"ann", Role::kInstaller, "correct horse battery"}, admin));
    }

    ApiRequest request(const std::string& method, std::vector<std::string> segments, const std::string& body = "") {
        ApiRequest r;
        r.method = method;
        r.segments = std::move(segments);
        r.actor = Actor{"unauthenticated", Role::kViewer, "192.0.2.1"};
        if (!body.empty()) {
            r.body = json::parseBody(body, "session").value();
            r.has_body = true;
        }
        return r;
    }

    ApiResult signIn(const std::string& password, const std::string& name = "ann") {
        return sessionRoutes(context, request("POST", {"session"},
                                              R"({"name":")" + name + R"(","password":")" + password + R"("})"),
                             log);
    }

    std::string lines() const {
        std::string all;
        for (const std::string& line : sink.lines) all += line + "\n";
        return all;
    }
};

std::string bodyText(const ApiResponse& r) { return json::stringify(r.body); }

}  // namespace

TEST_CASE("POST /session answers the session and sets the cookie") {
    RouteFixture f;
    auto r = f.signIn("correct horse battery");
    REQUIRE(r);
    CHECK(r.value().status == 200);
    const auto o = r.value().body.extract<Poco::JSON::Object::Ptr>();
    CHECK(o->getObject("user")->getValue<std::string>("name") == "ann");
    CHECK(o->getObject("user")->getValue<std::string>("role") == "installer");
    CHECK(o->getObject("user")->getValue<int64_t>("id") > 0);
    CHECK(o->getValue<std::string>("expires_at") == "2023-11-15T10:13:20Z");       // + 12 h
    CHECK(o->getValue<std::string>("idle_expires_at") == "2023-11-14T22:43:20Z");  // + 30 min
    CHECK(r.value().headers.count("Set-Cookie") == 0);
    REQUIRE(r.value().cookies.size() == 2);
    const std::string cookie = r.value().cookies[0];
    REQUIRE(cookie.rfind("prov_session=", 0) == 0);
    const std::string id = cookie.substr(13, 43);
    CHECK(cookie == "prov_session=" + id + "; Path=/; HttpOnly; SameSite=Strict");
    CHECK(o->getValue<std::string>("csrf_token") == f.inv->csrfToken(id));
    // The device cookie goes back to /session alone, for half a year.
    const std::string device = r.value().cookies[1];
    REQUIRE(device.rfind("prov_device=ann.1700000000.", 0) == 0);
    const std::string device_value = device.substr(12, device.find(';') - 12);
    CHECK(device_value.size() == 4 + 11 + 64);
    CHECK(device == "prov_device=" + device_value + "; Path=/api/v1/session; Max-Age=15552000; HttpOnly; SameSite=Strict");

    // GET with the cookie: the same body.
    ApiRequest get = f.request("GET", {"session"});
    get.session = id;
    auto again = sessionRoutes(f.context, get, f.log);
    REQUIRE(again);
    CHECK(bodyText(again.value()) == bodyText(r.value()));

    // Over HTTPS the cookie is Secure; sign-out clears it.
    f.context.https = true;
    ApiRequest out = f.request("DELETE", {"session"});
    out.session = id;
    auto bye = sessionRoutes(f.context, out, f.log);
    REQUIRE(bye);
    CHECK(bye.value().status == 204);
    // Only the session's cookie is cleared: the device cookie outlives sign-out.
    CHECK(bye.value().cookies == std::vector<std::string>{"prov_session=; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=0"});
    CHECK_FALSE(sessionRoutes(f.context, get, f.log));
    const std::vector<std::string> secure = f.signIn("correct horse battery").value().cookies;
    REQUIRE(secure.size() == 2);
    CHECK(secure[0].find("; Secure") != std::string::npos);
    CHECK(secure[1].size() - secure[1].rfind("; Secure") == 8);
}

TEST_CASE("a sign-in under way on the same key is a 429 of 1 s, a busy server a 503, neither logged as a failure") {
    RouteFixture f;
    PortalOptions o = f.inv->portalOptions();
    o.password.slot_wait_ms = 2000;
    f.inv->setPortalOptions(o);
    REQUIRE(passwordHashSlots().acquire(std::chrono::milliseconds(100)));
    REQUIRE(passwordHashSlots().acquire(std::chrono::milliseconds(100)));
    // Another thread's attempt from this address waits for a hash place,
    // holding its keys.
    auto first = std::async(std::launch::async, [&] { return f.inv->signIn("bob", "x", "192.0.2.1"); });
    for (int i = 0; i < 500 && f.inv->signInKeysHeld() != 2; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    REQUIRE(f.inv->signInKeysHeld() == 2);
    auto in_flight = f.signIn("correct horse battery");
    passwordHashSlots().release();
    passwordHashSlots().release();
    REQUIRE(first.get());
    REQUIRE_FALSE(in_flight);
    CHECK(in_flight.error().reason == "sign_in_in_progress");
    CHECK(in_flight.error().details == std::vector<std::string>{"1"});

    // Both hash places taken past the wait: busy.
    o.password.slot_wait_ms = 20;
    f.inv->setPortalOptions(o);
    REQUIRE(passwordHashSlots().acquire(std::chrono::milliseconds(100)));
    REQUIRE(passwordHashSlots().acquire(std::chrono::milliseconds(100)));
    auto busy = f.signIn("correct horse battery");
    passwordHashSlots().release();
    passwordHashSlots().release();
    REQUIRE_FALSE(busy);
    CHECK(busy.error().code == Code::kUnavailable);
    CHECK(busy.error().reason == "busy");
    CHECK(busy.error().details == std::vector<std::string>{"1"});
    CHECK(f.lines().find("signin_failure") == std::string::npos);
    CHECK(f.signIn("correct horse battery").value().status == 200);
}

TEST_CASE("a refused sign-in for a name that is no user's logs and audits no name") {
    RouteFixture f;
    auto r = f.signIn("wrong password!", "my.secret-password");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Code::kUnauthenticated);
    CHECK(f.lines().find("event=signin_failure src=192.0.2.1 reason=unknown_user\n") != std::string::npos);
    CHECK(f.lines().find("secret") == std::string::npos);
    auto audit = f.inv->listAudit({}, Page{100, 0});
    REQUIRE(audit);
    for (const AuditEntry& a : audit.value().items) {
        CHECK(a.entity_id.find("secret") == std::string::npos);
        CHECK(a.after.find("secret") == std::string::npos);
    }
}

TEST_CASE("the last admin cannot be deleted, disabled or demoted over the API: 409 last_admin") {
    RouteFixture f;
    ApiRequest patch = f.request("PATCH", {"users", "ann"}, R"({"role":"admin"})");
    patch.actor = f.admin;
    REQUIRE(userRoutes(*f.inv, patch));  // ann is the only admin now
    for (const char* body : {R"({"role":"viewer"})", R"({"disabled":true})"}) {
        patch = f.request("PATCH", {"users", "ann"}, body);
        patch.actor = f.admin;
        auto refused = userRoutes(*f.inv, patch);
        REQUIRE_FALSE(refused);
        CHECK(refused.error().code == Code::kConflict);
        CHECK(refused.error().reason == "last_admin");
    }
    ApiRequest del = f.request("DELETE", {"users", "ann"});
    del.actor = f.admin;
    auto refused = userRoutes(*f.inv, del);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().reason == "last_admin");
    CHECK(refused.error().message == "'ann' is the last admin: it cannot be deleted (make another user admin first)");
}

TEST_CASE("a refused sign-in is a 401 and a security line, a block is 429 with its wait") {
    RouteFixture f;
    for (int i = 0; i < 5; ++i) {
        auto r = f.signIn("wrong password!");
        REQUIRE_FALSE(r);
        CHECK(r.error().code == Code::kUnauthenticated);
        CHECK(r.error().message == "the name or password is wrong");
    }
    auto r = f.signIn("correct horse battery");
    REQUIRE_FALSE(r);
    CHECK(r.error().reason == "too_many_failures");
    REQUIRE(r.error().details.size() == 1);
    CHECK(r.error().details[0] == "30");
    const std::string all = f.lines();
    CHECK(all.find("event=signin_failure src=192.0.2.1 reason=bad_password user=\"ann\"") != std::string::npos);
    CHECK(all.find("event=signin_block src=192.0.2.1 seconds=30 key=\"source:192.0.2.1\"") != std::string::npos);
    CHECK(all.find("event=signin_block src=192.0.2.1 seconds=30 key=\"user:ann\"") != std::string::npos);
    CHECK(all.find("wrong password") == std::string::npos);

    auto missing = sessionRoutes(f.context, f.request("POST", {"session"}, R"({"name":"ann"})"), f.log);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().fields.at("password") == "is required");
}

TEST_CASE("/users is for admins and never shows a password") {
    RouteFixture f;
    ApiRequest list = f.request("GET", {"users"});
    list.actor = Actor{"user:ann (installer)", Role::kInstaller, "192.0.2.1", true};
    auto refused = userRoutes(*f.inv, list);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Code::kPermissionDenied);

    list.actor = f.admin;
    auto all = userRoutes(*f.inv, list);
    REQUIRE(all);
    CHECK(bodyText(all.value()) ==
          R"({"items":[{"id":1,"name":"ann","role":"installer","disabled":false,)"
          R"("created_at":"2023-11-14T22:13:20Z","last_sign_in_at":null}],"total":1,"limit":100,"offset":0})");

    ApiRequest patch = f.request("PATCH", {"users", "ann"}, R"({"role":"admin","disabled":true,"colour":"red"})");
    patch.actor = f.admin;
    auto bad = userRoutes(*f.inv, patch);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().fields.count("colour"));
    patch = f.request("PATCH", {"users", "ann"}, R"({"role":"admin","disabled":true})");
    patch.actor = f.admin;
    auto changed = userRoutes(*f.inv, patch);
    REQUIRE(changed);
    CHECK(bodyText(changed.value()).find(R"("disabled":true)") != std::string::npos);
    CHECK(bodyText(changed.value()).find(R"("role":"admin")") != std::string::npos);
}

#include "provisioner/invite/invitations.h"

#include <catch2/catch.hpp>

#include "provisioner/invite/html.h"
#include "provisioner/invite/qr_svg.h"
#include "fakes/test_store.h"
#include "provisioner/tls/crypto.h"

using namespace prov;
using namespace prov::invite;

namespace {

// IntellaPhone (a softphone with one download link) and Yealink T31.
class SoftCatalog final : public ModelCatalog {
  public:
    std::optional<ModelInfo> findModel(const std::string& make,
                                       const std::string& model) const override {
        if (isSoftphone(make) && model == "IntellaPhone PC")
            return ModelInfo{"intellaphone", "IntellaPhone", "IntellaPhone PC", 1, 0, {}};
        return std::nullopt;
    }
    std::string findMake(const std::string& make) const override {
        return isSoftphone(make) ? "IntellaPhone" : make == "Yealink" ? "Yealink" : "";
    }
    std::vector<std::string> makes() const override { return {"IntellaPhone", "Yealink"}; }
    bool isSoftphone(const std::string& make) const override {
        return make == "IntellaPhone" || make == "intellaphone";
    }
    std::vector<AppDownload> downloads(const std::string& make) const override {
        if (!isSoftphone(make)) return {};
        return {{"Android", "https://play.example.com/intellaphone"}};
    }
};

// The security log's lines, for the pages' refusals.
class Lines final : public SecurityLog::Sink {
  public:
    std::vector<std::string> lines;
    bool enabled(LogPriority p) const override {
        return static_cast<int>(p) <= static_cast<int>(LogPriority::kInformation);
    }
    void write(LogPriority, const std::string& line) override { lines.push_back(line); }
    int64_t count(const std::string& text) const {
        int64_t n = 0;
        for (const auto& l : lines) n += l.find(text) != std::string::npos;
        return n;
    }
};

// The store, counting the transactions run on it.
class CountingStore final : public Store {
  public:
    explicit CountingStore(Store& inner) : inner_(inner) {}
    Status read(const Work& work) override {
        ++reads;
        return inner_.read(work);
    }
    Status write(const Work& work) override {
        ++writes;
        return inner_.write(work);
    }
    int reads = 0;
    int writes = 0;

  private:
    Store& inner_;
};

struct World {
    FakeClock clock;
    std::unique_ptr<Store> store;
    std::unique_ptr<CountingStore> counted;
    Lines lines;
    SecurityLog log{lines, clock, LogThrottleOptions{1000, 60}};
    SoftCatalog catalog;
    tls::Sha256Hasher hasher;
    int tokens_made = 0;
    std::function<void()> queued;
    int wakes = 0;
    Actor admin{"token:1 (admin)", Role::kAdmin, "127.0.0.1"};
    std::unique_ptr<Invitations> invitations;

    explicit World(InvitationOptions o = defaults()) {
        store = testing::openTestStore(clock);
        counted = std::make_unique<CountingStore>(*store);
        o.security_log = &log;
        invitations = std::make_unique<Invitations>(
            *counted, clock, hasher, catalog,
            [this] {
                // 43 base64url characters, distinct per call (a real one is random).
                std::string t = "tok" + std::to_string(++tokens_made);
                t.resize(43, 'A');
                return t;
            },
            o);
        invitations->setQueuedListener([this] { ++wakes; });
        addExtension("1001", "IntellaPhone", "IntellaPhone PC", "alice@example.com");
        addExtension("1002", "", "", "");
    }
    static InvitationOptions defaults() {
        InvitationOptions o;
        o.base_url = "https://phones.example.com:8443";
        o.valid_seconds = 3600;
        o.from = "pbx@example.com";
        o.relay = true;
        return o;
    }
    void addExtension(const std::string& ext, const std::string& make, const std::string& model,
                      const std::string& email) {
        Extension e;
        e.extension = ext;
        e.callerid_name = "User " + ext;
        e.secret = "Secret" + ext + "xyz";
        e.voicemail_email = email;
        e.phone_make = make;
        e.phone_model = model;
        REQUIRE(store->write([&](StoreTx& tx) { return tx.insertExtension(e); }));
    }
    // Writes the e-mail of invitation `id`'s outbox row as the outbox would; its link's token.
    std::string send(const Invitation& inv, mail::Message* out = nullptr) {
        std::string token;
        REQUIRE(store->write([&](StoreTx& tx) -> Status {
            auto row = TRY(tx.getOutbox(inv.mail.id));
            REQUIRE(row);
            auto m = TRY(invitations->compose(tx, *row));
            const std::string marker = "https://phones.example.com:8443/invite/";
            const size_t at = m.text.find(marker);
            REQUIRE(at != std::string::npos);
            token = m.text.substr(at + marker.size(), 43);
            if (out) *out = m;
            return okStatus();
        }));
        return token;
    }
    int64_t auditRows() {
        int64_t n = 0;
        REQUIRE(store->read([&](StoreTx& tx) -> Status {
            n = TRY(tx.listAudit(AuditFilter{"", "", 0}, Page{1000, 0})).items.size();
            return okStatus();
        }));
        return n;
    }
    int64_t audits(const std::string& action) {
        int64_t n = 0;
        REQUIRE(store->read([&](StoreTx& tx) -> Status {
            AuditFilter f{"invitation", "", 0};
            auto l = TRY(tx.listAudit(f, Page{}));
            for (const auto& a : l.items) n += a.action == action;
            return okStatus();
        }));
        return n;
    }
};

}  // namespace

TEST_CASE(
    "an invitation goes to the voicemail e-mail, or the one given - only for softphone "
    "extensions") {
    World w;
    auto inv = w.invitations->create("1001", "", w.admin);
    REQUIRE(inv);
    CHECK(inv.value().email == "alice@example.com");
    CHECK(inv.value().mail.state == "queued");
    CHECK(inv.value().expires_at == w.clock.nowSeconds() + 3600);
    CHECK(w.wakes == 1);
    CHECK(w.audits("create") == 1);

    auto given = w.invitations->create("1001", "bob@example.com", w.admin);
    REQUIRE(given);
    CHECK(given.value().mail.recipient == "bob@example.com");

    auto hardware = w.invitations->create("1002", "bob@example.com", w.admin);
    REQUIRE_FALSE(hardware);
    CHECK(hardware.error().code == Code::kConflict);
    CHECK(hardware.error().reason == "not_softphone");
    CHECK(hardware.error().fields.count("phone_make"));

    w.addExtension("1003", "IntellaPhone", "IntellaPhone PC", "");
    auto none = w.invitations->create("1003", "", w.admin);
    REQUIRE_FALSE(none);
    CHECK(none.error().code == Code::kInvalidArgument);
    CHECK(none.error().fields.count("email"));
    auto bad = w.invitations->create("1003", "not an address", w.admin);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().fields.count("email"));
    CHECK(w.invitations->create("9999", "", w.admin).error().code == Code::kNotFound);
}

TEST_CASE("without a relay or base URL invitations are refused") {
    InvitationOptions o = World::defaults();
    o.base_url = "";
    World w(o);
    auto r = w.invitations->create("1001", "", w.admin);
    REQUIRE_FALSE(r);
    CHECK(r.error().reason == "mail_not_configured");
}

TEST_CASE(
    "the e-mail carries the link and downloads, no secret - only the token's hash is stored") {
    World w;
    const Invitation inv = w.invitations->create("1001", "", w.admin).value();
    mail::Message m;
    const std::string token = w.send(inv, &m);
    CHECK(m.to == "alice@example.com");
    CHECK(m.from == "pbx@example.com");
    CHECK(m.subject == "Your IntellaPhone account for extension 1001");
    CHECK(m.text.find("https://play.example.com/intellaphone") != std::string::npos);
    CHECK(m.html.find("https://phones.example.com:8443/invite/" + token) != std::string::npos);
    CHECK(m.text.find("Secret1001xyz") == std::string::npos);
    CHECK(m.html.find("Secret1001xyz") == std::string::npos);
    const auto list = w.invitations->list("1001").value();
    REQUIRE(list.size() == 1);
    CHECK(list[0].token_hash == w.hasher.sha256Hex(token));
    CHECK(list[0].token_hash.find(token) == std::string::npos);
}

TEST_CASE(
    "the link: GET shows the downloads, POST reveals once, then the one refusal page for all") {
    World w;
    const Invitation inv = w.invitations->create("1001", "", w.admin).value();
    const std::string token = w.send(inv);
    const PageResponse guessed = w.invitations->page("POST", std::string(43, 'x'), "10.0.0.9");
    CHECK(guessed.status == 404);
    CHECK(guessed.body == refusalPage());

    const PageResponse landing = w.invitations->page("GET", token, "10.0.0.9");
    CHECK(landing.status == 200);
    CHECK(landing.body.find("https://play.example.com/intellaphone") != std::string::npos);
    CHECK(landing.body.find("<form method=\"post\">") != std::string::npos);
    CHECK(landing.body.find("Secret1001xyz") == std::string::npos);
    CHECK(w.invitations->page("GET", token, "10.0.0.9").status ==
          200);  // a GET reveals nothing, twice is fine

    REQUIRE(w.store->write([&](StoreTx& tx) {
        return tx.putSettings(
            "",
            {{"sip_server", "pbx.example.com"}, {"sip_port", "5061"}, {"sip_transport", "tls"}});
    }));
    const PageResponse account = w.invitations->page("POST", token, "10.0.0.9");
    CHECK(account.status == 200);
    CHECK(account.body.find("Secret1001xyz") != std::string::npos);
    CHECK(account.body.find("pbx.example.com") != std::string::npos);
    CHECK(account.body.find("sip:1001@pbx.example.com:5061;transport=tls") != std::string::npos);
    CHECK(account.body.find("<svg") != std::string::npos);

    const PageResponse again = w.invitations->page("POST", token, "10.0.0.9");
    CHECK(again.status == guessed.status);
    CHECK(again.body == guessed.body);
    CHECK(w.invitations->page("GET", token, "10.0.0.9").body == guessed.body);
    CHECK(w.audits("view") == 2);
    CHECK(w.audits("reveal") == 1);
    // Refusals are security-log lines, never audit rows.
    CHECK(w.audits("reveal_refused") == 0);
    CHECK(w.audits("view_refused") == 0);
    CHECK(w.lines.count("event=invite_refused src=10.0.0.9 method=POST reason=not_live") == 2);
    CHECK(w.lines.count("event=invite_refused src=10.0.0.9 method=GET reason=not_live") == 1);
}

TEST_CASE("a malformed token is refused without the store, an unknown one without a write") {
    World w;
    const int64_t rows = w.auditRows();
    const int reads = w.counted->reads;
    const int writes = w.counted->writes;
    for (const std::string& bad :
         {std::string(), std::string("x"), std::string(42, 'a'), std::string(44, 'a'),
          std::string(42, 'a') + "!", std::string(42, 'a') + "/"}) {
        const PageResponse p = w.invitations->page("GET", bad, "10.0.0.9");
        CHECK(p.status == 404);
        CHECK(p.body == refusalPage());
    }
    CHECK(w.counted->reads == reads);
    CHECK(w.counted->writes == writes);
    CHECK(w.lines.count("event=invite_refused src=10.0.0.9 method=GET reason=malformed") == 6);

    const PageResponse unknown = w.invitations->page("POST", std::string(43, 'x'), "10.0.0.9");
    CHECK(unknown.body == refusalPage());
    CHECK(w.counted->reads == reads + 1);
    CHECK(w.counted->writes == writes);
    CHECK(w.auditRows() == rows);
}

TEST_CASE("an address over its limit gets the refusal page without the store, others do not") {
    World w;
    const Invitation inv = w.invitations->create("1001", "", w.admin).value();
    const std::string token = w.send(inv);
    for (int i = 0; i < 20; ++i) (void)w.invitations->page("GET", std::string(43, 'x'), "10.0.0.9");
    const int reads = w.counted->reads;
    const int writes = w.counted->writes;
    // The burst is spent: even the live token is refused, with no store.
    const PageResponse over = w.invitations->page("GET", token, "10.0.0.9");
    CHECK(over.status == 404);
    CHECK(over.body == refusalPage());
    CHECK(w.counted->reads == reads);
    CHECK(w.counted->writes == writes);
    CHECK(w.lines.count("reason=rate_limited") == 1);
    // Another address is not held back.
    CHECK(w.invitations->page("GET", token, "10.0.0.10").status == 200);
    // 10 a minute: one comes back after 6 seconds.
    w.clock.advance(6);
    CHECK(w.invitations->page("GET", token, "10.0.0.9").status == 200);
    CHECK(w.invitations->page("GET", token, "10.0.0.9").status == 404);
    CHECK(w.audits("view") == 2);
}

TEST_CASE(
    "deleting an extension revokes its invitations - one of the same number is not revealed") {
    World w;
    const Invitation inv = w.invitations->create("1001", "", w.admin).value();
    const std::string token = w.send(inv);
    const Invitation queued = w.invitations->create("1001", "", w.admin).value();
    const std::string token2 = w.send(queued);
    REQUIRE(w.store->write([&](StoreTx& tx) -> Status {
        const auto e = TRY(tx.getExtension("1001"));
        REQUIRE(e);
        return tx.deleteExtension(e->id);
    }));
    w.addExtension("1001", "IntellaPhone", "IntellaPhone PC", "mallory@example.com");
    CHECK(w.invitations->page("GET", token2, "10.0.0.9").body == refusalPage());
    CHECK(w.invitations->page("POST", token2, "10.0.0.9").body == refusalPage());
    const auto list = w.invitations->list("1001").value();
    REQUIRE(list.size() == 2);
    CHECK(list[0].revoked);
    CHECK(list[1].revoked);
    CHECK(w.audits("reveal") == 0);
    (void)token;
}

TEST_CASE("an invitation is bound to its extension's row, not only its number") {
    World w;
    const Invitation inv = w.invitations->create("1001", "", w.admin).value();
    CHECK(inv.extension_id != 0);
    // One made for an earlier row of the same number (its id no longer the row's).
    Invitation stale;
    stale.extension = "1001";
    stale.extension_id = inv.extension_id + 100;
    stale.email = "alice@example.com";
    stale.created_at = w.clock.nowSeconds();
    stale.expires_at = w.clock.nowSeconds() + 3600;
    const std::string token(43, 's');
    REQUIRE(w.store->write([&](StoreTx& tx) -> Status {
        TRY(tx.insertInvitation(stale));
        return tx.setInvitationToken(stale.id, w.hasher.sha256Hex(token));
    }));
    CHECK(w.invitations->page("GET", token, "10.0.0.9").body == refusalPage());
    CHECK(w.invitations->page("POST", token, "10.0.0.9").body == refusalPage());
    CHECK(w.audits("reveal") == 0);
}

TEST_CASE("an invitation expires on the clock and is revoked by a newer one") {
    World w;
    const Invitation first = w.invitations->create("1001", "", w.admin).value();
    const std::string first_token = w.send(first);
    w.clock.advance(3599);
    CHECK(w.invitations->page("GET", first_token, "10.0.0.9").status == 200);
    w.clock.advance(1);
    CHECK(w.invitations->page("POST", first_token, "10.0.0.9").body == refusalPage());

    const Invitation second = w.invitations->create("1001", "", w.admin).value();
    const Invitation third = w.invitations->create("1001", "", w.admin).value();
    const auto list = w.invitations->list("1001").value();
    REQUIRE(list.size() == 3);
    CHECK_FALSE(list[0].revoked);  // newest first
    CHECK(list[1].revoked);
    CHECK(list[2].revoked);
    // The revoked one's e-mail is never written.
    REQUIRE(w.store->write([&](StoreTx& tx) -> Status {
        auto row = TRY(tx.getOutbox(second.mail.id));
        auto m = w.invitations->compose(tx, *row);
        CHECK_FALSE(m);
        return okStatus();
    }));
    const std::string token = w.send(third);
    CHECK(w.invitations->page("POST", token, "10.0.0.9").status == 200);
}

TEST_CASE("the QR code is an SVG of the SIP URI - base64url has no padding") {
    const std::string svg = qrSvg("sip:1001@pbx.example.com", "QR");
    CHECK(svg.rfind("<svg", 0) == 0);
    CHECK(svg.find("<path") != std::string::npos);
    const unsigned char bytes[32] = {0xfb, 0xff, 0xfe};
    const std::string t = base64Url(bytes, sizeof bytes);
    CHECK(t.size() == 43);
    CHECK(t.rfind("-__-", 0) == 0);
    CHECK(t.find('=') == std::string::npos);
}

TEST_CASE("pages carry a CSP that allows only their own style and script") {
    const std::string& csp = pageCsp();
    CHECK(csp.find("default-src 'none'") == 0);
    CHECK(csp.find("style-src 'sha256-") != std::string::npos);
    CHECK(csp.find("'unsafe-inline'") == std::string::npos);
    CHECK(escapeHtml("<a href=\"x\">&'") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
}

// The routes the portal needs, driven directly (no HTTP): sort and search,
// reveal, references, masking for portal sessions, background imports.

#include <catch2/catch.hpp>

#include <Poco/JSON/Array.h>

#include "fakes/inventory_fixture.h"
#include "provisioner/admin/api_catalog.h"
#include "provisioner/admin/api_request.h"
#include "provisioner/admin/import_jobs.h"
#include "provisioner/model/json_encode.h"

using namespace prov;
using namespace prov::admin;

namespace {

struct Fixture : testing::InventoryFixture {
    explicit Fixture(int64_t licence = 10) : InventoryFixture(licence) {}
    ImportJobs jobs{clock};
    ApiContext context{*inv,
                       [](const std::string&, const std::string&) -> Result<std::string> { return std::string("cfg"); },
                       clock, nullptr, nullptr, &jobs, nullptr, false};
    Actor portal_admin{"user:ann (admin)", Role::kAdmin, "127.0.0.1", true};
    Actor installer{"token:2 (installer)", Role::kInstaller, "127.0.0.1"};
    Actor viewer{"token:3 (viewer)", Role::kViewer, "127.0.0.1"};

    ApiResult call(const Actor& actor, const std::string& method, std::vector<std::string> segments,
                   std::map<std::string, std::string> query = {}, std::string raw = "") {
        ApiRequest r;
        r.method = method;
        r.segments = std::move(segments);
        r.query = std::move(query);
        r.raw_body = std::move(raw);
        r.actor = actor;
        return route(context, r);
    }
    Poco::JSON::Object::Ptr body(const ApiResult& r) {
        REQUIRE(r);
        return r.value().body.extract<json::ObjectPtr>();
    }
    std::vector<std::string> column(const ApiResult& r, const std::string& key) {
        std::vector<std::string> out;
        auto items = body(r)->getArray("items");
        for (size_t i = 0; i < items->size(); ++i)
            out.push_back(items->getObject(static_cast<unsigned>(i))->getValue<std::string>(key));
        return out;
    }
    void extension(const std::string& number, const std::string& name, const std::string& user = "",
                   const std::string& mac = "") {
        Extension e;
        e.extension = number;
        e.callerid_name = name;
        e.user = user;
        e.mac = mac;
        REQUIRE(inv->createExtension(e, admin));
    }
    void device(const std::string& mac, const std::string& label, const std::string& serial = "") {
        Device d;
        d.mac = mac;
        d.make = "Yealink";
        d.model = "T31";
        d.label = label;
        d.serial = serial;
        REQUIRE(inv->createDevice(d, admin));
    }
};

using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("extensions: sort by a listed field either way - anything else names the field") {
    Fixture f;
    f.extension("100", "bob");
    f.extension("99", "Alice");
    f.extension("101", "carol");
    CHECK(f.column(f.call(f.admin, "GET", {"extensions"}), "extension") == Strings{"99", "100", "101"});
    CHECK(f.column(f.call(f.admin, "GET", {"extensions"}, {{"order", "desc"}}), "extension") ==
          Strings{"101", "100", "99"});
    CHECK(f.column(f.call(f.admin, "GET", {"extensions"}, {{"sort", "callerid_name"}}), "callerid_name") ==
          Strings{"Alice", "bob", "carol"});
    CHECK(f.column(f.call(f.admin, "GET", {"extensions"}, {{"sort", "callerid_name"}, {"order", "desc"}}),
                   "callerid_name") == Strings{"carol", "bob", "Alice"});

    for (const char* bad : {"secret", "callerid_name; DROP TABLE extensions", "e.secret"}) {
        auto r = f.call(f.admin, "GET", {"extensions"}, {{"sort", bad}});
        REQUIRE_FALSE(r);
        CHECK(r.error().code == Code::kInvalidArgument);
        CHECK(r.error().fields.count("sort") == 1);
    }
    auto r = f.call(f.admin, "GET", {"extensions"}, {{"order", "up"}});
    REQUIRE_FALSE(r);
    CHECK(r.error().fields.count("order") == 1);
}

TEST_CASE("extensions: q finds a case-insensitive substring of any shown text column, and MACs in any spelling") {
    Fixture f;
    f.device("001565aabbcc", "HQ");
    f.extension("201", "Alice Martin", "amartin", "001565aabbcc");
    f.extension("202", "Bob Stone", "bstone");
    f.extension("203", "Percent 100%", "");
    CHECK(f.column(f.call(f.admin, "GET", {"extensions"}, {{"q", "MARTIN"}}), "extension") == Strings{"201"});
    CHECK(f.column(f.call(f.admin, "GET", {"extensions"}, {{"q", "bsto"}}), "extension") == Strings{"202"});
    CHECK(f.column(f.call(f.admin, "GET", {"extensions"}, {{"q", "65:AA:bb"}}), "extension") == Strings{"201"});
    CHECK(f.column(f.call(f.admin, "GET", {"extensions"}, {{"q", "yealink"}}), "extension") == Strings{"201"});
    // LIKE's wildcards are the characters themselves.
    CHECK(f.column(f.call(f.admin, "GET", {"extensions"}, {{"q", "0%"}}), "extension") == Strings{"203"});
    CHECK(f.column(f.call(f.admin, "GET", {"extensions"}, {{"q", "_"}}), "extension").empty());
    CHECK(f.body(f.call(f.admin, "GET", {"extensions"}, {{"q", "20"}, {"limit", "2"}}))->getValue<int64_t>("total") ==
          3);
}

TEST_CASE("devices: sort and search over mac, label (site), serial - a bad sort names the field") {
    Fixture f;
    f.device("001565000003", "Annex", "SN-77");
    f.device("001565000001", "hq");
    f.device("001565000002", "Basement");
    CHECK(f.column(f.call(f.admin, "GET", {"devices"}, {{"sort", "site"}}), "label") ==
          Strings{"Annex", "Basement", "hq"});
    CHECK(f.column(f.call(f.admin, "GET", {"devices"}, {{"sort", "label"}, {"order", "desc"}}), "label") ==
          Strings{"hq", "Basement", "Annex"});
    CHECK(f.column(f.call(f.admin, "GET", {"devices"}, {{"order", "desc"}}), "label") ==
          Strings{"Annex", "Basement", "hq"});
    CHECK(f.column(f.call(f.admin, "GET", {"devices"}, {{"q", "sn-7"}}), "label") == Strings{"Annex"});
    CHECK(f.column(f.call(f.admin, "GET", {"devices"}, {{"q", "BASE"}}), "label") == Strings{"Basement"});
    CHECK(f.column(f.call(f.admin, "GET", {"devices"}, {{"q", "00-00-01"}}), "label") == Strings{"hq"});
    // With a filter before it: the pattern binds after the filter's value.
    CHECK(f.column(f.call(f.admin, "GET", {"devices"}, {{"site", "hq"}, {"q", "0001"}}), "label") == Strings{"hq"});
    CHECK(f.column(f.call(f.admin, "GET", {"devices"}, {{"site", "hq"}, {"q", "annex"}}), "label").empty());
    auto r = f.call(f.admin, "GET", {"devices"}, {{"sort", "mac desc"}});
    REQUIRE_FALSE(r);
    CHECK(r.error().fields.count("sort") == 1);
}

TEST_CASE("reveal: admins only, audited without the value - the portal's one way to a secret") {
    Fixture f;
    f.extension("201", "Alice");
    const std::string secret = f.inv->getExtension("201").value().secret;

    auto shown = f.call(f.portal_admin, "GET", {"extensions", "201"});
    CHECK(f.body(shown)->getValue<std::string>("secret") == json::kMask);
    auto listed = f.call(f.portal_admin, "GET", {"extensions"});
    CHECK(f.column(listed, "secret") == Strings{json::kMask});

    auto r = f.call(f.portal_admin, "POST", {"extensions", "201", "secret", "reveal"});
    CHECK(f.body(r)->getValue<std::string>("secret") == secret);
    auto audit = f.inv->listAudit({"extension", "201", 0}, {}).value();
    REQUIRE(audit.total >= 1);
    CHECK(audit.items[0].action == "reveal");
    CHECK(audit.items[0].actor == "user:ann (admin)");
    for (const auto& a : audit.items) {
        CHECK(a.after.find(secret) == std::string::npos);
        CHECK(a.before.find(secret) == std::string::npos);
    }

    for (const Actor* who : {&f.installer, &f.viewer}) {
        auto no = f.call(*who, "POST", {"extensions", "201", "secret", "reveal"});
        REQUIRE_FALSE(no);
        CHECK(no.error().code == Code::kPermissionDenied);
    }
    auto missing = f.call(f.admin, "POST", {"extensions", "999", "secret", "reveal"});
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == Code::kNotFound);
    auto get = f.call(f.admin, "GET", {"extensions", "201", "secret", "reveal"});
    REQUIRE_FALSE(get);
    CHECK(get.error().code == Code::kMethodNotAllowed);
}

TEST_CASE("a portal session sees every secret masked: create, edit, settings, credentials - no secret export, previews audited") {
    Fixture f;
    // Created by the portal: the generated secret is not in the answer.
    ApiRequest create;
    create.method = "POST";
    create.segments = {"extensions"};
    auto obj = json::newObject();
    obj->set("extension", std::string("301"));
    obj->set("callerid_name", std::string("Dan"));
    create.body = obj;
    create.has_body = true;
    create.actor = f.portal_admin;
    auto created = route(f.context, create);
    CHECK(f.body(created)->getValue<std::string>("secret") == json::kMask);
    create.actor = f.admin;
    obj->set("extension", std::string("302"));
    CHECK(f.body(route(f.context, create))->getValue<std::string>("secret") != json::kMask);

    auto reg = json::newObject();
    reg->set("status", std::string("OK"));
    ApiRequest put{"PUT", {"extensions", "301", "registration"}, {}, reg, true, "", f.portal_admin, ""};
    CHECK(f.body(route(f.context, put))->getValue<std::string>("secret") == json::kMask);

    // Settings of type secret.
    const std::string key = [] {
        for (const auto& s : settingSpecs()) {
            if (s.type == SettingType::kSecret) return std::string(s.key);
        }
        return std::string();
    }();
    REQUIRE_FALSE(key.empty());
    auto settings = json::newObject();
    settings->set(key, std::string("Hunter2-Secret-99"));
    ApiRequest put_settings{"PUT", {"settings"}, {}, settings, true, "", f.portal_admin, ""};
    CHECK(f.body(route(f.context, put_settings))->getValue<std::string>(key) == json::kMask);
    CHECK(f.body(f.call(f.portal_admin, "GET", {"settings"}))->getValue<std::string>(key) == json::kMask);
    CHECK(f.body(f.call(f.admin, "GET", {"settings"}))->getValue<std::string>(key) == "Hunter2-Secret-99");

    // Device credentials: masked, then revealed (audited).
    f.device("001565000001", "HQ");
    auto rotated = f.call(f.portal_admin, "POST", {"devices", "001565000001", "credentials"});
    CHECK(f.body(rotated)->getValue<std::string>("password") == json::kMask);
    CHECK(f.body(rotated)->getValue<std::string>("aes_key") == json::kMask);
    auto got = f.call(f.portal_admin, "GET", {"devices", "001565000001", "credentials"});
    CHECK(f.body(got)->getValue<std::string>("password") == json::kMask);
    const std::string password = f.inv->deviceCredentials("001565000001").value()->password;
    auto shown = f.call(f.portal_admin, "POST", {"devices", "001565000001", "credentials", "reveal"});
    CHECK(f.body(shown)->getValue<std::string>("password") == password);
    CHECK(f.inv->listAudit({"device_credentials", "001565000001", 0}, {}).value().items.at(0).action == "reveal");
    auto token_get = f.call(f.admin, "GET", {"devices", "001565000001", "credentials"});
    CHECK(f.body(token_get)->getValue<std::string>("password") == password);
    auto installer = f.call(f.installer, "POST", {"devices", "001565000001", "credentials", "reveal"});
    REQUIRE_FALSE(installer);
    CHECK(installer.error().code == Code::kPermissionDenied);

    // Exports with secrets and previews carry secrets in bulk.
    auto exp = f.call(f.portal_admin, "GET", {"exports"}, {{"secrets", "true"}});
    REQUIRE_FALSE(exp);
    CHECK(exp.error().code == Code::kPermissionDenied);
    CHECK(exp.error().fields.count("secrets") == 1);
    CHECK(f.call(f.portal_admin, "GET", {"exports"}));
    CHECK(f.call(f.admin, "GET", {"exports"}, {{"secrets", "true"}}));
    // A preview is one file an admin asked for, audited like a reveal;
    // installers and viewers never get one.
    auto preview = f.call(f.portal_admin, "GET", {"devices", "001565000001", "preview", "x.cfg"});
    REQUIRE(preview);
    auto audit = f.inv->listAudit({"device", "001565000001", 0}, {}).value();
    REQUIRE(audit.total >= 1);
    CHECK(audit.items[0].action == "preview");
    CHECK(audit.items[0].actor == "user:ann (admin)");
    auto refused = f.call(f.installer, "GET", {"devices", "001565000001", "preview", "x.cfg"});
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Code::kPermissionDenied);
}

TEST_CASE("references: the list the delete refusal carries, for every role") {
    Fixture f;
    f.device("001565000001", "HQ");
    f.extension("201", "Alice", "", "001565000001");
    f.extension("202", "Bob");
    REQUIRE(f.inv->editExtension(
        "202", [](Extension& e, FieldErrors&, std::optional<int64_t>&) { e.call_forward = "201"; }, f.admin));
    auto refs = f.body(f.call(f.viewer, "GET", {"extensions", "201", "references"}));
    CHECK(refs->getValue<std::string>("extension") == "201");
    auto list = refs->getArray("references");
    auto del = f.call(f.admin, "DELETE", {"extensions", "201"});
    REQUIRE_FALSE(del);
    CHECK(del.error().reason == "extension_in_use");
    REQUIRE(list->size() == del.error().details.size());
    REQUIRE(list->size() == 2);
    for (size_t i = 0; i < list->size(); ++i)
        CHECK(list->getElement<std::string>(static_cast<unsigned>(i)) == del.error().details[i]);
    auto missing = f.call(f.viewer, "GET", {"extensions", "203", "references"});
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == Code::kNotFound);
}

TEST_CASE("imports: ?async=true answers 202 with an id - the job ends with the synchronous report") {
    Fixture f;
    const std::string csv =
        "mac,make,model,label,extension,device_type,callerid_name\n"
        "00:15:65:00:00:01,Yealink,T31,HQ,201,SIP,Alice\n"
        ",,,,300,VIRTUAL,Conference\n";
    auto dry = f.call(f.admin, "POST", {"imports"}, {{"async", "true"}, {"dry_run", "true"}}, csv);
    REQUIRE(dry);
    CHECK(dry.value().status == 202);
    const int64_t dry_id = f.body(dry)->getValue<int64_t>("id");
    f.jobs.wait();
    auto job = f.body(f.call(f.admin, "GET", {"imports", std::to_string(dry_id)}));
    CHECK(job->getValue<std::string>("state") == "done");
    auto report = job->getObject("report");
    REQUIRE(report);
    CHECK(report->getValue<bool>("dry_run"));
    CHECK(report->getValue<int64_t>("rows") == 2);
    CHECK(f.inv->listExtensions({}, {}).value().total == 0);

    auto real = f.call(f.admin, "POST", {"imports"}, {{"async", "true"}}, csv);
    const int64_t id = f.body(real)->getValue<int64_t>("id");
    CHECK(id != dry_id);
    f.jobs.wait();
    CHECK(f.body(f.call(f.admin, "GET", {"imports", std::to_string(id)}))->getValue<std::string>("state") == "done");
    CHECK(f.inv->listExtensions({}, {}).value().total == 2);

    // A bad file: failed, with the 400 body of the synchronous form; nothing stored.
    auto bad = f.call(f.admin, "POST", {"imports"}, {{"async", "1"}},
                      "mac,make,model,label,extension,device_type,callerid_name\n,,,,400,NOPE,X\n");
    const int64_t bad_id = f.body(bad)->getValue<int64_t>("id");
    f.jobs.wait();
    auto failed = f.body(f.call(f.admin, "GET", {"imports", std::to_string(bad_id)}));
    CHECK(failed->getValue<std::string>("state") == "failed");
    CHECK(failed->getObject("report")->getObject("error")->getValue<std::string>("code") == "invalid_import");
    CHECK(f.inv->listExtensions({}, {}).value().total == 2);

    // The synchronous form still answers at once.
    auto sync = f.call(f.admin, "POST", {"imports"}, {}, csv);
    CHECK(sync.value().status == 200);

    auto nope = f.call(f.admin, "GET", {"imports", "12345"});
    REQUIRE_FALSE(nope);
    CHECK(nope.error().code == Code::kNotFound);
    for (const Actor* who : {&f.installer, &f.viewer}) {
        auto no = f.call(*who, "GET", {"imports", std::to_string(id)});
        REQUIRE_FALSE(no);
        CHECK(no.error().code == Code::kPermissionDenied);
    }
}

TEST_CASE("import jobs: one at a time (409 import_running), progress seen while running, bounded memory") {
    FakeClock clock;
    ImportJobs jobs(clock, 2, 60);
    std::mutex m;
    std::condition_variable cv;
    bool reported = false, release = false;
    auto id = jobs.start([&](const ImportJobs::Progress& progress) {
        progress("checking", 2000, 5000);
        std::unique_lock lock(m);
        reported = true;
        cv.notify_all();
        cv.wait(lock, [&] { return release; });
        return ImportOutcome{true, "\"report\""};
    });
    REQUIRE(id);
    {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return reported; });
    }
    auto running = jobs.get(id.value());
    REQUIRE(running);
    CHECK(running->state == ImportState::kRunning);
    CHECK(running->phase == "checking");
    CHECK(running->rows_done == 2000);
    CHECK(running->rows_total == 5000);
    auto second = jobs.start([](const ImportJobs::Progress&) { return ImportOutcome{true, {}}; });
    REQUIRE_FALSE(second);
    CHECK(second.error().code == Code::kConflict);
    CHECK(second.error().reason == "import_running");
    {
        std::lock_guard lock(m);
        release = true;
    }
    cv.notify_all();
    jobs.wait();
    auto done = jobs.get(id.value());
    REQUIRE(done);
    CHECK(done->state == ImportState::kDone);
    CHECK(done->rows_done == 5000);

    // At most 2 kept; and none past 60 s.
    for (int i = 0; i < 3; ++i) {
        REQUIRE(jobs.start([](const ImportJobs::Progress&) { return ImportOutcome{false, {}}; }));
        jobs.wait();
    }
    CHECK_FALSE(jobs.get(id.value()));
    CHECK(jobs.get(id.value() + 3));
    clock.advance(61);
    CHECK_FALSE(jobs.get(id.value() + 3));
}

namespace {

// `rows` VIRTUAL extensions from 5000 on, or rows with a device type that does not exist.
std::string extensionRows(size_t rows, bool broken = false) {
    std::string csv = "mac,make,model,label,extension,device_type,callerid_name\n";
    for (size_t i = 0; i < rows; ++i)
        csv += ",,,," + std::to_string(5000 + i) + (broken ? ",NOPE,X\n" : ",VIRTUAL,Room\n");
    return csv;
}

struct Step {
    std::string phase;
    size_t done, total;
};

}  // namespace

TEST_CASE(
    "import progress: each phase from 0 to its whole total, never backwards within one (2003 "
    "rows)") {
    Fixture f(5000);
    std::vector<Step> steps;
    ImportOptions options;
    options.progress = [&](const char* phase, size_t done, size_t total) {
        steps.push_back({phase, done, total});
    };
    auto rep = f.inv->importCsv(extensionRows(2003), options, f.admin);
    REQUIRE(rep);
    REQUIRE(rep.value().problems.empty());
    CHECK(rep.value().rows == 2003);
    REQUIRE(steps.size() == 6);
    const std::vector<std::string> phases{"checking", "checking", "checking",
                                          "writing",  "writing",  "writing"};
    const std::vector<size_t> done{0, 2000, 2003, 0, 2000, 2003};
    for (size_t i = 0; i < steps.size(); ++i) {
        CHECK(steps[i].phase == phases[i]);
        CHECK(steps[i].done == done[i]);
        CHECK(steps[i].total == 2003);
        if (i > 0 && steps[i].phase == steps[i - 1].phase)
            CHECK(steps[i].done >= steps[i - 1].done);
    }
}

TEST_CASE(
    "imports: an async job ends at rows_done = rows_total = the rows read (7 rows, 2003 rows)") {
    for (const size_t rows : {size_t{7}, size_t{2003}}) {
        Fixture f(5000);
        auto started =
            f.call(f.admin, "POST", {"imports"}, {{"async", "true"}}, extensionRows(rows));
        const int64_t id = f.body(started)->getValue<int64_t>("id");
        f.jobs.wait();
        auto job = f.body(f.call(f.admin, "GET", {"imports", std::to_string(id)}));
        CHECK(job->getValue<std::string>("state") == "done");
        CHECK(job->getValue<std::string>("phase") == "finished");
        CHECK(job->getValue<int64_t>("rows_done") == static_cast<int64_t>(rows));
        CHECK(job->getValue<int64_t>("rows_total") == static_cast<int64_t>(rows));
        CHECK(job->getObject("report")->getValue<int64_t>("rows") == static_cast<int64_t>(rows));
    }
}

TEST_CASE(
    "imports: the first 1000 problems are listed, problems_total counts them all (sync and "
    "async)") {
    Fixture f;
    const std::string csv = extensionRows(1500, true);
    auto sync = f.call(f.admin, "POST", {"imports"}, {}, csv);
    REQUIRE(sync);
    CHECK(sync.value().status == 400);
    auto err = f.body(sync)->getObject("error");
    CHECK(err->getValue<std::string>("code") == "invalid_import");
    CHECK(err->getArray("problems")->size() == 1000);
    const int64_t total = err->getValue<int64_t>("problems_total");
    CHECK(total >= 1500);
    CHECK(err->getValue<std::string>("message").rfind(
              std::to_string(total) + " problem(s) in 1500 row(s)", 0) == 0);
    // The first ones, in the file's order.
    CHECK(err->getArray("problems")->getObject(0)->getValue<int64_t>("line") == 2);

    auto started = f.call(f.admin, "POST", {"imports"}, {{"async", "true"}}, csv);
    const int64_t id = f.body(started)->getValue<int64_t>("id");
    f.jobs.wait();
    const std::optional<ImportJob> kept = f.jobs.get(id);
    REQUIRE(kept);
    CHECK(kept->state == ImportState::kFailed);
    CHECK(kept->report.size() < 200'000);  // 1000 problems of ~80 bytes, not 1500+
    auto job = f.body(f.call(f.admin, "GET", {"imports", std::to_string(id)}));
    auto stored = job->getObject("report")->getObject("error");
    CHECK(stored->getArray("problems")->size() == 1000);
    CHECK(stored->getValue<int64_t>("problems_total") == total);
}

TEST_CASE("catalog: vendors by id with their models' lines and keys, every role") {
    auto loaded = VendorCatalog::load(TEMPLATES_DIR);
    REQUIRE(loaded);
    const std::vector<CatalogVendor> vendors = catalogOf(loaded.value());
    REQUIRE(vendors.size() >= 6);
    for (size_t i = 1; i < vendors.size(); ++i) CHECK(vendors[i - 1].vendor < vendors[i].vendor);
    const CatalogVendor* yealink = nullptr;
    for (const auto& v : vendors) {
        if (v.vendor == "yealink") yealink = &v;
        for (size_t i = 1; i < v.models.size(); ++i) CHECK(v.models[i - 1].model < v.models[i].model);
    }
    REQUIRE(yealink);
    CHECK(yealink->name == "Yealink");
    CHECK_FALSE(yealink->softphone);
    bool t46u = false;
    for (const auto& m : yealink->models) {
        if (m.model == "T46U") {
            t46u = true;
            CHECK(m.lines == 16);
            CHECK(m.keys == 27);
        }
    }
    CHECK(t46u);

    Fixture f;
    f.context.catalog = [&] { return vendors; };
    auto r = f.call(f.viewer, "GET", {"catalog"});
    auto list = f.body(r)->getArray("vendors");
    REQUIRE(list->size() == vendors.size());
    auto first = list->getObject(0);
    CHECK(first->getValue<std::string>("vendor") == vendors[0].vendor);
    CHECK(first->has("softphone"));
    CHECK(first->getArray("models")->getObject(0)->has("lines"));
    CHECK(first->getArray("models")->getObject(0)->has("keys"));
}

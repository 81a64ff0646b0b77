// /api/v1/imports, /exports (inventory CSV, docs/inventory-csv.md) and
// /staging (what an installer watches while phones come up).

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <set>

#include "provisioner/admin/api_request.h"
#include "provisioner/admin/import_jobs.h"
#include "provisioner/admin/status_mapping.h"
#include "provisioner/core/mac_address.h"
#include "provisioner/core/time_format.h"
#include "provisioner/model/json_encode.h"

namespace prov::admin {

namespace {

std::string queryValue(const ApiRequest& r, const char* key) {
    auto it = r.query.find(key);
    return it == r.query.end() ? "" : it->second;
}

Result<bool> flag(const ApiRequest& r, const char* key) {
    const std::string v = queryValue(r, key);
    if (v.empty() || v == "false" || v == "0") return false;
    if (v == "true" || v == "1") return true;
    return Error::invalid("bad query", {{key, "must be true or false"}});
}

json::ObjectPtr countsJson(const ImportCounts& c) {
    auto o = json::newObject();
    o->set("created", static_cast<int64_t>(c.created));
    o->set("changed", static_cast<int64_t>(c.changed));
    o->set("unchanged", static_cast<int64_t>(c.unchanged));
    return o;
}

Poco::JSON::Array::Ptr strings(const std::vector<std::string>& v) {
    Poco::JSON::Array::Ptr a = new Poco::JSON::Array();
    for (const auto& s : v) a->add(s);
    return a;
}

// At most this many problems are listed: a file broken on every row of its
// 64 MiB would otherwise make a report of hundreds of MiB, in the answer and
// (async) kept for an hour. Nobody fixes the 1001st before the first.
constexpr size_t kMaxProblems = 1000;

// What the import answers: 200 and the report, or 400 and the first
// kMaxProblems problems with problems_total (nothing was stored).
ApiResponse importAnswer(const ImportReport& rep) {
    if (!rep.problems.empty()) {
        std::set<size_t> lines;
        Poco::JSON::Array::Ptr rows = new Poco::JSON::Array();
        for (const ImportProblem& p : rep.problems) {
            lines.insert(p.line);
            if (rows->size() >= kMaxProblems) continue;
            auto o = json::newObject();
            o->set("line", static_cast<int64_t>(p.line));
            o->set("column", p.column);
            o->set("reason", p.reason);
            rows->add(o);
        }
        auto err = json::newObject();
        err->set("code", std::string("invalid_import"));
        err->set("message", std::to_string(rep.problems.size()) + " problem(s) in " + std::to_string(lines.size()) +
                                " row(s); nothing was imported");
        err->set("problems", rows);
        err->set("problems_total", static_cast<int64_t>(rep.problems.size()));
        auto body = json::newObject();
        body->set("error", err);
        return ok(body, 400);
    }
    auto o = json::newObject();
    o->set("dry_run", rep.dry_run);
    o->set("rows", static_cast<int64_t>(rep.rows));
    o->set("extensions", countsJson(rep.extensions));
    o->set("devices", countsJson(rep.devices));
    o->set("created", strings(rep.created));
    o->set("changed", strings(rep.changed));
    const bool nothing = rep.extensions.created + rep.extensions.changed + rep.devices.created + rep.devices.changed == 0;
    o->set("message", nothing ? "nothing to change: every row already matches the store"
                              : rep.dry_run ? "dry run: nothing was stored" : "imported");
    return ok(o);
}

json::ObjectPtr jobJson(const ImportJob& j) {
    auto o = json::newObject();
    o->set("id", j.id);
    o->set("state", std::string(toString(j.state)));
    o->set("phase", j.phase);
    o->set("rows_done", static_cast<int64_t>(j.rows_done));
    o->set("rows_total", static_cast<int64_t>(j.rows_total));
    // Kept as text (its size is what the job table counts); read back here.
    Poco::Dynamic::Var report;
    if (!j.report.empty()) {
        try {
            report = Poco::JSON::Parser().parse(j.report);
        } catch (const Poco::Exception&) {
            report = j.report;  // never expected: our own stringify
        }
    }
    o->set("report", report);
    return o;
}

// ?async=true: the import runs on the import worker; 202 {"id"} at once.
ApiResult startImport(ApiContext& ctx, const ApiRequest& r, ImportOptions options) {
    if (!ctx.imports) return Error::invalid("bad query", {{"async", "is not offered by this server"}});
    Inventory& inv = ctx.inventory;
    const int64_t id = TRY(ctx.imports->start(
        [&inv, bytes = r.raw_body, options, actor = r.actor](const ImportJobs::Progress& progress) {
            ImportOptions o = options;
            o.progress = progress;
            const Result<ImportReport> rep = inv.importCsv(bytes, o, actor);
            if (!rep) return ImportOutcome{false, json::stringify(errorBody(rep.error()))};
            // Every row read: the end says so in rows, as the report does.
            progress("finished", rep.value().rows, rep.value().rows);
            const ApiResponse answer = importAnswer(rep.value());
            return ImportOutcome{answer.status == 200, json::stringify(answer.body)};
        }));
    auto o = json::newObject();
    o->set("id", id);
    ApiResponse resp = ok(o, 202);
    resp.headers["Location"] = "/api/v1/imports/" + std::to_string(id);
    return resp;
}

ApiResult imports(ApiContext& ctx, const ApiRequest& r) {
    if (r.segments.size() == 2) {
        if (r.method != "GET") return methodNotAllowed("GET");
        if (r.actor.role != Role::kAdmin) return forbidden(r.actor, "follow imports");
        const std::string& id = r.segments[1];
        if (!ctx.imports || id.empty() || id.size() > 18 || id.find_first_not_of("0123456789") != std::string::npos)
            return Error::notFound("no import " + id);
        const std::optional<ImportJob> job = ctx.imports->get(std::stoll(id));
        if (!job) return Error::notFound("no import " + id + " (finished imports are kept for an hour)");
        return ok(jobJson(*job));
    }
    if (r.method != "POST") return methodNotAllowed("POST");
    if (r.actor.role != Role::kAdmin) return forbidden(r.actor, "import inventories");
    ImportOptions options;
    options.dry_run = TRY(flag(r, "dry_run"));
    if (TRY(flag(r, "async"))) return startImport(ctx, r, options);
    return importAnswer(TRY(ctx.inventory.importCsv(r.raw_body, options, r.actor)));
}

ApiResult exports(Inventory& inv, const ApiRequest& r) {
    if (r.method != "GET") return methodNotAllowed("GET");
    // Voicemail PINs (and, when asked, SIP secrets) are in the file.
    if (r.actor.role != Role::kAdmin) return forbidden(r.actor, "export the inventory (it carries voicemail PINs)");
    const bool secrets = TRY(flag(r, "secrets"));
    // A portal session sees a secret only through an audited reveal, one at a time.
    if (secrets && r.actor.portal)
        return Error{Code::kPermissionDenied, "forbidden",
                     "a portal session cannot export SIP secrets; reveal them one at a time, or export with an "
                     "API token",
                     {{"secrets", "not from the portal"}}, {}};
    std::string csv = TRY(inv.exportCsv(secrets));
    // Audited before it leaves, as the CLI's export.
    auto what = json::newObject();
    what->set("secrets", secrets);
    TRY(inv.auditAccess(r.actor, "export", "inventory", "csv", json::stringify(what)));
    ApiResponse resp = ok(Poco::Dynamic::Var(std::move(csv)));
    resp.headers["Content-Type"] = "text/csv; charset=utf-8";
    resp.headers["Content-Disposition"] = "attachment; filename=\"inventory.csv\"";
    return resp;
}

ApiResult staging(Inventory& inv, const ApiRequest& r) {
    if (r.method != "GET") return methodNotAllowed("GET");
    const std::string site = queryValue(r, "site");
    std::optional<DeviceState> only;
    if (const std::string s = queryValue(r, "state"); !s.empty()) {
        only = parseDeviceState(s);
        if (!only)
            return Error::invalid("bad filter",
                                  {{"state", "must be new, unassigned, staged, provisioned, applied or stale"}});
    }
    Page page{1000, 0};
    if (r.query.count("limit") || r.query.count("offset")) page = TRY(readPage(r));
    const std::vector<StagingEntry> list = TRY(inv.staging(site));
    int64_t matched = 0;
    std::map<std::string, int64_t> counts;
    for (const char* s : {"unassigned", "new", "staged", "provisioned", "applied", "stale"}) counts[s] = 0;
    // Where the devices stand on their firmware targets (issue 14).
    std::map<std::string, int64_t> firmware;
    for (const char* s : {"upgrading", "on_target", "failed", "unknown"}) firmware[s] = 0;
    // Resync pushes (issue 14): where the devices asked to fetch now are.
    std::map<std::string, int64_t> resync;
    for (const char* s : {"queued", "pushed", "refetched", "applied", "failed", "gave_up"}) resync[s] = 0;
    Poco::JSON::Array::Ptr items = new Poco::JSON::Array();
    for (const StagingEntry& e : list) {
        const Device& d = e.device;
        ++counts[std::string(toString(d.state))];
        if (!d.fw_status.empty()) ++firmware[d.fw_status];
        if (!d.resync.empty()) ++resync[d.resync];
        if (only && d.state != *only) continue;
        if (matched++ < page.offset || matched > page.offset + page.limit) continue;
        auto o = json::newObject();
        o->set("mac", MacAddress::parse(d.mac)->colons());
        o->set("state", std::string(toString(d.state)));
        o->set("make", d.make);
        o->set("model", d.model);
        o->set("label", d.label);
        o->set("firmware", d.last_firmware);
        o->set("firmware_target", d.fw_target);
        o->set("firmware_status", d.fw_status);
        o->set("extensions", strings(e.extensions));
        o->set("first_seen_at", d.first_seen_at ? Poco::Dynamic::Var(formatUtc(d.first_seen_at)) : Poco::Dynamic::Var());
        o->set("last_seen_at", d.last_seen_at ? Poco::Dynamic::Var(formatUtc(d.last_seen_at)) : Poco::Dynamic::Var());
        o->set("last_seen_ip", d.last_seen_ip);
        o->set("last_file", d.last_file);
        o->set("resync", d.resync);
        items->add(o);
    }
    auto c = json::newObject();
    for (const auto& [k, v] : counts) c->set(k, v);
    auto f = json::newObject();
    for (const auto& [k, v] : firmware) f->set(k, v);
    auto o = json::newObject();
    o->set("site", site);
    o->set("counts", c);
    o->set("firmware_counts", f);
    auto rc = json::newObject();
    for (const auto& [k, v] : resync) rc->set(k, v);
    o->set("resync", rc);
    o->set("items", items);
    o->set("total", matched);
    o->set("limit", page.limit);
    o->set("offset", page.offset);
    return ok(o);
}

}  // namespace

ApiResult bulkRoutes(ApiContext& context, const ApiRequest& r) {
    const std::string& head = r.segments[0];
    if (head == "staging" && r.segments.size() >= 2 && r.segments[1] == "windows") return windowRoutes(context, r);
    if (head == "imports" && r.segments.size() <= 2) return imports(context, r);
    if (r.segments.size() != 1) return Error::notFound("no such path");
    if (head == "exports") return exports(context.inventory, r);
    return staging(context.inventory, r);
}

}  // namespace prov::admin

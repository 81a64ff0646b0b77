// The operations endpoints' answers (ops_routes.h): which paths are theirs,
// methods, /readyz's 503 with its report, /metrics' content type.

#include "provisioner/admin/ops_routes.h"

#include <catch2/catch.hpp>

using prov::admin::isOpsPath;
using prov::admin::OpsAnswer;
using prov::admin::opsAnswer;
using prov::admin::OpsSources;
using prov::admin::Readiness;

TEST_CASE("ops paths are exactly /metrics, /healthz and /readyz") {
    for (const char* p : {"/metrics", "/healthz", "/readyz"}) CHECK(isOpsPath(p));
    for (const char* p : {"/metrics/", "/Metrics", "/healthz/x", "/api/v1/metrics", "/readyz.html",
                          "/", "", "//metrics", "/%6detrics"})
        CHECK_FALSE(isOpsPath(p));
}

TEST_CASE("ops answers: health, readiness either way, metrics, methods") {
    bool ready = true;
    int scrapes = 0;
    OpsSources sources;
    sources.metrics = [&] {
        ++scrapes;
        return std::string("# HELP a b\n# TYPE a counter\na 1\n");
    };
    sources.readiness = [&] {
        return Readiness{
            ready,
            ready ? "store: ok\ntemplates: ok (6 vendors)\n"
                  : "store: unavailable: the store file x.db is gone\ntemplates: ok (6 vendors)\n"};
    };

    OpsAnswer a = opsAnswer(sources, "GET", "/healthz");
    CHECK(a.status == 200);
    CHECK(a.body == "ok\n");
    CHECK(a.content_type == "text/plain; charset=utf-8");

    a = opsAnswer(sources, "GET", "/readyz");
    CHECK(a.status == 200);
    CHECK(a.body == "store: ok\ntemplates: ok (6 vendors)\n");
    ready = false;
    a = opsAnswer(sources, "GET", "/readyz");
    CHECK(a.status == 503);
    CHECK(a.body.rfind("store: unavailable: the store file x.db is gone\n", 0) == 0);
    // Health is the process, not its store.
    CHECK(opsAnswer(sources, "GET", "/healthz").status == 200);

    a = opsAnswer(sources, "GET", "/metrics");
    CHECK(a.status == 200);
    CHECK(a.content_type == "text/plain; version=0.0.4; charset=utf-8");
    CHECK(a.body == "# HELP a b\n# TYPE a counter\na 1\n");
    CHECK(scrapes == 1);
    CHECK(opsAnswer(sources, "HEAD", "/metrics").status == 200);

    for (const char* m : {"POST", "PUT", "DELETE", "OPTIONS", "get"}) {
        INFO(m);
        a = opsAnswer(sources, m, "/metrics");
        CHECK(a.status == 405);
        CHECK(a.allow == "GET, HEAD");
    }
    CHECK(scrapes == 2);  // refused methods scrape nothing

    // A server that wires no source: 404 like any unknown path.
    const OpsSources none;
    CHECK(opsAnswer(none, "GET", "/metrics").status == 404);
    CHECK(opsAnswer(none, "GET", "/readyz").status == 404);
    CHECK(opsAnswer(none, "GET", "/healthz").status == 200);
}

#pragma once

// The operations endpoints on the admin port, answered without a token (a
// Prometheus server, a load balancer and systemd's checks carry none; none
// of them shows a secret, a MAC or an address):
//
//   GET /metrics   the Prometheus text exposition (core/metrics_text.h)
//   GET /healthz   200 "ok": the process answers
//   GET /readyz    200 when it can serve phones (templates are loaded, and
//                  the store answers a read or, away for now, leaves the
//                  node serving from memory), else 503; the body says each
//                  check's state in a line, the failed one's reason included
//                  (app/scrape.h checkReadiness)
//
// GET and HEAD only (405 with Allow otherwise). Each answer closes its
// connection: a probe never holds one of the admin API's threads between
// its requests. They are served before the failed-authentication block
// (admin.auth_failures): a guesser on the same address must not make the
// monitoring think the server is down.

#include <Poco/Net/HTTPRequestHandler.h>

#include <functional>
#include <string>

namespace prov::admin {

struct Readiness {
    bool ready = false;
    std::string report;  // lines such as "store: ok"; the reason of what failed
};

struct OpsSources {
    std::function<std::string()> metrics;  // the exposition's text
    std::function<Readiness()> readiness;
    // Unset members: that path is 404 like any unknown one.
};

// True for the request paths served here (exactly /metrics, /healthz, /readyz).
bool isOpsPath(const std::string& raw_path);

struct OpsAnswer {
    int status = 200;
    std::string content_type;
    std::string body;
    std::string allow;  // set with 405
};

// The answer to `method` on `raw_path` (one isOpsPath accepts); HEAD gets
// GET's status and headers with the body dropped by the caller.
OpsAnswer opsAnswer(const OpsSources& sources, const std::string& method,
                    const std::string& raw_path);

// Serves one request from `sources`.
Poco::Net::HTTPRequestHandler* newOpsHandler(const OpsSources& sources);

}  // namespace prov::admin

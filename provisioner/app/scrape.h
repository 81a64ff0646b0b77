#pragma once

// What the admin port's /metrics and /readyz (admin/ops_routes.h) read from
// a running server: the process-wide counters of core/server_metrics.h,
// then the gauges read at the scrape (queues, connections, memory), the
// build and the process.

#include <cstdint>
#include <string>

#include "provisioner/admin/ops_routes.h"
#include "provisioner/http/loop_server.h"
#include "provisioner/policy/sweep_guard.h"
#include "provisioner/render/bundle.h"
#include "provisioner/service/event_recorder.h"
#include "provisioner/store/store.h"
#include "provisioner/tftp/server.h"

namespace prov::app {

// Parts of the running server; a null one's gauges are left out.
struct ScrapeSources {
    EventRecorder* events = nullptr;
    const http::LoopServer* http = nullptr;
    const http::LoopServer* https = nullptr;
    const tftp::Server* tftp = nullptr;
    const policy::SweepGuard* sweep = nullptr;
    const BundleSource* bundles = nullptr;
    int64_t start_time = 0;  // the process's start, seconds since the epoch
    const Store* store = nullptr;  // for provisioner_leader
};

// The whole exposition: every family with its HELP and TYPE lines.
std::string scrapeMetrics(const ScrapeSources& sources);

// Ready when the store answers (Store::probe) and templates with at
// least one vendor are loaded; the report has a line for each.
admin::Readiness checkReadiness(Store* store, const BundleSource* bundles);

}  // namespace prov::app

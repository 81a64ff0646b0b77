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

// Fetch events waiting in the event recorder's spool on disk for the store
// to come back (EventRecorder::spooledEvents). Null `events`: 0.
int64_t spooledEvents(const EventRecorder* events);

// Ready when templates with at least one vendor are loaded and the store
// answers (Store::probe), or does not answer for now (it is unreachable or
// busy: Code::kUnavailable, reason store_unavailable or store_busy), in which
// case phones are served from what the node keeps in memory
// (service/store_fallback.h). The report has a line for each, then
// `serving: store`, `serving: cache` (the store away) or `serving: none`
// (the store broken: gone, replaced, unreadable; not ready), then
// `events_spooled: N` (spooledEvents).
admin::Readiness checkReadiness(Store* store, const BundleSource* bundles,
                                const EventRecorder* events = nullptr);

}  // namespace prov::app

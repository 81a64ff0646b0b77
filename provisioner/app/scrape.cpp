#include "provisioner/app/scrape.h"

#include <dirent.h>
#include <unistd.h>

#include <fstream>

#include "provisioner/app/build_info.h"
#include "provisioner/core/server_metrics.h"

namespace prov::app {

namespace {

using metrics::Exposition;
using metrics::Type;

void gauge(Exposition& out, std::string_view name, std::string_view help, int64_t value) {
    out.family(name, Type::kGauge, help);
    out.sample(name, {}, value);
}

// Resident memory from /proc/self/statm (its second field, in pages); -1
// when it cannot be read.
int64_t residentBytes() {
    std::ifstream statm("/proc/self/statm");
    int64_t size = 0, resident = 0;
    if (!(statm >> size >> resident)) return -1;
    return resident * ::sysconf(_SC_PAGESIZE);
}

int64_t openDescriptors() {
    DIR* d = ::opendir("/proc/self/fd");
    if (!d) return -1;
    int64_t n = 0;
    while (const dirent* e = ::readdir(d)) {
        if (e->d_name[0] != '.') ++n;
    }
    ::closedir(d);
    return n - 1;  // the one opendir holds
}

void writeProcess(Exposition& out, const ScrapeSources& s) {
    out.family("provisioner_build_info", Type::kGauge,
               "Always 1; the labels say which build runs: its version and the git revision it was "
               "built from "
               "(unknown when not built from a checkout).");
    const std::string_view revision =
        buildRevision().empty() ? std::string_view("unknown") : buildRevision();
    out.sample("provisioner_build_info", {{"version", buildVersion()}, {"revision", revision}},
               int64_t{1});
    gauge(out, "process_start_time_seconds",
          "When the process started, in seconds since the Unix epoch.", s.start_time);
    if (const int64_t rss = residentBytes(); rss >= 0)
        gauge(out, "process_resident_memory_bytes", "Resident memory of the process.", rss);
    if (const int64_t fds = openDescriptors(); fds >= 0)
        gauge(out, "process_open_fds", "Open file descriptors of the process (sockets included).",
              fds);
}

void writeGauges(Exposition& out, const ScrapeSources& s) {
    if (s.events) {
        gauge(out, "provisioner_event_queue_depth",
              "Fetch events recorded and not yet written to the store by the event writer.",
              static_cast<int64_t>(s.events->queued()));
        out.family("provisioner_events_dropped_total", Type::kCounter,
                   "Fetch events dropped because the queue was full (the store far behind); phones "
                   "were served.");
        out.sample("provisioner_events_dropped_total", {}, s.events->dropped());
        gauge(out, "provisioner_events_spooled",
              "Fetch events waiting in the event spool (events.spool_dir) for the store to answer.",
              static_cast<int64_t>(s.events->spooledEvents()));
        gauge(out, "provisioner_events_spooled_batches",
              "Batches of fetch events (one file each) waiting in the event spool.",
              static_cast<int64_t>(s.events->spooledBatches()));
        out.family("provisioner_events_spool_dropped_total", Type::kCounter,
                   "Fetch events dropped because the event spool was full (events.spool_max_mb) or could "
                   "not be written while the store was unavailable.");
        out.sample("provisioner_events_spool_dropped_total", {}, s.events->spoolDropped());
    }
    if (s.http || s.https) {
        out.family("provisioner_http_connections", Type::kGauge,
                   "Phones' HTTP and HTTPS connections open now.");
        if (s.http)
            out.sample("provisioner_http_connections", {{"port", "http"}},
                       int64_t{s.http->connections()});
        if (s.https)
            out.sample("provisioner_http_connections", {{"port", "https"}},
                       int64_t{s.https->connections()});
    }
    if (s.tftp)
        gauge(out, "provisioner_tftp_transfers_active",
              "TFTP transfers under way now, those waiting for their first ACK included.",
              s.tftp->transfers());
    if (s.sweep)
        gauge(out, "provisioner_sweep_tracked_sources",
              "Source addresses the MAC-sweep guard keeps a budget for (blocked ones among them).",
              static_cast<int64_t>(s.sweep->trackedSources()));
    if (s.store)
        gauge(out, "provisioner_leader",
              "1 while this node leads the nodes sharing its store (event pruning, resync pushes, "
              "rollouts), else 0; always 1 on SQLite.",
              s.store->leads() ? 1 : 0);
    if (s.bundles)
        gauge(out, "provisioner_templates_vendors", "Vendors in the vendor templates loaded now.",
              static_cast<int64_t>(s.bundles->current()->catalog.vendors().size()));
}

}  // namespace

std::string scrapeMetrics(const ScrapeSources& sources) {
    Exposition out;
    writeProcess(out, sources);
    metrics::serverMetrics().write(out);
    writeGauges(out, sources);
    return out.take();
}

int64_t spooledEvents(const EventRecorder* events) {
    return events ? static_cast<int64_t>(events->spooledEvents()) : 0;
}

admin::Readiness checkReadiness(Store* store, const BundleSource* bundles, const EventRecorder* events) {
    admin::Readiness r;
    bool store_ok = false;
    bool store_away = false;
    if (!store) {
        r.report += "store: not open\n";
    } else if (const Status st = store->probe(); !st) {
        r.report += "store: unavailable: " + st.error().message + "\n";
        // A store that does not answer now (PostgreSQL restarting or out of
        // reach, SQLite busy) leaves the node ready: it serves phones from
        // memory, and a load balancer that pulled every node of a fleet when
        // their shared database blips would serve no phone at all. A store
        // gone, replaced or unreadable, or one that answers and refuses (a
        // login, a missing database or table: "store_unavailable"), does
        // not come back by itself.
        const Error& e = st.error();
        store_away = e.code == Code::kUnavailable && (e.reason == "store_unreachable" || e.reason == "store_busy");
    } else {
        store_ok = true;
        r.report += "store: ok\n";
    }
    bool templates_ok = false;
    const size_t vendors = bundles ? bundles->current()->catalog.vendors().size() : 0;
    if (vendors == 0) {
        r.report += "templates: none loaded\n";
    } else {
        templates_ok = true;
        r.report += "templates: ok (" + std::to_string(vendors) + " vendors)\n";
    }
    r.report += store_ok ? "serving: store\n" : store_away ? "serving: cache\n" : "serving: none\n";
    r.report += "events_spooled: " + std::to_string(spooledEvents(events)) + "\n";
    r.ready = (store_ok || store_away) && templates_ok;
    return r;
}

}  // namespace prov::app

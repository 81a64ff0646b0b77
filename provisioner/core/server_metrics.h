#pragma once

// The server's own metrics: one process-wide set, as its loggers are. Each
// figure is counted where it is produced (the front ends, the TLS layer, the
// store, the provisioning service, the admin API) and `GET /metrics` on the
// admin port writes them all (app/ adds the gauges it reads at scrape time).
// Process-wide rather than passed down: one server runs per process, and
// the counting points sit in six libraries whose constructors would each
// take it for nothing else. Tests read differences, never absolute counts.
//
// Every count is lock-free (metrics.h). Names follow Prometheus'
// conventions: the provisioner_ prefix, base units (seconds, bytes), _total
// on counters; the families are listed in write() and in README.md
// ("Metrics and health").

#include <cstdint>
#include <string_view>

#include "provisioner/core/metrics.h"
#include "provisioner/core/metrics_text.h"

namespace prov::metrics {

class ServerMetrics {
  public:
    enum class TftpEnd { kCompleted, kFailed };
    enum class TftpRefusal { kBusy, kInvalid };
    enum class Handshake { kFull, kResumed, kFailed };
    enum class StoreWork { kRead, kWrite };
    enum class ConnectionRefusal { kPerAddress, kFull };

    ServerMetrics();
    ServerMetrics(const ServerMetrics&) = delete;
    ServerMetrics& operator=(const ServerMetrics&) = delete;

    // A fetch as its event records it: protocol "http", "https" or "tftp"
    // (another is not counted), the vendor's id ("" when none was
    // recognised: "unknown"), outcome "served", "not_found", "denied" or
    // "error" (another counts as "error"), how long it took and the bytes
    // that went out.
    void fetch(std::string_view protocol, std::string_view vendor, std::string_view outcome,
               int64_t duration_us, int64_t bytes);
    void tftpTransfer(TftpEnd end);
    // DATA datagrams (or an OACK) sent again because the peer's ACK did not come in time.
    void tftpRetransmits(uint64_t datagrams);
    void tftpRefused(TftpRefusal why);
    void tlsHandshake(Handshake kind);
    void storeWork(StoreWork kind, int64_t duration_us);
    // A unit of work that could not start: another writer held the store past the busy timeout.
    void storeBusy();
    // A source blocked for sweeping MACs (one per block), and a fetch answered
    // the blocked answer.
    void sweepBlock();
    void sweepBlockedFetch();
    // A fetch answered (200 or 304) from what the node keeps in memory, the
    // store not answering (service/store_fallback.h).
    void fetchFromCache();
    void adminAuthFailure();
    void adminAuthBlock();
    // A phones' connection reset at accept (http.max_per_address, or the open cap).
    void connectionRefused(bool https, ConnectionRefusal why);

    // Every family above, with HELP and TYPE lines.
    void write(Exposition& out) const;

    // For tests: the count of one fetches_total series.
    uint64_t fetches(std::string_view protocol, std::string_view vendor,
                     std::string_view outcome) const;
    // For tests: fetches answered from memory (fetchFromCache).
    uint64_t fetchesFromCache() const { return from_cache_.value(0); }

  private:
    static constexpr size_t kProtocols = 3;
    static constexpr size_t kOutcomes = 4;
    static constexpr size_t kVendorSlots = 33;  // 32 vendors and "other"

    void writeFetches(Exposition& out) const;
    void writeTftp(Exposition& out) const;
    void writeRest(Exposition& out) const;

    LabelSlots vendors_;
    Counters fetches_;
    Histogram fetch_duration_;  // by protocol
    Counters fetch_bytes_;      // by protocol
    Counters tftp_transfers_;
    Counters tftp_retransmits_;
    Counters tftp_refused_;
    Counters tls_handshakes_;
    Histogram store_duration_;  // by kind of work
    Counters store_busy_;
    Counters sweep_;                // blocks, blocked fetches
    Counters from_cache_;
    Counters admin_auth_;           // failures, blocks
    Counters refused_connections_;  // (http, https) x (per_address, full)
};

// The process's set.
ServerMetrics& serverMetrics();

}  // namespace prov::metrics

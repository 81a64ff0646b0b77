#include "provisioner/core/server_metrics.h"

#include <array>

namespace prov::metrics {

namespace {

constexpr std::array<std::string_view, 3> kProtocolNames{"http", "https", "tftp"};
constexpr std::array<std::string_view, 4> kOutcomeNames{"served", "not_found", "denied", "error"};
constexpr std::array<std::string_view, 2> kTftpEnds{"completed", "failed"};
constexpr std::array<std::string_view, 2> kTftpRefusals{"busy", "invalid"};
constexpr std::array<std::string_view, 3> kHandshakes{"full", "resumed", "failed"};
constexpr std::array<std::string_view, 2> kStoreWork{"read", "write"};
constexpr std::array<std::string_view, 2> kPorts{"http", "https"};
constexpr std::array<std::string_view, 2> kConnectionRefusals{"per_address", "full"};

// Fetch latency in microseconds: an HTTP answer from the render cache takes
// a few hundred; a TFTP transfer of a firmware image, minutes.
const std::vector<int64_t> kFetchBounds{
    100,     250,     500,     1'000,     2'500,     5'000,     10'000,     25'000,     50'000,
    100'000, 250'000, 500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000, 30'000'000, 60'000'000};
// A unit of work on the store: a phone's lookup is tens of microseconds, an
// import's transaction seconds.
const std::vector<int64_t> kStoreBounds{50,      100,     250,     500,       1'000,
                                        2'500,   5'000,   10'000,  25'000,    50'000,
                                        100'000, 250'000, 500'000, 1'000'000, 5'000'000};

constexpr double kMicros = 1e6;

template <size_t N>
size_t indexOf(const std::array<std::string_view, N>& names, std::string_view value,
               size_t otherwise) {
    for (size_t i = 0; i < N; ++i) {
        if (names[i] == value) return i;
    }
    return otherwise;
}

// A family whose series are one fixed label, each written (zero too, so that
// rate() sees the first increment).
template <size_t N>
void labelled(Exposition& out, std::string_view name, std::string_view help, std::string_view label,
              const std::array<std::string_view, N>& values, const Counters& counts) {
    out.family(name, Type::kCounter, help);
    for (size_t i = 0; i < N; ++i) out.sample(name, {{label, values[i]}}, counts.value(i));
}

void single(Exposition& out, std::string_view name, std::string_view help, const Counters& counts,
            size_t cell) {
    out.family(name, Type::kCounter, help);
    out.sample(name, {}, counts.value(cell));
}

}  // namespace

ServerMetrics::ServerMetrics()
    : vendors_(kVendorSlots, "other"),
      fetches_(kVendorSlots * kProtocols * kOutcomes),
      fetch_duration_(kFetchBounds, kProtocols),
      fetch_bytes_(kProtocols),
      tftp_transfers_(kTftpEnds.size()),
      tftp_retransmits_(1),
      tftp_refused_(kTftpRefusals.size()),
      tls_handshakes_(kHandshakes.size()),
      store_duration_(kStoreBounds, kStoreWork.size()),
      store_busy_(1),
      sweep_(2),
      from_cache_(1),
      admin_auth_(2),
      refused_connections_(kPorts.size() * kConnectionRefusals.size()) {
    // The first slot, so that the family has series before the first fetch.
    vendors_.slot("unknown");
}

void ServerMetrics::fetch(std::string_view protocol, std::string_view vendor,
                          std::string_view outcome, int64_t duration_us, int64_t bytes) {
    const size_t p = indexOf(kProtocolNames, protocol, kProtocols);
    if (p == kProtocols) return;
    const size_t o = indexOf(kOutcomeNames, outcome, kOutcomes - 1);
    const size_t v = vendors_.slot(vendor.empty() ? std::string_view("unknown") : vendor);
    fetches_.add((v * kProtocols + p) * kOutcomes + o);
    fetch_duration_.observe(p, duration_us);
    if (bytes > 0) fetch_bytes_.add(p, static_cast<uint64_t>(bytes));
}

uint64_t ServerMetrics::fetches(std::string_view protocol, std::string_view vendor,
                                std::string_view outcome) const {
    const size_t p = indexOf(kProtocolNames, protocol, kProtocols);
    const size_t o = indexOf(kOutcomeNames, outcome, kOutcomes);
    if (p == kProtocols || o == kOutcomes) return 0;
    const std::string_view name = vendor.empty() ? std::string_view("unknown") : vendor;
    for (size_t v = 0; v < vendors_.used(); ++v) {
        if (vendors_.name(v) == name) return fetches_.value((v * kProtocols + p) * kOutcomes + o);
    }
    return 0;
}

void ServerMetrics::tftpTransfer(TftpEnd end) { tftp_transfers_.add(static_cast<size_t>(end)); }
void ServerMetrics::tftpRetransmits(uint64_t datagrams) {
    if (datagrams) tftp_retransmits_.add(0, datagrams);
}
void ServerMetrics::tftpRefused(TftpRefusal why) { tftp_refused_.add(static_cast<size_t>(why)); }
void ServerMetrics::tlsHandshake(Handshake kind) { tls_handshakes_.add(static_cast<size_t>(kind)); }
void ServerMetrics::storeWork(StoreWork kind, int64_t duration_us) {
    store_duration_.observe(static_cast<size_t>(kind), duration_us);
}
void ServerMetrics::storeBusy() { store_busy_.add(0); }
void ServerMetrics::sweepBlock() { sweep_.add(0); }
void ServerMetrics::sweepBlockedFetch() { sweep_.add(1); }
void ServerMetrics::fetchFromCache() { from_cache_.add(0); }
void ServerMetrics::adminAuthFailure() { admin_auth_.add(0); }
void ServerMetrics::adminAuthBlock() { admin_auth_.add(1); }
void ServerMetrics::connectionRefused(bool https, ConnectionRefusal why) {
    refused_connections_.add((https ? 1 : 0) * kConnectionRefusals.size() +
                             static_cast<size_t>(why));
}

void ServerMetrics::write(Exposition& out) const {
    writeFetches(out);
    writeTftp(out);
    writeRest(out);
}

void ServerMetrics::writeFetches(Exposition& out) const {
    constexpr std::string_view kFetches = "provisioner_fetches_total";
    out.family(kFetches, Type::kCounter,
               "Files phones asked for over HTTP, HTTPS and TFTP, by protocol, vendor recognised "
               "(unknown: none) "
               "and outcome, as the fetch events record them.");
    const size_t used = vendors_.used();
    for (size_t v = 0; v < kVendorSlots; ++v) {
        const bool overflow = v == vendors_.overflowSlot();
        if (v >= used && !overflow) continue;
        for (size_t p = 0; p < kProtocols; ++p) {
            for (size_t o = 0; o < kOutcomes; ++o) {
                const uint64_t n = fetches_.value((v * kProtocols + p) * kOutcomes + o);
                // "other" appears only once more vendors were seen than it has slots.
                if (overflow && n == 0) continue;
                out.sample(kFetches,
                           {{"protocol", kProtocolNames[p]},
                            {"vendor", vendors_.name(v)},
                            {"outcome", kOutcomeNames[o]}},
                           n);
            }
        }
    }
    constexpr std::string_view kDuration = "provisioner_fetch_duration_seconds";
    out.family(
        kDuration, Type::kHistogram,
        "Time to answer a fetch: over HTTP and HTTPS from the request to the answer ready to send, "
        "over TFTP the whole transfer to its last ACK.");
    for (size_t p = 0; p < kProtocols; ++p)
        out.histogram(kDuration, {{"protocol", kProtocolNames[p]}}, fetch_duration_.bounds(),
                      fetch_duration_.snapshot(p), kMicros);
    constexpr std::string_view kBytes = "provisioner_fetch_bytes_total";
    out.family(kBytes, Type::kCounter,
               "Bytes of served files: over HTTP and HTTPS the answers' bodies, over TFTP the "
               "bytes the phone "
               "acknowledged.");
    for (size_t p = 0; p < kProtocols; ++p)
        out.sample(kBytes, {{"protocol", kProtocolNames[p]}}, fetch_bytes_.value(p));
}

void ServerMetrics::writeTftp(Exposition& out) const {
    labelled(out, "provisioner_tftp_transfers_total",
             "TFTP transfers that began, by how they ended: completed (the last block "
             "acknowledged) or failed "
             "(no answer, an error from the peer, busy).",
             "result", kTftpEnds, tftp_transfers_);
    single(out, "provisioner_tftp_retransmits_total",
           "TFTP datagrams sent again because the peer's ACK did not come in time.",
           tftp_retransmits_, 0);
    labelled(
        out, "provisioner_tftp_requests_refused_total",
        "TFTP requests refused before a transfer: busy (transfer slots, memory budget) or invalid "
        "(a malformed packet, a write, an unknown mode).",
        "reason", kTftpRefusals, tftp_refused_);
}

void ServerMetrics::writeRest(Exposition& out) const {
    labelled(
        out, "provisioner_tls_handshakes_total",
        "TLS handshakes on the phones' HTTPS port (and the admin port when it serves HTTPS): full, "
        "resumed (a session ticket or cached session), or failed.",
        "result", kHandshakes, tls_handshakes_);
    constexpr std::string_view kStore = "provisioner_store_duration_seconds";
    out.family(
        kStore, Type::kHistogram,
        "Units of work on the store, from waiting for a pooled connection to the commit, by kind.");
    for (size_t k = 0; k < kStoreWork.size(); ++k)
        out.histogram(kStore, {{"kind", kStoreWork[k]}}, store_duration_.bounds(),
                      store_duration_.snapshot(k), kMicros);
    single(out, "provisioner_store_busy_total",
           "Units of work on the store that could not start: another writer held it past the busy "
           "timeout.",
           store_busy_, 0);
    single(out, "provisioner_sweep_blocks_total",
           "Sources blocked for sweeping made-up MACs (sweep.budget), one per block.", sweep_, 0);
    single(out, "provisioner_sweep_blocked_fetches_total",
           "Fetches from a blocked source, given the blocked answer without a store read.", sweep_,
           1);
    single(out, "provisioner_fetches_from_cache_total",
           "Fetches answered from the rendered files and credentials the node keeps in memory, "
           "because the store did not answer.",
           from_cache_, 0);
    single(out, "provisioner_admin_auth_failures_total",
           "Admin API tokens that did not verify, and portal sign-ins refused for a wrong name or "
           "password.",
           admin_auth_, 0);
    single(out, "provisioner_admin_auth_blocks_total",
           "Sources blocked for failed admin API authentications (admin.auth_failures).",
           admin_auth_, 1);
    constexpr std::string_view kRefused = "provisioner_connections_refused_total";
    out.family(kRefused, Type::kCounter,
               "Phones' HTTP and HTTPS connections reset at accept: per_address "
               "(http.max_per_address) or full "
               "(the port's open connection cap).");
    for (size_t port = 0; port < kPorts.size(); ++port) {
        for (size_t why = 0; why < kConnectionRefusals.size(); ++why)
            out.sample(kRefused, {{"port", kPorts[port]}, {"reason", kConnectionRefusals[why]}},
                       refused_connections_.value(port * kConnectionRefusals.size() + why));
    }
}

ServerMetrics& serverMetrics() {
    static ServerMetrics metrics;
    return metrics;
}

}  // namespace prov::metrics

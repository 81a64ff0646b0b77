// The ceiling of mbedTLS itself on this machine: a server context configured
// like provisioner/tls/tls_server.cpp (TLS 1.2, the modern suites, curves
// X25519 then P-256, session tickets with AES-256-GCM keys, the server's own
// session cache, no client certificate) and a client context, joined by two in-memory byte
// queues, one thread, no sockets. It runs FULL full handshakes (a fresh
// session each) and RESUMED resumed ones (the session ticket of one full
// handshake offered again, as `openssl s_time -reuse` does), and prints the
// rate of the whole loop and the rate the server side alone reaches per core:
// handshakes per CPU-second spent in the server's mbedtls_ssl_setup +
// handshake + free (the time inside those calls, scaled by the loop's CPU
// time over its wall time, so that other load on the machine, which takes
// the thread off the CPU now and then, does not count). The client offers
// ECDHE-ECDSA-AES128-GCM-SHA256 only, as bench/tls/run.sh asks of s_time.
//
//   mbedtls_ceiling CERT KEY [FULL [RESUMED]]     (defaults 400 and 4000)
//
// The client offers X25519 then P-256, as OpenSSL 3 does, and gets X25519.
// Then: the full handshakes again with a client that offers P-256 alone
// (FULL/2); and clients without session tickets, which resume by session ID
// from the server's cache (provisioner/tls/session_cache.h): RESUMED/4 such
// resumptions with one session cached, as many with the cache full (20000
// entries, the server's limit) and the offered session the last one put in,
// and FULL/4 full handshakes into the full cache. For comparison, the same
// two resumptions by ID with mbedTLS 2.28's own cache (mbedtls_ssl_cache, a
// list walked on each look-up), which the server used before. The last line,
// CEILING ..., is for bench/tls/run.sh.

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/ssl_ciphersuites.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "provisioner/tls/session_cache.h"
#include "provisioner/tls/tls_server.h"  // the server's suites and curves

namespace {

const int kCacheEntries = static_cast<int>(prov::tls::kCachedSessions);

const int kClientSuites[] = {MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, 0};
// What OpenSSL 3 offers first: X25519, then P-256.
const mbedtls_ecp_group_id kClientCurves[] = {MBEDTLS_ECP_DP_CURVE25519, MBEDTLS_ECP_DP_SECP256R1,
                                              MBEDTLS_ECP_DP_NONE};
// A client that offers P-256 alone (some phones).
const mbedtls_ecp_group_id kClientP256Only[] = {MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_NONE};

[[noreturn]] void die(const char* what, int rc) {
    char buf[160] = "";
    if (rc) mbedtls_strerror(rc, buf, sizeof buf);
    std::fprintf(stderr, "mbedtls_ceiling: %s%s%s\n", what, rc ? ": " : "", buf);
    std::exit(1);
}

double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double threadCpu() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// One direction of the in-memory "wire".
struct Pipe {
    std::vector<unsigned char> bytes;
    size_t head = 0;
    void clear() { bytes.clear(), head = 0; }
};

struct End {
    Pipe* in;
    Pipe* out;
    std::vector<unsigned char>* log = nullptr;  // when set, every byte sent
};

int sendCb(void* ctx, const unsigned char* buf, size_t len) {
    End* end = static_cast<End*>(ctx);
    Pipe* out = end->out;
    out->bytes.insert(out->bytes.end(), buf, buf + len);
    if (end->log) end->log->insert(end->log->end(), buf, buf + len);
    return static_cast<int>(len);
}

int recvCb(void* ctx, unsigned char* buf, size_t len) {
    Pipe* in = static_cast<End*>(ctx)->in;
    const size_t avail = in->bytes.size() - in->head;
    if (avail == 0) return MBEDTLS_ERR_SSL_WANT_READ;
    const size_t n = len < avail ? len : avail;
    std::memcpy(buf, in->bytes.data() + in->head, n);
    in->head += n;
    if (in->head == in->bytes.size()) in->clear();
    return static_cast<int>(n);
}

// The named curve of the server's ServerKeyExchange in the bytes it sent
// (plaintext handshake records), as a name.
std::string keyExchangeCurve(const std::vector<unsigned char>& b) {
    for (size_t r = 0; r + 5 <= b.size();) {
        const size_t rlen = static_cast<size_t>(b[r + 3]) << 8 | b[r + 4];
        if (b[r] == 22) {  // handshake record: its messages
            for (size_t m = r + 5; m + 4 <= r + 5 + rlen && m + 4 <= b.size();) {
                const size_t mlen = static_cast<size_t>(b[m + 1]) << 16 | static_cast<size_t>(b[m + 2]) << 8 | b[m + 3];
                if (b[m] == 12 && m + 7 <= b.size() && b[m + 4] == 3) {  // ServerKeyExchange, named_curve
                    const int id = b[m + 5] << 8 | b[m + 6];
                    return id == 23 ? "P-256" : id == 29 ? "X25519" : "curve " + std::to_string(id);
                }
                m += 4 + mlen;
            }
        }
        r += 5 + rlen;
    }
    return "no ServerKeyExchange";
}

int g_tickets_parsed = 0;  // tickets the server accepted: resumptions it made

int countingTicketParse(void* p_ticket, mbedtls_ssl_session* session, unsigned char* buf, size_t len) {
    const int rc = mbedtls_ssl_ticket_parse(p_ticket, session, buf, len);
    if (rc == 0) ++g_tickets_parsed;
    return rc;
}

int g_cache_hits = 0;  // sessions the server found in its cache: resumptions by session ID

int countingCacheGet(void* data, mbedtls_ssl_session* session) {
    const int rc = prov::tls::SessionCache::get(data, session);
    if (rc == 0) ++g_cache_hits;
    return rc;
}

int countingListCacheGet(void* data, mbedtls_ssl_session* session) {
    const int rc = mbedtls_ssl_cache_get(data, session);
    if (rc == 0) ++g_cache_hits;
    return rc;
}

// Which session cache a Server has: the provisioner's, or mbedTLS's own.
enum class Cache { kServer, kMbedtlsList };

struct Rng {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    explicit Rng(const char* personal) {
        mbedtls_entropy_init(&entropy);
        mbedtls_ctr_drbg_init(&drbg);
        const int rc = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy,
                                             reinterpret_cast<const unsigned char*>(personal), std::strlen(personal));
        if (rc) die("cannot seed the random generator", rc);
    }
    ~Rng() {
        mbedtls_ctr_drbg_free(&drbg);
        mbedtls_entropy_free(&entropy);
    }
};

struct Server {
    Rng rng{"provisioner-tls"};
    mbedtls_x509_crt chain;
    mbedtls_pk_context key;
    mbedtls_ssl_ticket_context tickets;
    prov::SystemClock clock;
    prov::tls::SessionCache cache{clock, {prov::tls::kCachedSessions, prov::tls::kSessionSeconds, {}}};
    mbedtls_ssl_cache_context list_cache;
    mbedtls_ssl_config conf;
    Server(const char* cert_path, const char* key_path, Cache which = Cache::kServer) {
        mbedtls_x509_crt_init(&chain);
        mbedtls_pk_init(&key);
        mbedtls_ssl_ticket_init(&tickets);
        mbedtls_ssl_cache_init(&list_cache);
        mbedtls_ssl_config_init(&conf);
        int rc;
        if ((rc = mbedtls_x509_crt_parse_file(&chain, cert_path))) die(cert_path, rc);
        if ((rc = mbedtls_pk_parse_keyfile(&key, key_path, nullptr))) die(key_path, rc);
        if ((rc = mbedtls_pk_check_pair(&chain.pk, &key))) die("the key does not match the certificate", rc);
        if ((rc = mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                              MBEDTLS_SSL_PRESET_DEFAULT)))
            die("server config", rc);
        mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &rng.drbg);
        mbedtls_ssl_conf_min_version(&conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
        mbedtls_ssl_conf_max_version(&conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
        mbedtls_ssl_conf_ciphersuites(&conf, prov::tls::serverCiphersuites(false));
        mbedtls_ssl_conf_curves(&conf, prov::tls::serverCurves());
        // No vendor CA in a fresh certs.dir: the server asks for no certificate.
        mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_NONE);
        if ((rc = mbedtls_ssl_conf_own_cert(&conf, &chain, &key))) die("own cert", rc);
        if ((rc = mbedtls_ssl_ticket_setup(&tickets, mbedtls_ctr_drbg_random, &rng.drbg, MBEDTLS_CIPHER_AES_256_GCM,
                                           86400)))
            die("session tickets", rc);
        mbedtls_ssl_conf_session_tickets_cb(&conf, mbedtls_ssl_ticket_write, countingTicketParse, &tickets);
        if (which == Cache::kServer) {
            mbedtls_ssl_conf_session_cache(&conf, &cache, countingCacheGet, prov::tls::SessionCache::set);
        } else {
            mbedtls_ssl_cache_set_timeout(&list_cache, prov::tls::kSessionSeconds);
            mbedtls_ssl_cache_set_max_entries(&list_cache, kCacheEntries);
            mbedtls_ssl_conf_session_cache(&conf, &list_cache, countingListCacheGet, mbedtls_ssl_cache_set);
        }
    }
    ~Server() {
        mbedtls_ssl_config_free(&conf);
        mbedtls_ssl_cache_free(&list_cache);
        mbedtls_ssl_ticket_free(&tickets);
        mbedtls_pk_free(&key);
        mbedtls_x509_crt_free(&chain);
    }
};

struct Client {
    Rng rng{"mbedtls-ceiling-client"};
    mbedtls_ssl_config conf;
    explicit Client(const mbedtls_ecp_group_id* curves, bool tickets = true) {
        mbedtls_ssl_config_init(&conf);
        int rc;
        if ((rc = mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                              MBEDTLS_SSL_PRESET_DEFAULT)))
            die("client config", rc);
        mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &rng.drbg);
        mbedtls_ssl_conf_min_version(&conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
        mbedtls_ssl_conf_max_version(&conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
        mbedtls_ssl_conf_ciphersuites(&conf, kClientSuites);
        mbedtls_ssl_conf_curves(&conf, curves);
        mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_NONE);  // s_time does not verify either
        mbedtls_ssl_conf_session_tickets(&conf, tickets ? MBEDTLS_SSL_SESSION_TICKETS_ENABLED
                                                        : MBEDTLS_SSL_SESSION_TICKETS_DISABLED);
    }
    ~Client() { mbedtls_ssl_config_free(&conf); }
};

struct Totals {
    int n = 0;
    double wall = 0;        // the whole loop, both sides
    double cpu = 0;         // this thread's CPU time over the loop
    double server = 0;      // time inside the server's calls (steady clock)
    double client = 0;      // time inside the client's calls (steady clock)
    // CPU seconds of each side: the steady-clock time scaled by cpu / wall.
    double serverCpu() const { return wall > 0 ? server * cpu / wall : server; }
    double clientCpu() const { return wall > 0 ? client * cpu / wall : client; }
    std::string suite;      // as negotiated (last handshake)
    std::string curve;      // of the first handshake's key exchange
};

// One handshake over fresh pipes. With `resume`, the client offers it.
void handshake(Server& srv, Client& cli, const mbedtls_ssl_session* resume, mbedtls_ssl_session* save, Totals& t) {
    Pipe c2s, s2c;
    std::vector<unsigned char> server_sent;
    End server_end{&c2s, &s2c, t.n == 0 ? &server_sent : nullptr}, client_end{&s2c, &c2s};
    mbedtls_ssl_context c, s;

    double t0 = now();
    mbedtls_ssl_init(&s);
    int rc = mbedtls_ssl_setup(&s, &srv.conf);
    if (rc) die("server ssl_setup", rc);
    mbedtls_ssl_set_bio(&s, &server_end, sendCb, recvCb, nullptr);
    t.server += now() - t0;

    t0 = now();
    mbedtls_ssl_init(&c);
    if ((rc = mbedtls_ssl_setup(&c, &cli.conf))) die("client ssl_setup", rc);
    mbedtls_ssl_set_bio(&c, &client_end, sendCb, recvCb, nullptr);
    if (resume && (rc = mbedtls_ssl_set_session(&c, resume))) die("client set_session", rc);
    t.client += now() - t0;

    bool c_done = false, s_done = false;
    for (int round = 0; !(c_done && s_done); ++round) {
        if (round > 100) die("handshake does not finish", 0);
        if (!c_done) {
            t0 = now();
            rc = mbedtls_ssl_handshake(&c);
            t.client += now() - t0;
            if (rc == 0) c_done = true;
            else if (rc != MBEDTLS_ERR_SSL_WANT_READ && rc != MBEDTLS_ERR_SSL_WANT_WRITE) die("client handshake", rc);
        }
        if (!s_done) {
            t0 = now();
            rc = mbedtls_ssl_handshake(&s);
            t.server += now() - t0;
            if (rc == 0) s_done = true;
            else if (rc != MBEDTLS_ERR_SSL_WANT_READ && rc != MBEDTLS_ERR_SSL_WANT_WRITE) die("server handshake", rc);
        }
    }
    t.suite = mbedtls_ssl_get_ciphersuite(&s);
    if (t.n == 0) t.curve = resume ? "resumed" : keyExchangeCurve(server_sent);
    if (save && (rc = mbedtls_ssl_get_session(&c, save))) die("client get_session", rc);

    t0 = now();
    mbedtls_ssl_free(&c);
    t.client += now() - t0;
    t0 = now();
    mbedtls_ssl_free(&s);
    t.server += now() - t0;
    ++t.n;
}

Totals run(Server& srv, Client& cli, int n, const mbedtls_ssl_session* resume) {
    Totals t;
    const double w0 = now(), c0 = threadCpu();
    for (int i = 0; i < n; ++i) handshake(srv, cli, resume, nullptr, t);
    t.wall = now() - w0;
    t.cpu = threadCpu() - c0;
    return t;
}

void report(const char* label, const Totals& t) {
    std::printf("%-26s %6d in %6.2f s (cpu %6.2f s): loop %8.1f/s  server side %8.1f/s per core"
                "  (server %.3f ms, client %.3f ms CPU each)  %s, %s\n",
                label, t.n, t.wall, t.cpu, t.n / t.wall, t.n / t.serverCpu(), 1e3 * t.serverCpu() / t.n,
                1e3 * t.clientCpu() / t.n,
                t.suite.c_str(), t.curve.c_str());
}

// Fills the server's cache with n sessions that no client will offer, as n
// phones that resumed by session ID would have left there.
void fillCache(Server& srv, Cache which, int n, int ciphersuite) {
    mbedtls_ssl_session s;
    mbedtls_ssl_session_init(&s);
    s.start = mbedtls_time(nullptr);
    s.ciphersuite = ciphersuite;
    s.id_len = 32;
    for (int i = 0; i < n; ++i) {
        std::memset(s.id, 0x5a, sizeof s.id);
        std::memcpy(s.id, &i, sizeof i);
        const int rc = which == Cache::kServer ? prov::tls::SessionCache::set(&srv.cache, &s)
                                               : mbedtls_ssl_cache_set(&srv.list_cache, &s);
        if (rc != 0) die("cache set", 0);
    }
    mbedtls_ssl_session_free(&s);
}

// n handshakes resumed by `session`'s ID; every one must hit the cache.
Totals resumeById(Server& srv, Client& cli, int n, const mbedtls_ssl_session* session) {
    g_cache_hits = 0;
    Totals t = run(srv, cli, n, session);
    if (g_cache_hits != n) {
        std::fprintf(stderr, "mbedtls_ceiling: only %d of %d handshakes resumed by session ID\n", g_cache_hits, n);
        std::exit(1);
    }
    return t;
}

int positive(const char* s, const char* what) {
    char* end = nullptr;
    const long v = std::strtol(s, &end, 10);
    if (!end || *end || v < 1 || v > 1000000) {
        std::fprintf(stderr, "mbedtls_ceiling: %s must be 1..1000000 (got '%s')\n", what, s);
        std::exit(2);
    }
    return static_cast<int>(v);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3 || argc > 5) {
        std::fprintf(stderr, "usage: mbedtls_ceiling CERT KEY [FULL [RESUMED]]\n");
        return 2;
    }
    const int full = argc > 3 ? positive(argv[3], "FULL") : 400;
    const int resumed = argc > 4 ? positive(argv[4], "RESUMED") : 4000;

    Server srv(argv[1], argv[2]);
    Client cli(kClientCurves);

    // Warm-up, and the session that the resumed handshakes offer.
    mbedtls_ssl_session saved;
    mbedtls_ssl_session_init(&saved);
    Totals warm;
    handshake(srv, cli, nullptr, &saved, warm);
    for (int i = 0; i < 9; ++i) handshake(srv, cli, nullptr, nullptr, warm);
    if (saved.ticket == nullptr || saved.ticket_len == 0) die("the server issued no session ticket", 0);

    const Totals f = run(srv, cli, full, nullptr);
    g_tickets_parsed = 0;
    const Totals r = run(srv, cli, resumed, &saved);
    if (g_tickets_parsed != resumed) {
        std::fprintf(stderr, "mbedtls_ceiling: only %d of %d resumed handshakes used the ticket\n", g_tickets_parsed,
                     resumed);
        return 1;
    }
    Client p256_only(kClientP256Only);
    const Totals fp = run(srv, p256_only, full / 2 > 0 ? full / 2 : 1, nullptr);

    // Clients without tickets resume by session ID, from the server's cache
    // (20000 entries at most, as tls_server.cpp keeps): first with one
    // session cached, then with the cache full and the offered session the
    // last one put in (the far end of mbedTLS's list).
    Client no_tickets(kClientCurves, false);
    const int by_id = resumed / 4 > 0 ? resumed / 4 : 1;
    struct ById {
        Totals one, full, full_new;
        double fill_s = 0;
    };
    auto byId = [&](Cache which, bool full_handshakes) {
        ById out;
        mbedtls_ssl_session id1, id2;
        mbedtls_ssl_session_init(&id1);
        mbedtls_ssl_session_init(&id2);
        Totals warm_up;
        Server small_cache(argv[1], argv[2], which);
        handshake(small_cache, no_tickets, nullptr, &id1, warm_up);
        if (id1.id_len == 0) die("the server gave no session ID", 0);
        out.one = resumeById(small_cache, no_tickets, by_id, &id1);
        Server full_cache(argv[1], argv[2], which);
        const double fill0 = now();
        fillCache(full_cache, which, kCacheEntries - 1, id1.ciphersuite);
        out.fill_s = now() - fill0;
        handshake(full_cache, no_tickets, nullptr, &id2, warm_up);  // the last one put in
        out.full = resumeById(full_cache, no_tickets, by_id, &id2);
        // Full handshakes into the full cache: each evicts one.
        if (full_handshakes) out.full_new = run(full_cache, no_tickets, full / 4 > 0 ? full / 4 : 1, nullptr);
        mbedtls_ssl_session_free(&id2);
        mbedtls_ssl_session_free(&id1);
        return out;
    };
    const ById ours = byId(Cache::kServer, true);
    const ById list = byId(Cache::kMbedtlsList, false);

    std::printf("mbedTLS %s, one thread, in-memory transport, %s, server curve preference X25519, P-256\n",
                MBEDTLS_VERSION_STRING, f.suite.c_str());
    report("full", f);
    report("resumed (ticket)", r);
    report("full (client: P-256 only)", fp);
    report("resumed (ID, 1 cached)", ours.one);
    report("resumed (ID, last of 20000)", ours.full);
    report("full (no ticket, 20000 c.)", ours.full_new);
    report("mbedtls cache: ID, 1", list.one);
    report("mbedtls cache: ID, 20000", list.full);
    std::printf("(filling the cache with %d sessions took %.2f s; mbedtls_ssl_cache %.2f s)\n", kCacheEntries - 1,
                ours.fill_s, list.fill_s);
    // Machine-readable summary for bench/tls/run.sh: server-side rates per core.
    std::printf("CEILING full_per_core=%.1f resumed_per_core=%.1f full_loop=%.1f resumed_loop=%.1f"
                " full_curve=%s full_p256_per_core=%.1f resumed_id_per_core=%.1f resumed_id_full_cache_per_core=%.1f"
                " full_no_ticket_full_cache_per_core=%.1f list_resumed_id_per_core=%.1f"
                " list_resumed_id_full_cache_per_core=%.1f\n",
                f.n / f.serverCpu(), r.n / r.serverCpu(), f.n / f.wall, r.n / r.wall, f.curve.c_str(),
                fp.n / fp.serverCpu(), ours.one.n / ours.one.serverCpu(), ours.full.n / ours.full.serverCpu(),
                ours.full_new.n / ours.full_new.serverCpu(), list.one.n / list.one.serverCpu(),
                list.full.n / list.full.serverCpu());
    mbedtls_ssl_session_free(&saved);
    return 0;
}

// storm: a boot storm of desk phones in one process. Each phone of a fleet
// file boots once: it fetches its vendor's files in order, over HTTP, HTTPS
// (a new connection per file, resuming its TLS session by ticket) or TFTP,
// from its own source address on loopback, and answers a Digest challenge
// with its own credentials. Arrivals are spread at random over a window;
// failed fetches are retried after a backoff, as phones do, a bounded number
// of times. One thread, epoll, non-blocking sockets; mbedTLS as the TLS client.
//
//   storm --phones FILE --node URLS [--node URLS]... [--window-s 60]
//         [--timeout-s 10] [--attempts 5] [--deadline-s D] [--seed 1]
//         [--server-pid PID]... [--save DIR | --verify DIR] [--label TEXT]
//
// FILE: one phone a line, tab-separated:
//   protocol (http|https|tftp)  source address  User-Agent (- for none)
//   Digest user (- for none)  Digest password (- for none)  file names, space-separated
// URLS: one node's base URLs, comma-separated, e.g.
//   http://127.0.0.1:8080,https://127.0.0.1:8443,tftp://127.0.0.1:6969
// Phone k goes to node k mod (number of nodes).
// --server-pid: the server's processes (repeatable; nginx's workers, say):
//   their CPU seconds over the storm and the sum of their peak RSS (VmHWM,
//   reset at the start through /proc/PID/clear_refs where that is allowed).
// --save DIR writes each file's first body to DIR/PROTOCOL/NAME; --verify DIR
//   counts a body that differs from DIR/PROTOCOL/NAME as an error (and its
//   phone as failed).
//
// A phone is provisioned when every file came back 200 (and matched). A
// 401 with a challenge is answered once per nonce (stale ones renewed) and is
// not an error; any other answer, a refused or reset connection, a TLS
// failure, a TFTP error or silence is one, and the file is tried again after
// 1, 2, 4, 8... s (at most 16, +-50% jitter), --attempts times in all.
// Prints a summary and, last, one line "JSON {...}". Exit status 0 when every
// phone was provisioned, 1 otherwise, 2 on bad usage.

#include <arpa/inet.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/md5.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

const int kSuites[] = {MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, 0};
const mbedtls_ecp_group_id kCurves[] = {MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_NONE};
constexpr int kTftpBlksize = 1428;
constexpr double kTftpResendS = 1.0;  // a phone's TFTP retransmission timer
constexpr int kTftpResends = 4;
constexpr size_t kMaxResponse = 4 << 20;

struct SslFree {
    void operator()(mbedtls_ssl_context* s) const {
        mbedtls_ssl_free(s);
        delete s;
    }
};

[[noreturn]] void usage(const std::string& why) {
    std::fprintf(stderr, "storm: %s\n", why.c_str());
    std::fprintf(stderr,
                 "usage: storm --phones FILE --node URLS [--node URLS]... [--window-s 60] [--timeout-s 10]\n"
                 "             [--attempts 5] [--deadline-s D] [--seed 1] [--server-pid PID]...\n"
                 "             [--save DIR | --verify DIR] [--label TEXT]\n");
    std::exit(2);
}

double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

enum class Proto { kHttp, kHttps, kTftp };
const char* protoName(Proto p) { return p == Proto::kHttp ? "http" : p == Proto::kHttps ? "https" : "tftp"; }

struct Node {
    sockaddr_in http{}, https{}, tftp{};
    std::string http_host, https_host;  // Host header values
};

// One phone: what it is, where it is in its boot, and its one socket.
struct Phone {
    Proto proto = Proto::kHttp;
    sockaddr_in src{};
    std::string ua, user, password;
    std::vector<std::string> files;
    const Node* node = nullptr;
    // Progress.
    enum class State { kWaiting, kActive, kDone, kFailed } state = State::kWaiting;
    size_t file = 0;
    int attempt = 0;  // failed attempts of the current file
    double wake_at = 0, started = -1, finished = 0, io_deadline = 0;
    // Digest: the nonce of the last challenge, and how often it was used.
    std::string realm, nonce, opaque;
    unsigned nc = 0;
    bool sent_auth = false;
    // The connection (HTTP, HTTPS) or transfer socket (TFTP).
    int fd = -1;
    bool connected = false, handshaken = false;
    std::unique_ptr<mbedtls_ssl_context, SslFree> ssl;
    mbedtls_ssl_session session{};
    bool have_session = false;
    size_t tls_bytes = 0, full_flight = 0;  // server bytes of this handshake; of the first full one
    std::string out, in;
    size_t sent = 0;
    // TFTP.
    sockaddr_in tid{};
    bool have_tid = false;
    unsigned block = 0;  // the last in-order block received
    size_t blksize = 512;
    int resends = 0;
    std::string last_packet;
    double last_progress = 0;
};

struct Stats {
    std::map<std::string, long> errors;
    long requests = 0, challenges = 0, handshakes = 0, resumed = 0, resume_offers = 0, tftp_transfers = 0;
};

struct Options {
    std::string phones_file, save_dir, verify_dir, label = "storm";
    std::vector<Node> nodes;
    std::vector<int> server_pids;
    double window = 60, timeout = 10, deadline = 0;
    int attempts = 5;
    unsigned seed = 1;
};

sockaddr_in parseHostPort(const std::string& hostport, const std::string& what) {
    const auto colon = hostport.rfind(':');
    sockaddr_in a{};
    a.sin_family = AF_INET;
    if (colon == std::string::npos || inet_pton(AF_INET, hostport.substr(0, colon).c_str(), &a.sin_addr) != 1)
        usage(what + ": expected an IPv4 address and a port, got " + hostport);
    const int port = std::atoi(hostport.c_str() + colon + 1);
    if (port < 1 || port > 65535) usage(what + ": bad port in " + hostport);
    a.sin_port = htons(static_cast<uint16_t>(port));
    return a;
}

Node parseNode(const std::string& urls) {
    Node n;
    std::stringstream ss(urls);
    std::string url;
    while (std::getline(ss, url, ',')) {
        const auto sep = url.find("://");
        if (sep == std::string::npos) usage("--node: not a base URL: " + url);
        const std::string scheme = url.substr(0, sep);
        std::string rest = url.substr(sep + 3);
        if (!rest.empty() && rest.back() == '/') rest.pop_back();
        if (scheme == "http") n.http = parseHostPort(rest, "--node"), n.http_host = rest;
        else if (scheme == "https") n.https = parseHostPort(rest, "--node"), n.https_host = rest;
        else if (scheme == "tftp") n.tftp = parseHostPort(rest, "--node");
        else usage("--node: scheme must be http, https or tftp: " + url);
    }
    return n;
}

Options parseArgs(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto val = [&]() -> std::string {
            if (i + 1 >= argc) usage("missing value for " + a);
            return argv[++i];
        };
        if (a == "--phones") o.phones_file = val();
        else if (a == "--node") o.nodes.push_back(parseNode(val()));
        else if (a == "--window-s") o.window = std::atof(val().c_str());
        else if (a == "--timeout-s") o.timeout = std::atof(val().c_str());
        else if (a == "--deadline-s") o.deadline = std::atof(val().c_str());
        else if (a == "--attempts") o.attempts = std::atoi(val().c_str());
        else if (a == "--seed") o.seed = static_cast<unsigned>(std::atol(val().c_str()));
        else if (a == "--server-pid") o.server_pids.push_back(std::atoi(val().c_str()));
        else if (a == "--save") o.save_dir = val();
        else if (a == "--verify") o.verify_dir = val();
        else if (a == "--label") o.label = val();
        else usage("unknown option " + a);
    }
    if (o.phones_file.empty()) usage("--phones is required");
    if (o.nodes.empty()) usage("--node is required");
    if (!(o.window >= 0 && o.window <= 3600)) usage("--window-s must be 0 to 3600");
    if (!(o.timeout > 0 && o.timeout <= 120)) usage("--timeout-s must be above 0, at most 120");
    if (o.attempts < 1 || o.attempts > 20) usage("--attempts must be 1 to 20");
    if (o.deadline <= 0) o.deadline = o.window + 240;
    return o;
}

std::vector<Phone> readPhones(const Options& o) {
    std::ifstream f(o.phones_file);
    if (!f) usage("cannot read " + o.phones_file);
    std::vector<Phone> phones;
    std::string line;
    while (std::getline(f, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::vector<std::string> col;
        std::stringstream ss(line);
        std::string c;
        while (std::getline(ss, c, '\t')) col.push_back(c);
        if (col.size() != 6) usage("phones file: 6 tab-separated columns expected: " + line);
        Phone p;
        p.proto = col[0] == "http" ? Proto::kHttp : col[0] == "https" ? Proto::kHttps : Proto::kTftp;
        if (col[0] != protoName(p.proto)) usage("phones file: unknown protocol " + col[0]);
        p.src.sin_family = AF_INET;
        if (inet_pton(AF_INET, col[1].c_str(), &p.src.sin_addr) != 1) usage("phones file: bad address " + col[1]);
        p.ua = col[2] == "-" ? "" : col[2];
        p.user = col[3] == "-" ? "" : col[3];
        p.password = col[4] == "-" ? "" : col[4];
        std::stringstream fs(col[5]);
        for (std::string name; fs >> name;) p.files.push_back(name);
        if (p.files.empty()) usage("phones file: a phone with no files: " + line);
        p.node = &o.nodes[phones.size() % o.nodes.size()];
        phones.push_back(std::move(p));
    }
    if (phones.empty()) usage("no phones in " + o.phones_file);
    return phones;
}

// CPU seconds (user + system) and peak RSS in KiB of a process, from /proc.
struct ProcSample {
    double cpu = 0;
    long hwm_kib = 0;
};
ProcSample sampleProc(int pid) {
    ProcSample s;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const auto paren = text.rfind(')');  // the command name may hold spaces
    if (paren != std::string::npos) {
        std::stringstream ss(text.substr(paren + 2));
        std::string field;
        double utime = 0, stime = 0;
        for (int i = 3; ss >> field; ++i) {
            if (i == 14) utime = std::atof(field.c_str());
            if (i == 15) { stime = std::atof(field.c_str()); break; }
        }
        s.cpu = (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
    }
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("VmHWM:", 0) == 0) s.hwm_kib = std::atol(line.c_str() + 6);
    return s;
}

std::string md5Hex(const std::string& s) {
    unsigned char d[16];
    mbedtls_md5_ret(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
    static const char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char b : d) out += kHex[b >> 4], out += kHex[b & 15];
    return out;
}

// The value of `name`="..." (or unquoted) in a challenge; empty when absent.
std::string challengeParam(const std::string& ch, const std::string& name) {
    size_t pos = 0;
    while ((pos = ch.find(name + "=", pos)) != std::string::npos) {
        if (pos > 0 && std::isalnum(static_cast<unsigned char>(ch[pos - 1]))) { ++pos; continue; }
        pos += name.size() + 1;
        if (pos < ch.size() && ch[pos] == '"') return ch.substr(pos + 1, ch.find('"', pos + 1) - pos - 1);
        return ch.substr(pos, ch.find_first_of(", \r", pos) - pos);
    }
    return "";
}

class Storm {
public:
    Storm(const Options& o, std::vector<Phone>& phones) : o_(o), phones_(phones), rng_(o.seed) {}
    int run();

private:
    void wake(size_t i);
    void fail(size_t i, const std::string& kind);
    void fileDone(size_t i, const std::string& body);
    void closeSocket(Phone& p);
    bool openTcp(size_t i);
    void stepHttp(size_t i);
    int driveHttp(Phone& p);  // 0 pending, 1 response complete, -1 failed (err_ set)
    void onResponse(size_t i);
    void startTftp(size_t i);
    void stepTftp(size_t i);
    void sendTftp(Phone& p, const std::string& pkt);
    void checkTimeouts(double t);
    void report(double elapsed, double client_cpu, const std::vector<ProcSample>& before);

    const Options& o_;
    std::vector<Phone>& phones_;
    std::mt19937 rng_;
    int ep_ = -1;
    Stats stats_;
    std::string err_;
    mbedtls_entropy_context entropy_;
    mbedtls_ctr_drbg_context drbg_;
    mbedtls_ssl_config conf_;
};

void Storm::closeSocket(Phone& p) {
    if (p.fd >= 0) {
        epoll_ctl(ep_, EPOLL_CTL_DEL, p.fd, nullptr);
        ::close(p.fd);
    }
    p.fd = -1;
    p.connected = p.handshaken = false;
    p.ssl.reset();
    p.in.clear();
    p.out.clear();
    p.sent = 0;
}

// A failed fetch: counted; the file is tried again after a backoff, or the
// phone gives up.
void Storm::fail(size_t i, const std::string& kind) {
    Phone& p = phones_[i];
    ++stats_.errors[kind];
    closeSocket(p);
    if (++p.attempt >= o_.attempts) {
        p.state = Phone::State::kFailed;
        p.finished = now();
        return;
    }
    const double base = std::min(16.0, static_cast<double>(1 << (p.attempt - 1)));
    p.state = Phone::State::kWaiting;
    p.wake_at = now() + base * std::uniform_real_distribution<double>(0.5, 1.5)(rng_);
}

void Storm::fileDone(size_t i, const std::string& body) {
    Phone& p = phones_[i];
    // By protocol: a common file names no phone, and over TFTP (no
    // User-Agent, so no model) it can render otherwise than over HTTP.
    const std::string name = std::string(protoName(p.proto)) + "/" + p.files[p.file];
    if (!o_.save_dir.empty()) {
        const std::string path = o_.save_dir + "/" + name;
        if (access(path.c_str(), F_OK) != 0) std::ofstream(path, std::ios::binary) << body;
    }
    if (!o_.verify_dir.empty()) {
        std::ifstream f(o_.verify_dir + "/" + name, std::ios::binary);
        const std::string want((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        if (!f.good() && want.empty()) {
            ++stats_.errors["no_reference_file"];
        } else if (want != body) {
            ++stats_.errors["body_differs"];
            closeSocket(p);
            p.state = Phone::State::kFailed;  // fetching it again would give the same bytes
            p.finished = now();
            return;
        }
    }
    p.attempt = 0;
    if (++p.file == p.files.size()) {
        closeSocket(p);
        p.state = Phone::State::kDone;
        p.finished = now();
        return;
    }
    wake(i);  // the next file, at once
}

// Starts the phone's current file.
void Storm::wake(size_t i) {
    Phone& p = phones_[i];
    p.state = Phone::State::kActive;
    if (p.started < 0) p.started = now();
    p.io_deadline = now() + o_.timeout;
    ++stats_.requests;
    if (p.proto == Proto::kTftp) return startTftp(i);
    // HTTPS phones open a connection per file (and resume); HTTP phones keep theirs.
    if (p.fd < 0 && !openTcp(i)) return fail(i, "connect_failed");
    std::string req = "GET /" + p.files[p.file] + " HTTP/1.1\r\nHost: " +
                      (p.proto == Proto::kHttps ? p.node->https_host : p.node->http_host) + "\r\n";
    if (!p.ua.empty()) req += "User-Agent: " + p.ua + "\r\n";
    p.sent_auth = !p.nonce.empty() && !p.user.empty();
    if (p.sent_auth) {
        // RFC 2617 with qop=auth and MD5, as phones answer; the nonce is reused
        // with the next nc until the server calls it stale.
        char nc[9], cnonce[17];
        std::snprintf(nc, sizeof nc, "%08x", ++p.nc);
        std::snprintf(cnonce, sizeof cnonce, "%08x%08x", static_cast<unsigned>(rng_()), static_cast<unsigned>(rng_()));
        const std::string uri = "/" + p.files[p.file];
        const std::string ha1 = md5Hex(p.user + ":" + p.realm + ":" + p.password);
        const std::string ha2 = md5Hex("GET:" + uri);
        const std::string resp = md5Hex(ha1 + ":" + p.nonce + ":" + nc + ":" + cnonce + ":auth:" + ha2);
        req += "Authorization: Digest username=\"" + p.user + "\", realm=\"" + p.realm + "\", nonce=\"" + p.nonce +
               "\", uri=\"" + uri + "\", algorithm=MD5, qop=auth, nc=" + nc + ", cnonce=\"" + cnonce +
               "\", response=\"" + resp + "\"";
        if (!p.opaque.empty()) req += ", opaque=\"" + p.opaque + "\"";
        req += "\r\n";
    }
    if (p.proto == Proto::kHttps) req += "Connection: close\r\n";
    p.out = req + "\r\n";
    p.sent = 0;
    p.in.clear();
    if (p.connected) stepHttp(i);
}

bool Storm::openTcp(size_t i) {
    Phone& p = phones_[i];
    p.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (p.fd < 0) return false;
    const int one = 1;
    setsockopt(p.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    // Many phones' connections from one address each: let the kernel reuse
    // the ports of their closed connections (each leaves a TIME_WAIT).
    setsockopt(p.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(p.fd, reinterpret_cast<const sockaddr*>(&p.src), sizeof p.src) != 0) return false;
    const sockaddr_in& dst = p.proto == Proto::kHttps ? p.node->https : p.node->http;
    if (::connect(p.fd, reinterpret_cast<const sockaddr*>(&dst), sizeof dst) != 0 && errno != EINPROGRESS)
        return false;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
    ev.data.u64 = i;
    epoll_ctl(ep_, EPOLL_CTL_ADD, p.fd, &ev);
    if (p.proto == Proto::kHttps) {
        p.ssl.reset(new mbedtls_ssl_context);
        mbedtls_ssl_init(p.ssl.get());
        if (mbedtls_ssl_setup(p.ssl.get(), &conf_) != 0) return false;
        auto send_cb = [](void* ctx, const unsigned char* buf, size_t len) -> int {
            const ssize_t n = ::send(static_cast<Phone*>(ctx)->fd, buf, len, MSG_NOSIGNAL);
            if (n >= 0) return static_cast<int>(n);
            return errno == EAGAIN ? MBEDTLS_ERR_SSL_WANT_WRITE : MBEDTLS_ERR_NET_SEND_FAILED;
        };
        auto recv_cb = [](void* ctx, unsigned char* buf, size_t len) -> int {
            auto* ph = static_cast<Phone*>(ctx);
            const ssize_t n = ::recv(ph->fd, buf, len, 0);
            if (n > 0 && !ph->handshaken) ph->tls_bytes += static_cast<size_t>(n);
            if (n >= 0) return static_cast<int>(n);
            return errno == EAGAIN ? MBEDTLS_ERR_SSL_WANT_READ : MBEDTLS_ERR_NET_RECV_FAILED;
        };
        mbedtls_ssl_set_bio(p.ssl.get(), &p, send_cb, recv_cb, nullptr);
        p.tls_bytes = 0;
        if (p.have_session) {
            mbedtls_ssl_set_session(p.ssl.get(), &p.session);
            ++stats_.resume_offers;
        }
    }
    return true;
}

// Moves bytes of an HTTP or HTTPS exchange as far as the socket allows.
int Storm::driveHttp(Phone& p) {
    if (!p.connected) {
        int so_error = 0;
        socklen_t len = sizeof so_error;
        getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
        if (so_error != 0) return err_ = "connect_failed", -1;
        p.connected = true;
    }
    if (p.ssl && !p.handshaken) {
        const int rc = mbedtls_ssl_handshake(p.ssl.get());
        if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) return 0;
        if (rc != 0) return err_ = "tls_handshake", -1;
        p.handshaken = true;
        ++stats_.handshakes;
        if (!p.have_session) {
            p.full_flight = p.tls_bytes;
            mbedtls_ssl_session_init(&p.session);
            p.have_session = mbedtls_ssl_get_session(p.ssl.get(), &p.session) == 0;
        } else if (p.tls_bytes * 2 < p.full_flight) {
            ++stats_.resumed;  // no certificate came: a resumed session
        }
    }
    while (p.sent < p.out.size()) {
        const auto* data = reinterpret_cast<const unsigned char*>(p.out.data()) + p.sent;
        const size_t left = p.out.size() - p.sent;
        ssize_t n;
        if (p.ssl) {
            const int rc = mbedtls_ssl_write(p.ssl.get(), data, left);
            if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) return 0;
            n = rc;
        } else {
            n = ::send(p.fd, data, left, MSG_NOSIGNAL);
            if (n < 0 && errno == EAGAIN) return 0;
        }
        if (n < 0) return err_ = "reset", -1;
        p.sent += static_cast<size_t>(n);
    }
    char buf[16384];
    for (int rounds = 0; rounds < 1024; ++rounds) {
        ssize_t n;
        if (p.ssl) {
            const int rc = mbedtls_ssl_read(p.ssl.get(), reinterpret_cast<unsigned char*>(buf), sizeof buf);
            if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) return 0;
            n = rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || rc == MBEDTLS_ERR_SSL_CONN_EOF ? 0 : rc;
        } else {
            n = ::recv(p.fd, buf, sizeof buf, 0);
            if (n < 0 && errno == EAGAIN) return 0;
        }
        if (n < 0) return err_ = "reset", -1;
        if (n > 0) p.in.append(buf, static_cast<size_t>(n));
        // Complete when the head and Content-Length bytes are in (or at EOF
        // for an answer without a length).
        const auto head_end = p.in.find("\r\n\r\n");
        if (head_end != std::string::npos) {
            std::string head = p.in.substr(0, head_end);
            std::transform(head.begin(), head.end(), head.begin(), ::tolower);
            const auto cl = head.find("\r\ncontent-length:");
            if (cl != std::string::npos) {
                const size_t want = head_end + 4 + std::strtoul(head.c_str() + cl + 17, nullptr, 10);
                if (p.in.size() >= want) return 1;
            } else if (n == 0) {
                return 1;
            }
        }
        if (n == 0) return err_ = "reset", -1;
        if (p.in.size() > kMaxResponse) return err_ = "response_too_large", -1;
    }
    return 0;
}

void Storm::stepHttp(size_t i) {
    Phone& p = phones_[i];
    const int r = driveHttp(p);
    if (r < 0) return fail(i, err_);
    if (r > 0) onResponse(i);
}

void Storm::onResponse(size_t i) {
    Phone& p = phones_[i];
    const auto head_end = p.in.find("\r\n\r\n");
    const std::string head = p.in.substr(0, head_end);
    std::string lower = head;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    const int status = head.size() > 12 ? std::atoi(head.c_str() + 9) : 0;
    const bool close_after = p.proto == Proto::kHttps || lower.find("\r\nconnection: close") != std::string::npos ||
                             head.rfind("HTTP/1.0", 0) == 0;
    std::string body = p.in.substr(head_end + 4);
    if (close_after) closeSocket(p);
    if (status == 401 && !p.user.empty()) {
        // The first challenge (MD5, the one phones answer). Answered once; a
        // second 401 for the same nonce is a refusal, unless stale.
        const auto at = lower.find("\r\nwww-authenticate: digest ");
        const std::string ch = at == std::string::npos ? "" : head.substr(at + 2, head.find("\r\n", at + 2) - at - 2);
        const bool stale = challengeParam(lower.substr(at == std::string::npos ? 0 : at), "stale") == "true";
        if (!ch.empty() && (!p.sent_auth || stale)) {
            ++stats_.challenges;
            p.realm = challengeParam(ch, "realm");
            p.nonce = challengeParam(ch, "nonce");
            p.opaque = challengeParam(ch, "opaque");
            p.nc = 0;
            --stats_.requests;  // wake() counts the same fetch again
            return wake(i);
        }
    }
    if (status != 200) return fail(i, "http_" + std::to_string(status));
    fileDone(i, body);
}

void Storm::sendTftp(Phone& p, const std::string& pkt) {
    p.last_packet = pkt;
    const sockaddr_in& dst = p.have_tid ? p.tid : p.node->tftp;
    ::sendto(p.fd, pkt.data(), pkt.size(), 0, reinterpret_cast<const sockaddr*>(&dst), sizeof dst);
}

void Storm::startTftp(size_t i) {
    Phone& p = phones_[i];
    closeSocket(p);
    p.fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (p.fd < 0 || ::bind(p.fd, reinterpret_cast<const sockaddr*>(&p.src), sizeof p.src) != 0)
        return fail(i, "bind_failed");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    epoll_ctl(ep_, EPOLL_CTL_ADD, p.fd, &ev);
    p.have_tid = false;
    p.block = 0;
    p.blksize = 512;
    p.resends = 0;
    p.last_progress = now();
    ++stats_.tftp_transfers;
    std::string rrq("\0\1", 2);
    rrq += p.files[p.file] + '\0' + "octet" + '\0' + "blksize" + '\0' + std::to_string(kTftpBlksize) + '\0' +
           "tsize" + '\0' + "0" + '\0';
    sendTftp(p, rrq);
}

void Storm::stepTftp(size_t i) {
    Phone& p = phones_[i];
    char buf[65536];
    for (int rounds = 0; rounds < 64 && p.fd >= 0; ++rounds) {
        sockaddr_in from{};
        socklen_t flen = sizeof from;
        const ssize_t n = ::recvfrom(p.fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &flen);
        if (n < 0) return;
        if (n < 4 || from.sin_addr.s_addr != p.node->tftp.sin_addr.s_addr) continue;
        if (p.have_tid && from.sin_port != p.tid.sin_port) continue;  // another transfer's packet
        if (!p.have_tid) p.tid = from, p.have_tid = true;
        const unsigned op = (static_cast<unsigned char>(buf[0]) << 8) | static_cast<unsigned char>(buf[1]);
        const unsigned num = (static_cast<unsigned char>(buf[2]) << 8) | static_cast<unsigned char>(buf[3]);
        if (op == 5) return fail(i, "tftp_error_" + std::to_string(num));
        if (op == 6 && p.block == 0 && p.in.empty()) {  // OACK: take blksize, ACK 0
            const std::string opts(buf + 2, static_cast<size_t>(n) - 2);
            const auto at = opts.find(std::string("blksize") + '\0');
            if (at != std::string::npos) p.blksize = std::strtoul(opts.c_str() + at + 8, nullptr, 10);
            p.resends = 0;
            p.last_progress = now();
            sendTftp(p, std::string("\0\4\0\0", 4));
            continue;
        }
        if (op != 3 || num != ((p.block + 1) & 0xffff)) continue;  // duplicates are not ACKed
        p.block = num;
        p.in.append(buf + 4, static_cast<size_t>(n) - 4);
        p.resends = 0;
        p.last_progress = now();
        std::string ack("\0\4", 2);
        ack += static_cast<char>(num >> 8);
        ack += static_cast<char>(num & 0xff);
        sendTftp(p, ack);
        if (static_cast<size_t>(n) - 4 < p.blksize) {
            const std::string body = std::move(p.in);
            closeSocket(p);
            return fileDone(i, body);
        }
    }
}

void Storm::checkTimeouts(double t) {
    for (size_t i = 0; i < phones_.size(); ++i) {
        Phone& p = phones_[i];
        if (p.state == Phone::State::kWaiting && p.wake_at <= t) {
            wake(i);
        } else if (p.state == Phone::State::kActive && p.proto == Proto::kTftp && p.fd >= 0 &&
                   t - p.last_progress > kTftpResendS) {
            if (++p.resends > kTftpResends) {
                fail(i, "tftp_timeout");
            } else {
                p.last_progress = t;
                sendTftp(p, p.last_packet);
            }
        } else if (p.state == Phone::State::kActive && p.proto != Proto::kTftp && t > p.io_deadline) {
            fail(i, "timeout");
        }
    }
}

int Storm::run() {
    mbedtls_entropy_init(&entropy_);
    mbedtls_ctr_drbg_init(&drbg_);
    mbedtls_ctr_drbg_seed(&drbg_, mbedtls_entropy_func, &entropy_, reinterpret_cast<const unsigned char*>("storm"), 5);
    mbedtls_ssl_config_init(&conf_);
    mbedtls_ssl_config_defaults(&conf_, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
    mbedtls_ssl_conf_rng(&conf_, mbedtls_ctr_drbg_random, &drbg_);
    mbedtls_ssl_conf_min_version(&conf_, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_ciphersuites(&conf_, kSuites);
    mbedtls_ssl_conf_curves(&conf_, kCurves);
    mbedtls_ssl_conf_authmode(&conf_, MBEDTLS_SSL_VERIFY_NONE);
    mbedtls_ssl_conf_session_tickets(&conf_, MBEDTLS_SSL_SESSION_TICKETS_ENABLED);
    ep_ = epoll_create1(0);

    if (!o_.save_dir.empty())
        for (Proto pr : {Proto::kHttp, Proto::kHttps, Proto::kTftp})
            mkdir((o_.save_dir + "/" + protoName(pr)).c_str(), 0755);
    std::vector<ProcSample> before;
    for (int pid : o_.server_pids) {
        // Resets the peak RSS to the present (Linux 4.0), so VmHWM is this storm's.
        std::ofstream("/proc/" + std::to_string(pid) + "/clear_refs") << "5";
        before.push_back(sampleProc(pid));
    }
    rusage ru0{};
    getrusage(RUSAGE_SELF, &ru0);
    const double start = now();
    std::uniform_real_distribution<double> arrival(0, o_.window);
    for (Phone& p : phones_) p.wake_at = start + arrival(rng_);

    epoll_event evs[256];
    size_t settled = 0;
    double next_scan = 0;
    while (settled < phones_.size() && now() - start < o_.deadline) {
        const int n = epoll_wait(ep_, evs, 256, 5);
        for (int k = 0; k < n; ++k) {
            const size_t i = evs[k].data.u64;
            Phone& p = phones_[i];
            if (p.state != Phone::State::kActive || p.fd < 0) continue;
            if (p.proto == Proto::kTftp) stepTftp(i);
            else stepHttp(i);
        }
        const double t = now();
        if (t >= next_scan) {
            checkTimeouts(t);
            next_scan = t + 0.01;
            settled = static_cast<size_t>(std::count_if(phones_.begin(), phones_.end(), [](const Phone& p) {
                return p.state == Phone::State::kDone || p.state == Phone::State::kFailed;
            }));
        }
    }
    const double elapsed = now() - start;
    rusage ru1{};
    getrusage(RUSAGE_SELF, &ru1);
    auto secs = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; };
    const double client_cpu = secs(ru1.ru_utime) - secs(ru0.ru_utime) + secs(ru1.ru_stime) - secs(ru0.ru_stime);
    report(elapsed, client_cpu, before);
    for (Phone& p : phones_) {
        closeSocket(p);
        if (p.have_session) mbedtls_ssl_session_free(&p.session);
    }
    mbedtls_ssl_config_free(&conf_);
    mbedtls_ctr_drbg_free(&drbg_);
    mbedtls_entropy_free(&entropy_);
    return std::all_of(phones_.begin(), phones_.end(), [](const Phone& p) { return p.state == Phone::State::kDone; })
               ? 0
               : 1;
}

double percentile(std::vector<double> v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

void Storm::report(double elapsed, double client_cpu, const std::vector<ProcSample>& before) {
    std::map<std::string, std::vector<double>> ms;  // "all" and per protocol
    long done = 0, failed = 0, unfinished = 0;
    std::map<std::string, long> count;
    for (const Phone& p : phones_) {
        ++count[protoName(p.proto)];
        if (p.state == Phone::State::kDone) {
            ++done;
            ms["all"].push_back((p.finished - p.started) * 1000);
            ms[protoName(p.proto)].push_back((p.finished - p.started) * 1000);
        } else if (p.state == Phone::State::kFailed) {
            ++failed;
        } else {
            ++unfinished;
        }
    }
    double cpu = 0;
    long hwm = 0;
    for (size_t k = 0; k < o_.server_pids.size(); ++k) {
        const ProcSample s = sampleProc(o_.server_pids[k]);
        cpu += s.cpu - before[k].cpu;
        hwm += s.hwm_kib;
    }
    const auto& all = ms["all"];
    std::printf("%s: %zu phones (http %ld, https %ld, tftp %ld) over %.0f s, %zu node(s)\n", o_.label.c_str(),
                phones_.size(), count["http"], count["https"], count["tftp"], o_.window, o_.nodes.size());
    std::printf("  provisioned %ld, failed %ld, unfinished %ld\n", done, failed, unfinished);
    std::printf("  per phone, first request to last file: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
                percentile(all, 0.5), percentile(all, 0.99), all.empty() ? 0 : *std::max_element(all.begin(), all.end()));
    for (const char* proto : {"http", "https", "tftp"})
        if (!ms[proto].empty())
            std::printf("    %-5s p50 %.1f ms, p99 %.1f ms\n", proto, percentile(ms[proto], 0.5),
                        percentile(ms[proto], 0.99));
    std::printf("  fetches %ld (+%ld answered Digest challenges), TLS handshakes %ld (%ld of %ld offered "
                "sessions resumed), TFTP transfers %ld\n",
                stats_.requests, stats_.challenges, stats_.handshakes, stats_.resumed, stats_.resume_offers,
                stats_.tftp_transfers);
    std::string errs;
    for (const auto& [kind, n] : stats_.errors) errs += (errs.empty() ? "" : ", ") + kind + " " + std::to_string(n);
    std::printf("  errors: %s\n", errs.empty() ? "none" : errs.c_str());
    std::printf("  server: %.2f CPU s, peak RSS %.1f MiB; client: %.2f CPU s; %.1f s in all\n", cpu, hwm / 1024.0,
                client_cpu, elapsed);
    std::string ej;
    for (const auto& [kind, n] : stats_.errors) ej += (ej.empty() ? "\"" : ",\"") + kind + "\":" + std::to_string(n);
    std::printf("JSON {\"label\":\"%s\",\"phones\":%zu,\"provisioned\":%ld,\"failed\":%ld,\"unfinished\":%ld,"
                "\"p50_ms\":%.1f,\"p99_ms\":%.1f,\"max_ms\":%.1f,\"fetches\":%ld,\"challenges\":%ld,"
                "\"handshakes\":%ld,\"resumed\":%ld,\"errors\":{%s},\"server_cpu_s\":%.2f,"
                "\"server_peak_rss_kib\":%ld,\"client_cpu_s\":%.2f,\"elapsed_s\":%.1f}\n",
                o_.label.c_str(), phones_.size(), done, failed, unfinished, percentile(all, 0.5),
                percentile(all, 0.99), all.empty() ? 0 : *std::max_element(all.begin(), all.end()), stats_.requests,
                stats_.challenges, stats_.handshakes, stats_.resumed, ej.c_str(), cpu, hwm, client_cpu, elapsed);
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    Options o = parseArgs(argc, argv);
    std::vector<Phone> phones = readPhones(o);
    // Every phone holds a socket at most; TIME_WAIT needs none.
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, std::max<rlim_t>(rl.rlim_cur, phones.size() + 64));
    setrlimit(RLIMIT_NOFILE, &rl);
    return Storm(o, phones).run();
}

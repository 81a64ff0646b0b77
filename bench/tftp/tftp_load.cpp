// TFTP load generator: many concurrent read transfers of one file from one
// server, each on its own UDP socket, all driven from one thread with epoll.
// Speaks RFC 1350 (octet, netascii), 2347 (OACK), 2348 (blksize), 2349
// (timeout, tsize) and 7440 (windowsize). Used the same way for the
// provisioner and for the reference servers (atftpd, tftpd-hpa).
//
//   tftp_load --port N --file NAME [--host 127.0.0.1] [--concurrency C]
//             [--count TOTAL | --seconds S] [--blksize B] [--windowsize W]
//             [--tsize] [--timeout-ms T] [--retries R] [--opt-timeout S]
//             [--mode octet|netascii] [--verify LOCAL_FILE] [--output FILE]
//             [--deadline-s D] [--sources N [--source-base 127.1.0.1]] [--json]
//
// --sources N binds transfer k to source address base+(k mod N), so a run on
// loopback looks like N phones rather than one host (127.0.0.0/8 is all
// loopback); without it the kernel picks the source address.
//
// Exit status: 0 when every transfer completed (and matched --verify and
// tsize), 1 when any failed, 2 on bad usage or a local error.
//
// Receiver behaviour (the client only reads):
//  - RRQ carries blksize/windowsize/tsize/timeout only when asked for; an OACK
//    is answered with ACK 0; a server that ignores the options and sends DATA 1
//    straight away is accepted with the RFC 1350 defaults (512, window 1).
//  - The first reply fixes the server's TID; packets from another port of the
//    same host get ERROR 5 and are dropped.
//  - In-order DATA is ACKed at the last block of each window (windowsize 1:
//    every block) and at the short final block. A block past a gap is answered
//    once with an ACK of the last in-order block, so the server restarts the
//    window from there (RFC 7440 section 4). Duplicates are dropped, never
//    ACKed, so a server that resends on duplicate ACKs cannot start a
//    Sorcerer's Apprentice exchange with this client.
//  - With no progress for T ms the client resends its last packet (RRQ, ACK 0
//    or the ACK of the last in-order block); after R such resends in a row the
//    transfer fails.
//  - Block numbers roll over 65535 -> 0.
//  - Every transfer is bounded by --deadline-s for the whole run; every loop is
//    bounded in iterations per wake-up.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using Nanos = std::int64_t;

Nanos nowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
        .count();
}

constexpr std::uint16_t kRrq = 1, kData = 3, kAck = 4, kError = 5, kOack = 6;
constexpr int kMaxEvents = 256;
constexpr int kMaxPacketsPerWake = 64;  // per socket per epoll wake-up
constexpr std::size_t kMaxPacket = 65536 + 4;

struct Options {
    std::string host = "127.0.0.1";
    int port = 0;
    std::string file;
    std::string mode = "octet";
    int concurrency = 1;
    long count = 0;       // 0: not given
    double seconds = 0;   // 0: not given
    int blksize = 0;      // 0: do not ask (RFC 1350 512)
    int windowsize = 0;   // 0: do not ask (lock-step)
    bool tsize = false;
    int optTimeout = 0;   // RFC 2349 timeout option in seconds, 0: do not ask
    int timeoutMs = 1000;
    int retries = 5;
    double deadlineS = 300;
    std::string verify;
    std::string output;
    int sources = 0;
    std::string sourceBase = "127.1.0.1";
    bool json = false;
};

[[noreturn]] void usage(const char* msg) {
    if (msg) std::fprintf(stderr, "tftp_load: %s\n", msg);
    std::fprintf(stderr,
                 "usage: tftp_load --port N --file NAME [--host 127.0.0.1] [--concurrency C]\n"
                 "                 [--count TOTAL | --seconds S] [--blksize B] [--windowsize W]\n"
                 "                 [--tsize] [--timeout-ms T] [--retries R] [--opt-timeout S]\n"
                 "                 [--mode octet|netascii] [--verify LOCAL_FILE] [--output FILE]\n"
                 "                 [--deadline-s D] [--sources N [--source-base ADDR]] [--json]\n");
    std::exit(2);
}

long parseLong(const std::string& s, const char* what, long lo, long hi) {
    char* end = nullptr;
    errno = 0;
    long v = std::strtol(s.c_str(), &end, 10);
    if (errno || end == s.c_str() || *end || v < lo || v > hi) {
        std::string m = std::string("bad value for ") + what + ": " + s;
        usage(m.c_str());
    }
    return v;
}

double parseDouble(const std::string& s, const char* what) {
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (end == s.c_str() || *end || !(v > 0) || v > 1e6) {
        std::string m = std::string("bad value for ") + what + ": " + s;
        usage(m.c_str());
    }
    return v;
}

Options parseArgs(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i], v;
        bool hasInline = false;
        if (auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
            v = a.substr(eq + 1);
            a = a.substr(0, eq);
            hasInline = true;
        }
        auto val = [&]() -> std::string {
            if (hasInline) return v;
            if (i + 1 >= argc) usage(("missing value for " + a).c_str());
            return argv[++i];
        };
        if (a == "--host") o.host = val();
        else if (a == "--port") o.port = int(parseLong(val(), "--port", 1, 65535));
        else if (a == "--file") o.file = val();
        else if (a == "--mode") o.mode = val();
        else if (a == "--concurrency") o.concurrency = int(parseLong(val(), "--concurrency", 1, 100000));
        else if (a == "--count") o.count = parseLong(val(), "--count", 1, 1000000000L);
        else if (a == "--seconds") o.seconds = parseDouble(val(), "--seconds");
        else if (a == "--blksize") o.blksize = int(parseLong(val(), "--blksize", 8, 65464));
        else if (a == "--windowsize") o.windowsize = int(parseLong(val(), "--windowsize", 1, 65535));
        else if (a == "--tsize") o.tsize = true;
        else if (a == "--opt-timeout") o.optTimeout = int(parseLong(val(), "--opt-timeout", 1, 255));
        else if (a == "--timeout-ms") o.timeoutMs = int(parseLong(val(), "--timeout-ms", 1, 600000));
        else if (a == "--retries") o.retries = int(parseLong(val(), "--retries", 0, 1000));
        else if (a == "--deadline-s") o.deadlineS = parseDouble(val(), "--deadline-s");
        else if (a == "--verify") o.verify = val();
        else if (a == "--output") o.output = val();
        else if (a == "--sources") o.sources = int(parseLong(val(), "--sources", 1, 1 << 20));
        else if (a == "--source-base") o.sourceBase = val();
        else if (a == "--json") o.json = true;
        else if (a == "--help" || a == "-h") usage(nullptr);
        else usage(("unknown option " + a).c_str());
    }
    if (!o.port) usage("--port is required");
    if (o.file.empty()) usage("--file is required");
    if (o.file.size() > 400) usage("--file is too long");
    if (o.mode != "octet" && o.mode != "netascii") usage("--mode is octet or netascii");
    if (!o.count && !(o.seconds > 0)) o.count = 1;
    return o;
}

// Incremental netascii -> local text (CR LF -> LF, CR NUL -> CR).
struct NetasciiDecoder {
    bool pendingCr = false;
    template <typename Emit>
    void feed(const std::uint8_t* p, std::size_t n, Emit&& emit) {
        for (std::size_t i = 0; i < n; ++i) {
            std::uint8_t c = p[i];
            if (pendingCr) {
                pendingCr = false;
                if (c == '\n') { emit('\n'); continue; }
                if (c == '\0') { emit('\r'); continue; }
                emit('\r');  // lenient: a bare CR followed by something else
            }
            if (c == '\r') pendingCr = true;
            else emit(c);
        }
    }
    template <typename Emit>
    void finish(Emit&& emit) {
        if (pendingCr) emit('\r');
        pendingCr = false;
    }
};

enum class Phase { Free, Request, Data };

struct Transfer {
    Phase phase = Phase::Free;
    int fd = -1;
    long id = 0;
    Nanos started = 0;
    Nanos timer = 0;          // when to resend (no progress since)
    int retriesLeft = 0;
    bool haveTid = false;
    std::uint16_t tidPort = 0;  // network order
    bool oackSeen = false;
    std::uint64_t blocks = 0;      // in-order blocks received
    std::uint64_t windowBase = 0;  // block count at the last ACK sent
    std::uint64_t lastGapAck = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t bytes = 0;       // payload bytes as received
    std::size_t blksize = 512;
    std::uint64_t window = 1;
    std::int64_t tsize = -1;
    // --verify / --output
    std::uint64_t localBytes = 0;  // decoded bytes (octet: same as bytes)
    bool mismatch = false;
    NetasciiDecoder nad;
    std::vector<std::uint8_t>* out = nullptr;
};

struct Stats {
    long launched = 0, ok = 0, failed = 0;
    std::uint64_t bytes = 0;
    std::uint64_t timeouts = 0, gapAcks = 0, duplicates = 0, outOfOrder = 0, strayTid = 0,
                  oackWithoutTsize = 0;
    std::size_t lastBlksize = 0;  // as negotiated by the last transfer that got data
    std::uint64_t lastWindow = 0;
    std::vector<double> latMs;
    std::map<std::string, long> reasons;
};

class Load {
public:
    explicit Load(Options o) : o_(std::move(o)) {}

    int run();

private:
    Options o_;
    sockaddr_in server_{};
    std::uint32_t sourceBase_ = 0;  // host order, --sources
    std::vector<std::uint8_t> rrq_;
    std::vector<std::uint8_t> expect_;  // --verify contents
    bool haveExpect_ = false;
    std::vector<std::uint8_t> outBuf_;
    bool outWritten_ = false;
    std::vector<Transfer> slots_;
    std::vector<int> freeSlots_;
    int active_ = 0;
    int ep_ = -1;
    Nanos timeoutNs_ = 0;
    Nanos nextTimer_ = std::numeric_limits<Nanos>::max();
    Stats st_;
    std::uint8_t buf_[kMaxPacket];

    bool resolve();
    void buildRrq();
    bool launch(Nanos now);
    void onReadable(int slot, Nanos now);
    void onPacket(int slot, const std::uint8_t* p, std::size_t n, const sockaddr_in& from, Nanos now);
    void onOack(Transfer& t, const std::uint8_t* p, std::size_t n, Nanos now, int slot);
    void onData(Transfer& t, const std::uint8_t* p, std::size_t n, Nanos now, int slot);
    void checkTimers(Nanos now);
    void consume(Transfer& t, const std::uint8_t* p, std::size_t n);
    void emitLocal(Transfer& t, std::uint8_t c);
    void sendAck(Transfer& t, std::uint64_t blockCount);
    void sendError(Transfer& t, std::uint16_t code, std::string_view msg, const sockaddr_in* to = nullptr);
    void sendRaw(Transfer& t, const std::uint8_t* p, std::size_t n, const sockaddr_in& to);
    void arm(Transfer& t, Nanos now) {
        t.timer = now + timeoutNs_;
        nextTimer_ = std::min(nextTimer_, t.timer);
    }
    void finish(int slot, Nanos now);
    void fail(int slot, const std::string& reason, bool tellServer = true);
    void release(int slot);
    void report(double elapsedS);
};

bool Load::resolve() {
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* res = nullptr;
    if (int rc = getaddrinfo(o_.host.c_str(), nullptr, &hints, &res); rc || !res) {
        std::fprintf(stderr, "tftp_load: cannot resolve %s: %s\n", o_.host.c_str(), gai_strerror(rc));
        return false;
    }
    std::memcpy(&server_, res->ai_addr, sizeof server_);
    freeaddrinfo(res);
    server_.sin_port = htons(std::uint16_t(o_.port));
    return true;
}

void Load::buildRrq() {
    auto put = [&](std::string_view s) {
        rrq_.insert(rrq_.end(), s.begin(), s.end());
        rrq_.push_back(0);
    };
    rrq_ = {0, kRrq};
    put(o_.file);
    put(o_.mode);
    if (o_.blksize) { put("blksize"); put(std::to_string(o_.blksize)); }
    if (o_.tsize) { put("tsize"); put("0"); }
    if (o_.optTimeout) { put("timeout"); put(std::to_string(o_.optTimeout)); }
    if (o_.windowsize) { put("windowsize"); put(std::to_string(o_.windowsize)); }
}

void Load::sendRaw(Transfer& t, const std::uint8_t* p, std::size_t n, const sockaddr_in& to) {
    // A full socket buffer or a transient error counts as a lost packet: the
    // retransmission timer recovers it.
    (void)sendto(t.fd, p, n, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
}

void Load::sendAck(Transfer& t, std::uint64_t blockCount) {
    std::uint16_t b = std::uint16_t(blockCount & 0xffff);
    std::uint8_t pkt[4] = {0, kAck, std::uint8_t(b >> 8), std::uint8_t(b & 0xff)};
    sockaddr_in to = server_;
    to.sin_port = t.tidPort;
    sendRaw(t, pkt, sizeof pkt, to);
    t.windowBase = blockCount;
}

void Load::sendError(Transfer& t, std::uint16_t code, std::string_view msg, const sockaddr_in* to) {
    std::uint8_t pkt[128];
    std::size_t len = std::min<std::size_t>(msg.size(), sizeof pkt - 5);
    pkt[0] = 0;
    pkt[1] = kError;
    pkt[2] = std::uint8_t(code >> 8);
    pkt[3] = std::uint8_t(code & 0xff);
    std::memcpy(pkt + 4, msg.data(), len);
    pkt[4 + len] = 0;
    sockaddr_in dst = server_;
    if (to) dst = *to;
    else if (t.haveTid) dst.sin_port = t.tidPort;
    else return;  // nobody to tell yet
    sendRaw(t, pkt, 5 + len, dst);
}

bool Load::launch(Nanos now) {
    int slot = freeSlots_.back();
    Transfer& t = slots_[slot];
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        std::fprintf(stderr, "tftp_load: socket: %s\n", std::strerror(errno));
        return false;
    }
    if (o_.sources) {
        sockaddr_in src{};
        src.sin_family = AF_INET;
        src.sin_addr.s_addr = htonl(sourceBase_ + std::uint32_t(st_.launched % o_.sources));
        if (bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) < 0) {
            char a[INET_ADDRSTRLEN] = "?";
            inet_ntop(AF_INET, &src.sin_addr, a, sizeof a);
            std::fprintf(stderr, "tftp_load: bind %s: %s\n", a, std::strerror(errno));
            close(fd);
            return false;
        }
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = std::uint32_t(slot);
    if (epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev) < 0) {
        std::fprintf(stderr, "tftp_load: epoll_ctl: %s\n", std::strerror(errno));
        close(fd);
        return false;
    }
    freeSlots_.pop_back();
    t = Transfer{};
    t.phase = Phase::Request;
    t.fd = fd;
    t.id = st_.launched++;
    t.started = now;
    t.retriesLeft = o_.retries;
    if (!o_.output.empty() && t.id == 0) {
        outBuf_.clear();
        t.out = &outBuf_;
    }
    ++active_;
    sendRaw(t, rrq_.data(), rrq_.size(), server_);
    arm(t, now);
    return true;
}

void Load::release(int slot) {
    Transfer& t = slots_[slot];
    if (t.fd >= 0) close(t.fd);  // also leaves the epoll set
    t.fd = -1;
    t.phase = Phase::Free;
    t.out = nullptr;
    freeSlots_.push_back(slot);
    --active_;
}

void Load::fail(int slot, const std::string& reason, bool tellServer) {
    Transfer& t = slots_[slot];
    if (tellServer) sendError(t, 0, "client gave up: " + reason);
    ++st_.failed;
    ++st_.reasons[reason];
    release(slot);
}

void Load::finish(int slot, Nanos now) {
    Transfer& t = slots_[slot];
    if (t.tsize >= 0 && o_.mode == "octet" && std::uint64_t(t.tsize) != t.bytes) {
        fail(slot, "size differs from tsize", false);
        return;
    }
    if (o_.mode == "netascii") t.nad.finish([&](std::uint8_t c) { emitLocal(t, c); });
    if (haveExpect_ && (t.mismatch || t.localBytes != expect_.size())) {
        fail(slot, "content differs from --verify file", false);
        return;
    }
    if (t.out && !outWritten_) {
        std::ofstream f(o_.output, std::ios::binary | std::ios::trunc);
        f.write(reinterpret_cast<const char*>(t.out->data()), std::streamsize(t.out->size()));
        outWritten_ = bool(f);
    }
    ++st_.ok;
    st_.bytes += t.bytes;
    st_.lastBlksize = t.blksize;
    st_.lastWindow = t.window;
    st_.latMs.push_back(double(now - t.started) / 1e6);
    release(slot);
}

void Load::consume(Transfer& t, const std::uint8_t* p, std::size_t n) {
    t.bytes += n;
    if (!haveExpect_ && !t.out) return;
    if (o_.mode == "octet") {
        if (haveExpect_) {
            if (t.localBytes + n > expect_.size() ||
                std::memcmp(expect_.data() + t.localBytes, p, n) != 0)
                t.mismatch = true;
        }
        if (t.out) t.out->insert(t.out->end(), p, p + n);
        t.localBytes += n;
        return;
    }
    t.nad.feed(p, n, [&](std::uint8_t c) { emitLocal(t, c); });
}

void Load::emitLocal(Transfer& t, std::uint8_t c) {
    if (haveExpect_ && (t.localBytes >= expect_.size() || expect_[t.localBytes] != c))
        t.mismatch = true;
    if (t.out) t.out->push_back(c);
    ++t.localBytes;
}

void Load::onOack(Transfer& t, const std::uint8_t* p, std::size_t n, Nanos now, int slot) {
    if (t.oackSeen || t.blocks > 0) {
        ++st_.duplicates;  // a resent OACK: our ACK 0 (or its resend) answers it
        return;
    }
    if (!o_.blksize && !o_.windowsize && !o_.tsize && !o_.optTimeout) {
        sendError(t, 8, "no options requested");
        fail(slot, "OACK without any option requested", false);
        return;
    }
    std::size_t i = 2;
    std::size_t blk = 512;
    std::uint64_t win = 1;
    std::int64_t tsize = -1;
    int guard = 0;
    while (i < n && guard++ < 64) {
        const char* name = reinterpret_cast<const char*>(p + i);
        std::size_t nl = strnlen(name, n - i);
        if (i + nl >= n) break;
        const char* val = name + nl + 1;
        std::size_t vstart = i + nl + 1;
        std::size_t vl = vstart < n ? strnlen(val, n - vstart) : 0;
        if (vstart + vl >= n) {
            sendError(t, 8, "malformed OACK");
            fail(slot, "malformed OACK", false);
            return;
        }
        std::string key(name, nl), value(val, vl);
        std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
        char* end = nullptr;
        errno = 0;
        long long v = std::strtoll(value.c_str(), &end, 10);
        bool numeric = !value.empty() && !errno && end && *end == 0 && v >= 0;
        bool bad = !numeric;
        if (key == "blksize") {
            bad = bad || !o_.blksize || v < 8 || v > o_.blksize;
            blk = std::size_t(v);
        } else if (key == "windowsize") {
            bad = bad || !o_.windowsize || v < 1 || v > o_.windowsize;
            win = std::uint64_t(v);
        } else if (key == "tsize") {
            bad = bad || !o_.tsize;
            tsize = v;
        } else if (key == "timeout") {
            bad = bad || !o_.optTimeout || v != o_.optTimeout;
        } else {
            bad = true;
        }
        if (bad) {
            sendError(t, 8, "unexpected option " + key + "=" + value);
            fail(slot, "OACK with unrequested or bad option " + key, false);
            return;
        }
        i = vstart + vl + 1;
    }
    t.oackSeen = true;
    t.blksize = blk;
    t.window = win;
    t.tsize = tsize;
    if (o_.tsize && tsize < 0) ++st_.oackWithoutTsize;
    t.phase = Phase::Data;
    t.retriesLeft = o_.retries;
    sendAck(t, 0);
    arm(t, now);
}

void Load::onData(Transfer& t, const std::uint8_t* p, std::size_t n, Nanos now, int slot) {
    if (t.phase == Phase::Request) {
        // Options ignored by the server (or none asked): RFC 1350 defaults.
        t.phase = Phase::Data;
        t.blksize = 512;
        t.window = 1;
        t.tsize = -1;
        if (o_.tsize) ++st_.oackWithoutTsize;
    }
    if (n < 4) {
        fail(slot, "short DATA packet");
        return;
    }
    std::uint16_t block = std::uint16_t((p[2] << 8) | p[3]);
    std::uint16_t expected = std::uint16_t((t.blocks + 1) & 0xffff);
    std::size_t len = n - 4;
    if (block == expected) {
        if (len > t.blksize) {
            fail(slot, "DATA larger than blksize");
            return;
        }
        consume(t, p + 4, len);
        ++t.blocks;
        t.retriesLeft = o_.retries;
        if (len < t.blksize) {
            sendAck(t, t.blocks);
            finish(slot, now);
            return;
        }
        if (t.blocks - t.windowBase >= t.window) sendAck(t, t.blocks);
        arm(t, now);
        return;
    }
    std::uint16_t ahead = std::uint16_t(block - expected);
    if (ahead < 0x8000) {
        // A gap: ACK the last in-order block once, the server resends from there.
        if (t.lastGapAck != t.blocks) {
            t.lastGapAck = t.blocks;
            ++st_.gapAcks;
            sendAck(t, t.blocks);
        } else {
            ++st_.outOfOrder;
        }
        return;
    }
    ++st_.duplicates;
}

void Load::onPacket(int slot, const std::uint8_t* p, std::size_t n, const sockaddr_in& from, Nanos now) {
    Transfer& t = slots_[slot];
    if (from.sin_addr.s_addr != server_.sin_addr.s_addr) return;
    if (!t.haveTid) {
        t.haveTid = true;
        t.tidPort = from.sin_port;
    } else if (from.sin_port != t.tidPort) {
        ++st_.strayTid;
        sendError(t, 5, "Unknown transfer ID", &from);
        return;
    }
    if (n < 2) {
        fail(slot, "runt packet");
        return;
    }
    std::uint16_t op = std::uint16_t((p[0] << 8) | p[1]);
    switch (op) {
        case kData:
            onData(t, p, n, now, slot);
            return;
        case kOack:
            if (t.phase == Phase::Request || t.blocks == 0) onOack(t, p, n, now, slot);
            else ++st_.duplicates;
            return;
        case kError: {
            std::uint16_t code = n >= 4 ? std::uint16_t((p[2] << 8) | p[3]) : 0;
            std::string msg;
            if (n > 4) msg.assign(reinterpret_cast<const char*>(p + 4), strnlen(reinterpret_cast<const char*>(p + 4), n - 4));
            fail(slot, "server ERROR " + std::to_string(code) + ": " + msg, false);
            return;
        }
        default:
            sendError(t, 4, "unexpected opcode");
            fail(slot, "unexpected opcode " + std::to_string(op), false);
            return;
    }
}

void Load::onReadable(int slot, Nanos now) {
    for (int k = 0; k < kMaxPacketsPerWake; ++k) {
        Transfer& t = slots_[slot];
        if (t.phase == Phase::Free) return;
        sockaddr_in from{};
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(t.fd, buf_, sizeof buf_, 0, reinterpret_cast<sockaddr*>(&from), &fl);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
            // ICMP errors are not reported on unconnected sockets; anything
            // else is local trouble.
            fail(slot, std::string("recvfrom: ") + std::strerror(errno));
            return;
        }
        onPacket(slot, buf_, std::size_t(n), from, now);
    }
}

void Load::checkTimers(Nanos now) {
    Nanos next = std::numeric_limits<Nanos>::max();
    for (int s = 0; s < int(slots_.size()); ++s) {
        Transfer& t = slots_[s];
        if (t.phase == Phase::Free) continue;
        if (t.timer <= now) {
            if (t.retriesLeft <= 0) {
                fail(s, t.phase == Phase::Request ? "no reply to RRQ" : "timeout waiting for DATA");
                continue;
            }
            --t.retriesLeft;
            ++st_.timeouts;
            if (t.phase == Phase::Request) {
                // Resend the RRQ to the server's well-known port; a reply may
                // already be under way from a new TID, the first one wins.
                t.haveTid = false;
                sendRaw(t, rrq_.data(), rrq_.size(), server_);
            } else {
                t.lastGapAck = std::numeric_limits<std::uint64_t>::max();
                sendAck(t, t.blocks);  // ACK 0 after an OACK, else the last in-order block
            }
            t.timer = now + timeoutNs_;
        }
        next = std::min(next, t.timer);
    }
    nextTimer_ = next;
}

void Load::report(double elapsedS) {
    std::vector<double>& v = st_.latMs;
    std::sort(v.begin(), v.end());
    auto pct = [&](double q) {
        if (v.empty()) return 0.0;
        std::size_t r = std::size_t(std::ceil(q * double(v.size())));
        return v[std::min(v.size(), std::max<std::size_t>(r, 1)) - 1];
    };
    double tps = elapsedS > 0 ? double(st_.ok) / elapsedS : 0;
    double mbps = elapsedS > 0 ? double(st_.bytes) / 1e6 / elapsedS : 0;
    double p50 = pct(0.50), p99 = pct(0.99), mx = v.empty() ? 0 : v.back();
    double mean = 0;
    for (double x : v) mean += x;
    if (!v.empty()) mean /= double(v.size());
    if (o_.json) {
        std::printf(
            "{\"ok\":%ld,\"failed\":%ld,\"seconds\":%.3f,\"transfers_per_s\":%.1f,"
            "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"mean_ms\":%.3f,\"mb_per_s\":%.2f,"
            "\"bytes\":%" PRIu64 ",\"timeouts\":%" PRIu64 ",\"gap_acks\":%" PRIu64
            ",\"out_of_order\":%" PRIu64 ",\"duplicates\":%" PRIu64 ",\"stray_tid\":%" PRIu64
            ",\"no_tsize\":%" PRIu64 ",\"blksize\":%zu,\"windowsize\":%" PRIu64 "}\n",
            st_.ok, st_.failed, elapsedS, tps, p50, p99, mx, mean, mbps, st_.bytes, st_.timeouts,
            st_.gapAcks, st_.outOfOrder, st_.duplicates, st_.strayTid, st_.oackWithoutTsize,
            st_.lastBlksize, st_.lastWindow);
    } else {
        std::printf("transfers: %ld ok, %ld failed in %.3f s\n", st_.ok, st_.failed, elapsedS);
        std::printf("rate:      %.1f transfers/s, %.2f MB/s (%" PRIu64 " bytes)\n", tps, mbps, st_.bytes);
        std::printf("latency:   p50 %.3f ms, p99 %.3f ms, max %.3f ms, mean %.3f ms\n", p50, p99, mx, mean);
        std::printf("recovery:  %" PRIu64 " timeouts, %" PRIu64 " gap ACKs, %" PRIu64
                    " out-of-order and %" PRIu64 " duplicate blocks dropped, %" PRIu64 " stray TIDs\n",
                    st_.timeouts, st_.gapAcks, st_.outOfOrder, st_.duplicates, st_.strayTid);
        if (st_.ok)
            std::printf("options:   blksize %zu, windowsize %" PRIu64 " (last transfer)\n",
                        st_.lastBlksize, st_.lastWindow);
        if (st_.oackWithoutTsize)
            std::printf("note:      %" PRIu64 " transfers got no tsize back\n", st_.oackWithoutTsize);
    }
    FILE* ef = o_.json ? stderr : stdout;
    int shown = 0;
    for (const auto& [why, n] : st_.reasons) {
        if (shown++ == 10) break;
        std::fprintf(ef, "failed:    %ld x %s\n", n, why.c_str());
    }
}

int Load::run() {
    if (!resolve()) return 2;
    if (o_.sources) {
        in_addr a{};
        if (inet_pton(AF_INET, o_.sourceBase.c_str(), &a) != 1) {
            std::fprintf(stderr, "tftp_load: bad --source-base %s\n", o_.sourceBase.c_str());
            return 2;
        }
        sourceBase_ = ntohl(a.s_addr);
    }
    buildRrq();
    if (rrq_.size() > 512) {
        std::fprintf(stderr, "tftp_load: RRQ longer than 512 bytes\n");
        return 2;
    }
    if (!o_.verify.empty()) {
        std::ifstream f(o_.verify, std::ios::binary);
        if (!f) {
            std::fprintf(stderr, "tftp_load: cannot read %s\n", o_.verify.c_str());
            return 2;
        }
        expect_.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
        haveExpect_ = true;
    }
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rlim_t want = rlim_t(o_.concurrency) + 64;
        if (rl.rlim_cur < want) {
            rl.rlim_cur = std::min(want, rl.rlim_max);
            setrlimit(RLIMIT_NOFILE, &rl);
        }
    }
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) {
        std::perror("tftp_load: epoll_create1");
        return 2;
    }
    timeoutNs_ = Nanos(o_.timeoutMs) * 1000000;
    slots_.resize(std::size_t(o_.concurrency));
    for (int s = o_.concurrency - 1; s >= 0; --s) freeSlots_.push_back(s);

    const Nanos start = nowNs();
    const Nanos launchEnd = o_.seconds > 0 ? start + Nanos(o_.seconds * 1e9) : std::numeric_limits<Nanos>::max();
    const Nanos hardEnd = start + Nanos(o_.deadlineS * 1e9);
    Nanos lastDone = start;
    epoll_event events[kMaxEvents];
    bool localError = false;

    for (;;) {
        Nanos now = nowNs();
        if (now >= hardEnd) {
            for (int s = 0; s < int(slots_.size()); ++s)
                if (slots_[s].phase != Phase::Free) fail(s, "run deadline (--deadline-s) reached");
            break;
        }
        bool more = (!o_.count || st_.launched < o_.count) && now < launchEnd && !localError;
        while (more && active_ < o_.concurrency) {
            if (!launch(now)) {
                localError = true;
                break;
            }
            more = (!o_.count || st_.launched < o_.count);
        }
        if (active_ == 0 && !more) break;
        Nanos wakeAt = std::min(nextTimer_, hardEnd);
        if (more) wakeAt = std::min(wakeAt, launchEnd);
        Nanos waitNs = std::max<Nanos>(0, wakeAt - now);
        int waitMs = int(std::min<Nanos>((waitNs + 999999) / 1000000, 1000));
        int n = epoll_wait(ep_, events, kMaxEvents, waitMs);
        if (n < 0 && errno != EINTR) {
            std::perror("tftp_load: epoll_wait");
            return 2;
        }
        now = nowNs();
        long before = st_.ok + st_.failed;
        for (int i = 0; i < n; ++i) onReadable(int(events[i].data.u32), now);
        if (now >= nextTimer_) checkTimers(now);
        if (st_.ok + st_.failed != before) lastDone = now;
    }
    double elapsed = double(lastDone - start) / 1e9;
    report(elapsed);
    if (!o_.output.empty() && !outWritten_)
        std::fprintf(stderr, "tftp_load: no successful transfer written to %s\n", o_.output.c_str());
    close(ep_);
    if (localError) return 2;
    return st_.failed || st_.ok == 0 ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o = parseArgs(argc, argv);
    Load load(std::move(o));
    return load.run();
}

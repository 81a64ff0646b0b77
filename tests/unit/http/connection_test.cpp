// The phone connection's every phase, driven as the event loop drives it,
// over a scripted transport: what it writes byte for byte, what it waits
// for, until when, and when it closes.

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "http/fake_transport.h"
#include "provisioner/http/connection.h"
#include "temp_dir.h"

using namespace prov;
using namespace prov::http;
using prov::testing::FakeTransport;
using prov::testing::Script;
using prov::testing::SocketPair;

namespace {

const std::string kDate = "Date: Sun, 29 Nov 2026 12:00:00 GMT\r\n";
constexpr int64_t kT0 = 1'000'000'000;

class FakeFetcher final : public Fetcher {
public:
    FetchResponse fetch(const FetchRequest& request) override {
        seen.push_back(request);
        FetchResponse r;
        if (request.method == Method::kPut) {
            r.outcome = Outcome::kStored;
            return r;
        }
        auto it = files.find(request.file);
        if (it == files.end()) {
            r.outcome = Outcome::kNotFound;
            return r;
        }
        r.outcome = Outcome::kServed;
        r.body = it->second;
        r.content_type = "text/plain";
        r.etag = "\"e1\"";
        return r;
    }
    std::map<std::string, std::string> files{{"a.cfg", "alpha\n"}, {"b.cfg", "bravo!\n"}};
    std::string file_path;
    std::vector<FetchRequest> seen;
};

std::string ok200(const std::string& body, bool keep_alive = true) {
    return "HTTP/1.1 200 OK\r\n" + kDate + (keep_alive ? "Connection: Keep-Alive\r\n" : "Connection: Close\r\n") +
           "ETag: \"e1\"\r\nCache-Control: no-cache\r\nContent-Type: text/plain\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
}

struct Rig {
    SocketPair sockets;
    Script script;
    FakeFetcher fetcher;
    ConnectionLimits limits;
    std::unique_ptr<Connection> conn;
    FakeTransport* transport = nullptr;

    explicit Rig(Protocol protocol = Protocol::kHttp, bool over_limit = false) { open(protocol, over_limit); }
    void open(Protocol protocol, bool over_limit) {
        auto t = std::make_unique<FakeTransport>(sockets.server(), script, protocol);
        transport = t.get();
        conn = std::make_unique<Connection>(std::move(t), "192.0.2.7", fetcher, limits, kT0, over_limit);
    }
    void send(const std::string& bytes, int64_t now = kT0) {
        script.input.push_back(bytes);
        conn->drive(now, kDate);
    }
};

const char* kGetA = "GET /a.cfg HTTP/1.1\r\nHost: p\r\nUser-Agent: Yealink SIP-T46U 108.86.0.90\r\n\r\n";
const char* kGetB = "GET /b.cfg HTTP/1.1\r\nHost: p\r\n\r\n";

}  // namespace

TEST_CASE("connection: a fetch is answered and the connection waits, idle, for the next") {
    Rig rig;
    REQUIRE(rig.conn->deadline() == kT0 + rig.limits.request_us);  // the first request gets the whole request time
    rig.send(kGetA, kT0 + 5);
    CHECK(rig.script.written == ok200("alpha\n"));
    REQUIRE(rig.fetcher.seen.size() == 1);
    CHECK(rig.fetcher.seen[0].file == "a.cfg");
    CHECK(rig.fetcher.seen[0].peer_ip == "192.0.2.7");
    CHECK(rig.fetcher.seen[0].user_agent == "Yealink SIP-T46U 108.86.0.90");
    CHECK(rig.fetcher.seen[0].protocol == Protocol::kHttp);
    CHECK_FALSE(rig.fetcher.seen[0].client_cert);
    CHECK(rig.conn->phase() == Phase::kHead);
    CHECK(rig.conn->wait() == Wait::kRead);
    CHECK(rig.conn->deadline() == kT0 + 5 + rig.limits.keep_alive_us);
}

TEST_CASE("connection: a request split at every byte gives the same answer") {
    const std::string request = kGetA;
    Rig whole;
    whole.send(request);
    for (size_t cut = 1; cut < request.size(); ++cut) {
        Rig rig;
        rig.send(request.substr(0, cut), kT0 + 1);
        CHECK(rig.script.written.empty());
        CHECK(rig.conn->phase() == Phase::kHead);
        // A request started: it has request_us from its first byte.
        CHECK(rig.conn->deadline() == kT0 + 1 + rig.limits.request_us);
        rig.send(request.substr(cut), kT0 + 2);
        CHECK(rig.script.written == whole.script.written);
        CHECK(rig.fetcher.seen.size() == 1);
    }
}

TEST_CASE("connection: a slow request keeps the deadline of its first byte") {
    Rig rig;
    rig.send("GET /a.cfg HTTP/1.1\r\n", kT0 + 10);
    rig.send("Host: p\r\n", kT0 + 5'000'000);
    CHECK(rig.conn->deadline() == kT0 + 10 + rig.limits.request_us);
}

TEST_CASE("connection: pipelined requests are answered in order") {
    Rig rig;
    rig.send(std::string(kGetA) + kGetB + kGetA);
    CHECK(rig.script.written == ok200("alpha\n") + ok200("bravo!\n") + ok200("alpha\n"));
    REQUIRE(rig.fetcher.seen.size() == 3);
    CHECK(rig.fetcher.seen[1].file == "b.cfg");
}

TEST_CASE("connection: a phone that reads slowly holds the answers in the write phase") {
    Rig rig;
    rig.script.write_budget = 10;
    rig.send(std::string(kGetA) + kGetB, kT0 + 7);
    CHECK(rig.conn->phase() == Phase::kWrite);
    CHECK(rig.conn->wait() == Wait::kWrite);
    CHECK(rig.conn->deadline() == kT0 + 7 + rig.limits.request_us);
    CHECK(rig.script.written.size() == 10);
    rig.script.write_budget = 20;
    rig.conn->drive(kT0 + 900, kDate);  // progress moves the deadline
    CHECK(rig.conn->deadline() == kT0 + 900 + rig.limits.request_us);
    rig.script.write_budget = static_cast<size_t>(-1);
    rig.conn->drive(kT0 + 1000, kDate);
    CHECK(rig.script.written == ok200("alpha\n") + ok200("bravo!\n"));
    CHECK(rig.conn->phase() == Phase::kHead);
    CHECK(rig.conn->wait() == Wait::kRead);
}

TEST_CASE("connection: unknown files, HEAD and HTTP/1.0") {
    Rig rig;
    rig.send("HEAD /a.cfg HTTP/1.1\r\n\r\n");
    CHECK(rig.script.written == ok200("alpha\n").substr(0, ok200("alpha\n").size() - 6));
    rig.script.written.clear();
    rig.send("GET /zz.cfg HTTP/1.1\r\n\r\n");
    CHECK(rig.script.written == "HTTP/1.1 404 Not Found\r\n" + kDate +
                                    "Connection: Keep-Alive\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\n"
                                    "Not Found\n");
    CHECK(rig.conn->phase() == Phase::kHead);
    rig.script.written.clear();
    rig.send("GET /a.cfg HTTP/1.0\r\n\r\n");  // 1.0 without keep-alive: the answer ends it
    CHECK(rig.script.written.rfind("HTTP/1.0 200 OK\r\n", 0) == 0);
    CHECK(rig.script.written.find("Connection: Close\r\n") != std::string::npos);
    CHECK(rig.conn->phase() == Phase::kClosed);
    CHECK(rig.transport->close_notifies == 1);
}

TEST_CASE("connection: malformed requests get their status, then a lingering close") {
    struct Case {
        std::string request;
        std::string status;
    };
    const std::vector<Case> cases = {
        {"GARBAGE\r\n\r\n", "HTTP/1.1 400 Bad Request"},
        {"GET /a.cfg HTTP/2.0\r\n\r\n", "HTTP/1.1 505 HTTP Version Not Supported"},
        {"GET /a.cfg HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", "HTTP/1.1 501 Not Implemented"},
        {"GET /a.cfg HTTP/1.1\r\nX: " + std::string(9000, 'x') + "\r\n\r\n",
         "HTTP/1.1 431 Request Header Fields Too Large"},
        {"DELETE /a.cfg HTTP/1.1\r\n\r\n", "HTTP/1.1 405 Method Not Allowed"},
        {"GET /a.cfg HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", "HTTP/1.1 400 Bad Request"},
        {"PUT /u.log HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", "HTTP/1.1 413 Request Entity Too Large"},
        {"PUT /u.log HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "HTTP/1.1 400 Bad Request"},
    };
    for (const auto& c : cases) {
        INFO(c.request.substr(0, 60));
        Rig rig;
        rig.send(c.request, kT0 + 3);
        CHECK(rig.script.written.rfind(c.status + "\r\n", 0) == 0);
        CHECK(rig.script.written.find("Connection: Close\r\n") != std::string::npos);
        CHECK(rig.fetcher.seen.empty());
        REQUIRE(rig.conn->phase() == Phase::kLinger);
        CHECK(rig.conn->deadline() == kT0 + 3 + rig.limits.linger_us);
        // The phone closes its side: the drain sees the end and the connection closes.
        rig.sockets.closePeer();
        rig.conn->drive(kT0 + 4, kDate);
        CHECK(rig.conn->phase() == Phase::kClosed);
    }
    SECTION("the allowed methods are named") {
        Rig rig;
        rig.send("DELETE /a.cfg HTTP/1.1\r\n\r\n");
        CHECK(rig.script.written.find("Allow: GET, HEAD, PUT\r\n") != std::string::npos);
    }
}

TEST_CASE("connection: uploads by length, chunked, and after 100-continue") {
    Rig rig;
    rig.fetcher.files["u.log"] = "";
    rig.send("PUT /u.log HTTP/1.1\r\nContent-Length: 5\r\n\r\nab");
    CHECK(rig.conn->phase() == Phase::kBody);
    CHECK(rig.script.written.empty());
    rig.send("cde");
    REQUIRE(rig.fetcher.seen.size() == 1);
    CHECK(rig.fetcher.seen[0].method == Method::kPut);
    CHECK(rig.fetcher.seen[0].body == "abcde");
    CHECK(rig.script.written.rfind("HTTP/1.1 204 No Content\r\n", 0) == 0);
    rig.script.written.clear();
    rig.send("PUT /u.log HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n2\r\n!!\r\n0\r\n\r\n");
    REQUIRE(rig.fetcher.seen.size() == 2);
    CHECK(rig.fetcher.seen[1].body == "xyz!!");
    rig.script.written.clear();
    rig.send("PUT /u.log HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
    CHECK(rig.script.written == "HTTP/1.1 100 Continue\r\n\r\n");
    CHECK(rig.conn->phase() == Phase::kBody);  // back to the body once the 100 is out
    rig.send("ok");
    REQUIRE(rig.fetcher.seen.size() == 3);
    CHECK(rig.fetcher.seen[2].body == "ok");
}

TEST_CASE("connection: the last of max_requests closes") {
    Rig rig;
    rig.limits.max_requests = 2;
    rig.send(kGetA);
    CHECK(rig.script.written.find("Connection: Keep-Alive") != std::string::npos);
    rig.script.written.clear();
    rig.send(kGetB);
    CHECK(rig.script.written == ok200("bravo!\n", false));
    CHECK(rig.conn->phase() == Phase::kClosed);
}

TEST_CASE("connection: past the connection limit the first request gets 503 and the close") {
    Rig rig(Protocol::kHttp, true);
    rig.send(kGetA);
    CHECK(rig.script.written == "HTTP/1.1 503 Service Unavailable\r\n" + kDate +
                                    "Connection: Close\r\nRetry-After: 5\r\nContent-Type: text/plain\r\n"
                                    "Content-Length: 20\r\n\r\nService Unavailable\n");
    CHECK(rig.fetcher.seen.empty());
    CHECK(rig.conn->phase() == Phase::kLinger);
}

TEST_CASE("connection: a phone that shuts its side after its requests gets every answer") {
    Rig rig;
    rig.script.eof = true;
    rig.send(std::string(kGetA) + kGetB);
    CHECK(rig.script.written == ok200("alpha\n") + ok200("bravo!\n"));
    // The end of the stream makes the socket readable again: the loop drives it.
    rig.conn->drive(kT0, kDate);
    CHECK(rig.conn->phase() == Phase::kClosed);
    SECTION("the end read with the requests") {
        Rig both;
        both.script.eof = true;
        both.script.input.push_back(std::string(kGetA) + "GET /b.c");
        both.script.input.push_back("fg HTTP/1.1\r\n\r\n");
        both.conn->drive(kT0, kDate);
        CHECK(both.script.written == ok200("alpha\n") + ok200("bravo!\n"));
        both.conn->drive(kT0, kDate);
        CHECK(both.conn->phase() == Phase::kClosed);
    }
}

TEST_CASE("connection: the end of the stream or a broken one closes at once") {
    Rig idle;
    idle.script.eof = true;
    idle.conn->drive(kT0, kDate);
    CHECK(idle.conn->phase() == Phase::kClosed);
    Rig broken;
    broken.script.read_fails = true;
    broken.send("GET /a");
    CHECK(broken.conn->phase() == Phase::kClosed);
    CHECK(broken.script.written.empty());
}

TEST_CASE("connection: one drive reads at most four buffers, then asks to come back") {
    Rig rig;
    rig.fetcher.files["u.log"] = "";
    std::string body(6 * 65536, 'z');
    for (int i = 0; i < 6; ++i) rig.script.input.push_back(body.substr(static_cast<size_t>(i) * 65536, 65536));
    rig.limits.max_upload_bytes = body.size();
    rig.script.input.push_front("PUT /u.log HTTP/1.1\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n");
    rig.conn->drive(kT0, kDate);
    CHECK(rig.script.reads == 4);
    CHECK(rig.conn->again());
    CHECK(rig.fetcher.seen.empty());
    rig.conn->drive(kT0, kDate);  // the other three
    CHECK(rig.script.reads == 7);  // the last said it drained the socket: no read to learn it
    REQUIRE(rig.fetcher.seen.size() == 1);
    CHECK(rig.fetcher.seen[0].body == body);
    CHECK_FALSE(rig.conn->again());
}

TEST_CASE("connection: a request read over several turns keeps the deadline of its first byte") {
    Rig rig;
    rig.fetcher.files["u.log"] = "";
    rig.send(kGetA, kT0);  // answered: idle, with the keep-alive deadline
    const std::string body(6 * 65536, 'z');
    rig.limits.max_upload_bytes = body.size();
    rig.script.input.push_back("PUT /u.log HTTP/1.1\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n");
    for (int i = 0; i < 6; ++i) rig.script.input.push_back(body.substr(static_cast<size_t>(i) * 65536, 65536));
    rig.conn->drive(kT0 + 1'900'000, kDate);  // the read budget ends this turn mid-upload
    REQUIRE(rig.conn->again());
    CHECK(rig.conn->phase() == Phase::kBody);
    CHECK(rig.conn->wait() == Wait::kRead);
    CHECK(rig.conn->deadline() == kT0 + 1'900'000 + rig.limits.request_us);
}

TEST_CASE("connection: a pipeline that throws costs this phone a 500 and the close, nothing more") {
    struct Throwing final : public Fetcher {
        FetchResponse fetch(const FetchRequest&) override { throw std::runtime_error("file vanished"); }
    } throwing;
    SocketPair sockets;
    Script script;
    ConnectionLimits limits;
    Connection conn(std::make_unique<FakeTransport>(sockets.server(), script), "192.0.2.7", throwing, limits, kT0, false);
    script.input.push_back(kGetA);
    conn.drive(kT0, kDate);
    CHECK(script.written.rfind("HTTP/1.1 500 Internal Server Error\r\n", 0) == 0);
    CHECK(script.written.find("Connection: Close\r\n") != std::string::npos);
    CHECK(conn.phase() == Phase::kLinger);  // a refusal, closed once the phone's input drains
}

TEST_CASE("connection: a malformed request after a HEAD gets a whole 400") {
    Rig rig;
    rig.send("HEAD /a.cfg HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    rig.script.written.clear();
    rig.send("GARBAGE\r\n\r\n");
    CHECK(rig.script.written == "HTTP/1.1 400 Bad Request\r\n" + kDate +
                                    "Connection: Close\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\n"
                                    "Bad Request\n");
}

TEST_CASE("connection: TLS handshake waits within its deadline, then carries the certificate's MAC") {
    Rig rig(Protocol::kHttps);
    rig.script.handshake_waits = 2;
    CHECK(rig.conn->deadline() == kT0 + rig.limits.handshake_us);
    rig.conn->drive(kT0 + 1, kDate);
    CHECK(rig.conn->phase() == Phase::kHandshake);
    CHECK(rig.conn->wait() == Wait::kRead);
    CHECK(rig.conn->deadline() == kT0 + rig.limits.handshake_us);
    rig.conn->drive(kT0 + 2, kDate);
    rig.send(kGetA, kT0 + 3);
    CHECK(rig.conn->phase() == Phase::kHead);
    REQUIRE(rig.fetcher.seen.size() == 1);
    CHECK(rig.fetcher.seen[0].protocol == Protocol::kHttps);
    CHECK(rig.fetcher.seen[0].client_cert);
    CHECK(rig.fetcher.seen[0].cert_mac == "0015654aa937");
}

TEST_CASE("connection: a refused handshake closes with its reason") {
    Rig rig(Protocol::kHttps);
    rig.script.handshake_fails = true;
    rig.conn->drive(kT0, kDate);
    CHECK(rig.conn->phase() == Phase::kClosed);
    CHECK(rig.conn->handshakeFailure() == "handshake failed: bad record");
    CHECK(rig.script.written.empty());
}

TEST_CASE("connection: a file replaced since the pipeline checked it is a 404, not sent") {
    prov::testing::TempDir dir;
    const std::string path = dir.write("fw.bin", std::string(10000, 'F'));
    struct stat st{};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    struct CheckedFetcher final : public Fetcher {
        std::string path;
        FileCheck check;
        FetchResponse fetch(const FetchRequest&) override {
            FetchResponse r;
            r.outcome = Outcome::kServed;
            r.file_path = path;
            r.file_size = check.size;
            r.file_check = check;
            r.content_type = "application/octet-stream";
            return r;
        }
    } files;
    files.path = path;
    files.check = FileCheck{10000, static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
                            static_cast<int64_t>(st.st_ino), static_cast<int64_t>(st.st_dev)};
    // Swapped between the check and the open: another file, another inode.
    dir.write("new.bin", std::string(10000, 'X'));
    REQUIRE(::rename((dir.path() + "/new.bin").c_str(), path.c_str()) == 0);
    SocketPair sockets;
    Script script;
    ConnectionLimits limits;
    Connection conn(std::make_unique<FakeTransport>(sockets.server(), script), "192.0.2.7", files, limits, kT0, false);
    script.input.push_back("GET /fw.bin HTTP/1.1\r\n\r\n");
    conn.drive(kT0, kDate);
    conn.drive(kT0 + 1, kDate);
    CHECK(script.written.rfind("HTTP/1.1 404", 0) == 0);
    CHECK(script.written.find("XXXX") == std::string::npos);
}

TEST_CASE("connection: a file follows its head, through the write phase") {
    prov::testing::TempDir dir;
    const std::string firmware(10000, 'F');
    const std::string path = dir.write("fw.bin", firmware);
    struct FileFetcher final : public Fetcher {
        std::string path;
        FetchResponse fetch(const FetchRequest&) override {
            FetchResponse r;
            r.outcome = Outcome::kServed;
            r.file_path = path;
            r.file_size = 10000;
            r.content_type = "application/octet-stream";
            return r;
        }
    } files;
    files.path = path;
    SocketPair sockets;
    Script script;
    script.write_budget = 5000;
    ConnectionLimits limits;
    Connection conn(std::make_unique<FakeTransport>(sockets.server(), script), "192.0.2.7", files, limits, kT0, false);
    script.input.push_back("GET /fw.bin HTTP/1.1\r\n\r\n");
    conn.drive(kT0, kDate);
    CHECK(conn.phase() == Phase::kWrite);
    script.write_budget = static_cast<size_t>(-1);
    conn.drive(kT0 + 1, kDate);
    CHECK(conn.phase() == Phase::kHead);
    const std::string head = "HTTP/1.1 200 OK\r\n" + kDate +
                             "Connection: Keep-Alive\r\nCache-Control: no-cache\r\n"
                             "Content-Type: application/octet-stream\r\nContent-Length: 10000\r\n\r\n";
    CHECK(script.written == head + firmware);
    SECTION("HEAD opens the file too: one gone since the pipeline saw it is a 404") {
        script.written.clear();
        script.input.push_back("HEAD /fw.bin HTTP/1.1\r\n\r\n");
        conn.drive(kT0 + 2, kDate);
        CHECK(script.written == head);
        files.path = dir.path() + "/gone.bin";
        script.written.clear();
        script.input.push_back("HEAD /fw.bin HTTP/1.1\r\n\r\n");
        conn.drive(kT0 + 3, kDate);
        CHECK(script.written.rfind("HTTP/1.1 404 Not Found\r\n", 0) == 0);
    }
    SECTION("a file that cannot be opened is a 404") {
        files.path = dir.path() + "/gone.bin";
        script.written.clear();
        script.input.push_back("GET /fw.bin HTTP/1.1\r\n\r\n");
        conn.drive(kT0 + 2, kDate);
        CHECK(script.written.rfind("HTTP/1.1 404 Not Found\r\n", 0) == 0);
    }
}

TEST_CASE("connection: wake-ups that bring no request leave an idle connection's deadline where it was") {
    // A TLS peer dribbling a record that never completes wakes the connection
    // again and again and no plaintext comes of it: its deadline must hold
    // (it used to move on with every byte, so the connection never timed out).
    Rig rig(Protocol::kHttps);
    rig.conn->drive(kT0 + 10, kDate);  // the handshake ends; nothing to read
    REQUIRE(rig.conn->phase() == Phase::kHead);
    const int64_t first = rig.conn->deadline();
    CHECK(first == kT0 + 10 + rig.limits.request_us);
    rig.conn->drive(kT0 + 3'000'000, kDate);
    rig.conn->drive(kT0 + 9'000'000, kDate);
    CHECK(rig.conn->deadline() == first);
    // Answered, it is idle again: the keep-alive time from the answer, held as well.
    rig.send(kGetA, kT0 + 9'500'000);
    const int64_t idle = rig.conn->deadline();
    CHECK(idle == kT0 + 9'500'000 + rig.limits.keep_alive_us);
    rig.conn->drive(kT0 + 10'000'000, kDate);
    rig.conn->drive(kT0 + 11'000'000, kDate);
    CHECK(rig.conn->deadline() == idle);
    // A request that starts gets its own request time from its first byte.
    rig.send("GET /b.cfg HTTP/1.1\r\n", kT0 + 11'200'000);
    CHECK(rig.conn->deadline() == kT0 + 11'200'000 + rig.limits.request_us);
}

TEST_CASE("connection: the transport's state is released at the close and before a lingering close") {
    Rig closed(Protocol::kHttps);
    closed.script.eof = true;
    closed.conn->drive(kT0, kDate);
    REQUIRE(closed.conn->phase() == Phase::kClosed);
    CHECK(closed.transport->releases >= 1);

    Rig lingering(Protocol::kHttps);
    lingering.send("GARBAGE\r\n\r\n", kT0 + 3);
    REQUIRE(lingering.conn->phase() == Phase::kLinger);
    CHECK(lingering.transport->close_notifies == 1);
    CHECK(lingering.transport->releases == 1);  // the drain reads the raw socket

    Rig open(Protocol::kHttps);
    open.send(kGetA, kT0 + 3);
    REQUIRE(open.conn->phase() == Phase::kHead);
    CHECK(open.transport->releases == 0);  // kept alive: its state stays
}

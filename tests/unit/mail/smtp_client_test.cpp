#include "provisioner/mail/smtp_client.h"

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "provisioner/mail/message.h"

using namespace prov;
using namespace prov::mail;

namespace {

// One step of a scripted relay: wait for a line starting with `expect`
// ("" = none: speak first), then answer `reply` (CRLF added per line). For
// DATA's content, `expect` is "." and every line up to the lone dot is kept.
struct Step {
    std::string expect;
    std::string reply;
};

// The relay's side of a socketpair: runs the script, records what it got.
class FakeRelay {
  public:
    explicit FakeRelay(std::vector<Step> script) : script_(std::move(script)) {
        int fds[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
        client_fd_ = fds[0];
        server_fd_ = fds[1];
        thread_ = std::thread([this] { run(); });
    }
    ~FakeRelay() {
        if (thread_.joinable()) thread_.join();
        ::close(server_fd_);
    }
    int clientFd() const { return client_fd_; }
    // Ends the script (joins), then what the client sent.
    const std::vector<std::string>& lines() {
        if (thread_.joinable()) thread_.join();
        return lines_;
    }
    const std::string& data() {
        if (thread_.joinable()) thread_.join();
        return data_;
    }

  private:
    bool readLine(std::string& line) {
        for (;;) {
            const size_t eol = buffer_.find("\r\n");
            if (eol != std::string::npos) {
                line = buffer_.substr(0, eol);
                buffer_.erase(0, eol + 2);
                return true;
            }
            char buf[4096];
            const ssize_t n = ::read(server_fd_, buf, sizeof buf);
            if (n <= 0) return false;
            buffer_.append(buf, static_cast<size_t>(n));
        }
    }
    void send(const std::string& reply) {
        if (reply.empty()) return;
        std::string out;
        size_t start = 0;
        while (start < reply.size()) {
            const size_t nl = reply.find('\n', start);
            out += reply.substr(start, nl == std::string::npos ? nl : nl - start) + "\r\n";
            if (nl == std::string::npos) break;
            start = nl + 1;
        }
        (void)!::write(server_fd_, out.data(), out.size());
    }
    void run() {
        for (const Step& s : script_) {
            if (s.expect == ".") {
                std::string line;
                while (readLine(line) && line != ".") data_ += line + "\r\n";
            } else if (!s.expect.empty()) {
                std::string line;
                if (!readLine(line)) return;
                lines_.push_back(line);
                if (line.rfind(s.expect, 0) != 0) {
                    send("500 unexpected: wanted " + s.expect);
                    return;
                }
            }
            if (s.reply == "CLOSE") {
                ::shutdown(server_fd_, SHUT_RDWR);
                return;
            }
            send(s.reply);
        }
        std::string line;
        while (readLine(line)) lines_.push_back(line);  // QUIT, until the client closes
    }

    std::vector<Step> script_;
    int client_fd_ = -1;
    int server_fd_ = -1;
    std::thread thread_;
    std::string buffer_;
    std::vector<std::string> lines_;
    std::string data_;
};

Message message() {
    Message m;
    m.from = "pbx@example.com";
    m.to = "alice@example.com";
    m.subject = "Your account";
    m.text = "Hello\n.hidden line\n";
    m.html = "<p>Hello</p>";
    m.date = 1'700'000'000;
    m.boundary = "=_b1";
    return m;
}

SmtpOptions options() {
    SmtpOptions o;
    o.host = "relay.test";
    o.starttls = StartTls::kOff;
    o.helo_name = "prov.test";
    o.timeout_ms = 2000;
    return o;
}

SendResult run(FakeRelay& relay, const SmtpOptions& o) {
    SocketChannel channel(relay.clientFd(), tlsOptions(o));
    return sendMail(channel, o, message());
}

bool anyLineHas(const std::vector<std::string>& lines, const std::string& text) {
    for (const auto& l : lines) {
        if (l.find(text) != std::string::npos) return true;
    }
    return false;
}

}  // namespace

TEST_CASE("dot-stuffing doubles a leading dot on every line and ends with a lone dot") {
    CHECK(dotStuff("") == ".\r\n");
    CHECK(dotStuff("a\r\n.b\r\n") == "a\r\n..b\r\n.\r\n");
    CHECK(dotStuff(".\n..x\nend") == "..\r\n...x\r\nend\r\n.\r\n");
    CHECK(dotStuff("x.y\r\n") == "x.y\r\n.\r\n");  // a dot inside a line is left alone
}

TEST_CASE("a message has RFC 5322 headers and text and HTML alternatives") {
    const std::string m = formatMessage(message());
    CHECK(m.find("Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n") != std::string::npos);
    CHECK(m.find("From: pbx@example.com\r\n") != std::string::npos);
    CHECK(m.find("To: alice@example.com\r\n") != std::string::npos);
    CHECK(m.find("Subject: Your account\r\n") != std::string::npos);
    CHECK(m.find("Message-ID: <=_b1@example.com>\r\n") != std::string::npos);
    CHECK(m.find("Content-Type: multipart/alternative; boundary=\"=_b1\"") != std::string::npos);
    CHECK(m.find("Content-Type: text/plain; charset=utf-8") != std::string::npos);
    CHECK(m.find("Content-Type: text/html; charset=utf-8") != std::string::npos);
    CHECK(m.find(base64("<p>Hello</p>")) != std::string::npos);
    CHECK(m.find("--=_b1--\r\n") != std::string::npos);
    Message evil = message();
    evil.subject = "hi\r\nBcc: eve@example.com";
    CHECK(formatMessage(evil).find("\r\nBcc:") == std::string::npos);  // no header injection
}

TEST_CASE("a plain dialogue: EHLO, MAIL, RCPT, DATA dot-stuffed, the relay's reply kept") {
    FakeRelay relay({{"", "220 relay.test ESMTP"},
                     {"EHLO prov.test", "250-relay.test\n250 8BITMIME"},
                     {"MAIL FROM:<pbx@example.com>", "250 2.1.0 Ok"},
                     {"RCPT TO:<alice@example.com>", "250 2.1.5 Ok"},
                     {"DATA", "354 go ahead"},
                     {".", "250 2.0.0 Ok: queued as ABC"},
                     {"QUIT", "221 bye"}});
    const SendResult r = run(relay, options());
    CHECK(r.outcome == SendOutcome::kSent);
    CHECK(r.reply.code == 250);
    CHECK(r.summary() == "250 2.0.0 Ok: queued as ABC");
    CHECK(relay.data().find("Subject: Your account\r\n") != std::string::npos);
    CHECK(anyLineHas(relay.lines(), "QUIT"));
}

TEST_CASE("STARTTLS required: a relay that does not offer it gets no mail") {
    FakeRelay relay({{"", "220 relay.test ESMTP"}, {"EHLO", "250-relay.test\n250 AUTH PLAIN"}});
    SmtpOptions o = options();
    o.starttls = StartTls::kRequired;
    const SendResult r = run(relay, o);
    CHECK(r.outcome == SendOutcome::kFailed);
    CHECK(r.detail.find("STARTTLS is required") != std::string::npos);
    CHECK_FALSE(anyLineHas(relay.lines(), "MAIL FROM"));
}

TEST_CASE("STARTTLS required and refused for now (454): tried again later, nothing sent") {
    FakeRelay relay({{"", "220 relay.test ESMTP"},
                     {"EHLO", "250-relay.test\n250 STARTTLS"},
                     {"STARTTLS", "454 4.7.0 TLS not available"}});
    SmtpOptions o = options();
    o.starttls = StartTls::kRequired;
    const SendResult r = run(relay, o);
    CHECK(r.outcome == SendOutcome::kRetry);
    CHECK(r.reply.code == 454);
    CHECK(r.summary().find("454 4.7.0 TLS not available") != std::string::npos);
    CHECK_FALSE(anyLineHas(relay.lines(), "MAIL FROM"));
}

TEST_CASE("STARTTLS is required unless configured otherwise") {
    CHECK(SmtpOptions{}.starttls == StartTls::kRequired);
    CHECK(parseStartTls("required") == StartTls::kRequired);
    CHECK(parseStartTls("on") == StartTls::kOn);
    CHECK(parseStartTls("off") == StartTls::kOff);
    CHECK(parseStartTls("") == StartTls::kRequired);
}

TEST_CASE(
    "STARTTLS on is opportunistic: a relay that does not offer it gets the mail in the clear") {
    FakeRelay relay({{"", "220 relay.test ESMTP"},
                     {"EHLO prov.test", "250-relay.test\n250 8BITMIME"},
                     {"MAIL FROM:<pbx@example.com>", "250 2.1.0 Ok"},
                     {"RCPT TO:<alice@example.com>", "250 2.1.5 Ok"},
                     {"DATA", "354 go ahead"},
                     {".", "250 2.0.0 Ok: queued as ABC"},
                     {"QUIT", "221 bye"}});
    SmtpOptions o = options();
    o.starttls = StartTls::kOn;
    const SendResult r = run(relay, o);
    CHECK(r.outcome == SendOutcome::kSent);
    CHECK_FALSE(anyLineHas(relay.lines(), "STARTTLS"));
}

TEST_CASE("STARTTLS on, offered and then refused or unanswered: retried, never sent in the clear") {
    const std::string reply = GENERATE(
        std::string("454 4.7.0 TLS not available"), std::string("502 5.5.1 not implemented"),
        std::string("220-but the line never ends"), std::string("CLOSE"));
    FakeRelay relay({{"", "220 relay.test ESMTP"},
                     {"EHLO", "250-relay.test\n250 STARTTLS"},
                     {"STARTTLS", reply}});
    SmtpOptions o = options();
    o.starttls = StartTls::kOn;
    o.timeout_ms = 300;
    SocketChannel channel(relay.clientFd(), tlsOptions(o));
    const SendResult r = sendMail(channel, o, message());
    ::shutdown(relay.clientFd(), SHUT_RDWR);
    CAPTURE(reply, r.summary());
    CHECK(r.outcome == SendOutcome::kRetry);
    CHECK_FALSE(anyLineHas(relay.lines(), "MAIL FROM"));
}

TEST_CASE(
    "AUTH is refused on a connection without TLS unless allowed - the password never crosses") {
    FakeRelay relay(
        {{"", "220 relay.test ESMTP"}, {"EHLO", "250-relay.test\n250 AUTH PLAIN LOGIN"}});
    SmtpOptions o = options();
    o.user = "pbx";
    o.password = "hunter2";
    const SendResult r = run(relay, o);
    CHECK(r.outcome == SendOutcome::kFailed);
    CHECK(r.detail.find("AUTH refused without TLS") != std::string::npos);
    CHECK_FALSE(anyLineHas(relay.lines(), "AUTH"));
    CHECK(r.summary().find("hunter2") == std::string::npos);
}

TEST_CASE("AUTH PLAIN sends user and password in one base64 line") {
    const std::string plain = base64(std::string("\0pbx\0hunter2", 12));
    FakeRelay relay({{"", "220 relay.test ESMTP"},
                     {"EHLO", "250-relay.test\n250 AUTH LOGIN PLAIN"},
                     {"AUTH PLAIN " + plain, "235 2.7.0 Authentication successful"},
                     {"MAIL FROM", "250 Ok"},
                     {"RCPT TO", "250 Ok"},
                     {"DATA", "354 go"},
                     {".", "250 Ok queued"}});
    SmtpOptions o = options();
    o.user = "pbx";
    o.password = "hunter2";
    o.allow_plain_auth = true;
    const SendResult r = run(relay, o);
    CHECK(r.outcome == SendOutcome::kSent);
    CHECK(r.summary().find("hunter2") == std::string::npos);
}

TEST_CASE(
    "AUTH LOGIN when the relay offers only LOGIN - a refused password is a permanent failure") {
    FakeRelay relay({{"", "220 relay.test ESMTP"},
                     {"EHLO", "250-relay.test\n250 AUTH LOGIN"},
                     {"AUTH LOGIN", "334 VXNlcm5hbWU6"},
                     {base64("pbx"), "334 UGFzc3dvcmQ6"},
                     {base64("hunter2"), "535 5.7.8 Authentication credentials invalid"}});
    SmtpOptions o = options();
    o.user = "pbx";
    o.password = "hunter2";
    o.allow_plain_auth = true;
    const SendResult r = run(relay, o);
    CHECK(r.outcome == SendOutcome::kFailed);
    CHECK(r.reply.code == 535);
    CHECK(r.summary().find("after AUTH LOGIN (password): 535") == 0);
    CHECK(r.summary().find(base64("hunter2")) == std::string::npos);
}

TEST_CASE("a 4xx reply is tried again later, a 5xx reply fails at once") {
    SECTION("450 at RCPT") {
        FakeRelay relay({{"", "220 relay.test"},
                         {"EHLO", "250 relay.test"},
                         {"MAIL FROM", "250 Ok"},
                         {"RCPT TO", "450 4.2.1 mailbox busy"}});
        const SendResult r = run(relay, options());
        CHECK(r.outcome == SendOutcome::kRetry);
        CHECK(r.summary() == "after RCPT TO: 450 4.2.1 mailbox busy");
    }
    SECTION("550 at RCPT") {
        FakeRelay relay({{"", "220 relay.test"},
                         {"EHLO", "250 relay.test"},
                         {"MAIL FROM", "250 Ok"},
                         {"RCPT TO", "550 5.1.1 no such user"}});
        const SendResult r = run(relay, options());
        CHECK(r.outcome == SendOutcome::kFailed);
        CHECK(r.reply.code == 550);
    }
    SECTION("421 greeting") {
        FakeRelay relay(std::vector<Step>{{"", "421 4.3.2 too busy"}});
        CHECK(run(relay, options()).outcome == SendOutcome::kRetry);
    }
    SECTION("a relay that hangs up mid-dialogue") {
        FakeRelay relay({{"", "220 relay.test"}, {"EHLO", "CLOSE"}});
        const SendResult r = run(relay, options());
        CHECK(r.outcome == SendOutcome::kRetry);
        CHECK(r.reply.code == 220);  // the last reply it did give
    }
    SECTION("garbage instead of a reply") {
        FakeRelay relay(std::vector<Step>{{"", "hello there"}});
        const SendResult r = run(relay, options());
        CHECK(r.outcome == SendOutcome::kRetry);
        CHECK(r.detail.find("not an SMTP reply") != std::string::npos);
    }
}

TEST_CASE("a relay that says nothing times out") {
    FakeRelay relay(std::vector<Step>{{"EHLO", ""}});  // waits for a line the client never sends
    SmtpOptions o = options();
    o.timeout_ms = 200;
    SocketChannel channel(relay.clientFd(), tlsOptions(o));
    const SendResult r = sendMail(channel, o, message());
    CHECK(r.outcome == SendOutcome::kRetry);
    CHECK(r.detail.find("timed out") != std::string::npos);
    ::shutdown(relay.clientFd(), SHUT_RDWR);
}

TEST_CASE("a relay trickling a byte per wait is cut off at the conversation's deadline") {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    std::atomic<bool> done{false};
    // A greeting that never ends, one byte each 50 ms: no wait ever times out.
    std::thread relay([&] {
        (void)!::send(fds[1], "220-", 4, MSG_NOSIGNAL);
        for (int i = 0; i < 400 && !done; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            (void)!::send(fds[1], "x", 1, MSG_NOSIGNAL);
        }
    });
    SmtpOptions o = options();
    o.timeout_ms = 300;
    o.conversation_ms = 800;
    const auto start = std::chrono::steady_clock::now();
    SendResult r;
    {
        SocketChannel channel(fds[0], tlsOptions(o));
        r = sendMail(channel, o, message());
    }
    const auto took = std::chrono::steady_clock::now() - start;
    done = true;
    relay.join();
    ::close(fds[1]);
    CHECK(r.outcome == SendOutcome::kRetry);
    CHECK(r.detail.find("deadline") != std::string::npos);
    CHECK(took < std::chrono::milliseconds(2000));
    CHECK(took >= std::chrono::milliseconds(700));
}

TEST_CASE("the deadline is 4 x the timeout unless given") {
    SmtpOptions o = options();
    o.timeout_ms = 1000;
    const auto before = std::chrono::steady_clock::now();
    const auto deadline = tlsOptions(o).deadline;
    CHECK(deadline - before >= std::chrono::milliseconds(4000));
    CHECK(deadline - before < std::chrono::milliseconds(4500));
}

TEST_CASE("an interrupter shuts the conversation's socket down - and refuses any later one") {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    Interrupter interrupter;
    REQUIRE(interrupter.attach(fds[0]));
    SmtpOptions o = options();
    o.timeout_ms = 10000;
    SendResult r;
    const auto start = std::chrono::steady_clock::now();
    std::thread client([&] {
        SocketChannel channel(fds[0], tlsOptions(o));
        r = sendMail(channel, o, message());  // waits for a greeting that never comes
        interrupter.detach();
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    interrupter.interrupt();
    client.join();
    ::close(fds[1]);
    CHECK(r.outcome == SendOutcome::kRetry);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(2000));
    CHECK_FALSE(interrupter.attach(fds[1]));
    CHECK(sendMail(o, message(), &interrupter).detail.find("stopping") != std::string::npos);
}

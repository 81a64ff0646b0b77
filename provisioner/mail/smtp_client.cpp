#include "provisioner/mail/smtp_client.h"

#include <cctype>
#include <chrono>
#include <initializer_list>
#include <optional>
#include <set>
#include <sstream>

namespace prov::mail {

namespace {

constexpr size_t kMaxLine = 2048;    // RFC 5321 says 512 for replies; leave room
constexpr int kMaxReplyLines = 100;  // a multi-line reply (EHLO) longer than this is garbage

// Reads CRLF-terminated lines off the channel, bounded in length and count.
class LineReader {
  public:
    explicit LineReader(Channel& c) : channel_(c) {}

    Result<std::string> line() {
        for (int reads = 0; reads < 1000; ++reads) {
            const size_t eol = buffer_.find('\n');
            if (eol != std::string::npos) {
                std::string out = buffer_.substr(0, eol);
                buffer_.erase(0, eol + 1);
                if (!out.empty() && out.back() == '\r') out.pop_back();
                return out;
            }
            if (buffer_.size() > kMaxLine) return Error::invalid("a reply line is too long");
            char buf[1024];
            const size_t n = TRY(channel_.read(buf, sizeof buf));
            if (n == 0) return Error::invalid("the server closed the connection");
            buffer_.append(buf, n);
        }
        return Error::invalid("no end of line from the server");
    }

    // After STARTTLS nothing read before the handshake may be used (RFC 3207 4.2).
    void discard() { buffer_.clear(); }
    bool pending() const { return !buffer_.empty(); }

  private:
    Channel& channel_;
    std::string buffer_;
};

Result<Reply> readReply(LineReader& in) {
    Reply r;
    for (int i = 0; i < kMaxReplyLines; ++i) {
        const std::string line = TRY(in.line());
        if (line.size() < 3 || !isdigit(static_cast<unsigned char>(line[0])) ||
            !isdigit(static_cast<unsigned char>(line[1])) ||
            !isdigit(static_cast<unsigned char>(line[2])) ||
            (line.size() > 3 && line[3] != ' ' && line[3] != '-'))
            return Error::invalid("not an SMTP reply: " + line.substr(0, 80));
        const int code = std::stoi(line.substr(0, 3));
        if (r.code != 0 && code != r.code) return Error::invalid("a reply changed its code midway");
        r.code = code;
        if (!r.text.empty()) r.text += "\n";
        r.text += line.size() > 4 ? line.substr(4) : "";
        if (line.size() == 3 || line[3] == ' ') return r;
    }
    return Error::invalid("a reply of too many lines");
}

std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
    return s;
}

struct Capabilities {
    bool starttls = false;
    std::set<std::string> auth;  // mechanisms, uppercase
};

Capabilities parseEhlo(const Reply& r) {
    Capabilities caps;
    std::istringstream lines(r.text);
    std::string line;
    bool first = true;
    while (std::getline(lines, line)) {
        if (first) {  // the greeting line: the server's name
            first = false;
            continue;
        }
        std::istringstream words(upper(line));
        std::string keyword;
        words >> keyword;
        if (keyword == "STARTTLS") caps.starttls = true;
        if (keyword == "AUTH" || keyword == "AUTH=") {
            std::string mech;
            while (words >> mech) caps.auth.insert(mech);
        }
    }
    return caps;
}

class Dialogue {
  public:
    Dialogue(Channel& c, const SmtpOptions& o) : channel_(c), in_(c), o_(o) {}

    SendResult run(const Message& m) {
        SendResult r = steps(m);
        if (r.outcome == SendOutcome::kSent || last_.code != 0) {
            // Polite, and not waited for long: the mail is already accepted or refused.
            (void)channel_.write("QUIT\r\n");
        }
        return r;
    }

  private:
    // Sends `command` (shown as `shown` in results: AUTH lines carry the
    // password) and reads the reply into last_. Not a reply: kRetry.
    std::optional<SendResult> exchange(const std::string& command, const std::string& shown,
                                       std::initializer_list<int> want) {
        if (!command.empty()) {
            if (auto st = channel_.write(command + "\r\n"); !st)
                return fail(SendOutcome::kRetry, shown + ": " + st.error().message);
        }
        auto reply = readReply(in_);
        if (!reply)
            return fail(SendOutcome::kRetry,
                        (shown.empty() ? "greeting" : shown) + ": " + reply.error().message);
        last_ = reply.value();
        for (int w : want) {
            if (last_.code == w) return std::nullopt;
        }
        // 4xx: the relay asks us to come back; 5xx (and anything else odd): it will not take this
        // mail.
        const SendOutcome outcome =
            last_.code >= 400 && last_.code < 500 ? SendOutcome::kRetry : SendOutcome::kFailed;
        return fail(outcome, "after " + (shown.empty() ? std::string("connecting") : shown));
    }

    SendResult fail(SendOutcome outcome, std::string detail) const {
        SendResult r;
        r.outcome = outcome;
        r.reply = last_;
        r.detail = std::move(detail);
        return r;
    }

    std::optional<SendResult> ehlo(Capabilities& caps) {
        if (auto f = exchange("EHLO " + o_.helo_name, "EHLO", {250})) return f;
        caps = parseEhlo(last_);
        return std::nullopt;
    }

    std::optional<SendResult> startTls(Capabilities& caps) {
        if (o_.starttls == StartTls::kOff) return std::nullopt;
        // `on` is opportunistic: a relay that does not offer STARTTLS gets
        // the mail in the clear; `required` never sends it.
        if (!caps.starttls) {
            if (o_.starttls == StartTls::kRequired)
                return fail(SendOutcome::kFailed,
                            "STARTTLS is required (smtp.starttls) but the relay does not offer it");
            return std::nullopt;
        }
        // Offered, then refused (any code) or unanswered: never on in the
        // clear, in either mode. The relay said it speaks TLS, so a refusal
        // is its trouble of the moment or someone in the path stripping TLS
        // (RFC 3207 section 4); the mail waits for a retry.
        if (auto f = exchange("STARTTLS", "STARTTLS", {220})) {
            f->outcome = SendOutcome::kRetry;
            if (f->reply.code != 0) f->detail = "the relay refused STARTTLS, which it offers";
            return f;
        }
        in_.discard();
        if (auto st = channel_.startTls(); !st)
            return fail(SendOutcome::kRetry, st.error().message);
        return ehlo(caps);  // the capabilities again, now under TLS
    }

    std::optional<SendResult> auth(const Capabilities& caps) {
        if (o_.user.empty()) return std::nullopt;
        if (!channel_.secure() && !o_.allow_plain_auth)
            return fail(
                SendOutcome::kFailed,
                "AUTH refused without TLS: the password would cross the network in the clear "
                "(smtp.starttls, smtp.allow_plain_auth)");
        if (caps.auth.count("PLAIN")) {
            const std::string token =
                base64(std::string(1, '\0') + o_.user + std::string(1, '\0') + o_.password);
            return exchange("AUTH PLAIN " + token, "AUTH PLAIN", {235});
        }
        if (caps.auth.count("LOGIN")) {
            if (auto f = exchange("AUTH LOGIN", "AUTH LOGIN", {334})) return f;
            if (auto f = exchange(base64(o_.user), "AUTH LOGIN (user)", {334})) return f;
            return exchange(base64(o_.password), "AUTH LOGIN (password)", {235});
        }
        return fail(SendOutcome::kFailed, "the relay offers neither AUTH PLAIN nor AUTH LOGIN");
    }

    SendResult steps(const Message& m) {
        if (!isPlainAddress(m.from) || !isPlainAddress(m.to))
            return fail(SendOutcome::kFailed,
                        "not a plain e-mail address: " + (isPlainAddress(m.from) ? m.to : m.from));
        if (auto f = exchange("", "", {220})) return *f;
        Capabilities caps;
        if (auto f = ehlo(caps)) return *f;
        if (auto f = startTls(caps)) return *f;
        if (auto f = auth(caps)) return *f;
        if (auto f = exchange("MAIL FROM:<" + m.from + ">", "MAIL FROM", {250})) return *f;
        if (auto f = exchange("RCPT TO:<" + m.to + ">", "RCPT TO", {250, 251})) return *f;
        if (auto f = exchange("DATA", "DATA", {354})) return *f;
        if (auto st = channel_.write(dotStuff(formatMessage(m))); !st)
            return fail(SendOutcome::kRetry, "DATA: " + st.error().message);
        if (auto f = exchange("", "the message", {250})) return *f;
        SendResult r;
        r.outcome = SendOutcome::kSent;
        r.reply = last_;
        return r;
    }

    Channel& channel_;
    LineReader in_;
    const SmtpOptions& o_;
    Reply last_;
};

}  // namespace

StartTls parseStartTls(const std::string& text) {
    if (text == "off") return StartTls::kOff;
    if (text == "on") return StartTls::kOn;
    return StartTls::kRequired;
}

tls::ClientOptions tlsOptions(const SmtpOptions& o) {
    tls::ClientOptions t;
    t.server_name = o.host;
    t.ca_file = o.ca_file;
    t.verify = o.tls_verify;
    t.timeout_ms = o.timeout_ms;
    const int64_t whole = o.conversation_ms > 0 ? o.conversation_ms : 4 * int64_t{o.timeout_ms};
    t.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(whole);
    return t;
}

std::string Reply::summary() const {
    if (code == 0) return "";
    std::string s = std::to_string(code) + " " + text;
    for (char& c : s) c = c == '\n' ? ' ' : c;
    return s.substr(0, 500);
}

std::string SendResult::summary() const {
    const std::string r = reply.summary();
    if (detail.empty()) return r;
    if (r.empty()) return detail.substr(0, 500);
    return (detail + ": " + r).substr(0, 500);
}

SendResult sendMail(Channel& channel, const SmtpOptions& options, const Message& message) {
    return Dialogue(channel, options).run(message);
}

SendResult sendMail(const SmtpOptions& options, const Message& message, Interrupter* interrupter) {
    SendResult r;
    r.outcome = SendOutcome::kRetry;
    r.detail = "interrupted: the server is stopping";
    if (interrupter && interrupter->interrupted()) return r;
    auto channel = SocketChannel::connect(options.host, options.port, tlsOptions(options));
    if (!channel) {
        r.detail = channel.error().message;
        return r;
    }
    if (interrupter && !interrupter->attach(channel.value()->fd())) return r;
    r = sendMail(*channel.value(), options, message);
    if (interrupter) {
        interrupter->detach();
        if (interrupter->interrupted() && r.outcome != SendOutcome::kSent) {
            r.outcome = SendOutcome::kRetry;  // cut short, not refused
            r.detail = "interrupted: the server is stopping";
        }
    }
    return r;
}

}  // namespace prov::mail

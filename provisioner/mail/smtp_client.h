#pragma once

// One e-mail through an SMTP relay (RFC 5321): EHLO, STARTTLS (RFC 3207),
// AUTH PLAIN or LOGIN (RFC 4954), MAIL, RCPT, DATA with dot-stuffing, QUIT.
// The password is never put in a result or a log line; the relay's last
// reply is (code and text) so that an admin sees why a mail waits.
//
//   auto channel = TRY(SocketChannel::connect(o.host, o.port, tlsOptions(o)));
//   SendResult r = sendMail(*channel, o, message);
//   if (r.outcome == SendOutcome::kRetry) ... try again later

#include <string>

#include "provisioner/mail/channel.h"
#include "provisioner/mail/message.h"

namespace prov::mail {

enum class StartTls { kOff, kOn, kRequired };

struct SmtpOptions {
    std::string host;
    int port = 25;
    StartTls starttls = StartTls::kOn;
    std::string user;  // "" = no AUTH
    std::string password;
    std::string ca_file;  // "" = the system's CA bundle
    bool tls_verify = true;
    bool allow_plain_auth = false;  // AUTH without TLS
    std::string helo_name = "localhost";
    int timeout_ms = 30000;
};

// "off" | "on" | "required"; kOn for anything else (config checks the choice).
StartTls parseStartTls(const std::string& text);

tls::ClientOptions tlsOptions(const SmtpOptions& o);

struct Reply {
    int code = 0;      // 0: none (no connection, a timeout, a garbled line)
    std::string text;  // the lines' texts joined by "\n"
    // "250 2.0.0 Ok: queued as 1234" or, without a reply, what happened.
    std::string summary() const;
};

enum class SendOutcome {
    kSent,
    kRetry,   // a 4xx reply, a lost connection, a timeout: try again later
    kFailed,  // a 5xx reply or a local refusal (AUTH without TLS): never retried
};

struct SendResult {
    SendOutcome outcome = SendOutcome::kRetry;
    Reply reply;         // the relay's last reply
    std::string detail;  // what we were doing or refused ("STARTTLS required ...")
    // "250 2.0.0 Ok" or "after RCPT: 550 5.1.1 no such user" or the detail alone.
    std::string summary() const;
};

// Runs the dialogue from the server's greeting on `channel`.
SendResult sendMail(Channel& channel, const SmtpOptions& options, const Message& message);

// Connects and runs it (the outbox's sender).
SendResult sendMail(const SmtpOptions& options, const Message& message);

}  // namespace prov::mail

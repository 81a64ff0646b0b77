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

// kRequired: never without TLS. kOn (opportunistic): TLS when the relay's
// EHLO offers STARTTLS, in the clear when it does not; an offered STARTTLS
// that is refused or fails is a retry in both, never a fall-back.
enum class StartTls { kOff, kOn, kRequired };

struct SmtpOptions {
    std::string host;
    int port = 25;
    StartTls starttls = StartTls::kRequired;
    std::string user;  // "" = no AUTH
    std::string password;
    std::string ca_file;  // "" = the system's CA bundle
    bool tls_verify = true;
    bool allow_plain_auth = false;  // AUTH without TLS
    std::string helo_name = "localhost";
    int timeout_ms = 30000;  // each wait
    // The whole conversation, connect to QUIT (a relay trickling a byte per
    // wait must not hold the outbox for hours); 0: 4 x timeout_ms.
    int conversation_ms = 0;
};

// "off" | "on" | "required"; kRequired for anything else (config checks the choice).
StartTls parseStartTls(const std::string& text);

// The channel's options, with the conversation's deadline counted from now.
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

// Connects and runs it (the outbox's sender). `interrupter` (may be null)
// lets another thread end it early: then a kRetry.
SendResult sendMail(const SmtpOptions& options, const Message& message,
                    Interrupter* interrupter = nullptr);

}  // namespace prov::mail

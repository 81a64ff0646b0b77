#pragma once

// An e-mail as RFC 5322 text: headers (Date, Message-ID, From, To, Subject,
// MIME) and a multipart/alternative body of plain text and HTML, each part
// base64 in lines of 76 (no line near SMTP's 998 limit, any UTF-8 safe).

#include <cstdint>
#include <string>
#include <string_view>

namespace prov::mail {

struct Message {
    std::string from;  // addresses only: "provisioner@example.com"
    std::string to;
    std::string subject;  // UTF-8; encoded (RFC 2047) when not plain ASCII
    std::string text;
    std::string html;
    int64_t date = 0;        // epoch seconds
    std::string message_id;  // "<unique@host>"; made from `boundary` when ""
    std::string boundary;    // random; must not occur in base64 ("=_" prefix ensures it)
};

// The message with CRLF line ends, not yet dot-stuffed.
std::string formatMessage(const Message& m);

// "Mon, 30 Nov 2026 13:21:21 +0000"
std::string rfc5322Date(int64_t epoch_seconds);

// SMTP's transparency (RFC 5321 4.5.2): every line that starts with '.'
// gets another; line ends become CRLF; then the closing "\r\n.\r\n".
std::string dotStuff(std::string_view data);

// Whether `address` is safe in an SMTP command and a header: one line, no
// spaces, angle brackets or quotes, one '@'.
bool isPlainAddress(std::string_view address);

std::string base64(std::string_view data);

}  // namespace prov::mail

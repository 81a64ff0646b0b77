#include "provisioner/mail/message.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <ctime>

namespace prov::mail {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Base64 in lines of 76 characters, each ended by CRLF.
std::string base64Lines(std::string_view data) {
    const std::string all = base64(data);
    std::string out;
    for (size_t i = 0; i < all.size(); i += 76) out += all.substr(i, 76) + "\r\n";
    return out;
}

bool isAscii(std::string_view s) {
    for (unsigned char c : s) {
        if (c < 0x20 || c > 0x7e) return false;
    }
    return true;
}

// A header value on one line: control characters (CR, LF) become spaces, so
// no value starts a header of its own.
std::string oneLine(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    }
    return out;
}

std::string encodedSubject(std::string_view subject) {
    const std::string line = oneLine(subject);
    if (isAscii(line)) return line;
    return "=?UTF-8?B?" + base64(line) + "?=";
}

}  // namespace

std::string base64(std::string_view data) {
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    for (size_t i = 0; i < data.size(); i += 3) {
        const size_t n = std::min<size_t>(3, data.size() - i);
        uint32_t v = static_cast<unsigned char>(data[i]) << 16;
        if (n > 1) v |= static_cast<unsigned char>(data[i + 1]) << 8;
        if (n > 2) v |= static_cast<unsigned char>(data[i + 2]);
        out.push_back(kAlphabet[(v >> 18) & 63]);
        out.push_back(kAlphabet[(v >> 12) & 63]);
        out.push_back(n > 1 ? kAlphabet[(v >> 6) & 63] : '=');
        out.push_back(n > 2 ? kAlphabet[v & 63] : '=');
    }
    return out;
}

std::string rfc5322Date(int64_t epoch_seconds) {
    const std::time_t t = static_cast<std::time_t>(epoch_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    // The C locale's names are English, as RFC 5322 wants.
    static const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                  tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                  tm.tm_sec);
    return buf;
}

bool isPlainAddress(std::string_view a) {
    if (a.empty() || a.size() > 254) return false;
    size_t at = 0, ats = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(a[i]);
        if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '"' || c == '(' || c == ')' ||
            c == ',' || c == ';' || c == '\\')
            return false;
        if (c == '@') ++ats, at = i;
    }
    return ats == 1 && at > 0 && at + 1 < a.size();
}

std::string formatMessage(const Message& m) {
    const std::string domain = m.from.substr(m.from.find('@') + 1);
    const std::string id =
        m.message_id.empty() ? "<" + m.boundary + "@" + domain + ">" : m.message_id;
    std::string out;
    out += "Date: " + rfc5322Date(m.date) + "\r\n";
    out += "Message-ID: " + oneLine(id) + "\r\n";
    out += "From: " + oneLine(m.from) + "\r\n";
    out += "To: " + oneLine(m.to) + "\r\n";
    out += "Subject: " + encodedSubject(m.subject) + "\r\n";
    out += "MIME-Version: 1.0\r\n";
    out += "Content-Type: multipart/alternative; boundary=\"" + m.boundary + "\"\r\n";
    out += "\r\n";
    out += "--" + m.boundary + "\r\n";
    out += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
    out += base64Lines(m.text);
    out += "--" + m.boundary + "\r\n";
    out += "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
    out += base64Lines(m.html);
    out += "--" + m.boundary + "--\r\n";
    return out;
}

std::string dotStuff(std::string_view data) {
    std::string out;
    out.reserve(data.size() + data.size() / 64 + 8);
    bool line_start = true;
    for (size_t i = 0; i < data.size(); ++i) {
        const char c = data[i];
        if (line_start && c == '.') out.push_back('.');
        line_start = false;
        if (c == '\r' && i + 1 < data.size() && data[i + 1] == '\n')
            continue;  // the \n writes CRLF
        if (c == '\n' || c == '\r') {
            out += "\r\n";
            line_start = true;
            continue;
        }
        out.push_back(c);
    }
    if (!line_start) out += "\r\n";
    out += ".\r\n";
    return out;
}

}  // namespace prov::mail

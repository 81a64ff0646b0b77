#include "provisioner/http/request_head.h"

namespace prov::http {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

bool isToken(std::string_view s) {
    if (s.empty()) return false;
    for (unsigned char c : s) {
        if (c <= 0x20 || c >= 0x7F || c == ':' || c == '(' || c == ')' || c == '"' || c == '/' || c == ',') return false;
    }
    return true;
}

// A comma-separated header value contains `token` (case-insensitive).
bool hasToken(std::string_view value, std::string_view token) {
    while (!value.empty()) {
        const size_t comma = value.find(',');
        if (iequals(trim(value.substr(0, comma)), token)) return true;
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
    }
    return false;
}

std::optional<uint64_t> parseLength(std::string_view v) {
    if (v.empty() || v.size() > 15) return std::nullopt;
    uint64_t n = 0;
    for (char c : v) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + static_cast<uint64_t>(c - '0');
    }
    return n;
}

}  // namespace

HeadResult parseHead(std::string_view bytes, size_t max_size, RequestHead& out) {
    out = RequestHead{};
    // RFC 9112 2.2: empty lines before the request line are ignored.
    size_t start = 0;
    while (start < bytes.size() && (bytes[start] == '\r' || bytes[start] == '\n') && start < 8) ++start;
    const std::string_view s = bytes.substr(start);
    size_t end = std::string_view::npos, blank = 0;
    for (size_t i = 0; i + 1 < s.size(); ++i) {
        if (s[i] != '\n') continue;
        if (s[i + 1] == '\n') {
            end = i + 1;
            blank = 1;
            break;
        }
        if (s[i + 1] == '\r' && i + 2 < s.size() && s[i + 2] == '\n') {
            end = i + 1;
            blank = 2;
            break;
        }
    }
    if (end == std::string_view::npos) return bytes.size() > max_size ? HeadResult::kTooLarge : HeadResult::kIncomplete;
    if (start + end + blank > max_size) return HeadResult::kTooLarge;
    out.size = start + end + blank;
    const std::string_view head = s.substr(0, end);

    size_t pos = head.find('\n');
    std::string_view line = head.substr(0, pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const size_t sp1 = line.find(' ');
    const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp1 == std::string_view::npos || sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
        return HeadResult::kBad;
    const std::string_view method = line.substr(0, sp1);
    const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::string_view version = line.substr(sp2 + 1);
    if (!isToken(method) || target.empty()) return HeadResult::kBad;
    for (unsigned char c : target) {
        if (c <= 0x20 || c >= 0x7F) return HeadResult::kBad;
    }
    if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.') return HeadResult::kBad;
    if (version[5] != '1' || (version[7] != '0' && version[7] != '1')) return HeadResult::kVersion;
    out.method = std::string(method);
    out.target = std::string(target);
    out.minor = version[7] - '0';

    bool te_seen = false;
    while (pos != std::string_view::npos) {
        const size_t next = head.find('\n', pos + 1);
        std::string_view h = head.substr(pos + 1, next == std::string_view::npos ? std::string_view::npos : next - pos - 1);
        pos = next;
        if (!h.empty() && h.back() == '\r') h.remove_suffix(1);
        if (h.empty()) continue;
        if (h.front() == ' ' || h.front() == '\t') return HeadResult::kBad;  // obsolete line folding
        const size_t colon = h.find(':');
        if (colon == std::string_view::npos || !isToken(h.substr(0, colon))) return HeadResult::kBad;
        const std::string_view name = h.substr(0, colon);
        const std::string_view value = trim(h.substr(colon + 1));
        for (unsigned char c : value) {
            if ((c < 0x20 && c != '\t') || c == 0x7F) return HeadResult::kBad;
        }
        if (iequals(name, "user-agent")) {
            out.user_agent = std::string(value);
        } else if (iequals(name, "authorization")) {
            if (!out.authorization.empty() || value.size() > kMaxAuthorization) return HeadResult::kBad;
            out.authorization = std::string(value);
        } else if (iequals(name, "if-none-match")) {
            out.if_none_match = std::string(value);
        } else if (iequals(name, "connection")) {
            out.connection_close = out.connection_close || hasToken(value, "close");
            out.connection_keep_alive = out.connection_keep_alive || hasToken(value, "keep-alive");
        } else if (iequals(name, "content-length")) {
            auto n = parseLength(value);
            if (!n || (out.content_length && *out.content_length != *n)) return HeadResult::kBad;
            out.content_length = n;
        } else if (iequals(name, "transfer-encoding")) {
            if (te_seen || !iequals(value, "chunked")) return HeadResult::kNotImplemented;
            te_seen = true;
            out.chunked = true;
        } else if (iequals(name, "expect")) {
            if (iequals(value, "100-continue")) out.expect_continue = true;
        }
    }
    // RFC 9112 6.3: both framings at once is a smuggling attempt.
    if (out.chunked && out.content_length) return HeadResult::kBad;
    return HeadResult::kComplete;
}

HeadResult decodeChunked(std::string_view bytes, size_t max_body, std::string& body, size_t& used) {
    // Resumes at `used`: the chunks before it are already in `body`.
    constexpr size_t kMaxLine = 256;  // a size line with its extensions
    size_t pos = used;
    for (;;) {
        const size_t eol = bytes.find("\r\n", pos);
        // Without its CRLF yet, a line of kMaxLine bytes may have its CR in:
        // refusing at kMaxLine would make the answer depend on where the
        // reads split.
        if (eol == std::string_view::npos)
            return bytes.size() - pos > kMaxLine + 1 ? HeadResult::kBad : HeadResult::kIncomplete;
        if (eol - pos > kMaxLine) return HeadResult::kBad;
        std::string_view size_line = bytes.substr(pos, eol - pos);
        for (unsigned char ch : size_line) {
            if (ch < 0x20 && ch != '\t') return HeadResult::kBad;  // bare LF or controls in an extension
        }
        if (const size_t semi = size_line.find(';'); semi != std::string_view::npos) size_line = size_line.substr(0, semi);
        size_line = trim(size_line);
        if (size_line.empty() || size_line.size() > 8) return HeadResult::kBad;
        uint64_t n = 0;
        for (char c : size_line) {
            int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
            if (d < 0) return HeadResult::kBad;
            n = n * 16 + static_cast<uint64_t>(d);
        }
        if (n == 0) {
            // Trailers (skipped, at most kMaxTrailers bytes), then the blank line.
            constexpr size_t kMaxTrailers = 8192;
            size_t t_pos = eol + 2;
            for (;;) {
                const size_t t = bytes.find("\r\n", t_pos);
                if (t == std::string_view::npos)
                    return bytes.size() - (eol + 2) > kMaxTrailers ? HeadResult::kBad : HeadResult::kIncomplete;
                if (t + 2 - (eol + 2) > kMaxTrailers) return HeadResult::kBad;
                const bool blank = t == t_pos;
                t_pos = t + 2;
                if (blank) {
                    used = t_pos;
                    return HeadResult::kComplete;
                }
            }
        }
        if (body.size() + n > max_body) return HeadResult::kTooLarge;
        const size_t data = eol + 2;
        if (bytes.size() < data + n + 2) return HeadResult::kIncomplete;
        if (bytes.substr(data + n, 2) != "\r\n") return HeadResult::kBad;
        body.append(bytes.substr(data, n));
        pos = data + n + 2;
        used = pos;
    }
}

}  // namespace prov::http

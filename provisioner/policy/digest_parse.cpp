// digest::parse: the Authorization header's grammar (RFC 7235 credentials,
// RFC 7616 parameters, RFC 7617 Basic). The header is untrusted bytes from a
// phone: every read goes through Cursor, which checks its bounds, and every
// loop consumes input, so any byte string ends in a value or an Error.

#include <set>

#include "provisioner/core/text.h"
#include "provisioner/policy/digest.h"

namespace prov::policy::digest {
namespace {

bool isTchar(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool isCtl(char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7f;
}

struct Cursor {
    std::string_view s;
    size_t i = 0;

    bool done() const { return i >= s.size(); }
    char peek() const { return s[i]; }  // only when !done()
    void skipSpace() {
        while (!done() && (s[i] == ' ' || s[i] == '\t')) ++i;
    }
    std::string_view token() {
        const size_t start = i;
        while (!done() && isTchar(s[i])) ++i;
        return s.substr(start, i - start);
    }
};

Error bad(const std::string& field, const std::string& problem) {
    return Error::invalid("Authorization header: " + field + " " + problem, {{field, problem}});
}

// After the opening quote: qdtext and quoted-pairs up to the closing quote.
Result<std::string> quotedValue(Cursor& c, const std::string& name) {
    std::string out;
    while (!c.done()) {
        char ch = c.s[c.i++];
        if (ch == '"') return out;
        if (ch == '\\') {
            if (c.done()) break;
            ch = c.s[c.i++];
        }
        if (isCtl(ch)) return bad(name, "has a control character");
        out.push_back(ch);
    }
    return bad(name, "has an unterminated quoted value");
}

// Unquoted values are read more loosely than RFC 7235's token (any visible
// ASCII but comma and quote): a firmware that leaves uri or nonce unquoted
// still parses, and the comma and whitespace that end a value stay unambiguous.
std::string_view bareValue(Cursor& c) {
    const size_t start = c.i;
    while (!c.done()) {
        const auto u = static_cast<unsigned char>(c.peek());
        if (u <= 0x20 || u >= 0x7f || c.peek() == ',' || c.peek() == '"') break;
        ++c.i;
    }
    return c.s.substr(start, c.i - start);
}

int hexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// username*: RFC 8187 ext-value, UTF-8 only ("UTF-8'lang'pct-encoded").
Result<std::string> extValue(std::string_view v) {
    const size_t q1 = v.find('\'');
    const size_t q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
    if (q2 == std::string_view::npos || text::toLower(v.substr(0, q1)) != "utf-8")
        return bad("username*", "is not UTF-8''<percent-encoded>");
    std::string out;
    for (size_t i = q2 + 1; i < v.size(); ++i) {
        if (v[i] != '%') {
            out.push_back(v[i]);
            continue;
        }
        const int hi = i + 2 < v.size() ? hexDigit(v[i + 1]) : -1;
        const int lo = hi >= 0 ? hexDigit(v[i + 2]) : -1;
        if (lo < 0) return bad("username*", "has a bad percent-escape");
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
    }
    if (!text::isPrintable(out)) return bad("username*", "is not printable UTF-8");
    return out;
}

Status assign(Authorization& a, const std::string& name, std::string value) {
    if (name == "username")
        a.username = std::move(value);
    else if (name == "username*")
        a.username = TRY(extValue(value));
    else if (name == "realm")
        a.realm = std::move(value);
    else if (name == "nonce")
        a.nonce = std::move(value);
    else if (name == "uri")
        a.uri = std::move(value);
    else if (name == "response")
        a.response = std::move(value);
    else if (name == "algorithm")
        a.algorithm = std::move(value);
    else if (name == "qop")
        a.qop = std::move(value);
    else if (name == "nc")
        a.nc = std::move(value);
    else if (name == "cnonce")
        a.cnonce = std::move(value);
    else if (name == "opaque")
        a.opaque = std::move(value);
    else if (name == "userhash") {
        const std::string v = text::toLower(value);
        if (v != "true" && v != "false") return bad("userhash", "is neither true nor false");
        a.userhash = v == "true";
    }
    // Anything else is an extension we do not know: RFC 7616 3.4 says ignore it.
    return okStatus();
}

Status requireDigestParameters(const Authorization& a, const std::set<std::string>& seen) {
    if (seen.count("username") && seen.count("username*"))
        return bad("username*", "is sent together with username");
    if (seen.count("username*") && a.userhash)
        return bad("username*", "is sent with userhash=true");
    std::string missing;
    std::map<std::string, std::string> fields;
    for (const char* name : {"username", "realm", "nonce", "uri", "response"}) {
        const bool have =
            seen.count(name) || (std::string_view(name) == "username" && seen.count("username*"));
        if (have) continue;
        missing += (missing.empty() ? "" : ", ") + std::string(name);
        fields[name] = "missing";
    }
    // With qop, the response covers cnonce and nc (RFC 7616 3.4): without them it means nothing.
    if (seen.count("qop")) {
        for (const char* name : {"cnonce", "nc"}) {
            if (seen.count(name)) continue;
            missing += (missing.empty() ? "" : ", ") + std::string(name);
            fields[name] = "missing";
        }
    }
    if (missing.empty()) return okStatus();
    return Error::invalid("Authorization header: Digest credentials lack " + missing,
                          std::move(fields));
}

// The comma-separated auth-params after "Digest": each name once, into `a`.
Status parseParameters(Cursor c, Authorization& a, std::set<std::string>& seen) {
    // Each pass consumes at least one byte or returns: bounded by the header's length.
    while (true) {
        while (!c.done() && (c.peek() == ' ' || c.peek() == '\t' || c.peek() == ',')) ++c.i;
        if (c.done()) break;
        const size_t at = c.i;
        const std::string name = text::toLower(c.token());
        if (name.empty()) return bad("parameter", "expected at offset " + std::to_string(at));
        c.skipSpace();
        if (c.done() || c.peek() != '=') return bad(name, "has no '='");
        ++c.i;
        c.skipSpace();
        std::string value;
        if (!c.done() && c.peek() == '"') {
            ++c.i;
            value = TRY(quotedValue(c, name));
        } else {
            value = std::string(bareValue(c));
            if (value.empty()) return bad(name, "has no value");
        }
        if (!seen.insert(name).second) return bad(name, "is duplicated");
        TRY(assign(a, name, std::move(value)));
        c.skipSpace();
        if (!c.done() && c.peek() != ',') return bad(name, "is not followed by ','");
    }
    return okStatus();
}

Result<Authorization> parseDigest(Cursor c) {
    Authorization a;
    a.scheme = "Digest";
    std::set<std::string> seen;
    TRY(parseParameters(c, a, seen));
    TRY(requireDigestParameters(a, seen));
    return a;
}

int base64Digit(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

// Standard base64; the '=' padding may be left off, but not be misplaced.
Result<std::string> base64Decode(std::string_view in) {
    size_t end = in.size();
    while (end > 0 && in.size() - end < 2 && in[end - 1] == '=') --end;
    for (size_t i = 0; i < end; ++i) {
        if (base64Digit(in[i]) < 0) return bad("Basic credentials", "are not base64");
    }
    if (end < in.size() && in.size() % 4 != 0)
        return bad("Basic credentials", "have misplaced '=' padding");
    if (end % 4 == 1) return bad("Basic credentials", "are truncated base64");
    std::string out;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < end; ++i) {
        acc = ((acc << 6) | static_cast<unsigned>(base64Digit(in[i]))) & 0xffffu;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xff));
        }
    }
    return out;
}

Result<Authorization> parseBasic(std::string_view rest) {
    const std::string token = text::trim(rest);
    if (token.empty()) return bad("Basic credentials", "are empty");
    const std::string decoded = TRY(base64Decode(token));
    const size_t colon = decoded.find(':');
    if (colon == std::string::npos)
        return bad("Basic credentials", "have no ':' between user and password");
    // RFC 7617 2: neither part may hold control characters.
    for (char ch : decoded) {
        if (isCtl(ch) || ch == '\t') return bad("Basic credentials", "hold a control character");
    }
    Authorization a;
    a.scheme = "Basic";
    a.username = decoded.substr(0, colon);
    a.basic_password = decoded.substr(colon + 1);
    return a;
}

}  // namespace

Result<Authorization> parse(std::string_view header) {
    if (header.size() > kMaxHeaderBytes)
        return Error::invalid(
            "Authorization header is over " + std::to_string(kMaxHeaderBytes) + " bytes",
            {{"authorization", "too long"}});
    Cursor c{header};
    c.skipSpace();
    const std::string scheme = text::toLower(c.token());
    if (scheme.empty()) return bad("scheme", "is missing");
    if (!c.done() && c.peek() != ' ' && c.peek() != '\t') return bad("scheme", "is not a token");
    if (scheme == "basic") return parseBasic(header.substr(c.i));
    if (scheme == "digest") return parseDigest(c);
    return bad("scheme", "is neither Digest nor Basic");
}

Result<Authorization> parseChallenge(std::string_view header) {
    if (header.size() > kMaxHeaderBytes)
        return Error::invalid("challenge is over " + std::to_string(kMaxHeaderBytes) + " bytes",
                              {{"authenticate", "too long"}});
    Cursor c{header};
    c.skipSpace();
    if (text::toLower(c.token()) != "digest") return bad("scheme", "is not Digest");
    if (!c.done() && c.peek() != ' ' && c.peek() != '\t') return bad("scheme", "is not a token");
    Authorization a;
    a.scheme = "Digest";
    std::set<std::string> seen;
    TRY(parseParameters(c, a, seen));
    for (const char* name : {"realm", "nonce"}) {
        if (!seen.count(name)) return bad(name, "is missing from the challenge");
    }
    return a;
}

}  // namespace prov::policy::digest

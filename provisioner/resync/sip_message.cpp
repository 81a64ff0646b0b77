// The NOTIFY's bytes and the response parser. A response comes from the
// network: every read is bounded by the datagram, every loop consumes it.

#include "provisioner/resync/sip_message.h"

#include <vector>

#include "provisioner/core/text.h"

namespace prov::resync {

namespace {

bool isIpv6(std::string_view host) { return host.find(':') != std::string_view::npos; }

std::string hostPort(std::string_view host, int port) {
    std::string out = isIpv6(host) ? "[" + std::string(host) + "]" : std::string(host);
    return out + ":" + std::to_string(port);
}

Error bad(const std::string& what) {
    return Error::invalid("SIP response: " + what, {{"response", what}});
}

// The head's lines, folded ones (RFC 3261 7.3.1: a line starting with a
// space or tab continues the one before) joined with one space.
std::vector<std::string> headLines(std::string_view datagram) {
    const size_t end = datagram.find("\r\n\r\n");
    const std::string_view head = datagram.substr(0, end);
    std::vector<std::string> lines;
    size_t start = 0;
    while (start <= head.size()) {
        size_t eol = head.find('\n', start);
        if (eol == std::string_view::npos) eol = head.size();
        std::string_view line = head.substr(start, eol - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (!lines.empty() && !line.empty() && (line.front() == ' ' || line.front() == '\t')) {
            lines.back() += " " + text::trim(line);
        } else {
            lines.emplace_back(line);
        }
        start = eol + 1;
    }
    return lines;
}

// The header's full name for a compact form (RFC 3261 7.3.3), lowercase.
std::string headerName(std::string_view raw) {
    const std::string name = text::toLower(text::trim(raw));
    if (name == "v") return "via";
    if (name == "i") return "call-id";
    return name;
}

// The branch parameter of one Via value: "SIP/2.0/UDP h:p;rport;branch=x".
std::string viaBranch(std::string_view via) {
    size_t at = via.find(';');
    while (at != std::string_view::npos) {
        size_t next = via.find(';', at + 1);
        const std::string_view param =
            via.substr(at + 1, next == std::string_view::npos ? next : next - at - 1);
        const size_t eq = param.find('=');
        if (eq != std::string_view::npos &&
            text::toLower(text::trim(param.substr(0, eq))) == "branch")
            return text::trim(param.substr(eq + 1));
        at = next;
    }
    return "";
}

Status readCseq(std::string_view value, SipResponse& r) {
    const std::string v = text::trim(value);
    const size_t space = v.find_first_of(" \t");
    const std::string number = v.substr(0, space);
    if (number.empty() || number.size() > 10 || !text::isDigits(number) ||
        std::stoll(number) > 0x7fffffff)
        return bad("CSeq has no number");
    r.cseq = static_cast<uint32_t>(std::stoll(number));
    r.cseq_method = space == std::string::npos ? "" : text::trim(std::string_view(v).substr(space));
    if (r.cseq_method.empty()) return bad("CSeq has no method");
    return okStatus();
}

Status readStatusLine(std::string_view line, SipResponse& r) {
    if (line.substr(0, 8) != "SIP/2.0 ") return bad("is not a SIP/2.0 response");
    const std::string_view code = line.substr(8, 3);
    if (code.size() != 3 || !text::isDigits(code) || code[0] < '1' || code[0] > '6')
        return bad("has no status code");
    if (line.size() > 11 && line[11] != ' ') return bad("has no status code");
    r.status = std::stoi(std::string(code));
    r.reason = line.size() > 12 ? std::string(line.substr(12)) : "";
    return okStatus();
}

}  // namespace

std::string requestUri(const NotifyRequest& n) {
    return "sip:" + n.user + "@" + hostPort(n.host, n.port);
}

std::string buildNotify(const NotifyRequest& n) {
    const std::string us = hostPort(n.local_host, n.local_port);
    const std::string uri = requestUri(n);
    const std::string local = isIpv6(n.local_host) ? "[" + n.local_host + "]" : n.local_host;
    std::string out;
    out.reserve(512);
    out += "NOTIFY " + uri + " SIP/2.0\r\n";
    out += "Via: SIP/2.0/UDP " + us + ";branch=" + n.branch + ";rport\r\n";
    out += "Max-Forwards: 70\r\n";
    out += "From: <sip:provisioner@" + local + ">;tag=" + n.from_tag + "\r\n";
    out += "To: <" + uri + ">\r\n";
    out += "Call-ID: " + n.call_id + "@" + local + "\r\n";
    out += "CSeq: " + std::to_string(n.cseq) + " NOTIFY\r\n";
    out += "Contact: <sip:provisioner@" + us + ">\r\n";
    out += "Event: " + n.event + "\r\n";
    out += "Subscription-State: terminated\r\n";
    out += "User-Agent: " + n.user_agent + "\r\n";
    if (!n.auth_header.empty()) out += n.auth_header + ": " + n.auth_value + "\r\n";
    out += "Content-Length: 0\r\n\r\n";
    return out;
}

Result<SipResponse> parseResponse(std::string_view datagram) {
    if (datagram.size() > kMaxDatagram) return bad("is over 65535 bytes");
    if (datagram.find("\r\n\r\n") == std::string_view::npos) return bad("has no end of head");
    const std::vector<std::string> lines = headLines(datagram);
    SipResponse r;
    TRY(readStatusLine(lines.front(), r));
    bool via = false, cseq = false;
    for (size_t i = 1; i < lines.size(); ++i) {
        const std::string& line = lines[i];
        const size_t colon = line.find(':');
        if (colon == std::string::npos) return bad("has a header line without ':'");
        const std::string name = headerName(std::string_view(line).substr(0, colon));
        const std::string value = text::trim(std::string_view(line).substr(colon + 1));
        if (name == "via" && !via) {
            via = true;
            r.branch = viaBranch(value.substr(0, value.find(',')));  // the top value
        } else if (name == "cseq" && !cseq) {
            cseq = true;
            TRY(readCseq(value, r));
        } else if (name == "call-id" && r.call_id.empty()) {
            r.call_id = value;
        } else if (name == "www-authenticate" && r.www_authenticate.empty()) {
            r.www_authenticate = value;
        } else if (name == "proxy-authenticate" && r.proxy_authenticate.empty()) {
            r.proxy_authenticate = value;
        }
    }
    if (!via) return bad("has no Via");
    if (!cseq) return bad("has no CSeq");
    if (r.call_id.empty()) return bad("has no Call-ID");
    return r;
}

}  // namespace prov::resync

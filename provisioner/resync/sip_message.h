#pragma once

// The bytes of a resync push: the SIP NOTIFY that asks a phone to fetch its
// config again, and the few fields of a response the client transaction
// needs (RFC 3261). Pure functions: no socket, clock or randomness here; the
// caller brings the branch, tag and Call-ID.
//
//   NotifyRequest n;
//   n.user = "1001"; n.host = "192.0.2.7"; n.port = 5062;
//   n.local_host = "192.0.2.1"; n.local_port = 5070;
//   n.branch = "z9hG4bK" + random; n.from_tag = ...; n.call_id = ...;
//   n.event = "check-sync;reboot=false";
//   send(buildNotify(n));
//   auto r = parseResponse(datagram);   // r->status, r->branch, r->cseq

#include <cstdint>
#include <string>
#include <string_view>

#include "provisioner/core/result.h"

namespace prov::resync {

struct NotifyRequest {
    std::string user;  // the line's SIP user (the extension)
    std::string host;  // the phone's address, as its PBX reported it (IPv4 or IPv6)
    int port = 5060;
    std::string local_host;  // ours, for Via, From, Contact and the Call-ID
    int local_port = 0;
    std::string branch;  // whole, with its z9hG4bK magic cookie
    std::string from_tag;
    std::string call_id;  // without "@host": local_host is appended
    uint32_t cseq = 1;
    std::string event;  // the vendor's, e.g. "check-sync;reboot=false"
    std::string user_agent;
    // "Authorization" (a 401) or "Proxy-Authorization" (a 407) and its
    // value; auth_header empty: none.
    std::string auth_header;
    std::string auth_value;
};

// "sip:<user>@<host>:<port>", an IPv6 host in brackets: the Request-URI and
// the To URI, and the uri a digest answer covers.
std::string requestUri(const NotifyRequest& request);

// The datagram: request line, then Via (UDP, branch, rport), Max-Forwards
// 70, From (tag), To, Call-ID, CSeq, Contact, Event, Subscription-State:
// terminated (RFC 6665 4.1.3: a NOTIFY outside a subscription), User-Agent,
// the authorization header if any, Content-Length: 0; each line ends in
// CRLF, and an empty line ends the head. No body.
std::string buildNotify(const NotifyRequest& request);

// What a response says, as far as a client transaction needs it.
struct SipResponse {
    int status = 0;
    std::string reason;
    std::string branch;  // of the top Via; "" when it has none
    uint32_t cseq = 0;
    std::string cseq_method;  // uppercase as sent
    std::string call_id;
    std::string www_authenticate;    // the first one; "" when none
    std::string proxy_authenticate;  // the first one; "" when none
};

// Datagrams over this size are refused unread (RFC 3261 18.1.1 keeps UDP
// messages well under it).
inline constexpr size_t kMaxDatagram = 65535;

// Parses a response datagram: "SIP/2.0 <3 digits> <reason>" and the header
// lines up to the empty line (header names in any case, compact forms v and
// i, folded lines joined). An error (kInvalidArgument) for a request, a
// malformed status line, or a response with no Via, CSeq or Call-ID. The
// bytes come from the network: total on any input.
Result<SipResponse> parseResponse(std::string_view datagram);

}  // namespace prov::resync

#include "provisioner/resync/sip_message.h"

#include <catch2/catch.hpp>
#include <string>

using namespace prov::resync;

namespace {

NotifyRequest yealink() {
    NotifyRequest n;
    n.user = "1001";
    n.host = "192.0.2.7";
    n.port = 5062;
    n.local_host = "192.0.2.1";
    n.local_port = 5070;
    n.branch = "z9hG4bKabc123";
    n.from_tag = "tag42";
    n.call_id = "call99";
    n.cseq = 1;
    n.event = "check-sync;reboot=false";
    n.user_agent = "Provisioner";
    return n;
}

const std::string kOk =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bKabc123;rport=5070;received=192.0.2.1\r\n"
    "From: <sip:provisioner@192.0.2.1>;tag=tag42\r\n"
    "To: <sip:1001@192.0.2.7:5062>;tag=x\r\n"
    "Call-ID: call99@192.0.2.1\r\n"
    "CSeq: 1 NOTIFY\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

}  // namespace

TEST_CASE("the NOTIFY is the exact bytes a phone expects, CRLF and an empty line at the end") {
    CHECK(buildNotify(yealink()) ==
          "NOTIFY sip:1001@192.0.2.7:5062 SIP/2.0\r\n"
          "Via: SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bKabc123;rport\r\n"
          "Max-Forwards: 70\r\n"
          "From: <sip:provisioner@192.0.2.1>;tag=tag42\r\n"
          "To: <sip:1001@192.0.2.7:5062>\r\n"
          "Call-ID: call99@192.0.2.1\r\n"
          "CSeq: 1 NOTIFY\r\n"
          "Contact: <sip:provisioner@192.0.2.1:5070>\r\n"
          "Event: check-sync;reboot=false\r\n"
          "Subscription-State: terminated\r\n"
          "User-Agent: Provisioner\r\n"
          "Content-Length: 0\r\n"
          "\r\n");
}

TEST_CASE("the answer to a challenge carries its header before Content-Length") {
    NotifyRequest n = yealink();
    n.cseq = 2;
    n.auth_header = "Proxy-Authorization";
    n.auth_value = "Digest username=\"1001\"";
    const std::string bytes = buildNotify(n);
    CHECK(bytes.find("CSeq: 2 NOTIFY\r\n") != std::string::npos);
    CHECK(bytes.find("User-Agent: Provisioner\r\nProxy-Authorization: Digest username=\"1001\"\r\n"
                     "Content-Length: 0\r\n\r\n") != std::string::npos);
}

TEST_CASE("IPv6 addresses go in brackets in URIs and Via") {
    NotifyRequest n = yealink();
    n.host = "2001:db8::7";
    n.local_host = "2001:db8::1";
    CHECK(requestUri(n) == "sip:1001@[2001:db8::7]:5062");
    const std::string bytes = buildNotify(n);
    CHECK(bytes.rfind("NOTIFY sip:1001@[2001:db8::7]:5062 SIP/2.0\r\n", 0) == 0);
    CHECK(bytes.find("Via: SIP/2.0/UDP [2001:db8::1]:5070;branch=") != std::string::npos);
    CHECK(bytes.find("Call-ID: call99@[2001:db8::1]\r\n") != std::string::npos);
}

TEST_CASE("a response gives its status, top Via branch, CSeq and Call-ID") {
    auto r = parseResponse(kOk);
    REQUIRE(r);
    CHECK(r.value().status == 200);
    CHECK(r.value().reason == "OK");
    CHECK(r.value().branch == "z9hG4bKabc123");
    CHECK(r.value().cseq == 1);
    CHECK(r.value().cseq_method == "NOTIFY");
    CHECK(r.value().call_id == "call99@192.0.2.1");
}

TEST_CASE("compact headers, any case, folded lines and several Vias") {
    const std::string raw =
        "SIP/2.0 401 Unauthorized\r\n"
        "v: SIP/2.0/UDP 192.0.2.1:5070;rport;BRANCH=z9hG4bKtop, SIP/2.0/UDP "
        "10.0.0.1;branch=z9hG4bKlow\r\n"
        "VIA: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKsecond\r\n"
        "i: abc@host\r\n"
        "cseq:   7   NOTIFY\r\n"
        "WWW-Authenticate: Digest realm=\"phone\",\r\n"
        "   nonce=\"n1\", qop=\"auth\"\r\n"
        "www-authenticate: Digest realm=\"second\", nonce=\"n2\"\r\n"
        "Proxy-Authenticate: Digest realm=\"proxy\", nonce=\"p\"\r\n"
        "\r\n";
    auto r = parseResponse(raw);
    REQUIRE(r);
    CHECK(r.value().status == 401);
    CHECK(r.value().branch == "z9hG4bKtop");
    CHECK(r.value().call_id == "abc@host");
    CHECK(r.value().cseq == 7);
    CHECK(r.value().cseq_method == "NOTIFY");
    CHECK(r.value().www_authenticate == "Digest realm=\"phone\", nonce=\"n1\", qop=\"auth\"");
    CHECK(r.value().proxy_authenticate == "Digest realm=\"proxy\", nonce=\"p\"");
}

TEST_CASE("what is not a response is refused with a reason") {
    struct Case {
        const char* name;
        std::string bytes;
    };
    const Case cases[] = {
        {"a request", "NOTIFY sip:a@b SIP/2.0\r\nVia: x\r\nCSeq: 1 NOTIFY\r\nCall-ID: c\r\n\r\n"},
        {"no end of head", "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=b\r\n"},
        {"a status of two digits",
         "SIP/2.0 20 OK\r\nVia: x\r\nCSeq: 1 NOTIFY\r\nCall-ID: c\r\n\r\n"},
        {"a status of 7xx", "SIP/2.0 700 Odd\r\nVia: x\r\nCSeq: 1 NOTIFY\r\nCall-ID: c\r\n\r\n"},
        {"no Via", "SIP/2.0 200 OK\r\nCSeq: 1 NOTIFY\r\nCall-ID: c\r\n\r\n"},
        {"no CSeq", "SIP/2.0 200 OK\r\nVia: x\r\nCall-ID: c\r\n\r\n"},
        {"no Call-ID", "SIP/2.0 200 OK\r\nVia: x\r\nCSeq: 1 NOTIFY\r\n\r\n"},
        {"a CSeq without method", "SIP/2.0 200 OK\r\nVia: x\r\nCSeq: 1\r\nCall-ID: c\r\n\r\n"},
        {"a CSeq too large",
         "SIP/2.0 200 OK\r\nVia: x\r\nCSeq: 99999999999 NOTIFY\r\nCall-ID: c\r\n\r\n"},
        {"a line without colon", "SIP/2.0 200 OK\r\nVia x\r\nCSeq: 1 NOTIFY\r\nCall-ID: c\r\n\r\n"},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        CHECK_FALSE(parseResponse(c.bytes));
    }
}

TEST_CASE("the parser is total: every prefix and every byte flipped of a response") {
    // Truncated at every length (a datagram cut short) and each byte
    // replaced: a value or an error, never a crash or a read past the end.
    for (size_t n = 0; n <= kOk.size(); ++n)
        (void)parseResponse(std::string_view(kOk).substr(0, n));
    for (size_t i = 0; i < kOk.size(); ++i) {
        for (char c : {'\0', '\r', '\n', ':', ';', ',', ' ', '\xff'}) {
            std::string bytes = kOk;
            bytes[i] = c;
            (void)parseResponse(bytes);
        }
    }
    CHECK(parseResponse(kOk));
}

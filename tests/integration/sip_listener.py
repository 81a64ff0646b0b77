#!/usr/bin/env python3
"""A phone's SIP side for resync_test.sh: a UDP listener on 127.0.0.1 that
checks every NOTIFY it gets, header by header, and answers as --mode says.

  answer            200 to every NOTIFY
  drop-first        ignores the first datagram of each call; the
                    retransmission must be the same bytes, at least --t1-ms
                    later; then 200
  challenge         401 (Digest realm="t", nonce="n", qop="auth") to the
                    first request of a call; the retry must carry a new branch,
                    CSeq + 1, the same Call-ID and From tag, and an
                    Authorization whose response is right for --user and
                    --secret; then 200 (403 and a failure otherwise)
  challenge-always  401 to everything

It writes its port to --port-file once bound, a JSON line per datagram to
--log, and exits once --calls calls are answered (0 when every check
passed, 1 otherwise; the failures on stderr) or after --timeout seconds (1).
"""
import argparse
import hashlib
import json
import os
import re
import socket
import sys
import time

REQUIRED = ["Via", "Max-Forwards", "From", "To", "Call-ID", "CSeq", "Contact", "Event",
            "Subscription-State", "User-Agent", "Content-Length"]


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def parse(data):
    head, sep, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return lines[0], headers, sep, body


def header(headers, name):
    for n, v in headers:
        if n.lower() == name.lower():
            return v
    return None


def digest_params(value):
    return dict((k.lower(), v1 if v1 else v2)
                for k, v1, v2 in re.findall(r'(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]+))', value))


class Listener:
    def __init__(self, args):
        self.args = args
        self.failures = []
        self.calls = {}  # Call-ID -> state
        self.answered = set()

    def fail(self, what):
        self.failures.append(what)
        print("sip_listener: FAIL: " + what, file=sys.stderr)

    def check(self, data, peer):
        """Every header of the NOTIFY, as resync/sip_message.h promises."""
        a = self.args
        if b"\n" in data.replace(b"\r\n", b""):
            self.fail("a line ends in a bare LF")
        request_line, headers, sep, body = parse(data)
        if not sep:
            self.fail("no empty line ends the head")
        # --user '*': any line (many devices registered to one listener).
        user = r"[0-9A-Za-z]+" if a.user == "*" else re.escape(a.user)
        uri = r"sip:%s@127\.0\.0\.1:%d" % (user, a.port)
        if not re.fullmatch("NOTIFY %s SIP/2\\.0" % uri, request_line):
            self.fail("request line %r" % request_line)
        names = [n for n, _ in headers]
        for name in REQUIRED:
            if name not in names:
                self.fail("no %s header (has %s)" % (name, names))
        host, port = peer
        via = header(headers, "Via") or ""
        if not re.fullmatch(r"SIP/2\.0/UDP %s:%d;branch=z9hG4bK[A-Za-z0-9]{8,};rport" % (re.escape(host), port), via):
            self.fail("Via %r (sent from %s:%d)" % (via, host, port))
        if header(headers, "Max-Forwards") != "70":
            self.fail("Max-Forwards %r" % header(headers, "Max-Forwards"))
        if not re.fullmatch(r"<sip:provisioner@%s>;tag=[A-Za-z0-9]{8,}" % re.escape(host), header(headers, "From") or ""):
            self.fail("From %r" % header(headers, "From"))
        if not re.fullmatch("<%s>" % uri, header(headers, "To") or ""):
            self.fail("To %r" % header(headers, "To"))
        if not re.fullmatch(r"[A-Za-z0-9]{16,}@%s" % re.escape(host), header(headers, "Call-ID") or ""):
            self.fail("Call-ID %r" % header(headers, "Call-ID"))
        if not re.fullmatch(r"[0-9]+ NOTIFY", header(headers, "CSeq") or ""):
            self.fail("CSeq %r" % header(headers, "CSeq"))
        if header(headers, "Contact") != "<sip:provisioner@%s:%d>" % (host, port):
            self.fail("Contact %r" % header(headers, "Contact"))
        if header(headers, "Event") != a.event:
            self.fail("Event %r, expected %r" % (header(headers, "Event"), a.event))
        if header(headers, "Subscription-State") != "terminated":
            self.fail("Subscription-State %r" % header(headers, "Subscription-State"))
        if header(headers, "Content-Length") != str(len(body)) or body:
            self.fail("Content-Length %r with a body of %d bytes" % (header(headers, "Content-Length"), len(body)))
        return headers

    def respond(self, sock, peer, headers, status, reason, extra=""):
        to = header(headers, "To") + ";tag=phone1"
        text = ("SIP/2.0 %d %s\r\nVia: %s;received=%s\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %s\r\n%s"
                "Content-Length: 0\r\n\r\n") % (status, reason, header(headers, "Via"), peer[0], header(headers, "From"),
                                                to, header(headers, "Call-ID"), header(headers, "CSeq"), extra)
        sock.sendto(text.encode(), peer)

    def check_answer(self, first, headers):
        """The retry after a 401: a new transaction with the line's credentials."""
        a = self.args
        branch = lambda h: re.search(r"branch=([^;]+)", header(h, "Via")).group(1)
        tag = lambda h: header(h, "From").split("tag=")[1]
        cseq = lambda h: int(header(h, "CSeq").split()[0])
        if branch(headers) == branch(first):
            self.fail("the retry kept the branch")
        if cseq(headers) != cseq(first) + 1:
            self.fail("the retry's CSeq %d after %d" % (cseq(headers), cseq(first)))
        if tag(headers) != tag(first):
            self.fail("the retry changed the From tag")
        auth = header(headers, "Authorization")
        if not auth or not auth.startswith("Digest "):
            self.fail("the retry has no Authorization: %r" % auth)
            return False
        p = digest_params(auth)
        uri = "sip:%s@127.0.0.1:%d" % (a.user, a.port)
        want = {"username": a.user, "realm": "t", "nonce": "n", "uri": uri, "qop": "auth", "nc": "00000001"}
        for k, v in want.items():
            if p.get(k) != v:
                self.fail("Authorization %s=%r, expected %r" % (k, p.get(k), v))
        ha1 = md5("%s:t:%s" % (a.user, a.secret))
        ha2 = md5("NOTIFY:" + uri)
        expected = md5("%s:n:%s:%s:auth:%s" % (ha1, p.get("nc", ""), p.get("cnonce", ""), ha2))
        if p.get("response") != expected:
            self.fail("the digest response %r is not %r" % (p.get("response"), expected))
            return False
        return True

    def handle(self, sock, data, peer, now, log):
        a = self.args
        headers = self.check(data, peer)
        call_id = header(headers, "Call-ID") or ""
        state = self.calls.setdefault(call_id, {"seen": [], "first": None})
        state["seen"].append((now, data))
        log.write(json.dumps({"t": now, "call_id": call_id, "cseq": header(headers, "CSeq"),
                              "bytes": len(data)}) + "\n")
        log.flush()
        if a.mode == "answer":
            self.respond(sock, peer, headers, 200, "OK")
            self.answered.add(call_id)
        elif a.mode == "drop-first":
            if len(state["seen"]) == 1:
                return  # lost on the way: the sender must try again
            (t0, first), (t1, again) = state["seen"][0], state["seen"][1]
            if again != first:
                self.fail("the retransmission differs from the first NOTIFY")
            if (t1 - t0) * 1000 < a.t1_ms * 0.9:
                self.fail("retransmitted %.0f ms after the first, before T1 (%d ms)" % ((t1 - t0) * 1000, a.t1_ms))
            self.respond(sock, peer, headers, 200, "OK")
            self.answered.add(call_id)
        elif a.mode == "challenge":
            if state["first"] is None:
                state["first"] = headers
                self.respond(sock, peer, headers, 401, "Unauthorized",
                             'WWW-Authenticate: Digest realm="t", nonce="n", qop="auth"\r\n')
                return
            if header(headers, "CSeq") == header(state["first"], "CSeq"):
                return  # a retransmission of the challenged request
            ok = self.check_answer(state["first"], headers)
            self.respond(sock, peer, headers, 200 if ok else 403, "OK" if ok else "Forbidden")
            self.answered.add(call_id)
        elif a.mode == "challenge-always":
            self.respond(sock, peer, headers, 401, "Unauthorized",
                         'WWW-Authenticate: Digest realm="t", nonce="%d"\r\n' % len(state["seen"]))
            if len(state["seen"]) >= 2:
                self.answered.add(call_id)

    def run(self):
        a = self.args
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", a.port))
        a.port = sock.getsockname()[1]
        with open(a.port_file + ".tmp", "w") as f:
            f.write("%d\n" % a.port)
        os.rename(a.port_file + ".tmp", a.port_file)
        deadline = time.monotonic() + a.timeout
        with open(a.log, "a") as log:
            while len(self.answered) < a.calls:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.fail("timed out with %d of %d calls answered" % (len(self.answered), a.calls))
                    break
                sock.settimeout(left)
                try:
                    data, peer = sock.recvfrom(65536)
                except socket.timeout:
                    continue
                self.handle(sock, data, peer, time.time(), log)
        return 1 if self.failures else 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mode", choices=["answer", "drop-first", "challenge", "challenge-always"], default="answer")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--secret", default="")
    p.add_argument("--event", default="check-sync;reboot=false")
    p.add_argument("--t1-ms", type=int, default=500)
    p.add_argument("--calls", type=int, default=1)
    p.add_argument("--timeout", type=float, default=30)
    sys.exit(Listener(p.parse_args()).run())


if __name__ == "__main__":
    main()

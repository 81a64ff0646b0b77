#!/usr/bin/env python3
"""Slow and idle clients against the real server, for slow_clients_test.sh.

Every mode prints `name|value` lines for the script to check. All traffic
goes to 127.0.0.0/8; every wait is bounded.

  http-flood PORT COUNT SOURCES PHONE   COUNT slow HTTP connections spread over
                                        SOURCES addresses (127.0.1.x, or 127.0.0.2
                                        when SOURCES is 1), then a phone's fetch
                                        from PHONE; how many the server held
  tls-flood PORT COUNT SOURCES PID PHONE_PORT [tls] [quick]
                                        COUNT HTTPS connections (full handshakes)
                                        held idle, a phone's fetch from 127.0.0.3 on
                                        PHONE_PORT meanwhile; unless quick, the
                                        server's RSS while they are open and once
                                        the server timed them out
  tls-idle PORT                         when the server closes a silent connection,
                                        a partial ClientHello, a handshake with no
                                        request, one idle after its request and one
                                        dribbling a TLS record
  admin-idle PORT COUNT TOKEN tls|plain COUNT connections to the admin port (half
                                        silent, half a partial head) from the API
                                        client's address, then an API call; when
                                        the idle ones were dropped
  admin-abuse PORT TOKEN tls|plain      without a token: 12 POSTs whose bodies come a
                                        byte a second, 12 connections that pipeline
                                        requests and never read, (tls) 40 connections
                                        reset at once, and a 20 KiB head; then an API
                                        call; when the dribblers were closed, what the
                                        long head got
"""

import concurrent.futures
import errno
import resource
import selectors
import socket
import ssl
import sys
import time

PARTIAL_HEAD = b"GET /y000000000000.boot HTTP/1.1\r\nHost: x\r\n"


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def source(i, sources):
    if sources <= 1:
        return "127.0.0.2"
    n = i % sources
    return f"127.0.1.{n + 1}"


def connect_from(src, port, timeout=5.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def server_closed(s):
    """True when the server has closed (or reset) s; never waits."""
    s.setblocking(False)
    try:
        return s.recv(4096) == b""
    except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
        return False
    except OSError:
        return True


def fetch(src, port, path="/y000000000000.boot", tls=False, headers=""):
    """One request from src; (status line, milliseconds, whole answer)."""
    t0 = time.monotonic()
    s = connect_from(src, port, timeout=10)
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n{headers}Connection: close\r\n\r\n".encode())
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ssl.SSLError, OSError):
        pass
    ms = (time.monotonic() - t0) * 1000
    s.close()
    return data.split(b"\r\n")[0].decode(errors="replace"), ms, data


def http_flood(port, count, sources, phone):
    raise_nofile()
    socks = []
    refused = 0
    t0 = time.monotonic()
    for i in range(count):
        try:
            s = connect_from(source(i, sources), port)
            s.sendall(PARTIAL_HEAD)
            socks.append(s)
        except OSError:
            refused += 1
    print(f"opened_ms|{(time.monotonic() - t0) * 1000:.0f}")
    time.sleep(0.5)
    status, ms, _ = fetch(phone, port)
    print(f"phone|{status}|{ms:.1f}")
    held = sum(1 for s in socks if not server_closed(s))
    print(f"held|{held}")
    print(f"refused|{refused + len(socks) - held}")
    for s in socks:
        s.close()


def tls_client_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def tls_flood(port, count, sources, pid, phone_port, phone_tls, quick):
    raise_nofile()
    ctx = tls_client_context()
    if not quick:
        print(f"rss_base_kib|{rss_kib(pid)}")

    def one(i):
        try:
            s = connect_from(source(i, sources), port, timeout=10)
            return ctx.wrap_socket(s)
        except (OSError, ssl.SSLError):
            return None

    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(one, range(count)))
    socks = [s for s in results if s is not None]
    print(f"handshakes|{len(socks)}|{(time.monotonic() - t0) * 1000:.0f}")
    print(f"refused|{count - len(socks)}")
    time.sleep(0.3)
    # Those the server still holds (a long flood outlives the first ones'
    # request timeout, and their slots go to later ones).
    print(f"held|{sum(1 for s in socks if not server_closed(s))}")
    if not quick:
        print(f"rss_open_kib|{rss_kib(pid)}")
    status, ms, _ = fetch("127.0.0.3", phone_port, tls=phone_tls)
    print(f"phone|{status}|{ms:.1f}")
    if quick:
        for s in socks:
            s.close()
        return
    # Left idle, they reach the server's request timeout (10 s from the
    # handshake); the server closes them and gives the memory back.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if all(server_closed(s) for s in socks):
            break
        time.sleep(0.5)
    print(f"closed_by_server|{sum(1 for s in socks if server_closed(s))}")
    time.sleep(2.5)  # the once-a-second chore notices the drop
    print(f"rss_after_kib|{rss_kib(pid)}")
    for s in socks:
        s.close()


class RawTls:
    """TLS over a plain socket through memory BIOs, so that raw bytes can be
    sent on the socket after the handshake."""

    def __init__(self, sock):
        self.sock = sock
        self.inc = ssl.MemoryBIO()
        self.out = ssl.MemoryBIO()
        self.obj = tls_client_context().wrap_bio(self.inc, self.out)

    def pump_out(self):
        data = self.out.read()
        if data:
            self.sock.sendall(data)

    def handshake(self):
        while True:
            try:
                self.obj.do_handshake()
                self.pump_out()
                return
            except ssl.SSLWantReadError:
                self.pump_out()
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed during the handshake")
                self.inc.write(chunk)

    def request(self, path):
        self.obj.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        self.pump_out()
        data = b""
        while b"\r\n\r\n" not in data:
            try:
                data += self.obj.read(65536)
            except ssl.SSLWantReadError:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                self.inc.write(chunk)
        return data.split(b"\r\n")[0].decode(errors="replace")


def watch_close(cases, limit_s, dribble=None):
    """Seconds (from each case's start) until the server closed it, or None."""
    sel = selectors.DefaultSelector()
    for name, (s, start) in cases.items():
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, name)
    closed = {}
    t_end = time.monotonic() + limit_s
    next_drip = time.monotonic()
    while len(closed) < len(cases) and time.monotonic() < t_end:
        for key, _ in sel.select(timeout=0.1):
            name = key.data
            s, start = cases[name]
            try:
                data = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                closed[name] = time.monotonic() - start
                sel.unregister(s)
        if dribble and time.monotonic() >= next_drip:
            name, s, payload = dribble
            if name not in closed and payload:
                try:
                    s.send(payload[:1])
                    dribble = (name, s, payload[1:])
                except OSError:
                    pass
            next_drip = time.monotonic() + 0.5
    return {name: closed.get(name) for name in cases}


def tls_idle(port):
    cases = {}
    now = time.monotonic
    s = connect_from("127.0.0.4", port)
    cases["silent"] = (s, now())
    s = connect_from("127.0.0.4", port)
    s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")  # a ClientHello's first bytes
    cases["partial_hello"] = (s, now())
    s = connect_from("127.0.0.4", port)
    RawTls(s).handshake()
    cases["no_request"] = (s, now())
    s = connect_from("127.0.0.4", port)
    t = RawTls(s)
    t.handshake()
    status = t.request("/y000000000000.boot")
    print(f"keepalive_status|{status}")
    cases["after_request"] = (s, now())
    s = connect_from("127.0.0.4", port)
    RawTls(s).handshake()
    cases["dribble"] = (s, now())
    # An application-data record that says 16 KiB follow, sent a byte at a
    # time: no plaintext ever comes of it.
    record = b"\x17\x03\x03\x40\x00" + b"\x00" * 100
    closed = watch_close(cases, 16, dribble=("dribble", s, record))
    for name, seconds in closed.items():
        print(f"{name}|{'open' if seconds is None else f'{seconds:.1f}'}")
    for sock, _ in cases.values():
        sock.close()


def admin_idle(port, count, token, tls):
    raise_nofile()
    idle = []
    for i in range(count):
        s = connect_from("127.0.0.1", port)  # the API client's own address
        if i % 2:
            if tls:
                s.sendall(b"\x16\x03\x01\x02\x00\x01")  # a partial ClientHello
            else:
                s.sendall(b"GET /api/v1/license HTTP/1.1\r\nHost: x\r\n")
        idle.append((s, time.monotonic()))
    time.sleep(0.3)
    status, ms, _ = fetch("127.0.0.1", port, "/api/v1/license", tls=tls,
                          headers=f"Authorization: Bearer {token}\r\n")
    print(f"api|{status}|{ms:.1f}")
    closed = watch_close({f"c{i}": c for i, c in enumerate(idle)}, 15)
    times = [t for t in closed.values() if t is not None]
    print(f"dropped|{len(times)}|{max(times) if times else -1:.1f}")
    for s, _ in idle:
        s.close()


def admin_abuse(port, token, tls):
    raise_nofile()

    def wrap(s):
        if not tls:
            return s
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx.wrap_socket(s)

    t0 = time.monotonic()
    if tls:
        # Connect and reset before any handshake: the acceptor must shrug it off.
        for _ in range(40):
            s = connect_from("127.0.0.5", port)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.close()
    dribblers = []
    for _ in range(12):
        s = wrap(connect_from("127.0.0.6", port))
        s.sendall(b"POST /api/v1/devices HTTP/1.1\r\nHost: x\r\nContent-Length: 4000000\r\n\r\n")
        dribblers.append(s)
    pipeliners = []
    for _ in range(12):
        s = wrap(connect_from("127.0.0.7", port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        one = b"GET /" + b"x" * 8000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        try:
            s.settimeout(2)
            s.sendall(one * 20)
        except OSError:
            pass
        pipeliners.append(s)
    # The bodies keep coming, a byte a second, while the API is asked.
    for s in dribblers:
        s.setblocking(False)
    closed_at = {}
    api = None
    end = time.monotonic() + 10
    next_drip = 0.0
    while time.monotonic() < end and (api is None or len(closed_at) < len(dribblers)):
        if time.monotonic() >= next_drip:
            for i, s in enumerate(dribblers):
                if i in closed_at:
                    continue
                try:
                    s.send(b"{")
                except (BlockingIOError, ssl.SSLWantWriteError):
                    pass
                except OSError:
                    closed_at[i] = time.monotonic() - t0
            next_drip = time.monotonic() + 1.0
        for i, s in enumerate(dribblers):
            if i in closed_at:
                continue
            try:
                while True:
                    data = s.recv(65536)
                    if not data:
                        closed_at[i] = time.monotonic() - t0
                        break
            except (BlockingIOError, ssl.SSLWantReadError):
                pass
            except OSError:
                closed_at[i] = time.monotonic() - t0
        if api is None and time.monotonic() - t0 > 0.5:
            status, ms, _ = fetch("127.0.0.1", port, "/api/v1/license", tls=tls,
                                  headers=f"Authorization: Bearer {token}\r\n")
            api = (status, ms)
        time.sleep(0.05)
    print(f"api|{api[0] if api else 'none'}|{api[1] if api else -1:.1f}")
    times = sorted(closed_at.values())
    print(f"dribblers_closed|{len(times)}|{times[-1] if times else -1:.1f}")
    s = wrap(connect_from("127.0.0.8", port))
    s.settimeout(5)
    try:
        s.sendall(b"GET /api/v1/license HTTP/1.1\r\n" + b"X-Long: " + b"y" * 20480 + b"\r\n\r\n")
    except OSError:
        pass
    try:
        got = s.recv(200).split(b"\r\n")[0].decode(errors="replace")
    except OSError:
        got = "closed"
    print(f"long_head|{got}")
    for x in dribblers + pipeliners + [s]:
        x.close()


def main(argv):
    mode = argv[1]
    if mode == "http-flood":
        http_flood(int(argv[2]), int(argv[3]), int(argv[4]), argv[5])
    elif mode == "tls-flood":
        tls_flood(int(argv[2]), int(argv[3]), int(argv[4]), int(argv[5]), int(argv[6]),
                  "tls" in argv[7:], "quick" in argv[7:])
    elif mode == "tls-idle":
        tls_idle(int(argv[2]))
    elif mode == "admin-abuse":
        admin_abuse(int(argv[2]), argv[3], argv[4] == "tls")
    elif mode == "admin-idle":
        admin_idle(int(argv[2]), int(argv[3]), argv[4], argv[5] == "tls")
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv)

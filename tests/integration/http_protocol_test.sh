#!/usr/bin/env bash
# HTTP/1.x on the phone port (the event-loop front end) with raw sockets and
# curl: pipelined requests answered in order, keep-alive across a streamed
# file, HTTP/1.0, chunked and Expect: 100-continue uploads, and every
# malformed or unsupported request answered with its status and a close,
# never a hang or a crash (the server still answers afterwards).

source "$(dirname "$0")/lib.sh"

mkdir -p "$WORK/fw" "$WORK/uploads"
head -c 3000000 /dev/urandom >"$WORK/fw/big.rom"
start_server -D firmware.dir="$WORK/fw" -D uploads.dir="$WORK/uploads" -D uploads.max_bytes=65536
api POST /devices '{"mac":"00:04:f2:aa:bb:01","make":"Polycom","model":"VVX_400"}'
expect_status 201

# A large file and then a config on the same connection (curl reuses it).
curl -s --max-time 20 -o "$WORK/a" -o "$WORK/b" -w '%{num_connects}\n' \
    "http://127.0.0.1:$HTTP_PORT/big.rom" "http://127.0.0.1:$HTTP_PORT/y000000000000.boot" >"$WORK/connects"
expect_true cmp -s "$WORK/a" "$WORK/fw/big.rom"
expect_true grep -q 'y000000000000.cfg\|include' "$WORK/b"
expect_true test "$(paste -sd+ "$WORK/connects" | bc)" = 1

HTTPS_PORT=$(jq -r .https "$DATA/ports.json")
python3 - "$HTTP_PORT" "$WORK/fw/big.rom" "$HTTPS_PORT" >"$WORK/result" 2>&1 <<'PY'
import socket, ssl, sys, time
port, big, https_port = int(sys.argv[1]), open(sys.argv[2], "rb").read(), int(sys.argv[3])

def conn():
    return socket.create_connection(("127.0.0.1", port), timeout=10)

def read_response(s, buf=b"", head_only=False):
    """One response: (status line, headers dict, body, rest of buffer)."""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise EOFError("closed before a response")
        buf += chunk
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    headers = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:]}
    n = 0 if head_only else int(headers.get("content-length", "0"))
    if lines[0].startswith("HTTP/1.1 100"):
        return lines[0], headers, b"", buf
    while len(buf) < n:
        chunk = s.recv(65536)
        if not chunk:
            raise EOFError("closed mid-body")
        buf += chunk
    return lines[0], headers, buf[:n], buf[n:]

def closed(s):
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True

def check(name, cond):
    print(("ok " if cond else "FAIL ") + name)

# Pipelining: three requests in one write, three answers in order.
s = conn()
s.sendall(b"GET /y000000000000.boot HTTP/1.1\r\nHost: x\r\n\r\n"
          b"HEAD /big.rom HTTP/1.1\r\nHost: x\r\n\r\n"
          b"GET /nothing-here.cfg HTTP/1.1\r\nHost: x\r\n\r\n")
st1, h1, b1, rest = read_response(s)
st2, h2, _, rest = read_response(s, rest, head_only=True)  # HEAD: no body follows
st3, h3, b3, rest = read_response(s, rest)
check("pipelined 1", st1 == "HTTP/1.1 200 OK" and b1.startswith(b"#!version"))
check("pipelined 2 HEAD", st2 == "HTTP/1.1 200 OK" and h2.get("content-length") == str(len(big)))
check("pipelined 3", st3 == "HTTP/1.1 404 Not Found" and b3 == b"Not Found\n")
check("kept alive", h3.get("connection") == "Keep-Alive" and rest == b"")
s.close()

# The same over HTTPS: twenty requests in one TLS write, twenty answers in
# order (TLS reads ahead of what epoll reports, and none may be left behind).
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
t = ctx.wrap_socket(socket.create_connection(("127.0.0.1", https_port), timeout=10))
t.sendall(b"".join(b"GET /y000000000000.boot HTTP/1.1\r\nHost: x\r\n\r\n" for _ in range(19)) +
          b"GET /nothing-here.cfg HTTP/1.1\r\nHost: x\r\n\r\n")
rest, statuses = b"", []
for _ in range(20):
    st, h, b, rest = read_response(t, rest)
    statuses.append(st)
check("https pipelined", statuses == ["HTTP/1.1 200 OK"] * 19 + ["HTTP/1.1 404 Not Found"])
t.close()

# HTTP/1.0: answered as 1.0 and closed.
s = conn()
s.sendall(b"GET /y000000000000.boot HTTP/1.0\r\n\r\n")
st, h, b, _ = read_response(s)
check("1.0 status", st == "HTTP/1.0 200 OK" and h.get("connection") == "Close")
check("1.0 closed", closed(s))

# Uploads: chunked, and Content-Length after Expect: 100-continue.
s = conn()
s.sendall(b"PUT /0004f2aabb01-app.log HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
          b"5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n")
st, h, b, _ = read_response(s)
check("chunked upload", st == "HTTP/1.1 204 No Content")
body = b"boot log line\n" * 100
s.sendall(b"PUT /0004f2aabb01-boot.log HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: "
          + str(len(body)).encode() + b"\r\n\r\n")
st, h, b, rest = read_response(s)
check("100 continue", st == "HTTP/1.1 100 Continue")
s.sendall(body)
st, h, b, _ = read_response(s, rest)
check("upload after continue", st == "HTTP/1.1 204 No Content")
# An empty upload is answered at once.
s.sendall(b"PUT /0004f2aabb01-phone.cfg HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
t0 = time.time()
st, h, b, rest = read_response(s, rest)
check("empty upload answered at once", st == "HTTP/1.1 204 No Content" and time.time() - t0 < 2)
# Too large, announced: refused before the body, and closed.
s.sendall(b"PUT /0004f2aabb01-boot.log HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 99999999\r\n\r\n")
st, h, b, _ = read_response(s)
check("too large", st == "HTTP/1.1 413 Request Entity Too Large" and h.get("connection") == "Close")
check("too large closed", closed(s))
s = conn()
s.sendall(b"PUT /0004f2aabb01-boot.log HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
          + b"8000\r\n" + b"x" * 0x8000 + b"\r\n" + b"8000\r\n" + b"x" * 0x8000 + b"\r\n" + b"10\r\n")
st, h, b, _ = read_response(s)
check("chunked too large", st == "HTTP/1.1 413 Request Entity Too Large")

# Malformed and unsupported requests: a status, a close, no hang.
cases = [
    (b"GARBAGE\r\n\r\n", "400"),
    (b"GET /x HTTP/1.1\r\nNo colon here\r\n\r\n", "400"),
    (b"GET /x HTTP/2.0\r\n\r\n", "505"),
    (b"PUT /0004f2aabb01-app.log HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", "501"),
    (b"PUT /0004f2aabb01-app.log HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc", "400"),
    (b"GET /x HTTP/1.1\r\nX-Long: " + b"a" * 10000 + b"\r\n\r\n", "431"),
    (b"DELETE /y000000000000.boot HTTP/1.1\r\n\r\n", "405"),
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(256)) + b"\r\n\r\n", "400"),
    (b"PUT /0004f2aabb01-app.log HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "400"),
    # A body on a fetch would be read as the next request (smuggling).
    (b"GET /y000000000000.boot HTTP/1.1\r\nContent-Length: 45\r\n\r\nGET /0004f2aabb01.cfg HTTP/1.1\r\nHost: x\r\n\r\n", "400"),
    (b"GET /y000000000000.boot HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "400"),
]
for raw, code in cases:
    s = conn()
    s.sendall(raw)
    try:
        st, h, b, _ = read_response(s)
        check(f"{raw[:24]!r} -> {code}", st.split(" ")[1] == code and h.get("connection") == "Close" and closed(s))
    except Exception as e:  # noqa: BLE001
        check(f"{raw[:24]!r} -> {code} ({e})", False)
    s.close()
PY
cat "$WORK/result" >&2
expect_true test "$(grep -c '^ok ' "$WORK/result")" = 25
expect_true test "$(grep -c '^FAIL' "$WORK/result")" = 0
expect_true test "$(cat "$WORK/uploads/0004f2aabb01/0004f2aabb01-app.log")" = "hello, world"
expect_true test "$(wc -c <"$WORK/uploads/0004f2aabb01/0004f2aabb01-boot.log")" = 1400

# Still serving.
STATUS=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/y000000000000.boot")
expect_status 200 "a fetch after the malformed requests"

finish

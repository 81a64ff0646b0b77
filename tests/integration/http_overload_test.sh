#!/usr/bin/env bash
# The phone port past its limits (issue 3's boot storm).
# 1. http.engine=threads (Poco, a thread per connection): with every thread
#    held by a phone that never finishes its request, new connections queue;
#    once more than http.overload_queue wait, the ones taken from the queue
#    are answered 503 with Retry-After instead of being served late, and the
#    rest are served. Keep-alive is dropped while threads run short.
# 2. http.engine=loop (the default): idle and stalled connections cost no
#    thread, so others are served at once; past http.max_connections a new
#    connection gets 503 with Retry-After and is closed.

source "$(dirname "$0")/lib.sh"

start_server -D http.engine=threads -D http.max_threads=2 -D http.overload_queue=1

python3 - "$HTTP_PORT" >"$WORK/result" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
deadline = time.time() + 40

def connect():
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    return s

# Two phones that start a request and stall: they hold both threads until
# the server's request timeout (10 s) closes them.
stalled = [connect() for _ in range(2)]
for s in stalled:
    s.sendall(b"GET /y000000000000.boot HTTP/1.1\r\nHost: x\r\n")
time.sleep(0.5)

# Five complete requests queue behind them.
queued = []
for _ in range(5):
    s = connect()
    s.sendall(b"GET /y000000000000.boot HTTP/1.1\r\nHost: x\r\nUser-Agent: Yealink SIP-T46U 108.86.0.90\r\n\r\n")
    queued.append(s)

answers = []
for s in queued:
    data = b""
    while b"\r\n\r\n" not in data and time.time() < deadline:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    head = data.split(b"\r\n\r\n")[0].decode(errors="replace")
    status = head.split("\r\n")[0]
    retry = [l for l in head.split("\r\n") if l.lower().startswith("retry-after:")]
    conn = [l for l in head.split("\r\n") if l.lower().startswith("connection:")]
    answers.append((status, retry[0] if retry else "", conn[0] if conn else ""))
for a in answers:
    print("|".join(a))
PY
cat "$WORK/result" >&2
N503=$(grep -c '^HTTP/1.1 503 Service Unavailable|Retry-After: 5|Connection: [Cc]lose$' "$WORK/result")
N200=$(grep -c '^HTTP/1.1 200 OK|' "$WORK/result")
expect_true test "$N503" -ge 1
expect_true test "$N200" -ge 1
expect_true test $((N503 + N200)) = 5
# While both threads were busy, keep-alive was shed: the first answers served
# close their connection (later ones may keep it once the stalled phones time out).
expect_true test "$(grep -c '^HTTP/1.1 200 OK||Connection: Close$' "$WORK/result")" -ge 1

# The server is fine afterwards.
STATUS=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/y000000000000.boot")
expect_status 200 "a fetch after the storm"
stop_server

use_fresh_store loop
start_server -D http.max_connections=4 -D http.loops=1
python3 - "$HTTP_PORT" >"$WORK/loop-result" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
# Three phones that stall mid-request: with event loops they hold no thread.
stalled = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(3)]
for s in stalled:
    s.sendall(b"GET /y000000000000.boot HTTP/1.1\r\nHost: x\r\n")
time.sleep(0.3)
def fetch():
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    t0 = time.time()
    s.sendall(b"GET /y000000000000.boot HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.split(b"\r\n")[0].decode(), (time.time() - t0) * 1000, data
# The fourth connection is within the limit: served at once.
status, ms, _ = fetch()
print(f"fourth|{status}|{ms:.1f}")
# With a fifth held open, the next one is past http.max_connections.
extra = socket.create_connection(("127.0.0.1", port), timeout=10)
time.sleep(0.3)
status, ms, data = fetch()
retry = b"Retry-After: 5" in data
print(f"past|{status}|{retry}")
PY
cat "$WORK/loop-result" >&2
expect_true grep -q '^fourth|HTTP/1.1 200 OK|' "$WORK/loop-result"
FOURTH_MS=$(sed -n 's/^fourth|[^|]*|//p' "$WORK/loop-result")
expect_true awk -v ms="$FOURTH_MS" 'BEGIN { exit !(ms < 100) }'
expect_true grep -q '^past|HTTP/1.1 503 Service Unavailable|True$' "$WORK/loop-result"
STATUS=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/y000000000000.boot")
expect_status 200 "a fetch once the stalled phones are gone"

finish

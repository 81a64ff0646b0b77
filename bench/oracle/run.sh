#!/usr/bin/env bash
# bench/oracle: can a client that proved nothing tell a MAC the store knows
# from one it does not by the time of the answer? Median and p90 of the
# server's answer to an unproven client, known vs unknown MAC, interleaved:
# HTTP 401 for a secret-bearing file, HTTP 200 for a file without secrets
# (<mac>.boot), TFTP for a Yealink config (the device's sealed file vs a
# stand-in of the same size).
#   bench/oracle/run.sh [ROUNDS]     (from the repository root, after a build)
# Loopback only; ROUNDS (default 3000) fetches of each kind, bounded.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3000}
BIN=${BENCH_BIN_DIR:-build/bin}/provisioner
WORK=$(mktemp -d /tmp/prov-bench-oracle.XXXXXX)
PID=""
cleanup() { [[ -n "$PID" ]] && kill "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

start() {  # start ALLOW_NETWORKS
    rm -f "$WORK/ports.json"
    "$BIN" serve -D store.path="$WORK/store.db" -D templates.dir=vendor-templates -D admin.port=0 -D http.port=0 \
        -D https.port=0 -D tftp.port=0 -D ports.file="$WORK/ports.json" -D log.level=warning \
        -D provisioning.allow_networks="$1" -D sweep.budget=1000000 >>"$WORK/out" 2>>"$WORK/err" &
    PID=$!
    for _ in $(seq 1 100); do [[ -s "$WORK/ports.json" ]] && break; sleep 0.1; done
    ADMIN=$(jq -r .admin "$WORK/ports.json"); HTTP=$(jq -r .http "$WORK/ports.json"); TFTP=$(jq -r .tftp "$WORK/ports.json")
}
stop() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""; }

# First contact on a trusted loopback: the Yealink gets its config (and key).
start 127.0.0.0/8
TOKEN=$(cat "$WORK/admin-token")  # the first start writes it there (stdout is no terminal)
api() { curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" -X "$1" "http://127.0.0.1:$ADMIN/api/v1$2" -d "$3"; }
api PUT /settings '{"sip_server":"pbx.example.net","provisioning_url":"http://prov.example.net/"}'
api POST /extensions '{"extension":"1001","callerid_name":"Alice","mac":"0015654aa937","phone_make":"Yealink","phone_model":"T46U"}'
curl -sf -o /dev/null "http://127.0.0.1:$HTTP/0015654aa937.cfg"
stop
# Then loopback proves nothing.
start 10.0.0.0/8
python3 - "$HTTP" "$TFTP" "$ROUNDS" <<'PY'
import http.client, socket, statistics, struct, sys, time
http_port, tftp_port, rounds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
KNOWN, UNKNOWN = "0015654aa937", "0015654aa938"

def http_timer():
    c = http.client.HTTPConnection("127.0.0.1", http_port, timeout=5)
    def fetch(path):
        t = time.perf_counter_ns()
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        return (time.perf_counter_ns() - t) / 1000, r.status, len(body)
    return fetch

def tftp_fetch(name):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    t = time.perf_counter_ns()
    s.sendto(struct.pack("!H", 1) + name.encode() + b"\0octet\0", ("127.0.0.1", tftp_port))
    pkt, addr = s.recvfrom(65536)  # the first block (or the error): the server's answer
    us = (time.perf_counter_ns() - t) / 1000
    s.sendto(struct.pack("!HH", 5, 0) + b"done\0", addr)
    s.close()
    return us, struct.unpack("!H", pkt[:2])[0], len(pkt)

def compare(label, fetch, known, unknown):
    k, u = [], []
    for _ in range(100):  # warm up both
        fetch(known); fetch(unknown)
    answers = set()
    for i in range(rounds):
        for name, out in ((known, k), (unknown, u)) if i % 2 == 0 else ((unknown, u), (known, k)):
            us, status, size = fetch(name)
            out.append(us)
            answers.add((name == known, status, size))
    def q(v, p): return sorted(v)[int(len(v) * p)]
    km, um = statistics.median(k), statistics.median(u)
    print(f"{label}: known median {km:.1f} us p90 {q(k, .9):.1f} | unknown median {um:.1f} us p90 {q(u, .9):.1f}"
          f" | known/unknown {km / um:.3f} | answers (known?, status, bytes): {sorted(answers)}")

fetch = http_timer()
compare("HTTP secret file (401)", fetch, f"/{KNOWN}.cfg", f"/{UNKNOWN}.cfg")
compare("HTTP file without secrets (.boot)", fetch, f"/{KNOWN}.boot", f"/{UNKNOWN}.boot")
compare("TFTP Yealink config (sealed vs stand-in, first block)", tftp_fetch, f"{KNOWN}.cfg", f"{UNKNOWN}.cfg")
PY

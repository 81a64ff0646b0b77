#!/usr/bin/env bash
# Operations on the admin port, without a token: /healthz, /readyz (503 with
# the reason while the store's file is gone, 200 again once it is back) and
# /metrics in the Prometheus text format (promtool's own lint), whose
# counters move with real fetches over HTTP, HTTPS (a full and a resumed
# handshake) and TFTP (a retransmission forced by a client that holds back
# an ACK), a MAC sweep and a failed authentication; no MAC or address in it.
# The Grafana dashboard names only metrics the server exports. A real
# Prometheus (Debian's) scrapes the admin port every second and answers a
# query with the samples. Logs: JSON lines, and the journal's "<N>" prefix
# when JOURNAL_STREAM names standard error (not when it names another file).
#
# Needs prometheus and promtool (Debian prometheus), curl, jq, openssl,
# tftp (tftp-hpa), python3. Traffic to 127.0.0.0/8 only; every wait is bounded.
source "$(dirname "$0")/lib.sh"
SRC="${SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
DASHBOARD="$SRC/deploy/grafana-dashboard.json"

for tool in prometheus promtool curl jq openssl tftp python3 timeout; do
    command -v "$tool" >/dev/null || { echo "metrics_test needs $tool (deploy/install-deps.sh --test)" >&2; exit 1; }
done
PYTHON=$(python3 -c 'import sys; print(sys.executable)')

# ops PATH [METHOD]: sets STATUS and BODY from the admin port, no token.
ops() {
    : >"$WORK/body"
    STATUS=$(curl -s --max-time 10 -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' -X "${2:-GET}" \
        "http://127.0.0.1:$ADMIN_PORT$1")
    BODY=$(cat "$WORK/body")
}

# scrape: GET /metrics into $WORK/metrics. metric 'NAME{LABELS}': that
# sample's value in the last scrape, or "absent".
scrape() { ops /metrics; cp "$WORK/body" "$WORK/metrics"; }
metric() {
    awk -v head="$1" 'index($0, head " ") == 1 { print substr($0, length(head) + 2); found = 1 }
                      END { if (!found) print "absent" }' "$WORK/metrics"
}
# expect_at_least 'NAME{LABELS}' N WHAT
expect_at_least() {
    local v
    v=$(metric "$1")
    if [[ "$v" != absent ]] && awk -v v="$v" -v n="$2" 'BEGIN { exit !(v + 0 >= n + 0) }'; then ok
    else bad "$3: $1 should be at least $2, got $v"; fi
}

mkdir -p "$WORK/fw"
head -c 3000 /dev/urandom >"$WORK/fw/image.bin"
# 127.0.0.2 is not an allowed network: its made-up MACs count as a sweep.
start_server -D certs.dir="$WORK/certs" -D firmware.dir="$WORK/fw" -D sweep.budget=3 \
    -D provisioning.allow_networks=127.0.0.1/32
HTTPS_PORT=$(jq -r .https "$DATA/ports.json")
TFTP_PORT=$(jq -r .tftp "$DATA/ports.json")
golden_settings
add_phone yealink 00:15:65:4a:a9:37 Yealink T46U 10

# --- health and readiness -------------------------------------------------
ops /healthz
expect_status 200 "/healthz without a token"
[[ "$BODY" == ok ]] && ok || bad "/healthz should say ok"
ops /readyz
expect_status 200 "/readyz: store and templates"
grep -q '^store: ok$' <<<"$BODY" && grep -q '^templates: ok ([0-9]* vendors)$' <<<"$BODY" && ok ||
    bad "/readyz should report the store and the templates"
ops /metrics POST
expect_status 405 "POST /metrics"
grep -qi '^Allow: GET, HEAD' "$WORK/headers" && ok || bad "a 405 names the methods: $(cat "$WORK/headers")"

# The store's file moved away under the server: not ready, and says why;
# health is the process and stays 200. Back in place: ready again.
mv "$DATA/store.db" "$DATA/store.db.away"
ops /readyz
expect_status 503 "/readyz with the store's file gone"
grep -q "^store: unavailable: the store file $DATA/store.db is gone" <<<"$BODY" && ok || bad "the 503 names the store's file"
ops /healthz
expect_status 200 "/healthz while not ready"
mv "$DATA/store.db.away" "$DATA/store.db"
ops /readyz
expect_status 200 "/readyz once the file is back"

# --- fetches that move the counters --------------------------------------
scrape
expect_status 200 "/metrics without a token"
grep -qi '^Content-Type: text/plain; version=0.0.4' "$WORK/headers" && ok || bad "the exposition's content type"
before_http=$(metric 'provisioner_fetches_total{protocol="http",vendor="yealink",outcome="served"}')
[[ "$before_http" == absent ]] && before_http=0

UA="Yealink SIP-T46U 108.86.0.90 00:15:65:4a:a9:37"
for _ in 1 2 3; do
    STATUS=$(curl -s --max-time 10 -A "$UA" -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/0015654aa937.cfg")
    expect_status 200 "a config over HTTP"
done
STATUS=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/no-such-file.txt")
expect_status 404 "an unknown file over HTTP"
timeout 20 tftp -m binary 127.0.0.1 "$TFTP_PORT" -c get 0015654aa937.cfg "$WORK/tftp.cfg" &&
    [[ -s "$WORK/tftp.cfg" ]] && ok || bad "a config over TFTP (tftp-hpa)"

# TFTP: a client that does not ACK block 2 until the server sends it again.
cat >"$WORK/slow_ack.py" <<'PY'
import socket, struct, sys, time
port, name = int(sys.argv[1]), sys.argv[2].encode()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(5)
s.sendto(struct.pack("!H", 1) + name + b"\0octet\0", ("127.0.0.1", port))
seen, data, held, deadline = {}, b"", False, time.time() + 20
while time.time() < deadline:
    pkt, peer = s.recvfrom(2048)
    op, block = struct.unpack("!HH", pkt[:4])
    if op != 3:
        sys.exit("not DATA: %r" % pkt[:40])
    seen[block] = seen.get(block, 0) + 1
    if block == 2 and not held:
        held = True  # silence: the server's timer must send block 2 again
        continue
    if len(data) == (block - 1) * 512:
        data += pkt[4:]
    s.sendto(struct.pack("!HH", 4, block), peer)
    if len(pkt) < 516:
        break
print(len(data), seen.get(2, 0))
PY
read -r got twice < <(timeout 30 "$PYTHON" "$WORK/slow_ack.py" "$TFTP_PORT" image.bin)
[[ "$got" == 3000 && "$twice" -ge 2 ]] && ok || bad "the slow client should get 3000 bytes and block 2 twice, got '$got' '$twice'"

# HTTPS: a full handshake, then the same session resumed.
s_client() { echo | timeout 10 openssl s_client -connect "127.0.0.1:$HTTPS_PORT" -tls1_2 "$@" 2>&1; }
s_client -sess_out "$WORK/sess" >/dev/null
s_client -sess_in "$WORK/sess" | grep -q '^Reused' && ok || bad "the TLS session should be resumed"

# A sweep from 127.0.0.2 past sweep.budget (3): blocked, then the blocked answer.
for i in 1 2 3 4 5; do
    curl -s --max-time 10 -o /dev/null --interface 127.0.0.2 "http://127.0.0.1:$HTTP_PORT/00156500010$i.cfg"
done
# A token that does not verify.
api GET /extensions "" "prov_not-a-token"
expect_status 401 "a wrong token"

# Fetch events are counted as the front ends record them (a TFTP transfer
# at its last ACK): wait, bounded, for the slowest to show.
for _ in $(seq 1 50); do
    scrape
    [[ $(metric 'provisioner_tftp_transfers_total{result="completed"}') -ge 2 ]] 2>/dev/null && break
    sleep 0.1
done
expect_at_least 'provisioner_fetches_total{protocol="http",vendor="yealink",outcome="served"}' $((before_http + 3)) "HTTP fetches"
expect_at_least 'provisioner_fetches_total{protocol="http",vendor="unknown",outcome="not_found"}' 1 "the 404"
expect_at_least 'provisioner_fetches_total{protocol="tftp",vendor="yealink",outcome="served"}' 1 "the TFTP config"
expect_at_least 'provisioner_fetches_total{protocol="tftp",vendor="unknown",outcome="served"}' 1 "the TFTP image"
# The sweep's challenges, whichever vendor its file names were taken for.
denied=$(awk '/^provisioner_fetches_total\{protocol="http",.*outcome="denied"\}/ { n += $2 } END { print n + 0 }' "$WORK/metrics")
[[ "$denied" -ge 5 ]] && ok || bad "the sweep's 5 fetches should be counted denied, got $denied"
expect_at_least 'provisioner_fetch_duration_seconds_count{protocol="http"}' 4 "HTTP latencies"
expect_at_least 'provisioner_fetch_duration_seconds_bucket{protocol="tftp",le="+Inf"}' 2 "TFTP latencies"
expect_at_least 'provisioner_fetch_bytes_total{protocol="tftp"}' 3000 "TFTP bytes"
expect_at_least 'provisioner_tftp_transfers_total{result="completed"}' 2 "TFTP transfers"
expect_at_least 'provisioner_tftp_retransmits_total' 1 "the held-back ACK's retransmission"
expect_at_least 'provisioner_tls_handshakes_total{result="full"}' 1 "a full TLS handshake"
expect_at_least 'provisioner_tls_handshakes_total{result="resumed"}' 1 "a resumed TLS handshake"
expect_at_least 'provisioner_store_duration_seconds_count{kind="read"}' 1 "store reads"
expect_at_least 'provisioner_store_duration_seconds_count{kind="write"}' 1 "store writes"
expect_at_least 'provisioner_sweep_blocks_total' 1 "the sweep's block"
expect_at_least 'provisioner_sweep_blocked_fetches_total' 1 "fetches while blocked"
expect_at_least 'provisioner_admin_auth_failures_total' 1 "the wrong token"
expect_at_least 'provisioner_event_queue_depth' 0 "the event queue"
expect_at_least 'provisioner_events_dropped_total' 0 "dropped events"
expect_at_least 'provisioner_events_spooled' 0 "spooled events"
expect_at_least 'provisioner_events_spooled_batches' 0 "spooled batches"
expect_at_least 'provisioner_events_spool_dropped_total' 0 "events dropped for a full spool"
expect_at_least 'provisioner_http_connections{port="https"}' 0 "open connections"
expect_at_least 'provisioner_templates_vendors' 1 "vendors loaded"
grep -Eq '^provisioner_build_info\{version="[0-9]+\.[0-9]+\.[0-9]+",revision="[^"]+"\} 1$' "$WORK/metrics" && ok ||
    bad "build info: $(grep build_info "$WORK/metrics")"
# Buckets are cumulative: each at least the one before, +Inf the count.
awk -F'[{}]' '/^provisioner_fetch_duration_seconds_bucket\{protocol="http"/ {
        split($3, v, " "); if (v[2] + 0 < last + 0) bad = 1; last = v[2] }
     /^provisioner_fetch_duration_seconds_count\{protocol="http"\}/ { split($3, v, " "); count = v[2] }
     END { exit !(bad == 0 && last == count) }' "$WORK/metrics" && ok || bad "HTTP latency buckets should rise to the count"
promtool check metrics <"$WORK/metrics" >"$WORK/promtool.out" 2>&1 && ok || bad "promtool check metrics: $(cat "$WORK/promtool.out")"
# Nothing that names a phone or a client.
grep -Eqi '0015654aa937|00:15:65|127\.0\.0\.[0-9]' "$WORK/metrics" && bad "/metrics shows a MAC or an address" || ok

# --- the dashboard names only what the server exports ---------------------
cat >"$WORK/dashboard_check.py" <<'PY'
import json, re, sys
dashboard, exported_file = sys.argv[1], sys.argv[2]
exported = set()
for line in open(exported_file):
    if line and not line.startswith("#"):
        exported.add(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0))
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset"}

def metrics_of(expr):
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)            # strings
    e = re.sub(r"\{[^}]*\}", "", e)                          # label matchers
    e = re.sub(r"\[[^\]]*\]", "", e)                         # ranges
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)  # label lists
    names = []
    for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", e):
        word, rest = m.group(0), e[m.end():]
        if word in KEYWORDS or re.match(r"\s*\(", rest) or re.match(r"[0-9]", word):
            continue
        if e[:m.start()].endswith("$"):                       # a dashboard variable
            continue
        names.append(word)
    return names

def exprs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "expr":
                yield v
            else:
                yield from exprs(v)
    elif isinstance(node, list):
        for v in node:
            yield from exprs(v)

d = json.load(open(dashboard))
problems, count = [], 0
for p in d["panels"]:
    if p.get("type") != "row" and not p.get("targets"):
        problems.append("panel without a query: " + p.get("title", "?"))
for expr in exprs(d):
    count += 1
    names = metrics_of(expr)
    if not names:
        problems.append("names no metric: " + expr)
    for n in names:
        if n not in exported:
            problems.append("%s is not exported (in %s)" % (n, expr))
if count < 10:
    problems.append("only %d queries" % count)
print("\n".join(problems) if problems else "ok %d" % count)
PY
CHECKED=$("$PYTHON" "$WORK/dashboard_check.py" "$DASHBOARD" "$WORK/metrics")
[[ "$CHECKED" == ok* ]] && ok || bad "dashboard: $CHECKED"
# The checker itself: a made-up name is caught.
jq '.panels[1].targets[0].expr = "rate(provisioner_no_such_thing_total[5m])"' "$DASHBOARD" >"$WORK/bad-dashboard.json"
"$PYTHON" "$WORK/dashboard_check.py" "$WORK/bad-dashboard.json" "$WORK/metrics" | grep -q 'provisioner_no_such_thing_total is not exported' &&
    ok || bad "the dashboard check should catch a name the server does not export"

# --- a real Prometheus scrapes the admin port -----------------------------
PROM_PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$WORK/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: provisioner
    static_configs:
      - targets: ["127.0.0.1:$ADMIN_PORT"]
EOF
promtool check config "$WORK/prometheus.yml" >/dev/null 2>&1 && ok || bad "promtool check config"
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/prometheus-data" \
    --web.listen-address="127.0.0.1:$PROM_PORT" >"$WORK/prometheus.log" 2>&1 &
PROM_PID=$!
stop_prometheus() {
    [[ -n "$PROM_PID" ]] || return 0
    kill "$PROM_PID" 2>/dev/null
    wait "$PROM_PID" 2>/dev/null
    PROM_PID=""
}
trap 'stop_prometheus; cleanup' EXIT
PROM="http://127.0.0.1:$PROM_PORT"
series=0
for _ in $(seq 1 150); do
    series=$(curl -s --max-time 2 "$PROM/api/v1/query?query=provisioner_fetches_total" |
        jq -r 'if .status == "success" then (.data.result | length) else 0 end' 2>/dev/null)
    [[ "${series:-0}" -gt 0 ]] && break
    kill -0 "$PROM_PID" 2>/dev/null || break
    sleep 0.2
done
if [[ "${series:-0}" -gt 0 ]]; then ok; else
    bad "Prometheus has no provisioner_fetches_total samples: $(tail -5 "$WORK/prometheus.log")"; fi
BODY=$(curl -s --max-time 5 "$PROM/api/v1/query" \
    --data-urlencode 'query=provisioner_fetches_total{protocol="http",vendor="yealink",outcome="served"}')
expect_json '.data.result[0].metric.job' provisioner "the series carries its job"
v=$(jq -r '.data.result[0].value[1]' <<<"$BODY")
[[ "$v" =~ ^[0-9]+$ && "$v" -ge $((before_http + 3)) ]] && ok || bad "Prometheus' value of the HTTP fetches: $v"
BODY=$(curl -s --max-time 5 "$PROM/api/v1/targets")
expect_json '.data.activeTargets[0].health' up "the target scrapes without error"
expect_json '.data.activeTargets[0].lastError' "" "no scrape error"
# Every dashboard query parses and runs in Prometheus itself.
BAD_QUERIES=""
while IFS= read -r expr; do
    q=${expr//\$__rate_interval/1m}
    q=${q//\$instance/.*}
    st=$(curl -s --max-time 5 "$PROM/api/v1/query" --data-urlencode "query=$q" | jq -r .status)
    [[ "$st" == success ]] || BAD_QUERIES+="$expr; "
done < <(jq -r '.. | objects | .expr? // empty' "$DASHBOARD")
[[ -z "$BAD_QUERIES" ]] && ok || bad "queries Prometheus refuses: $BAD_QUERIES"
stop_prometheus
stop_server

# --- log lines ------------------------------------------------------------
# JSON lines with the priority prefix: each line "<N>{...}", N the level's.
use_fresh_store json
start_server -D log.format=json -D log.syslog_prefix=true -D certs.dir="$WORK/certs"
stop_server
"$PYTHON" - "$DATA/stderr" <<'PY' && ok || bad "JSON log lines: $(head -3 "$DATA/stderr")"
import json, re, sys
levels = {"fatal": 1, "critical": 2, "error": 3, "warning": 4, "notice": 5, "information": 6, "debug": 7, "trace": 7}
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
assert len(lines) >= 3, lines
seen = set()
for line in lines:
    m = re.fullmatch(r"<([0-7])>(\{.*\})", line)
    assert m, line
    o = json.loads(m.group(2))
    assert set(o) == {"time", "level", "logger", "message"}, o
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", o["time"]), o
    assert levels[o["level"]] == int(m.group(1)), line
    seen.add(o["level"])
assert "notice" in seen and "warning" in seen, seen  # "ready", and the wide allowed network
PY
# auto: the prefix when JOURNAL_STREAM names standard error's own file, not another.
use_fresh_store journal
: >"$DATA/stderr"
start_journal() {
    rm -f "$DATA/ports.json"
    JOURNAL_STREAM="$1" "$PROVISIONER_BIN" serve -D store.path="$DATA/store.db" -D templates.dir="$TEMPLATES_DIR" \
        -D admin.port=0 -D http.port=0 -D https.port=0 -D tftp.port=0 -D ports.file="$DATA/ports.json" \
        -D resync.route=off -D certs.dir="$WORK/certs" >/dev/null 2>>"$DATA/stderr" &
    SERVER_PID=$!
    for _ in $(seq 1 100); do [[ -s "$DATA/ports.json" ]] && break; sleep 0.1; done
    stop_server
}
start_journal "$(stat -c '%d:%i' "$DATA/stderr")"
grep -Eq '^<5>[0-9T:-]+Z Notice provisioner: provisioner ready' "$DATA/stderr" && ok ||
    bad "with JOURNAL_STREAM naming standard error, lines carry <N>: $(head -2 "$DATA/stderr")"
: >"$DATA/stderr"
start_journal "$(stat -c '%d:%i' "$DASHBOARD")"
grep -Eq '^[0-9T:-]+Z Notice provisioner: provisioner ready' "$DATA/stderr" && ! grep -q '^<' "$DATA/stderr" && ok ||
    bad "with JOURNAL_STREAM naming another file, no prefix: $(head -2 "$DATA/stderr")"

finish

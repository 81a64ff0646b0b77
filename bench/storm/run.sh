#!/usr/bin/env bash
# bench/storm: a boot storm. PHONES simulated phones (build/bin/storm,
# bench/storm/storm.cpp) boot within WINDOW seconds against the provisioner,
# then the same storm against nginx (HTTP, HTTPS) + atftpd (TFTP) serving the
# files the provisioner gave, the ceiling of a static server; both printed,
# and their ratio.
#   bench/storm/run.sh [PHONES] [WINDOW]   (from anywhere, after a build; as root when
#                                           nginx or atftpd must be installed)
# PHONES defaults to 10000, WINDOW to 60 (seconds). Environment:
#   NEW_SHARE (0.1)  share of the HTTP(S) phones that are new, claimed through staging windows
#   NODES (1)        provisioner processes serving the one fleet; phone k goes to node k mod NODES
#   STORE_URL        a store.url for the import and every node (postgresql://...); empty: one
#                    SQLite file in the work folder, which one node at most may serve
#   STORE=postgresql without STORE_URL: a PostgreSQL cluster of the run's own
#                    (tests/pg/with_cluster.sh: initdb into a temporary folder, a free
#                    loopback port; durable settings, fsync on), removed afterwards
#   PG_OUTAGE=AT:SECONDS  with STORE=postgresql: PostgreSQL is stopped AT seconds into the
#                    storm for SECONDS, then started again; after the storm the events
#                    stored are compared with the fetches the nodes counted (none may be lost)
#   STORM_ATTEMPTS (5)  tries per file before a phone gives up (backoff 1, 2, 4, 8, 16, 16... s)
#   RESULTS=FILE     append the two storms' JSON summaries (ours, then the peers') to FILE
#                    (bench/storm/median.sh reads them)
#   PEERS (1)        0: skip the nginx + atftpd storm
#   KEEP=1           keep the work folder and print its path
# The fleet (fleet.py): six vendors, each phone its vendor's boot files, 70%
# HTTP, 20% HTTPS (a connection per file, resumed by ticket), 10% TFTP, each
# from its own address in 127.0.0.0/8. Provisioned phones fetched their first
# config in a dry run from an allowed bench network (127.9.0.0/16) and prove
# themselves with Digest credentials; new ones use a staging window; TFTP
# phones sit on an allowed network (127.3.0.0/16), as TFTP carries no proof.
# Everything listens on 127.0.0.1; each storm is bounded (WINDOW + 240 s).
# Exit status: 0 when every phone was provisioned by every server.
set -euo pipefail
SELF=$(realpath "$0")
cd "$(dirname "$0")/../.."
if [[ ${STORE:-} == postgresql && -z ${STORE_URL:-} ]]; then
    # Durable like a production cluster: the test clusters' fsync=off would flatter the store.
    WITH_CLUSTER_DURABLE=1 exec tests/pg/with_cluster.sh env STORE= bash -c \
        'STORE_URL=$PROVISIONER_TEST_PG_URL exec "$0" "$@"' "$SELF" "$@"
fi
PHONES=${1:-10000}
WINDOW=${2:-60}
NEW_SHARE=${NEW_SHARE:-0.1}
NODES=${NODES:-1}
STORE_URL=${STORE_URL:-}
PEERS=${PEERS:-1}
BIN=${BENCH_BIN_DIR:-build/bin}
[[ -x $BIN/provisioner && -x $BIN/storm ]] || { echo "build first: cmake --build build" >&2; exit 1; }
# One serve per SQLite file (provisioner/store/server_lock.h): nodes share a store.url.
[[ $NODES == 1 || -n $STORE_URL ]] || { echo "NODES=$NODES needs STORE_URL (a store several nodes share)" >&2; exit 2; }

missing=()
if [[ $PEERS == 1 ]]; then
    command -v nginx >/dev/null || missing+=(nginx-light)
    command -v atftpd >/dev/null || missing+=(atftpd)
fi
command -v jq >/dev/null || missing+=(jq)
if ((${#missing[@]})); then
    [[ $(id -u) == 0 ]] || { echo "needs ${missing[*]}: apt-get install ${missing[*]}" >&2; exit 1; }
    echo "installing ${missing[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

WORK=$(mktemp -d /tmp/prov-bench-storm.XXXXXX)
chmod 755 "$WORK"  # nginx workers and atftpd serve as nobody
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    if [[ ${KEEP:-0} == 1 ]]; then echo "work folder kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
STORM_BOUND=$((WINDOW + 300))

# --- the fleet, in a fresh store ---------------------------------------------
python3 bench/storm/fleet.py make "$PHONES" "$WORK" --new-share "$NEW_SHARE"
STORE=(-D store.path="$WORK/store.db")
[[ -n $STORE_URL ]] && STORE=(-D store.url="$STORE_URL")
COMMON=("${STORE[@]}" -D templates.dir=vendor-templates -D license.extensions=$((PHONES * 2)))
"$BIN/provisioner" migrate "${COMMON[@]}" >/dev/null
start=$(date +%s.%N)
"$BIN/provisioner" import "$WORK/inventory.csv" "${COMMON[@]}" >"$WORK/import.out"
printf 'import: %s (%.1f s)\n' "$(head -1 "$WORK/import.out")" "$(echo "$(date +%s.%N) - $start" | bc)"
TOKEN=$("$BIN/provisioner" token create --role admin --name storm "${COMMON[@]}")

# --- the nodes -----------------------------------------------------------------
# Every node shares the store, the certificate (certs.dir) and the policy:
# secrets go to phones that prove themselves, or to the two allowed networks.
NODE_ARGS=() NODE_PIDS=() ADMINS=()
for k in $(seq 1 "$NODES"); do
    dir=$WORK/node$k
    mkdir -p "$dir"
    "$BIN/provisioner" serve "${COMMON[@]}" -D certs.dir="$WORK/certs" -D tls.server_names=127.0.0.1 \
        -D admin.port=0 -D http.port=0 -D https.port=0 -D tftp.port=0 -D admin.bind=127.0.0.1 \
        -D http.bind=127.0.0.1 -D https.bind=127.0.0.1 -D tftp.bind=127.0.0.1 \
        -D provisioning.allow_networks="127.3.0.0/16, 127.9.0.0/16" -D resync.route=off \
        -D ports.file="$dir/ports.json" -D events.spool_dir="$dir/spool" -D log.level=warning \
        >"$dir/out" 2>"$dir/err" &
    pid=$!
    PIDS+=("$pid")
    NODE_PIDS+=("$pid")
    for _ in $(seq 1 200); do [[ -s $dir/ports.json ]] && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    [[ -s $dir/ports.json ]] || { echo "node $k did not start: $(head -c 400 "$dir/err")" >&2; exit 1; }
    NODE_ARGS+=(--node "$(jq -r '"http://127.0.0.1:\(.http),https://127.0.0.1:\(.https),tftp://127.0.0.1:\(.tftp)"' "$dir/ports.json")")
    [[ $k == 1 ]] && ADMIN=$(jq -r .admin "$dir/ports.json")
    ADMINS+=("$(jq -r .admin "$dir/ports.json")")
done
PID_ARGS=()
for p in "${NODE_PIDS[@]}"; do PID_ARGS+=(--server-pid "$p"); done

# --- a dry run: the provisioned phones' first contact, then credentials ----------
DRY_WINDOW=$(( PHONES / 1000 > 5 ? PHONES / 1000 : 5 ))
timeout "$STORM_BOUND" "$BIN/storm" --phones "$WORK/dryrun.tsv" "${NODE_ARGS[@]}" --window-s "$DRY_WINDOW" \
    --label "dry run (first contact from the bench network)" >"$WORK/dry.out" || {
    cat "$WORK/dry.out" >&2; echo "the dry run left phones unprovisioned" >&2; exit 1; }
sed -n 1,2p "$WORK/dry.out"
python3 bench/storm/fleet.py arm "$WORK" "$ADMIN" "$TOKEN"

# --- the storm against the provisioner ---------------------------------------------
# The run's own PostgreSQL works for the nodes too: its CPU (the postmaster,
# its live backends, and those that ended) is printed beside theirs.
pg_cpu() {
    [[ -n ${PROVISIONER_TEST_PG_CTL:-} ]] || return 0
    python3 - "$(head -1 "$(dirname "$PROVISIONER_TEST_PG_CTL")/data/postmaster.pid")" <<'PY'
import os, sys
pm, hz, total = sys.argv[1], os.sysconf("SC_CLK_TCK"), 0
for pid in os.listdir("/proc"):
    if not pid.isdigit():
        continue
    try:
        f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        continue
    if pid == pm:
        total += sum(int(x) for x in f[11:15])  # utime stime cutime cstime
    elif f[1] == pm:
        total += int(f[11]) + int(f[12])
print(f"{total / hz:.2f}")
PY
}
pg_before=$(pg_cpu)
# The fleet's sum of a metric's samples (every label set, every node).
fleet_metric() {
    local port total=0 v
    for port in "${ADMINS[@]}"; do
        v=$(curl -s --max-time 5 "http://127.0.0.1:$port/metrics" |
            awk -v n="$1" '$1 == n || index($1, n "{") == 1 { s += $2 } END { printf "%d", s }')
        total=$((total + v))
    done
    echo "$total"
}
stored_events() { psql "$STORE_URL" -Atq -c "SELECT COUNT(*) FROM events"; }
OUTAGE_PID=""
if [[ -n ${PG_OUTAGE:-} ]]; then
    [[ -n ${PROVISIONER_TEST_PG_CTL:-} && $PG_OUTAGE =~ ^([0-9]+):([0-9]+)$ ]] ||
        { echo "PG_OUTAGE=AT:SECONDS needs STORE=postgresql (the run's own cluster)" >&2; exit 2; }
    events_before=$(stored_events) fetches_before=$(fleet_metric provisioner_fetches_total)
    (
        sleep "${BASH_REMATCH[1]}"
        "$PROVISIONER_TEST_PG_CTL" stop -m fast -w >/dev/null && echo "  PostgreSQL stopped ($(date +%T))"
        sleep "${BASH_REMATCH[2]}"
        "$PROVISIONER_TEST_PG_CTL" start -w >/dev/null && echo "  PostgreSQL started again ($(date +%T))"
    ) &
    OUTAGE_PID=$!
fi
mkdir -m 755 "$WORK/www"
rc=0
timeout "$STORM_BOUND" "$BIN/storm" --phones "$WORK/phones.tsv" "${NODE_ARGS[@]}" --window-s "$WINDOW" \
    --attempts "${STORM_ATTEMPTS:-5}" \
    "${PID_ARGS[@]}" --save "$WORK/www" --label "provisioner ($NODES node(s), $([[ -n $STORE_URL ]] && echo "store.url" || echo SQLite))" \
    >"$WORK/prov.out" || rc=1
grep -v '^JSON ' "$WORK/prov.out"
if [[ -n $OUTAGE_PID ]]; then
    wait "$OUTAGE_PID"
    # The spools drain and the queues empty: every fetch the nodes counted is one stored event.
    fetched=0 stored=0
    for _ in $(seq 1 240); do
        fetched=$(($(fleet_metric provisioner_fetches_total) - fetches_before))
        stored=$(($(stored_events 2>/dev/null || echo -1) - events_before))
        ((stored == fetched)) && (($(fleet_metric provisioner_events_spooled) == 0)) && break
        sleep 0.5
    done
    dropped=$(($(fleet_metric provisioner_events_spool_dropped_total) + $(fleet_metric provisioner_events_dropped_total)))
    echo "  outage: $fetched fetches counted by the nodes, $stored events stored, $dropped dropped," \
        "$(fleet_metric provisioner_fetches_from_cache_total) served from memory"
    ((stored == fetched && dropped == 0)) || { echo "  EVENTS LOST OR DOUBLED in the outage" >&2; rc=1; }
fi
[[ -n $pg_before && -z $OUTAGE_PID ]] && printf "  PostgreSQL: %.2f CPU s during the storm (not in the server CPU above)\n" "$(echo "$(pg_cpu) - $pg_before" | bc)"
[[ -n ${RESULTS:-} ]] && sed -n 's/^JSON //p' "$WORK/prov.out" >>"$RESULTS"
for p in "${NODE_PIDS[@]}"; do kill "$p"; done
[[ $PEERS == 1 ]] || exit "$rc"
chmod -R a+rX "$WORK/www"

# --- the same storm against nginx + atftpd serving the same files ---------------------
free_port() {  # free_port tcp|udp
    python3 -c "import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_STREAM if sys.argv[1]=='tcp' else socket.SOCK_DGRAM); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])" "$1"
}
NGINX_HTTP=$(free_port tcp) NGINX_HTTPS=$(free_port tcp) ATFTPD_PORT=$(free_port udp)
# The provisioner's certificate and suite; tickets and a shared session cache.
cat >"$WORK/nginx.conf" <<CONF
worker_processes 2;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
worker_rlimit_nofile 65536;
events { worker_connections 16384; }
http {
    access_log off;
    keepalive_timeout 10s;
    client_body_temp_path $WORK/nginx-body;
    ssl_session_cache shared:TLS:10m;
    ssl_session_timeout 1d;
    ssl_session_tickets on;
    default_type text/plain;
    server {
        listen 127.0.0.1:$NGINX_HTTP;
        root $WORK/www/http;
    }
    server {
        listen 127.0.0.1:$NGINX_HTTPS ssl;
        ssl_certificate $WORK/certs/server.crt;
        ssl_certificate_key $WORK/certs/server.key;
        ssl_protocols TLSv1.2;
        ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256;
        ssl_ecdh_curve prime256v1:X25519;
        root $WORK/www/https;
    }
}
CONF
nginx -c "$WORK/nginx.conf" -g 'daemon off;' 2>"$WORK/nginx.stderr" &
NGINX_PID=$!
PIDS+=("$NGINX_PID")
atftpd --daemon --no-fork --user nobody --group nogroup --port "$ATFTPD_PORT" --bind-address 127.0.0.1 \
    --maxthread 1000 --logfile "$WORK/atftpd.log" "$WORK/www/tftp" &
ATFTPD_PID=$!
PIDS+=("$ATFTPD_PID")
for _ in $(seq 1 50); do
    curl -s -o /dev/null "http://127.0.0.1:$NGINX_HTTP/" && break
    sleep 0.1
done
PEER_PIDS=(--server-pid "$ATFTPD_PID")
for p in $(pgrep -P "$NGINX_PID"); do PEER_PIDS+=(--server-pid "$p"); done
timeout "$STORM_BOUND" "$BIN/storm" --phones "$WORK/phones.tsv" --window-s "$WINDOW" --attempts "${STORM_ATTEMPTS:-5}" \
    --node "http://127.0.0.1:$NGINX_HTTP,https://127.0.0.1:$NGINX_HTTPS,tftp://127.0.0.1:$ATFTPD_PORT" \
    "${PEER_PIDS[@]}" --verify "$WORK/www" --label "nginx + atftpd (the same files, static)" \
    >"$WORK/peer.out" || rc=1
grep -v '^JSON ' "$WORK/peer.out"
[[ -n ${RESULTS:-} ]] && sed -n 's/^JSON //p' "$WORK/peer.out" >>"$RESULTS"

# provisioner / static: above 1 costs more (CPU, memory) or takes longer (latency).
jq -rn --argjson a "$(sed -n 's/^JSON //p' "$WORK/prov.out")" --argjson b "$(sed -n 's/^JSON //p' "$WORK/peer.out")" '
    def r(x; y): if y > 0 then (x / y * 100 | round / 100 | tostring) else "n/a" end;
    "ratio provisioner / nginx+atftpd: p50 \(r($a.p50_ms; $b.p50_ms)), p99 \(r($a.p99_ms; $b.p99_ms)), " +
    "max \(r($a.max_ms; $b.max_ms)), server CPU s \(r($a.server_cpu_s; $b.server_cpu_s)), " +
    "peak RSS \(r($a.server_peak_rss_kib; $b.server_peak_rss_kib)); provisioned \($a.provisioned) and \($b.provisioned) of \($a.phones)"'
exit "$rc"

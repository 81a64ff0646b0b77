#!/usr/bin/env bash
# bench/http: configs/s from the provisioner and from nginx serving the same
# rendered bytes as a static file, on this machine in one run, with wrk.
#   bench/http/run.sh [SECONDS]     (from the repository root, after a build)
# Loopback only; every run is bounded by SECONDS.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-10}
BIN=${BENCH_BIN_DIR:-build/bin}/provisioner
WORK=$(mktemp -d /tmp/prov-bench-http.XXXXXX)
chmod 755 "$WORK"  # nginx workers run unprivileged
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
command -v wrk >/dev/null && command -v nginx >/dev/null || {
    echo "needs wrk and nginx: apt-get install wrk nginx-light" >&2; exit 1; }

# Every client here is 127.0.0.1 (the boot-storm hold keeps 200 connections):
# no per-address cap, as nginx has none.
"$BIN" serve -D provisioning.allow_networks=127.0.0.0/8 -D store.path="$WORK/store.db" -D admin.port=0 -D http.port=0 -D http.bind=127.0.0.1 \
    -D http.max_per_address=1000000 -D ports.file="$WORK/ports.json" -D log.level=warning >"$WORK/out" 2>"$WORK/err" &
PIDS+=($!)
for _ in $(seq 1 100); do [[ -s "$WORK/ports.json" ]] && break; sleep 0.1; done
ADMIN=$(jq -r .admin "$WORK/ports.json"); HTTP=$(jq -r .http "$WORK/ports.json")
TOKEN=$(cat "$WORK/admin-token")  # the first start writes it there (stdout is no terminal)
api() { curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" -X "$1" "http://127.0.0.1:$ADMIN/api/v1$2" -d "$3"; }
api PUT /settings '{"sip_server":"pbx.example.net","provisioning_url":"http://prov.example.net/"}'
api POST /extensions '{"extension":"1001","callerid_name":"Alice","mac":"0015654aa937","phone_make":"Yealink","phone_model":"T46U"}'
api POST /extensions '{"extension":"1002","callerid_name":"Bob","device_type":"SIP-VIRTUAL","mac":"0015654aa937"}'
api PUT /extensions/1001/buttons '[{"index":1,"type":"blf","value":"1003","label":"Carol"},{"index":2,"type":"speed_dial","value":"*97"}]'
UA="Yealink SIP-T46U 108.86.0.90 00:15:65:4a:a9:37"
mkdir -p "$WORK/www"
curl -sf -A "$UA" "http://127.0.0.1:$HTTP/0015654aa937.cfg" -o "$WORK/www/0015654aa937.cfg"
echo "config: $(stat -c %s "$WORK/www/0015654aa937.cfg") bytes"

NGINX_PORT=$(python3 -c "import socket; s=socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])")
cat >"$WORK/nginx.conf" <<CONF
worker_processes 2;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_timeout 2s;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $WORK/www;
        default_type text/plain;
        etag on;
    }
}
CONF
nginx -c "$WORK/nginx.conf" -g 'daemon off;' &
PIDS+=($!)
sleep 0.5
cmp <(curl -sf "http://127.0.0.1:$NGINX_PORT/0015654aa937.cfg") "$WORK/www/0015654aa937.cfg"

FLOOR_PORT=$(python3 -c "import socket; s=socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])")
"${BENCH_BIN_DIR:-build/bin}/poco_floor" "$FLOOR_PORT" "$WORK/www/0015654aa937.cfg" &
PIDS+=($!)
sleep 0.3

rate() {  # rate URL [wrk args]: requests/s
    local url=$1; shift
    wrk -t2 -c50 -d"${SECS}s" -H "User-Agent: $UA" "$@" "$url" | awk '/Requests\/sec/ {print $2}'
}
for mode in keepalive close; do
    args=()
    [[ $mode == close ]] && args=(-H "Connection: close")
    p=$(rate "http://127.0.0.1:$HTTP/0015654aa937.cfg" "${args[@]}")
    n=$(rate "http://127.0.0.1:$NGINX_PORT/0015654aa937.cfg" "${args[@]}")
    f=$(rate "http://127.0.0.1:$FLOOR_PORT/0015654aa937.cfg" "${args[@]}")
    printf "%-10s provisioner %8.0f/s   nginx %8.0f/s   ratio %.2f   (Poco HTTPServer doing nothing: %8.0f/s, %.2f of nginx)\n" \
        "$mode" "$p" "$n" "$(echo "$p / $n" | bc -l)" "$f" "$(echo "$f / $n" | bc -l)"
done

# Boot-storm hold: 200 idle keep-alive connections open, then one new fetch.
python3 - "$HTTP" "$UA" <<'PY'
import socket, sys, time
port, ua = int(sys.argv[1]), sys.argv[2]
req = f"GET /0015654aa937.cfg HTTP/1.1\r\nHost: x\r\nUser-Agent: {ua}\r\n\r\n".encode()
idle = []
for _ in range(200):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(req)
    s.recv(65536)
    idle.append(s)
worst = 0.0
for _ in range(20):
    t = time.perf_counter()
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(req.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    worst = max(worst, time.perf_counter() - t)
    assert data.startswith(b"HTTP/1.1 200"), data[:40]
print(f"boot-storm hold: 200 idle keep-alive connections, worst of 20 new fetches {worst*1000:.1f} ms")
for s in idle:
    s.close()
PY

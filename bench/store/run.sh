#!/usr/bin/env bash
# bench/store: 100k extensions with devices. Prints creation time, lookup
# p50/p99 (in process), and the server's RSS serving that store.
#   bench/store/run.sh [N]      (from the repository root, after a build)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-100000}
BIN=${BENCH_BIN_DIR:-build/bin}
WORK=$(mktemp -d /tmp/prov-bench-store.XXXXXX)
trap 'kill $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
PID=

"$BIN/store_bench" "$WORK/store.db" "$N" 100000 vendor-templates
echo "store file: $(du -h "$WORK/store.db" | cut -f1)"

"$BIN/provisioner" serve -D provisioning.allow_networks=127.0.0.0/8 -D store.path="$WORK/store.db" -D admin.port=0 -D ports.file="$WORK/ports.json" \
    >"$WORK/out" 2>"$WORK/err" &
PID=$!
for _ in $(seq 1 100); do [[ -s "$WORK/ports.json" ]] && break; sleep 0.1; done
PORT=$(jq -r .admin "$WORK/ports.json")
TOKEN=$("$BIN/provisioner" token create --role admin -D store.path="$WORK/store.db")
# Touch the store the way an admin session does: pages of extensions and
# devices across the whole table, and point reads.
for off in $(seq 0 5000 $((N - 1))); do
    curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/extensions?limit=1000&offset=$off"
    curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/devices?limit=1000&offset=$off"
done
for i in $(seq 0 997 $((N - 1))); do
    curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/extensions/$((100000 + i))"
done
echo "server RSS after touching $N extensions: $(awk '/VmRSS/ {print $2 " " $3}' /proc/$PID/status)," \
     "peak $(awk '/VmHWM/ {print $2 " " $3}' /proc/$PID/status)"

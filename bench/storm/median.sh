#!/usr/bin/env bash
# bench/storm/median.sh: bench/storm/run.sh RUNS times (each a fresh fleet and
# store, the provisioner's storm then nginx + atftpd's, so the two take turns
# all through the run), then the median of each figure for both, and the
# median of the per-run ratios.
#   bench/storm/median.sh RUNS [PHONES] [WINDOW]
# The environment is run.sh's (NODES, STORE=postgresql, STORE_URL, NEW_SHARE).
# e.g. NODES=2 STORE=postgresql bench/storm/median.sh 5 10000 60
set -euo pipefail
[[ $# -ge 1 && $1 =~ ^[1-9][0-9]*$ ]] || { sed -n 2,8p "$0" >&2; exit 64; }
RUNS=$1
shift
here=$(dirname "$(realpath "$0")")
results=$(mktemp /tmp/prov-storm-results.XXXXXX)
trap 'rm -f "$results"' EXIT
failed=0
for run in $(seq 1 "$RUNS"); do
    echo "--- run $run of $RUNS"
    RESULTS=$results PEERS=1 "$here/run.sh" "$@" || failed=$((failed + 1))
done
python3 - "$results" "$failed" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
ours, peers = rows[0::2], rows[1::2]
if not ours or len(ours) != len(peers):
    sys.exit(f"median: {len(ours)} provisioner and {len(peers)} peer results: a run did not finish both storms")
figures = [("p50_ms", "p50 per phone, ms"), ("p99_ms", "p99 per phone, ms"), ("max_ms", "max per phone, ms"),
           ("server_cpu_s", "server CPU, s"), ("server_peak_rss_kib", "peak RSS, KiB")]
med = statistics.median
print(f"\nmedian of {len(ours)} runs ({ours[0]['label']} / {peers[0]['label']})")
print(f"  provisioned: {[r['provisioned'] for r in ours]} and {[r['provisioned'] for r in peers]} of {ours[0]['phones']}")
print(f"  errors: {[r['errors'] for r in ours]} and {[r['errors'] for r in peers]}")
for key, name in figures:
    a, b = [r[key] for r in ours], [r[key] for r in peers]
    ratios = [x / y for x, y in zip(a, b) if y]
    ratio = f"{med(ratios):.2f} (runs {min(ratios):.2f}-{max(ratios):.2f})" if ratios else "n/a"
    print(f"  {name}: {med(a):g} vs {med(b):g}; ratio {ratio}")
print(f"  runs with a phone left unprovisioned: {sys.argv[2]}")
PY
[[ $failed == 0 ]]

#!/usr/bin/env bash
# bench/store/import.sh: a 100k-row inventory CSV (one extension per phone,
# six vendors, a third with voicemail, a quarter with a BLF button) imported
# into an empty store with `provisioner import`; then the same file again
# (nothing to change), and an export. Prints wall time and peak RSS of each.
#   bench/store/import.sh [ROWS]     (from the repository root, after a build)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS=${1:-100000}
BIN=${BENCH_BIN_DIR:-build/bin}/provisioner
WORK=$(mktemp -d /tmp/prov-bench-import.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (apt-get install time)" >&2; exit 1; }

python3 - "$ROWS" >"$WORK/inventory.csv" <<'PY'
import sys
n = int(sys.argv[1])
models = [("Yealink", "T46U"), ("Polycom", "VVX 411"), ("Yealink", "T31"), ("Grandstream", "GXP2170"),
          ("Snom", "D785"), ("Fanvil", "X6U")]
print("mac,make,model,serial,site,extension,device_type,callerid_name,voicemail_enabled,voicemail_pin,"
      "voicemail_email,phone_reg,buttons", end="\r\n")
for i in range(n):
    make, model = models[i % len(models)]
    vm = i % 3 == 0
    print(f'02{i:010x},{make},{model},SN{i:07d},Site {i % 50},{100000 + i},SIP,"User {i}, Dept {i % 7}",'
          f'{"yes" if vm else "no"},{"%04d" % (i % 10000) if vm else ""},{"u%d@example.com" % i if vm else ""},1,'
          f'{"2:blf:%d:Peer" % (100000 + (i + 1) % n) if i % 4 == 0 else ""}', end="\r\n")
PY
echo "file: $ROWS rows, $(du -h "$WORK/inventory.csv" | cut -f1)"
ARGS=(-D store.path="$WORK/store.db" -D templates.dir=vendor-templates -D license.extensions=$((ROWS * 2)))

measure() {  # LABEL COMMAND...: prints wall seconds and peak RSS
    local label=$1; shift
    /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err" || { cat "$WORK/err" >&2; exit 1; }
    read -r secs kib <"$WORK/time"
    printf '%-34s %7.2f s   peak RSS %6.1f MiB   %s\n' "$label" "$secs" "$(awk -v k="$kib" 'BEGIN{print k/1024}')" \
        "$(head -1 "$WORK/out")"
}
"$BIN" migrate "${ARGS[@]}" >/dev/null
measure "import into an empty store" "$BIN" import "$WORK/inventory.csv" "${ARGS[@]}"
measure "the same file again" "$BIN" import "$WORK/inventory.csv" "${ARGS[@]}"
measure "export" "$BIN" export "$WORK/export.csv" "${ARGS[@]}"
echo "extensions stored: $(sqlite3 "$WORK/store.db" 'SELECT count(*) FROM extensions')," \
     "integrity: $(sqlite3 "$WORK/store.db" 'PRAGMA integrity_check')"

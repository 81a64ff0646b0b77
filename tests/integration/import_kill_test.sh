#!/usr/bin/env bash
# kill -9 at any moment of an inventory import leaves the store exactly as it
# was: the import is one SQLite transaction, rolled back on the next open.
# The kill points are spread over the import's own duration (timed with a dry
# run first), so they land while parsing, checking and writing, on a fast or
# a sanitizer build alike.

source "$(dirname "$0")/lib.sh"

ROWS=${ROWS:-30000}
DB="$WORK/store.db"
ARGS=(-D store.path="$DB" -D templates.dir="$TEMPLATES_DIR" -D license.extensions=1000000)

python3 - "$ROWS" >"$WORK/big.csv" <<'PY'
import sys
n = int(sys.argv[1])
print("mac,make,model,site,extension,callerid_name,voicemail_enabled,voicemail_pin,phone_reg,buttons", end="\r\n")
for i in range(n):
    vm = i % 3 == 0
    print(f'02{i:010x},Yealink,T46U,Site {i % 40},{500000 + i},"User {i}, floor {i % 9}",'
          f'{"yes" if vm else "no"},{"%04d" % (i % 10000) if vm else ""},1,'
          f'{"2:blf:%d:Peer" % (500000 + (i + 1) % n) if i % 4 == 0 else ""}', end="\r\n")
PY

# A store with something in it, so "unchanged" means more than "still empty".
printf 'mac,make,model,extension,callerid_name\r\n00:15:65:00:00:01,Yealink,T31,100,Existing\r\n' >"$WORK/seed.csv"
timeout 60 "$PROVISIONER_BIN" import "$WORK/seed.csv" "${ARGS[@]}" >/dev/null || { bad "seed import"; finish; }

fingerprint() { sqlite3 "$DB" .dump | sha256sum | cut -d' ' -f1; }
BEFORE=$(fingerprint)

start=$(date +%s%N)
timeout 300 "$PROVISIONER_BIN" import "$WORK/big.csv" --dry-run "${ARGS[@]}" >/dev/null
rc=$?
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_true test "$rc" = 0
expect_true test "$(fingerprint)" = "$BEFORE"
echo "dry run of $ROWS rows: ${elapsed_ms} ms"

for pct in 5 25 50 75 90; do
    delay_ms=$(( elapsed_ms * pct / 100 ))
    "$PROVISIONER_BIN" import "$WORK/big.csv" "${ARGS[@]}" >/dev/null 2>&1 &
    pid=$!
    sleep "$(awk -v ms="$delay_ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
    if kill -0 "$pid" 2>/dev/null; then
        kill -9 "$pid"
        wait "$pid" 2>/dev/null
        expect_true test "$(sqlite3 "$DB" 'PRAGMA integrity_check')" = ok
        expect_true test "$(fingerprint)" = "$BEFORE"
        ok
    else
        wait "$pid"
        bad "the import finished before the kill at $pct% ($delay_ms ms): the store would have changed"
        break
    fi
done

# And a whole run stores everything, once; on a terminal (script(1) gives it
# a pty) it draws a progress bar through both phases.
timeout 300 script -qec "'$PROVISIONER_BIN' import '$WORK/big.csv' ${ARGS[*]}" /dev/null >"$WORK/tty" 2>&1
expect_true test $? = 0
expect_true grep -q 'checking \[#' "$WORK/tty"
expect_true grep -q 'writing  \[#' "$WORK/tty"
expect_true grep -q "imported $(python3 -c "print(f'{$ROWS:,}')") rows" "$WORK/tty"
expect_true test "$(sqlite3 "$DB" 'SELECT count(*) FROM extensions')" = $((ROWS + 1))
expect_true test "$(sqlite3 "$DB" 'PRAGMA integrity_check')" = ok

finish

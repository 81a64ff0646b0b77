#!/usr/bin/env bash
# kill -9 at any moment of an inventory import leaves the store exactly as it
# was: the import is one SQLite transaction, rolled back on the next open.
# The kill points follow the import's own progress reports, so they land
# while checking and while writing, on a fast or a sanitizer build alike.

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

timeout 300 "$PROVISIONER_BIN" import "$WORK/big.csv" --dry-run "${ARGS[@]}" >/dev/null
expect_true test $? = 0
expect_true test "$(fingerprint)" = "$BEFORE"

# kill_at PHASE ROWS: starts an import with --progress (a line per 2,000
# rows), kills it with SIGKILL as soon as it reports PHASE at ROWS, and checks
# the store. Driven by the import's own progress, not by timing, so the kill
# lands in the same place on a fast build, a sanitizer build or a busy machine.
kill_at() {
    local phase=$1 rows=$2 pattern
    pattern="$(printf '%-8s' "$phase") \[.*\] $(python3 -c "print(f'{$rows:,}')")/"
    : >"$WORK/progress"
    "$PROVISIONER_BIN" import "$WORK/big.csv" --progress "${ARGS[@]}" >/dev/null 2>"$WORK/progress" &
    local pid=$! reached=0
    for _ in $(seq 1 6000); do  # at most 60 s
        if grep -q "$pattern" "$WORK/progress"; then reached=1; break; fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.01
    done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    if [[ $reached == 1 ]]; then ok; else bad "the import never reported '$phase' at $rows rows: $(tail -2 "$WORK/progress")"; fi
    expect_true test "$(sqlite3 "$DB" 'PRAGMA integrity_check')" = ok
    expect_true test "$(fingerprint)" = "$BEFORE"
}
kill_at checking 10000
kill_at checking 30000
kill_at writing 2000
kill_at writing 16000
kill_at writing 28000

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

#!/usr/bin/env bash
# One server per store and per port set: a second `provisioner serve` on the
# same store, or on any port the first one holds (HTTP, HTTPS, TFTP, admin),
# fails at start with one line on stderr and exit 75, writes nothing, and the
# first server keeps answering every fetch itself. The other commands still
# work on the store while it serves, and the lock dies with its server (also
# after SIGKILL), so the next start needs no cleanup.

source "$(dirname "$0")/lib.sh"

YEALINK_UA="Yealink SIP-T46U 108.86.0.90 00:15:65:4a:a9:37"
SECOND_ERR="$WORK/second.err"

# second_serve [ -D key=value ...]: runs another serve (at most 20 s) with
# the usual test settings, its own ports file and the arguments given (which
# override); sets RC and ERR. One that starts (as before this suite's fix)
# has six fetches made while it runs, then is stopped; the caller counts its
# exit code (0) as a failure.
second_serve() {
    timeout 20 "$PROVISIONER_BIN" serve -D store.path="$WORK/second/store.db" -D templates.dir="$TEMPLATES_DIR" \
        -D admin.port=0 -D http.port=0 -D https.port=0 -D tftp.port=0 -D ports.file="$WORK/second.json" \
        -D provisioning.allow_networks="127.0.0.0/8" "$@" >"$WORK/second.out" 2>"$SECOND_ERR" &
    local pid=$!
    # A refused start ends at once; one that got going writes its ports file.
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        if [[ -s "$WORK/second.json" ]]; then
            six_fetches "while a second server runs"
            kill "$pid"
            break
        fi
        sleep 0.1
    done
    wait "$pid"
    RC=$?
    ERR=$(cat "$SECOND_ERR")
    rm -f "$WORK/second.json"
}

# six_fetches WHAT: six fetches of the known phone's config, each 200 with
# its own SIP password (the first server's store, never another's).
six_fetches() {
    local codes="" i code
    for i in 1 2 3 4 5 6; do
        code=$(curl -s --max-time 10 -o "$WORK/got" -w '%{http_code}' -A "$YEALINK_UA" \
            "http://127.0.0.1:$HTTP_PORT/0015654aa937.cfg")
        grep -q Secret1001 "$WORK/got" || code="$code(no secret)"
        codes="$codes $code"
    done
    [[ "$codes" == " 200 200 200 200 200 200" ]] && ok || bad "$1: six fetches should all be 200 from the first server, got$codes"
}

# expect_refused WHAT LINE: the second serve exited 75 with LINE alone on
# stderr, and created no store.
expect_refused() {
    [[ "$RC" == 75 ]] && ok || bad "$1: expected exit 75, got $RC (stderr '$ERR')"
    expect_one_line "$ERR" "$1: stderr"
    [[ "$ERR" == "$2" ]] && ok || bad "$1: stderr should be '$2', got '$ERR'"
    [[ ! -e "$WORK/second/store.db" ]] && ok || bad "$1: the refused server should create no store"
}

start_server -D https.bind=127.0.0.1 -D tftp.bind=127.0.0.1 -D http.bind=127.0.0.1
add_phone yealink 00:15:65:4a:a9:37 Yealink T46U 10
HTTPS_PORT=$(jq -r .https "$DATA/ports.json")
TFTP_PORT=$(jq -r .tftp "$DATA/ports.json")
FIRST_PID=$SERVER_PID
six_fetches "before a second server"

# The same store and the same ports: refused by the store's lock first.
second_serve -D store.path="$DATA/store.db" -D admin.port="$ADMIN_PORT" -D http.port="$HTTP_PORT" \
    -D https.port="$HTTPS_PORT" -D tftp.port="$TFTP_PORT"
[[ "$RC" == 75 ]] && ok || bad "same store: expected exit 75, got $RC (stderr '$ERR')"
expect_one_line "$ERR" "same store: stderr"
[[ "$ERR" == "provisioner: the store $DATA/store.db is in use by another provisioner serve (process $FIRST_PID)"* ]] && ok ||
    bad "same store: stderr should name the store and process $FIRST_PID, got '$ERR'"
six_fetches "after a second server on the same store"

# The same store on other ports: the lock alone refuses it.
second_serve -D store.path="$DATA/store.db"
[[ "$RC" == 75 && "$ERR" == *"is in use by another provisioner serve"* ]] && ok ||
    bad "same store, other ports: expected exit 75 and the store's line, got $RC '$ERR'"

# Another store on each of the first server's ports in turn.
second_serve -D http.bind=127.0.0.1 -D http.port="$HTTP_PORT"
IN_USE="is in use by another process; one server per port"
expect_refused "same HTTP port" "provisioner: http: 127.0.0.1:$HTTP_PORT $IN_USE (http.port)"
six_fetches "after a second server on the same HTTP port"
second_serve -D https.bind=127.0.0.1 -D https.port="$HTTPS_PORT"
expect_refused "same HTTPS port" "provisioner: https: 127.0.0.1:$HTTPS_PORT $IN_USE (https.port)"
second_serve -D tftp.bind=127.0.0.1 -D tftp.port="$TFTP_PORT"
expect_refused "same TFTP port" "provisioner: tftp: 127.0.0.1:$TFTP_PORT $IN_USE (tftp.port)"
second_serve -D admin.bind=127.0.0.1 -D admin.port="$ADMIN_PORT"
expect_refused "same admin port" "provisioner: admin: 127.0.0.1:$ADMIN_PORT $IN_USE (admin.port)"
# The admin API still answers from the first store.
api GET /extensions/1001
expect_status 200 "the first server's admin API after the refusals"

# The other commands open the store while it serves.
# shellcheck disable=SC2046
run token create --role viewer $(store_args "$DATA")
expect_rc 0 "token create while serving"
# shellcheck disable=SC2046
run backup "$WORK/backup.db" $(store_args "$DATA")
expect_rc 0 "backup while serving"
# shellcheck disable=SC2046
run export "$WORK/export.csv" $(store_args "$DATA")
expect_rc 0 "export while serving"
six_fetches "after the CLI ran beside the server"

# SIGKILL leaves no stale lock: a new server on the same store and the same
# ports starts at once.
kill -9 "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=""
rm -f "$DATA/ports.json"
"$PROVISIONER_BIN" serve -D store.path="$DATA/store.db" -D templates.dir="$TEMPLATES_DIR" \
    -D admin.port="$ADMIN_PORT" -D http.bind=127.0.0.1 -D http.port="$HTTP_PORT" \
    -D https.bind=127.0.0.1 -D https.port="$HTTPS_PORT" -D tftp.bind=127.0.0.1 -D tftp.port="$TFTP_PORT" \
    -D ports.file="$DATA/ports.json" -D provisioning.allow_networks="127.0.0.0/8" >"$DATA/stdout" 2>"$DATA/stderr" &
SERVER_PID=$!
for _ in $(seq 1 100); do
    [[ -s "$DATA/ports.json" ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
done
kill -0 "$SERVER_PID" 2>/dev/null && ok || bad "a server after SIGKILL of the first should start; stderr: $(cat "$DATA/stderr")"
six_fetches "from the server started after SIGKILL"

finish

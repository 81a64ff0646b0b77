#!/usr/bin/env bash
# Shared helpers for integration tests: start the real binary on port 0 in a
# scratch directory, talk to it with curl, assert on status codes and JSON.
#
#   source "$(dirname "$0")/lib.sh"
#   start_server                 # sets ADMIN_PORT, TOKEN (first start), SERVER_PID; store in $DATA (= $WORK)
#   api POST /extensions '{"extension":"1001","callerid_name":"A"}'
#   expect_status 201
#   expect_json '.extension' '1001'
#   finish                       # prints the summary, exits non-zero on failure; every
#                                # status api() got must be one docs/openapi.json gives
#
# Needs PROVISIONER_BIN and TEMPLATES_DIR (CTest sets both).

set -u
: "${PROVISIONER_BIN:?set PROVISIONER_BIN to the provisioner binary}"
: "${TEMPLATES_DIR:?set TEMPLATES_DIR to vendor-templates/}"

PASS=0
FAIL=0
STATUS=""
BODY=""
WORK="$(mktemp -d /tmp/prov-it.XXXXXX)"
# Where start_server keeps its store, ports file and logs. Defaults to WORK;
# use_fresh_store switches it to a new subdirectory for a second server.
DATA="$WORK"
SERVER_PID=""
TOKEN="${TOKEN-}"

cleanup() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null
    fi
    if [[ $FAIL -eq 0 ]]; then rm -rf "$WORK"; else echo "kept $WORK for inspection" >&2; fi
}
trap cleanup EXIT

# The CA the configs give phones to trust: a fixed certificate (no key is
# kept), so that the golden files do not follow whichever server.crt the
# test's folder holds. A later -D trust.ca_file= (or trust.deliver=false) wins.
GOLDEN_TRUST_CA="$(cd "$(dirname "${BASH_SOURCE[0]}")/../data/trust" && pwd)/golden-ca.pem"

# start_server [extra -D key=value ...]: starts serve on port 0 and waits
# (at most 10 s) for the ports file. Extra arguments are passed through.
# Resync pushes are off unless a test turns them on (-D resync.route=notify):
# a registration a test sets (10.0.0.5) must never draw a NOTIFY off loopback.
start_server() {
    # Kept from an earlier start, admin-token would be taken for this one's.
    rm -f "$DATA/ports.json" "$DATA/admin-token"
    "$PROVISIONER_BIN" serve -D store.path="$DATA/store.db" -D templates.dir="$TEMPLATES_DIR" \
        -D admin.port=0 -D http.port=0 -D https.port=0 -D tftp.port=0 -D trust.ca_file="$GOLDEN_TRUST_CA" \
        -D ports.file="$DATA/ports.json" -D provisioning.allow_networks="127.0.0.0/8, ::1/128" \
        -D resync.route=off "$@" >"$DATA/stdout" 2>"$DATA/stderr" &
    SERVER_PID=$!
    for _ in $(seq 1 100); do
        [[ -s "$DATA/ports.json" ]] && break
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "server exited early:" >&2; cat "$DATA/stderr" >&2; exit 1
        fi
        sleep 0.1
    done
    [[ -s "$DATA/ports.json" ]] || { echo "server did not write its ports file" >&2; exit 1; }
    ADMIN_PORT=$(jq -r .admin "$DATA/ports.json")
    HTTP_PORT=$(jq -r '.http // empty' "$DATA/ports.json")
    # A store's first start writes its admin token to admin-token beside the
    # store (standard output is not a terminal here); on a terminal it would
    # print "admin token: prov_...". Either is taken.
    local t=""
    [[ -s "$DATA/admin-token" ]] && t=$(head -1 "$DATA/admin-token")
    [[ -z "$t" ]] && t=$(sed -n 's/^admin token: //p' "$DATA/stdout" | head -1)
    if [[ -n "$t" ]]; then TOKEN="$t"; fi
}

# use_fresh_store NAME: the next start_server uses an empty store in
# $WORK/NAME (and keeps its ports file and logs there). Stop the running
# server first; TOKEN is cleared, the new server prints a new one.
use_fresh_store() {
    DATA="$WORK/$1"
    mkdir -p "$DATA"
    TOKEN=""
}

stop_server() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null
        SERVER_PID=""
    fi
}

# api METHOD PATH [BODY] [TOKEN]: calls /api/v1$PATH; sets STATUS and BODY.
api() {
    local method=$1 path=$2 body=${3-} token=${4-$TOKEN}
    local args=(-s --max-time 20 -o "$WORK/body" -w '%{http_code}' -X "$method")
    [[ -n "$token" ]] && args+=(-H "Authorization: Bearer $token")
    [[ -n "$body" ]] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
    : >"$WORK/body"  # a failed call must not leave the previous body behind
    STATUS=$(curl "${args[@]}" "http://127.0.0.1:$ADMIN_PORT/api/v1$path")
    BODY=$(cat "$WORK/body")
    echo "$method $path $STATUS" >>"$WORK/api-statuses"
}

# api_file METHOD PATH FILE: like api, with the body read from FILE.
api_file() {
    local method=$1 path=$2 file=$3
    : >"$WORK/body"
    STATUS=$(curl -s --max-time 20 -o "$WORK/body" -w '%{http_code}' -X "$method" -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' --data-binary "@$file" "http://127.0.0.1:$ADMIN_PORT/api/v1$path")
    BODY=$(cat "$WORK/body")
    echo "$method $path $STATUS" >>"$WORK/api-statuses"
}

ok() { PASS=$((PASS + 1)); }
bad() {
    FAIL=$((FAIL + 1))
    echo "FAIL: $*" >&2
    if [[ ${#BODY} -le 2000 ]]; then echo "      status=$STATUS body=$BODY" >&2
    else echo "      status=$STATUS body=${BODY:0:2000}... (${#BODY} characters)" >&2; fi
}

expect_status() {
    if [[ "$STATUS" == "$1" ]]; then ok; else bad "${2:-expected status $1}"; fi
}

# expect_json JQ_EXPR EXPECTED [MESSAGE]: compares `jq -r EXPR` of BODY.
expect_json() {
    local got
    got=$(jq -r "$1" <<<"$BODY" 2>/dev/null)
    if [[ "$got" == "$2" ]]; then ok; else bad "${3:-$1 should be '$2', got '$got'}"; fi
}

expect_true() {
    if "$@"; then ok; else bad "expected true: $*"; fi
}

# A fingerprint of everything stored, to show a refused request stored nothing.
# A failed authentication's own audit entry (entity "auth", by design: see
# tokens_test.sh) is left out.
store_fingerprint_once() {
    sqlite3 "$DATA/store.db" "SELECT * FROM extensions; SELECT * FROM devices; SELECT * FROM buttons;
        SELECT * FROM settings; SELECT * FROM audit WHERE entity <> 'auth';" | sha256sum | cut -d' ' -f1
}
# A fetch's record (the device's state, the audit line) is written after its
# answer, by the event writer: the fingerprint is taken once two reads 0.1 s
# apart agree (at most 5 s), so a fetch just before it cannot land after it.
store_fingerprint() {
    local a b
    a=$(store_fingerprint_once)
    for _ in $(seq 1 50); do
        sleep 0.1
        b=$(store_fingerprint_once)
        [[ "$a" == "$b" ]] && break
        a=$b
    done
    echo "$a"
}

# The store the golden files (tests/data/golden/) were rendered from: the
# settings below and, for each of the six vendors, a phone with two lines and
# a line, BLF, speed dial and park button. Shared by every suite that
# compares against those files, so they cannot drift apart.
golden_settings() {
    api PUT /settings '{"sip_server":"pbx.example.net","sip_port":5061,"sip_transport":"tls",
        "voicemail_number":"*97","ntp_server":"pool.ntp.org","timezone":"Etc/GMT-1",
        "phone_admin_password":"Adm1nPw","provisioning_url":"https://prov.example.net/",
        "resync_interval":86400,"dial_plan":"[2-9]xxx|*xx"}'
    expect_status 200 "settings"
}

# add_phone VENDOR MAC MAKE MODEL BASE: two lines (BASE01 SIP, BASE02 SIP-VIRTUAL)
# and a line, BLF, speed dial and park button on the first.
add_phone() {
    local mac=$2 make=$3 model=$4 base=$5
    api POST /extensions "{\"extension\":\"${base}01\",\"callerid_name\":\"R&D <Sales> \\\"Q\\\" = 1\",
        \"mac\":\"$mac\",\"phone_make\":\"$make\",\"phone_model\":\"$model\",\"secret\":\"Secret${base}01\",
        \"external_callerid\":\"+4930${base}01\"}"
    expect_status 201 "$1 first line"
    api POST /extensions "{\"extension\":\"${base}02\",\"callerid_name\":\"Bob's desk\",\"device_type\":\"SIP-VIRTUAL\",
        \"mac\":\"$mac\",\"secret\":\"Secret${base}02\"}"
    expect_status 201 "$1 second line"
    api PUT "/extensions/${base}01/buttons" "[{\"index\":1,\"type\":\"line\",\"line\":1},
        {\"index\":2,\"type\":\"blf\",\"value\":\"${base}02\",\"label\":\"Bob & Co\",\"line\":1},
        {\"index\":3,\"type\":\"speed_dial\",\"value\":\"*97\",\"label\":\"Voicemail\",\"line\":1},
        {\"index\":4,\"type\":\"park\",\"value\":\"701\",\"label\":\"Park 1\",\"line\":2}]"
    expect_status 200 "$1 buttons"
}

# normalize_creds FILE: each golden phone's provisioning user and password
# (random, made at its first config that carries secrets) replaced in place by
# fixed placeholders of the same length, so a file compares with its golden
# file byte for byte and keeps its size.
GOLDEN_MACS="0015654aa937 0004f2aabb01 00562b043615 000b828aa872 000413922d24 0c383e557eb1"
declare -A PROV_CREDS_SED=()
normalize_creds() {
    local mac creds user pass key
    for mac in $GOLDEN_MACS; do
        if [[ -z "${PROV_CREDS_SED[$mac]:-}" ]]; then
            creds=$(curl -s --max-time 5 -H "Authorization: Bearer $TOKEN" \
                "http://127.0.0.1:$ADMIN_PORT/api/v1/devices/$mac/credentials")
            user=$(jq -r '.user // empty' <<<"$creds" 2>/dev/null)
            pass=$(jq -r '.password // empty' <<<"$creds" 2>/dev/null)
            key=$(jq -r '.aes_key // empty' <<<"$creds" 2>/dev/null)
            [[ -n "$user" && -n "$pass" && -n "$key" ]] || continue
            PROV_CREDS_SED[$mac]="s/$user/@@PROVUSER@@/g; s/$pass/@@@@PROVPASSWORD@@@@/g; s/$key/@@@@PROVAES@@@@@/g"
        fi
        sed -i -e "${PROV_CREDS_SED[$mac]}" "$1"
    done
}

golden_store() {
    golden_settings
    add_phone yealink 00:15:65:4a:a9:37 Yealink T46U 10
    add_phone polycom 00:04:f2:aa:bb:01 Polycom VVX_400 20
    add_phone cisco 00:56:2b:04:36:15 Cisco 8841 30
    add_phone grandstream 00:0b:82:8a:a8:72 Grandstream GXP2135 40
    add_phone snom 00:04:13:92:2d:24 Snom D785 50
    add_phone fanvil 0c:38:3e:55:7e:b1 Fanvil X5U-V2 60
}

# The command line: run ARGS... runs the binary (at most 20 s) and sets OUT,
# ERR and RC; expect_rc CODE WHAT checks RC.
OUT=""
ERR=""
RC=0
run() {
    timeout 20 "$PROVISIONER_BIN" "$@" >"$WORK/cli.out" 2>"$WORK/cli.err"
    RC=$?
    OUT=$(cat "$WORK/cli.out")
    ERR=$(cat "$WORK/cli.err")
}

# store_args DIR: the -D options that point the CLI at DIR/store.db.
store_args() { echo "-D store.path=$1/store.db -D templates.dir=$TEMPLATES_DIR"; }

expect_rc() {
    if [[ "$RC" == "$1" ]]; then ok; else bad "$2: expected exit $1, got $RC (stdout '$OUT', stderr '$ERR')"; fi
}

# expect_one_line TEXT WHAT: TEXT is exactly one non-empty line.
expect_one_line() {
    if [[ -n "$1" && $(wc -l <<<"$1") == 1 ]]; then ok; else bad "$2: expected exactly one line, got '$1'"; fi
}

# Every status the API answered through api() and api_file() must be one the
# API's description gives that path and method (openapi_statuses.py).
check_described_statuses() {
    [[ -s "$WORK/api-statuses" ]] || return 0
    local here problems
    here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
    if problems=$(python3 "$here/openapi_statuses.py" "$here/../../docs/openapi.json" "$WORK/api-statuses"); then
        ok
    else
        FAIL=$((FAIL + 1))
        echo "FAIL: answers docs/openapi.json does not describe:" >&2
        echo "$problems" | sed 's/^/      /' >&2
    fi
}

finish() {
    check_described_statuses
    echo "$(basename "$0"): $PASS passed, $FAIL failed"
    [[ $FAIL -eq 0 ]]
    exit $?
}

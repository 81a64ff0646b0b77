#!/usr/bin/env bash
# Slow and idle clients (issue 12): they must not starve other phones, and
# the memory they hold is bounded and given back.
# - Phones' HTTP with http.max_connections=300: 700, then 4,000 slow
#   connections from one address keep http.max_per_address (64) of them;
#   the rest are reset at once and a phone from another address is served
#   at once. 4,000 from 40 addresses: the same.
# - HTTPS: 4,000 idle TLS connections (full handshakes, 80 addresses) are
#   held to https.max_connections (500 here); RSS while they are open stays within the
#   cap's worth and, once the server has timed them out, comes back near
#   where it started (malloc_trim). 4,000 from one address: 64 held, a phone
#   over HTTPS served.
# - TLS deadlines: a silent connection, half a ClientHello, a handshake with
#   no request, one idle after its answer and one dribbling a TLS record
#   are all closed on time.
# - The admin API (plain and TLS): 24 and 100 idle or half-sent connections
#   (from the same address as the API client) hold no thread; an API call is
#   answered within 2 s and the idle ones are dropped at admin.header_timeout
#   (2 s set, and the default 5 s).
# Figures go to standard error.

source "$(dirname "$0")/lib.sh"
SLOW="python3 $(dirname "$0")/slow_clients.py"

# The clients need a descriptor each; the server lifts its own limit.
HARD=$(ulimit -Hn)
COUNT=4000
if [[ "$HARD" != unlimited && "$HARD" -lt $((COUNT + 200)) ]]; then
    COUNT=$((HARD - 200))
    echo "note: descriptor limit $HARD: $COUNT connections instead of 4000" >&2
fi
# A sanitizer build has its own allocator: malloc_trim does not apply to it.
SANITIZED=0
if ldd "$PROVISIONER_BIN" 2>/dev/null | grep -q libasan; then SANITIZED=1; fi

field() { sed -n "s/^$1|//p" "$2" | head -1; }
under() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 < b + 0) }'; }

# --- phones' HTTP: one address cannot take the port -------------------------
start_server -D http.max_connections=300
for N in 700 "$COUNT"; do
    timeout 60 $SLOW http-flood "$HTTP_PORT" "$N" 1 127.0.0.3 >"$WORK/out-flood-$N"
    echo "http, $N slow connections from 127.0.0.2: $(tr '\n' ' ' <"$WORK/out-flood-$N")" >&2
    expect_true grep -q '^phone|HTTP/1.1 200 OK|' "$WORK/out-flood-$N"
    expect_true under "$(field phone "$WORK/out-flood-$N" | cut -d'|' -f2)" 1000
    expect_true test "$(field held "$WORK/out-flood-$N")" = 64
    expect_true test "$(field refused "$WORK/out-flood-$N")" = $((N - 64))
done
expect_true grep -Eq "security: event=conn_refused src=127\.0\.0\.2 proto=http reason=per_address limit=http\.max_per_address$" "$DATA/stderr"
stop_server

# --- HTTPS: TLS state bounded by https.max_connections and given back -------
use_fresh_store tls
start_server -D https.max_connections=500 -D certs.dir="$WORK/certs"
HTTPS_PORT=$(jq -r .https "$DATA/ports.json")
# TLS deadlines, measured alongside the floods below (five connections from
# 127.0.0.4, within the cap): a silent one, half a ClientHello, a handshake
# with no request, one idle after its answer and one dribbling a record.
timeout 40 $SLOW tls-idle "$HTTPS_PORT" >"$WORK/out-tls-idle" &
IDLE_PID=$!
# Spread over 40 addresses, slow HTTP keeps 64 of each; the port serves on.
timeout 60 $SLOW http-flood "$HTTP_PORT" "$COUNT" 40 127.0.0.3 >"$WORK/out-spread"
echo "http, $COUNT slow connections from 40 addresses: $(tr '\n' ' ' <"$WORK/out-spread")" >&2
expect_true grep -q '^phone|HTTP/1.1 200 OK|' "$WORK/out-spread"
expect_true under "$(field phone "$WORK/out-spread" | cut -d'|' -f2)" 1000
expect_true test "$(field held "$WORK/out-spread")" = 2560

timeout 90 $SLOW tls-flood "$HTTPS_PORT" "$COUNT" 80 "$SERVER_PID" "$HTTP_PORT" >"$WORK/out-tls"
echo "https, $COUNT idle TLS connections from 80 addresses: $(tr '\n' ' ' <"$WORK/out-tls")" >&2
SHAKEN=$(field handshakes "$WORK/out-tls" | cut -d'|' -f1)
HELD=$(field held "$WORK/out-tls")
expect_true test "$HELD" -le 500
expect_true test "$SHAKEN" -ge 450
expect_true grep -q '^phone|HTTP/1.1 200 OK|' "$WORK/out-tls"
expect_true test "$(field closed_by_server "$WORK/out-tls")" = "$SHAKEN"
BASE=$(field rss_base_kib "$WORK/out-tls")
OPEN=$(field rss_open_kib "$WORK/out-tls")
AFTER=$(field rss_after_kib "$WORK/out-tls")
echo "https RSS: $((BASE / 1024)) MiB at start, $((OPEN / 1024)) MiB with $HELD TLS connections open," \
     "$((AFTER / 1024)) MiB once they timed out" >&2
if [[ $SANITIZED == 0 ]]; then
    expect_true under $((OPEN - BASE)) $((500 * 64))    # within the cap's worth (KiB)
    expect_true under $((AFTER - BASE)) $((16 * 1024))  # given back: near the start
fi

# One address over HTTPS: 64 held, no handshake for the rest, a phone served.
timeout 60 $SLOW tls-flood "$HTTPS_PORT" "$COUNT" 1 0 "$HTTPS_PORT" tls quick >"$WORK/out-tls-one"
echo "https, $COUNT TLS connections from 127.0.0.2: $(tr '\n' ' ' <"$WORK/out-tls-one")" >&2
expect_true test "$(field handshakes "$WORK/out-tls-one" | cut -d'|' -f1)" = 64
expect_true grep -q '^phone|HTTP/1.1 200 OK|' "$WORK/out-tls-one"
expect_true under "$(field phone "$WORK/out-tls-one" | cut -d'|' -f2)" 1000

wait "$IDLE_PID"
echo "TLS connections closed after (s): $(tr '\n' ' ' <"$WORK/out-tls-idle")" >&2
expect_true grep -q '^keepalive_status|HTTP/1.1 200 OK$' "$WORK/out-tls-idle"
within() {  # NAME LOW HIGH: closed between LOW and HIGH seconds
    local s
    s=$(field "$1" "$WORK/out-tls-idle")
    [[ "$s" != open ]] && awk -v s="$s" -v lo="$2" -v hi="$3" 'BEGIN { exit !(s >= lo && s <= hi) }'
}
expect_true within silent 4.5 7          # the handshake timeout (5 s)
expect_true within partial_hello 4.5 7
expect_true within no_request 9.5 12     # the first request's time (10 s)
expect_true within after_request 1.5 4   # keep-alive (2 s)
expect_true within dribble 9.5 12        # a record that never completes moves nothing

stop_server

# --- the admin API ------------------------------------------------------------
admin_case() {  # LABEL N tls|plain HEADER_TIMEOUT
    timeout 60 $SLOW admin-idle "$ADMIN_PORT" "$2" "$TOKEN" "$3" >"$WORK/out-admin-$1"
    echo "admin ($3), $2 idle connections: $(tr '\n' ' ' <"$WORK/out-admin-$1")" >&2
    expect_true grep -q '^api|HTTP/1.1 200 OK|' "$WORK/out-admin-$1"
    expect_true under "$(field api "$WORK/out-admin-$1" | cut -d'|' -f2)" 2000
    expect_true test "$(field dropped "$WORK/out-admin-$1" | cut -d'|' -f1)" = "$2"
    expect_true under "$(field dropped "$WORK/out-admin-$1" | cut -d'|' -f2)" $(($4 + 2))
}
# Without a token: bodies dribbled a byte a second, pipelined answers never
# read, (TLS) connections reset before the handshake, a head past 16 KiB.
abuse_case() {  # tls|plain
    timeout 60 $SLOW admin-abuse "$ADMIN_PORT" "$TOKEN" "$1" >"$WORK/out-abuse-$1"
    echo "admin ($1), abuse without a token: $(tr '\n' ' ' <"$WORK/out-abuse-$1")" >&2
    expect_true grep -q '^api|HTTP/1.1 200 OK|' "$WORK/out-abuse-$1"
    expect_true under "$(field api "$WORK/out-abuse-$1" | cut -d'|' -f2)" 4000
    expect_true test "$(field dribblers_closed "$WORK/out-abuse-$1" | cut -d'|' -f1)" = 12
    expect_true under "$(field dribblers_closed "$WORK/out-abuse-$1" | cut -d'|' -f2)" 7
    expect_true test "$(field long_head "$WORK/out-abuse-$1")" = "HTTP/1.1 431 Request Header Fields Too Large"
}
use_fresh_store admin
start_server -D admin.header_timeout=2
admin_case plain-24 24 plain 2
admin_case plain-100 100 plain 2
abuse_case plain
stop_server
use_fresh_store admin-tls
start_server -D admin.tls=true -D certs.dir="$WORK/certs"
admin_case tls-100 100 tls 5  # the default admin.header_timeout
abuse_case tls
finish

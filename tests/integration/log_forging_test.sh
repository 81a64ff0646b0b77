#!/usr/bin/env bash
# The server's log against a client that writes into it: an HTTP request, an
# admin API request and TFTP requests whose path, User-Agent, file name and
# mode carry line breaks, terminal escapes, quotes and a fake
# "admin token: prov_..." line (the line the README once told operators to
# grep for) must not produce a line of their own, a raw control byte, or a
# field outside their quotes: every line of the real binary's standard error
# starts with the server's own prefix, and the client's bytes come back escaped
# inside quotes (docs/security-log.md). Then the rate limit: a flood of
# refusals writes log.refusal_lines lines and one count, not a line each.
#
# Needs curl, jq, python3. Traffic goes to 127.0.0.1 only; every wait is bounded.
source "$(dirname "$0")/lib.sh"

for tool in curl jq python3 timeout; do
    command -v "$tool" >/dev/null || { echo "log_forging_test needs $tool" >&2; exit 1; }
done
PYTHON=$(python3 -c 'import sys; print(sys.executable)')

FAKE='admin token: prov_ForgedForgedForgedForgedForgedForged0000'
ESC=$'\x1b'
# A line as the server writes them: UTC date, priority, logger, then the text.
PREFIX='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z (Fatal|Critical|Error|Warning|Notice|Information|Debug|Trace) [a-z]+: '

# tftp_send PORT NAME_HEX MODE_HEX: one raw RRQ, the answer's opcode (or "none").
tftp_send() {
    "$PYTHON" - "$1" "$2" "$3" <<'PY'
import socket, struct, sys
port, name, mode = int(sys.argv[1]), bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(2)
s.sendto(struct.pack("!H", 1) + name + b"\0" + mode + b"\0", ("127.0.0.1", port))
try:
    data, _ = s.recvfrom(2048)
    print(struct.unpack("!H", data[:2])[0])
except socket.timeout:
    print("none")
PY
}

hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }

# Every way in, at debug level so that routine refusals are written too.
test_no_forged_lines() {
    start_server -D log.level=debug
    local tftp_port forged_path ua code
    tftp_port=$(jq -r .tftp "$DATA/ports.json")
    # (No backslash: the HTTP front end refuses a path with one, as a 404 with path "".)
    forged_path="x"$'\n'"$FAKE"$'\r\n'"${ESC}[2J${ESC}]0;owned"$'\a'"\" src=203.0.113.9 \"y"
    local encoded
    encoded=$(jq -rn --arg f "$forged_path" '$f | @uri')

    # HTTP: the path (percent-encoded line breaks and escapes) and the
    # User-Agent (quotes, a fake field; a raw control byte in a header is
    # refused with 400 before anything is logged).
    ua="Yealink SIP-T46U \" src=203.0.113.9 $FAKE \\"
    code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -A "$ua" "http://127.0.0.1:$HTTP_PORT/$encoded")
    [[ "$code" == 404 ]] && ok || bad "a forged path over HTTP: expected 404, got $code"
    code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -A "Yealink ${ESC}[2J" "http://127.0.0.1:$HTTP_PORT/x.cfg")
    [[ "$code" == 400 ]] && ok || bad "a User-Agent with a raw ESC: expected 400, got $code"

    # The admin API: a path with line breaks, without a token and with one.
    code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ADMIN_PORT/api/v1/$encoded")
    [[ "$code" == 401 ]] && ok || bad "a forged admin path without a token: expected 401, got $code"
    code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
        "http://127.0.0.1:$ADMIN_PORT/api/v1/$encoded")
    [[ "$code" == 404 ]] && ok || bad "a forged admin path with a token: expected 404, got $code"
    code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer prov_${ESC}[2J $FAKE" \
        "http://127.0.0.1:$ADMIN_PORT/api/v1/license")
    [[ "$code" == 401 ]] && ok || bad "a forged bearer token: expected 401, got $code"

    # TFTP: a file name with line breaks (404), and a mode with them (refused).
    local op
    op=$(tftp_send "$tftp_port" "$(hex "$forged_path")" "$(hex octet)")
    [[ "$op" == 5 ]] && ok || bad "a forged TFTP file name: expected an ERROR packet, got $op"
    op=$(tftp_send "$tftp_port" "$(hex 0015654aa937.cfg)" "$(hex "netascii"$'\n'"$FAKE"$'\n'"${ESC}[2J")")
    [[ "$op" == 5 ]] && ok || bad "a forged TFTP mode: expected an ERROR packet, got $op"
    stop_server

    local log="$DATA/stderr" lines strays
    lines=$(wc -l <"$log")
    strays=$(grep -Evc "$PREFIX" "$log")
    [[ "$strays" == 0 ]] && ok || bad "every log line starts with the server's prefix; $strays of $lines do not: $(grep -Ev "$PREFIX" "$log" | head -3 | cat -A)"
    grep -q 'admin token' "$DATA/stdout" && bad "nothing forged on standard output" || ok
    if grep -qE "$PREFIX"'admin token' "$log" || grep -q '^admin token' "$log"; then
        bad "a forged 'admin token:' line in the log: $(grep -n 'admin token' "$log" | head -3 | cat -A)"
    else ok; fi
    if LC_ALL=C grep -q "$ESC" "$log"; then bad "a raw ESC byte reached the log"; else ok; fi
    if LC_ALL=C grep -q $'\r' "$log"; then bad "a raw CR reached the log"; else ok; fi
    # Each way in left its quoted, escaped trace.
    local path_q='"x\x0aadmin token: prov_ForgedForgedForgedForgedForgedForged0000\x0d\x0a\x1b[2J\x1b]0;owned\x07\" src=203.0.113.9 \"y"'
    grep -qF "security: event=fetch_refused src=127.0.0.1 proto=http outcome=not_found path=$path_q" "$log" && ok ||
        bad "the HTTP path quoted and escaped in its refused line"
    grep -qF 'ua="Yealink SIP-T46U \" src=203.0.113.9 admin token: prov_ForgedForgedForgedForgedForgedForged0000 \\" ' "$log" && ok ||
        bad "the User-Agent quoted and escaped: $(grep -F 'ua="Yealink' "$log" | head -1)"
    grep -qF "security: event=api_refused src=127.0.0.1 method=GET path=\"/api/v1/x%0Aadmin%20token" "$log" && ok ||
        bad "the admin path without a token in an api_refused line: $(grep api_refused "$log" | head -2)"
    grep -qE '^[0-9TZ:-]+ Information admin: admin GET "/api/v1/x%0Aadmin%20token[^"]*" 404 "token:1 first-start \(admin\)" [0-9]+us$' "$log" && ok ||
        bad "the admin access line with the path quoted: $(grep 'Information admin:' "$log" | head -2)"
    grep -qF "security: event=auth_failure src=127.0.0.1 reason=unknown" "$log" && ok || bad "the forged bearer token: one auth_failure"
    grep -qF "security: event=fetch_refused src=127.0.0.1 proto=tftp outcome=not_found path=$path_q" "$log" && ok ||
        bad "the TFTP file name quoted and escaped"
    grep -qF 'security: event=tftp_refused src=127.0.0.1 reason="mode netascii\x0aadmin token: prov_' "$log" && ok ||
        bad "the TFTP mode quoted and escaped: $(grep tftp_refused "$log" | head -2)"
}

# A flood of refusals: at most log.refusal_lines lines of a kind per interval,
# then one line with the count of the rest.
test_refusals_rate_limited() {
    use_fresh_store flood
    start_server -D log.refusal_lines=20 -D log.refusal_interval=4
    local tftp_port
    tftp_port=$(jq -r .tftp "$DATA/ports.json")
    # 2,000 malformed TFTP packets in well under the interval (one socket, no waits).
    "$PYTHON" - "$tftp_port" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
for i in range(2000):
    s.sendto(b"\x00\x09garbage%d" % i, ("127.0.0.1", int(sys.argv[1])))
    if i % 50 == 49:
        time.sleep(0.002)  # paced so that the server's socket buffer drops none
PY
    # The summary comes within a second of the interval's end.
    local summary=""
    for _ in $(seq 1 80); do
        summary=$(grep -E 'security: event=suppressed src=- kind=tftp_refused count=[0-9]+ seconds=4$' "$DATA/stderr")
        [[ -n "$summary" ]] && break
        sleep 0.1
    done
    stop_server
    local written counted
    written=$(grep -c 'security: event=tftp_refused ' "$DATA/stderr")
    counted=$(sed -n 's/.*kind=tftp_refused count=\([0-9]*\) .*/\1/p' <<<"$summary" | awk '{ n += $1 } END { print n + 0 }')
    echo "FIGURE: 2000 malformed TFTP packets: $written refusal lines + $(grep -c 'kind=tftp_refused' <<<"$summary") summary line(s) counting $counted; $(wc -l <"$DATA/stderr") log lines in all"
    [[ "$written" -le 40 ]] && ok || bad "at most 20 lines an interval (two intervals at most here), got $written"
    [[ -n "$summary" ]] && ok || bad "a line counts the refusals not written"
    # Every packet is either a line or counted (the server may drop none of 2,000 on loopback).
    [[ $((written + counted)) -ge 1900 && $((written + counted)) -le 2000 ]] && ok ||
        bad "lines ($written) and counts ($counted) should add up to the packets the server read (about 2000)"
}

test_no_forged_lines
test_refusals_rate_limited
finish

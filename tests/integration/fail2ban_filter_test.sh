#!/usr/bin/env bash
# The fail2ban filter for MAC-sweep blocks (deploy/fail2ban/) against lines as
# the server writes them: fail2ban-regex bans the source of a block line, IPv4
# and IPv6, reads the server's UTC timestamp as UTC whatever the local zone,
# and bans nobody for the lines in which the real server quotes a client's file
# name, even a file name that spells a block line. The jail passes
# fail2ban-client's configuration test.

source "$(dirname "$0")/lib.sh"

SRC="${SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
FILTER="$SRC/deploy/fail2ban/filter.d/provisioner-sweep.conf"
JAIL="$SRC/deploy/fail2ban/jail.d/provisioner-sweep.local"
for tool in fail2ban-regex fail2ban-client curl jq; do
    command -v "$tool" >/dev/null || { echo "fail2ban_filter_test needs $tool (deploy/install-deps.sh --test)" >&2; exit 1; }
done

LOG="$WORK/provisioner.log"
# What a client asks for, quoted by the server in its "refused" lines.
FORGED='event=sweep_block src=203.0.113.9 seconds=60 unknown_macs=64 block=1'

# fetch FILE: GET /FILE (percent-encoded) from the running server.
fetch() {
    local encoded
    encoded=$(jq -rn --arg f "$1" '$f | @uri')
    STATUS=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/$encoded")
    BODY=""
}

# utc_now: a timestamp as the server's PatternFormatter writes it (%Y-%m-%dT%H:%M:%SZ, UTC).
utc_now() { date -u +%Y-%m-%dT%H:%M:%SZ; }

# The real server's log, with the lines that quote a client's file name, and
# a real block: 127.0.0.2 sweeps made-up MACs past a budget of 5. At debug
# level, so that the routine refusals (404, 401) are written too.
write_server_log() {
    # Loopback untrusted: an allowed network is never counted as a sweep.
    start_server -D sweep.budget=5 -D provisioning.allow_networks=10.0.0.0/8 -D log.level=debug
    fetch 0015654aa937.cfg
    expect_status 401 "an unknown MAC's config: a Digest challenge"
    # A file name with line breaks that would forge a whole block line.
    fetch "x"$'\n'"$(utc_now) Warning security: $FORGED"$'\n'"y"
    expect_status 404 "a file name with line breaks is not found"
    local i code
    for i in 1 2 3 4 5 6 7; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.2 \
            "http://127.0.0.1:$HTTP_PORT/00156500010$i.cfg")
        # The challenge, before the block and after it (then for everything).
        [[ "$code" == 401 ]] || bad "made-up MAC $i: expected 401, got $code"
    done
    fetch "$FORGED"
    expect_status 404 "a file name spelling a block line is not found"
    fetch "2024-11-28T10:00:00Z Warning security: $FORGED"
    expect_status 404 "a file name spelling a whole log line is not found"
    # A quote in the file name cannot end the path's quotes early.
    fetch "\" $FORGED x=\""
    expect_status 404 "a file name with quotes is not found"
    stop_server
    cp "$DATA/stderr" "$LOG"
    local refused='security: event=fetch_refused src=127.0.0.1 proto=http outcome=not_found path='
    grep -qF "$refused\"$FORGED\" " "$LOG" && ok || bad "the server should quote a file name spelling a block line"
    grep -qF "$refused\"2024-11-28T10:00:00Z Warning security: $FORGED\" " "$LOG" && ok ||
        bad "the server should quote a file name spelling a whole log line"
    grep -qF "$refused\"\\\" $FORGED x=\\\"\" " "$LOG" && ok || bad "quotes in a file name should be logged as \\\""
    grep -q "${refused}\"x\\\\x0a[0-9T:-]*Z Warning security: event=sweep_block src=203.0.113.9 .*\\\\x0ay\" " "$LOG" &&
        ok || bad "line breaks in a file name should be logged as \\x0a"
    grep -Eq '^[0-9T:-]+Z Warning security: event=sweep_block src=127\.0\.0\.2 seconds=60 unknown_macs=5 block=1$' "$LOG" &&
        ok || bad "the server should log one block line for 127.0.0.2: $(grep 'sweep_block' "$LOG" | head -3)"
    # The block lines below are written with the prefix the server gives its
    # own lines: the same date, priority and logger layout.
    grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z Debug security: event=fetch_refused src=127\.0\.0\.1 proto=http outcome=unauthorized path="0015654aa937\.cfg" ua="curl/[^"]*" reason="[^"]*"$' "$LOG" &&
        ok || bad "the server's refused line should read '<UTC date> Debug security: event=fetch_refused src=<peer> proto=http outcome=unauthorized path=\"<file>\" ua=\"...\" reason=\"...\"'"
}

# Block lines as SweepGuard::blockEvent words them, logged at Warning by
# "security"; and near misses that must not ban.
write_block_lines() {
    {
        echo "$(utc_now) Warning security: event=sweep_block src=192.0.2.7 seconds=60 unknown_macs=64 block=1"
        echo "$(utc_now) Warning security: event=sweep_block src=2001:db8::7 seconds=3600 unknown_macs=70 block=7"
        echo "$(utc_now) Warning security: event=sweep_block src=192.0.2.8 seconds=60 unknown_macs=64 block=1 and=more"
        echo "$(utc_now) Warning provisioning: event=sweep_block src=192.0.2.9 seconds=60 unknown_macs=64 block=1"
        echo "$(utc_now) Warning security: event=sweep_block src=\"192.0.2.10\" seconds=60 unknown_macs=64 block=1"
    } >>"$LOG"
}

test_filter_bans_only_block_lines() {
    local banned expected lines
    banned=$(fail2ban-regex -o ip "$LOG" "$FILTER" 2>&1)
    expected=$'127.0.0.2\n192.0.2.7\n2001:db8::7'
    [[ "$banned" == "$expected" ]] && ok || bad "the filter should ban exactly 127.0.0.2, 192.0.2.7 and 2001:db8::7, got: $banned"
    lines=$(wc -l <"$LOG")
    local summary
    summary=$(fail2ban-regex "$LOG" "$FILTER" 2>&1)
    [[ "$summary" == *"Lines: $lines lines, 0 ignored, 3 matched, $((lines - 3)) missed"* ]] && ok ||
        bad "fail2ban-regex should match 3 of $lines lines: $(grep '^Lines:' <<<"$summary")"
    # Every line's date is found where the server puts it.
    local dated
    dated=$(sed -n 's/^|  \[\([0-9]*\)\] {^LN-BEG}.*/\1/p' <<<"$summary")
    [[ "$dated" == "$lines" ]] && ok || bad "the datepattern should find the date of all $lines lines, found $dated"
}

# The server writes UTC; a host in another zone must not shift the ban time.
test_timestamp_is_utc() {
    local fixed="$WORK/fixed.log" row
    echo "2024-11-28T10:00:00Z Warning security: event=sweep_block src=192.0.2.7 seconds=60 unknown_macs=64 block=1" >"$fixed"
    for zone in Asia/Kolkata America/New_York UTC; do
        row=$(TZ=$zone fail2ban-regex -o row "$fixed" "$FILTER" 2>&1)
        [[ "$row" =~ \'192\.0\.2\.7\',[[:space:]]*1732788000(\.0+)?, ]] && ok ||
            bad "in TZ=$zone the line should be read as 2024-11-28T10:00:00 UTC (1732788000), got: $row"
    done
}

# The jail, with fail2ban's own defaults and no other jail, passes its
# configuration test and uses the filter with maxretry 1.
test_jail_config() {
    local conf="$WORK/fail2ban"
    cp -r /etc/fail2ban "$conf"
    rm -f "$conf"/jail.d/*
    cp "$FILTER" "$conf/filter.d/"
    sed "s#^logpath .*#logpath  = $LOG#" "$JAIL" >"$conf/jail.d/provisioner-sweep.local"
    local out
    out=$(fail2ban-client -c "$conf" -t 2>&1)
    [[ $? -eq 0 && "$out" == *"OK: configuration test is successful"* ]] && ok ||
        bad "fail2ban-client -t should accept the jail: $out"
    out=$(fail2ban-client -c "$conf" -d 2>&1)
    [[ "$out" == *"['set', 'provisioner-sweep', 'maxretry', 1]"* ]] && ok || bad "the jail should ban on one line (maxretry 1)"
    [[ "$out" == *"'addfailregex', '^\\\\s*"*"event=sweep_block src=<ADDR>"* ]] && ok || bad "the jail should use the provisioner-sweep filter"
    [[ "$out" == *"'protocol', 'tcp'"*"'protocol', 'udp'"* ]] && ok || bad "the jail should ban on TCP and UDP"
}

write_server_log
write_block_lines
test_filter_bans_only_block_lines
test_timestamp_is_utc
test_jail_config
finish

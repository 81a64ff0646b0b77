#!/usr/bin/env bash
# serve speaks systemd's notification protocol (Type=notify in
# deploy/provisioner.service) to $NOTIFY_SOCKET, here a datagram socket of
# the test's, by path and by abstract name:
#   READY=1 only once every port is bound and answers (the ports file is
#   written and the admin API replies when it arrives), WATCHDOG=1 at least
#   every second when WATCHDOG_USEC asks for it and never when it does not,
#   RELOADING=1 (with MONOTONIC_USEC) then READY=1 around a SIGHUP reload,
#   STOPPING=1 on SIGTERM. Without NOTIFY_SOCKET the server runs as before.

source "$(dirname "$0")/lib.sh"

# listen NAME SECONDS: records each datagram to NAME ("@..." abstract) as one
# line "<seconds since start> <the datagram, newlines as |>" in
# $WORK/notify.log, for SECONDS at most.
listen() {
    python3 - "$1" "$2" "$WORK/notify.log" <<'EOF' &
import socket, sys, time
name, seconds, log = sys.argv[1], float(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + name[1:] if name.startswith("@") else name)
start = time.monotonic()
with open(log, "a", buffering=1) as out:
    out.write("listening\n")
    while time.monotonic() - start < seconds:  # bounded in time
        s.settimeout(max(0.01, seconds - (time.monotonic() - start)))
        try:
            data = s.recv(4096)
        except socket.timeout:
            break
        out.write("%.3f %s\n" % (time.monotonic() - start, data.decode().replace("\n", "|")))
EOF
    LISTENER=$!
    for _ in $(seq 1 50); do grep -q listening "$WORK/notify.log" 2>/dev/null && return; sleep 0.1; done
    echo "the listener did not start" >&2
    exit 1
}

# wait_for PATTERN: until a line of notify.log matches (10 s at most).
wait_for() {
    for _ in $(seq 1 100); do
        grep -qE "$1" "$WORK/notify.log" && return 0
        sleep 0.1
    done
    return 1
}

for socket_name in "$WORK/notify.sock" "@prov-notify-test-$$"; do
    echo "== NOTIFY_SOCKET=$socket_name, WATCHDOG_USEC=2000000"
    rm -f "$WORK/notify.log" "$WORK/notify.sock"
    listen "$socket_name" 30
    export NOTIFY_SOCKET=$socket_name WATCHDOG_USEC=2000000
    use_fresh_store "notify-$(basename "$socket_name" | tr -d '@')"
    start_server
    unset NOTIFY_SOCKET WATCHDOG_USEC
    if wait_for ' READY=1\|STATUS=serving phones$'; then ok; else bad "no READY=1: $(cat "$WORK/notify.log")"; fi
    # READY=1 came after the ports file and the admin port: the ports file
    # is written last in start(), and the admin API answers now.
    api GET /license
    expect_status 200
    if [[ $(grep -c ' READY=1' "$WORK/notify.log") -eq 1 ]]; then ok; else bad "READY=1 not once: $(cat "$WORK/notify.log")"; fi

    sleep 2.5
    pings=$(grep -c ' WATCHDOG=1$' "$WORK/notify.log")
    if [[ $pings -ge 2 ]]; then ok; else bad "$pings WATCHDOG=1 in 2.5 s: $(cat "$WORK/notify.log")"; fi

    kill -HUP "$SERVER_PID"
    if wait_for ' RELOADING=1\|MONOTONIC_USEC=[0-9]+$'; then ok; else bad "no RELOADING=1: $(cat "$WORK/notify.log")"; fi
    if wait_for ' READY=1$'; then ok; else bad "no READY=1 after the reload: $(cat "$WORK/notify.log")"; fi
    if grep -q 'templates reloaded' "$DATA/stderr" && grep -q 'TLS certificate reloaded' "$DATA/stderr"; then ok
    else bad "the reload did not reload templates and certificate: $(tail -5 "$DATA/stderr")"; fi
    # RELOADING=1 came before the READY=1 that ends it.
    order=$(grep -oE ' (RELOADING=1|READY=1)' "$WORK/notify.log" | tr -d ' ' | tr '\n' ' ')
    if [[ $order == "READY=1 RELOADING=1 READY=1 " ]]; then ok; else bad "order: $order"; fi

    stop_server
    if wait_for ' STOPPING=1$'; then ok; else bad "no STOPPING=1: $(cat "$WORK/notify.log")"; fi
    kill "$LISTENER" 2>/dev/null
    wait "$LISTENER" 2>/dev/null
done

echo "== no WATCHDOG_USEC: READY=1, no pings"
rm -f "$WORK/notify.log" "$WORK/notify.sock"
listen "$WORK/notify.sock" 30
export NOTIFY_SOCKET=$WORK/notify.sock
use_fresh_store no-watchdog
start_server
unset NOTIFY_SOCKET
if wait_for ' READY=1'; then ok; else bad "no READY=1: $(cat "$WORK/notify.log")"; fi
sleep 2.5
if grep -q 'WATCHDOG=1' "$WORK/notify.log"; then bad "WATCHDOG=1 unasked: $(cat "$WORK/notify.log")"; else ok; fi
stop_server
kill "$LISTENER" 2>/dev/null
wait "$LISTENER" 2>/dev/null

echo "== no NOTIFY_SOCKET: the server runs as before"
use_fresh_store plain
start_server
api GET /license
expect_status 200
stop_server

finish

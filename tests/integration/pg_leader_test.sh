#!/usr/bin/env bash
# The fleet's leader: of two `provisioner serve` nodes on one PostgreSQL
# store, exactly one says provisioner_leader 1 on /metrics (the one that
# started first); stopped, the other takes the lead within seconds, and so
# does the first again when the second dies without a word (SIGKILL), and
# after PostgreSQL restarts under it. A node whose server certificate is not
# the fleet's says so at start.
if [[ -z "${PROVISIONER_TEST_PG_URL:-}" ]]; then
    exec bash "$(dirname "$0")/../pg/with_cluster.sh" bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"

PG_URL="$PROVISIONER_TEST_PG_URL"
CERTS="$WORK/certs"  # the fleet's certificate: one folder every node reads

# leader ADMIN_PORT: that node's provisioner_leader, or "none".
leader() {
    curl -s --max-time 5 "http://127.0.0.1:$1/metrics" |
        awk '$1 == "provisioner_leader" { print $2; found = 1 } END { if (!found) print "none" }'
}

# until_leader ADMIN_PORT: waits (at most 10 s) for that node to lead; the
# seconds it took, or "never".
until_leader() {
    local from=$SECONDS
    for _ in $(seq 1 50); do
        if [[ $(leader "$1") == 1 ]]; then echo $((SECONDS - from)); return; fi
        sleep 0.2
    done
    echo never
}

logs() { cat "$WORK/$1/stdout" "$WORK/$1/stderr" 2>/dev/null; }

use_fresh_store a
start_server -D store.url="$PG_URL" -D certs.dir="$CERTS"
A_PID=$SERVER_PID A_ADMIN=$ADMIN_PORT
SERVER_PID=""
use_fresh_store b
start_server -D store.url="$PG_URL" -D certs.dir="$CERTS"
B_PID=$SERVER_PID B_ADMIN=$ADMIN_PORT
trap 'kill "$A_PID" "$B_PID" 2>/dev/null; wait 2>/dev/null; cleanup' EXIT

[[ $(leader "$A_ADMIN") == 1 ]] && ok || bad "node A, started first, does not lead: $(leader "$A_ADMIN")"
[[ $(leader "$B_ADMIN") == 0 ]] && ok || bad "node B leads beside node A: $(leader "$B_ADMIN")"
logs a | grep -q "fleet: this node leads" && ok || bad "node A did not log its lead"
logs b | grep -q "fleet: this node leads" && bad "node B logged a lead it does not have" || ok
logs b | grep -q "is not the fleet's" && bad "node B, on the fleet's certificate, warned: $(logs b | grep "fleet's")" || ok

# A node with a certificate of its own (another certs.dir: generated afresh)
# says so at start; the fleet's stays the one registered.
use_fresh_store c
start_server -D store.url="$PG_URL" -D certs.dir="$WORK/other-certs"
C_PID=$SERVER_PID
logs c | grep -q "server certificate .* is not the fleet's" && ok || bad "node C, on another certificate, did not warn"
[[ $(leader "$ADMIN_PORT") == 0 ]] && ok || bad "node C leads beside node A"
stop_server

# Node A stops: node B leads within 10 s.
kill "$A_PID"
wait "$A_PID" 2>/dev/null
took=$(until_leader "$B_ADMIN")
echo "node B took the lead $took s after node A stopped" >&2
[[ $took != never ]] && ok || bad "node B did not take the lead within 10 s of node A's stop"
logs b | grep -q "fleet: this node leads" && ok || bad "node B did not log its lead"

# Node A again, then node B killed without a word: its session ends with
# its socket, and node A leads within 10 s.
SERVER_PID=""
DATA="$WORK/a"
start_server -D store.url="$PG_URL" -D certs.dir="$CERTS"
A_PID=$SERVER_PID A_ADMIN=$ADMIN_PORT
SERVER_PID=""
[[ $(leader "$A_ADMIN") == 0 ]] && ok || bad "node A, back, leads beside node B"
kill -9 "$B_PID"
wait "$B_PID" 2>/dev/null
took=$(until_leader "$A_ADMIN")
echo "node A took the lead $took s after node B was killed" >&2
[[ $took != never ]] && ok || bad "node A did not take the lead within 10 s of node B's death"

# PostgreSQL restarted under the leader (a failover): its session, and the
# lock, are gone; it tries again on a fresh connection and leads again.
"$PROVISIONER_TEST_PG_CTL" restart -m fast -w >/dev/null 2>&1 && ok || bad "the cluster did not restart"
# The lock as the server sees it (a bigint key: classid high, objid low),
# looked at until held again (at most 10 s; a try every 2 s).
held=""
for _ in $(seq 1 50); do
    held=$(psql -X -A -t -d "$PG_URL" -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
        AND granted AND classid = 1 AND objid = 2967049707 AND objsubid = 1" 2>/dev/null)
    [[ $held == 1 ]] && break
    sleep 0.2
done
[[ $held == 1 ]] && ok || bad "nobody holds the leader's lock 10 s after PostgreSQL restarted"
[[ $(leader "$A_ADMIN") == 1 ]] && ok || bad "node A, alone, does not lead after PostgreSQL restarted"

finish

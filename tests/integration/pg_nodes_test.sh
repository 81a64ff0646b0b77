#!/usr/bin/env bash
# Two `provisioner serve` nodes on one PostgreSQL store (store.url), on a
# cluster this test starts itself (tests/pg/with_cluster.sh): both serve the
# same answers, and an edit made through node A's admin API reaches a phone
# fetching through node B within a second (node B's render cache is dropped
# by the NOTIFY of the commit, not by a poll), and a phone's TLS session made
# on one node resumes on the other (session tickets under the store's keys).
if [[ -z "${PROVISIONER_TEST_PG_URL:-}" ]]; then
    exec bash "$(dirname "$0")/../pg/with_cluster.sh" bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"

PG_URL="$PROVISIONER_TEST_PG_URL"
YEALINK_UA="Yealink SIP-T46U 108.86.0.90 00:15:65:4a:a9:37"

# Node A: migrates the empty database and makes the first admin token.
use_fresh_store a
start_server -D store.url="$PG_URL"
A_PID=$SERVER_PID A_ADMIN=$ADMIN_PORT A_HTTP=$HTTP_PORT A_TOKEN=$TOKEN
[[ -n "$A_TOKEN" ]] && ok || bad "node A made no admin token"
trap 'kill "$A_PID" 2>/dev/null; wait "$A_PID" 2>/dev/null; cleanup' EXIT

# Node B: the same store, found migrated; no token of its own (one exists).
SERVER_PID=""
use_fresh_store b
start_server -D store.url="$PG_URL"
B_HTTP=$HTTP_PORT B_ADMIN=$ADMIN_PORT
[[ ! -s "$DATA/admin-token" ]] && ok || bad "node B made a second first token"
TOKEN=$A_TOKEN

# A phone's TLS session made on node A resumes on node B: node B never saw its
# session ID, so only the ticket, sealed under the fleet's key from the store,
# can resume it.
A_HTTPS=$(jq -r .https "$WORK/a/ports.json")
B_HTTPS=$(jq -r .https "$WORK/b/ports.json")
echo | timeout 10 openssl s_client -connect "127.0.0.1:$A_HTTPS" -tls1_2 -sess_out "$WORK/tls.sess" >"$WORK/tls.a" 2>&1
grep -q "^New, " "$WORK/tls.a" && grep -q "TLS session ticket:" "$WORK/tls.a" && ok ||
    bad "node A: a full handshake with a session ticket: $(grep -E '^(New|Reused)|ticket' "$WORK/tls.a" | head -3)"
echo | timeout 10 openssl s_client -connect "127.0.0.1:$B_HTTPS" -tls1_2 -sess_in "$WORK/tls.sess" >"$WORK/tls.b" 2>&1
grep -q "^Reused, " "$WORK/tls.b" && ok || bad "node B did not resume node A's session: $(grep -E '^(New|Reused)' "$WORK/tls.b")"

ADMIN_PORT=$A_ADMIN
golden_settings
add_phone yealink 00:15:65:4a:a9:37 Yealink T46U 10

fetch() {  # fetch PORT: the Yealink phone's config through that node, into $WORK/got.PORT
    curl -s --max-time 5 -o "$WORK/got.$1" -w '%{http_code}' -A "$YEALINK_UA" \
        "http://127.0.0.1:$1/0015654aa937.cfg"
}

# The same answer from both nodes (node B's render cached by the second fetch).
[[ $(fetch "$A_HTTP") == 200 ]] && ok || bad "node A: fetch"
[[ $(fetch "$B_HTTP") == 200 ]] && ok || bad "node B: fetch"
[[ $(fetch "$B_HTTP") == 200 ]] && ok || bad "node B: fetch again"
cmp -s "$WORK/got.$A_HTTP" "$WORK/got.$B_HTTP" && ok || bad "the nodes serve different bytes"
grep -q "Bob's desk" "$WORK/got.$B_HTTP" && ok || bad "node B: the second line's name is not in the config"

# Node B's admin API reads what node A wrote.
ADMIN_PORT=$B_ADMIN
api GET /extensions/1001
expect_status 200 "node B reads the extension node A made"

# An edit through node A, then fetches through node B every 50 ms.
ADMIN_PORT=$A_ADMIN
api PATCH /extensions/1002 '{"callerid_name":"Carol at the desk"}'
expect_status 200 "edit through node A"
edited=$(date +%s%N)
seen=""
for _ in $(seq 1 40); do
    fetch "$B_HTTP" >/dev/null
    if grep -q "Carol at the desk" "$WORK/got.$B_HTTP"; then
        seen=$(date +%s%N)
        break
    fi
    sleep 0.05
done
if [[ -n "$seen" ]]; then
    ms=$(((seen - edited) / 1000000))
    echo "node B served the edit $ms ms after node A's answer" >&2
    ((ms < 1000)) && ok || bad "node B served the edit after $ms ms (at most 1000)"
else
    bad "node B never served the edit made through node A (2 s)"
fi

# PostgreSQL restarted under both nodes (a failover): they are not
# restarted; the next edit through node B is served through node A.
"$PROVISIONER_TEST_PG_CTL" restart -m fast -w >/dev/null 2>&1 && ok || bad "the cluster did not restart"
ADMIN_PORT=$B_ADMIN
api PATCH /extensions/1002 '{"callerid_name":"Dave after the restart"}'
expect_status 200 "edit through node B after the restart"
seen=""
for _ in $(seq 1 40); do
    fetch "$A_HTTP" >/dev/null
    if grep -q "Dave after the restart" "$WORK/got.$A_HTTP"; then seen=yes; break; fi
    sleep 0.05
done
[[ -n "$seen" ]] && ok || bad "node A did not serve node B's edit after the restart (2 s)"

# The licence counts every node's creates: one count, whichever node asks.
ADMIN_PORT=$B_ADMIN
api GET /license
expect_json '.extensions_used' '1' "licensed extensions seen through node B"

finish

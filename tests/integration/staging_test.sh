#!/usr/bin/env bash
# Unknown phones and installer staging against the real binary: a phone not
# in the store is listed as unassigned, an installer binds an extension to it
# (and can do nothing more), its next fetch gets the full config, and it moves
# staged -> provisioned -> applied -> stale -> provisioned as it fetches and as
# admins edit. Also `provisioner staging`, events.keep_days and
# devices.max_unassigned.

source "$(dirname "$0")/lib.sh"

UA="Yealink SIP-T46U 108.86.0.90 00:15:65:4a:a9:37"
MAC=00:15:65:4a:a9:37

start_server -D events.keep_days=30

# fetch FILE [extra curl args]: a GET from the phone port with the Yealink UA.
fetch() {
    local file=$1; shift
    : >"$WORK/got"
    STATUS=$(curl -s --max-time 10 -o "$WORK/got" -D "$WORK/headers" -w '%{http_code}' -A "$UA" "$@" \
        "http://127.0.0.1:$HTTP_PORT/$file")
}

# wait_state MAC STATE: polls the device (events are written in the
# background) for at most 5 s.
wait_state() {
    local got=""
    for _ in $(seq 1 50); do
        api GET "/devices/$1"
        got=$(jq -r .state <<<"$BODY")
        [[ "$got" == "$2" ]] && break
        sleep 0.1
    done
    if [[ "$got" == "$2" ]]; then ok; else bad "device $1 should be $2, is '$got'"; fi
}

ADMIN=$TOKEN
INSTALLER=$(timeout 20 "$PROVISIONER_BIN" token create --role installer --name floor \
    -D store.path="$DATA/store.db" -D templates.dir="$TEMPLATES_DIR")
VIEWER=$(timeout 20 "$PROVISIONER_BIN" token create --role viewer \
    -D store.path="$DATA/store.db" -D templates.dir="$TEMPLATES_DIR")

# 1. A phone that is not in the store: 404, then listed as unassigned.
fetch 0015654aa937.cfg
expect_status 404 "unknown phone's config"
wait_state "$MAC" unassigned
expect_json .make yealink
expect_json .model T46U
expect_json .last_firmware 108.86.0.90
expect_json .last_seen_ip 127.0.0.1
expect_true test "$(jq -r .first_seen_at <<<"$BODY")" != null
api GET "/devices?state=unassigned" "" "$INSTALLER"
expect_status 200
expect_json '.items | map(.mac) | join(",")' "$MAC" "the unassigned list"
# Seen again: still unassigned, still 404 (nothing to give it), no duplicate.
fetch 0015654aa937.cfg
expect_status 404 "unassigned phone's config before it is claimed"
api GET "/devices?state=unassigned"
expect_json .total 1
# Unassigned devices are not inventory: the export leaves them out.
api GET /exports
expect_true test "$(grep -c 00:15:65:4a:a9:37 <<<"$BODY")" = 0

# 2. The installer binds an extension an admin created, and nothing more.
api POST /extensions '{"extension":"201","callerid_name":"Front desk","secret":"S3cretFront201"}' "$ADMIN"
expect_status 201
api POST /extensions '{"extension":"202","callerid_name":"Back office"}' "$ADMIN"
expect_status 201
api PATCH /extensions/201 '{"callerid_name":"Mine now"}' "$INSTALLER"
expect_status 403 "installer changing a caller ID"
expect_json .error.message "the installer role cannot change callerid_name (an installer may set mac, phone_reg, phone_make and phone_model: bind phones)"
api PATCH /extensions/201 "{\"mac\":\"$MAC\",\"secret\":\"Stolen123456\"}" "$INSTALLER"
expect_status 403 "installer setting a secret along with the binding"
api PATCH /extensions/201 "{\"mac\":\"$MAC\"}" "$VIEWER"
expect_status 403 "viewer binding"
api PATCH /extensions/201 "{\"mac\":\"$MAC\",\"phone_reg\":1}" "$INSTALLER"
expect_status 200 "installer binding"
expect_json .secret "********" "secret masked for the installer"
expect_json .mac "$MAC"
api GET /extensions/201 "" "$INSTALLER"
expect_json .secret "********"
api POST /imports "" "$INSTALLER"
expect_status 403 "installer import"
wait_state "$MAC" staged

# 3. Claimed: its next fetch gets the full config.
fetch 0015654aa937.cfg
expect_status 200 "claimed phone's config"
expect_true grep -q 'account.1.user_name = 201' "$WORK/got"
expect_true grep -q 'S3cretFront201' "$WORK/got"
ETAG=$(tr -d '\r' <"$WORK/headers" | sed -n 's/^ETag: //Ip')
wait_state "$MAC" provisioned
# It comes back (a reboot) and gets the same bytes: applied.
fetch 0015654aa937.cfg
expect_status 200
wait_state "$MAC" applied

# 4. An admin edit makes it stale; the next delivery provisions it again,
#    and a 304 for the new bytes makes it applied.
api PATCH /extensions/201 '{"callerid_name":"Reception"}' "$ADMIN"
expect_status 200
wait_state "$MAC" stale
fetch 0015654aa937.cfg -H "If-None-Match: $ETAG"
expect_status 200 "the old ETag gets the new config"
ETAG=$(tr -d '\r' <"$WORK/headers" | sed -n 's/^ETag: //Ip')
wait_state "$MAC" provisioned
fetch 0015654aa937.cfg -H "If-None-Match: $ETAG"
expect_status 304
wait_state "$MAC" applied

# 4b. A change from another process (the CLI) reaches the running server's
#     cache within its 1 s poll: the next fetch carries it.
printf 'extension,callerid_name\r\n201,Imported Name\r\n' >"$WORK/rename.csv"
timeout 20 "$PROVISIONER_BIN" import "$WORK/rename.csv" -D store.path="$DATA/store.db" \
    -D templates.dir="$TEMPLATES_DIR" >"$WORK/import.out" 2>&1
expect_true grep -q "1 changed" "$WORK/import.out"
wait_state "$MAC" stale
for _ in $(seq 1 30); do
    fetch 0015654aa937.cfg
    grep -q 'Imported Name' "$WORK/got" && break
    sleep 0.1
done
expect_true grep -q 'account.1.display_name = Imported Name' "$WORK/got"
wait_state "$MAC" provisioned

# 5. The staging list an installer reads, by site.
api PATCH "/devices/$MAC" '{"label":"HQ floor 2"}' "$INSTALLER"
expect_status 200
api POST /devices '{"mac":"00:15:65:00:00:02","make":"Yealink","model":"T31","label":"HQ floor 2"}' "$INSTALLER"
expect_status 201
api POST /devices '{"mac":"00:15:65:00:00:03","label":"Elsewhere"}' "$ADMIN"
expect_status 201
api GET "/staging?site=HQ%20floor%202" "" "$INSTALLER"
expect_status 200
expect_json '.items | length' 2
expect_json '.counts.new' 1
expect_json ".items[] | select(.mac==\"$MAC\") | .extensions | join(\",\")" 201
expect_json ".items[] | select(.mac==\"$MAC\") | .firmware" 108.86.0.90
expect_json ".items[] | select(.mac==\"$MAC\") | .last_file" 0015654aa937.cfg
# the label edit changed the config inputs: stale again until it fetches
expect_json ".items[] | select(.mac==\"$MAC\") | .state" stale
api GET "/staging?site=HQ%20floor%202&state=new" "" "$VIEWER"
expect_json '.items | map(.mac) | join(",")' 00:15:65:00:00:02
api GET "/staging?site=HQ%20floor%202&limit=1&offset=1" "" "$INSTALLER"
expect_json '.items | length' 1 "a page of one"
expect_json .total 2
expect_json .counts.new 1 "counts cover the whole site, not the page"
api GET "/staging?state=bogus"
expect_status 400
expect_json '.error.fields.state' "must be new, unassigned, staged, provisioned, applied or stale"
api GET /events?mac=001565aa0000 "" "$INSTALLER"
expect_status 200 "installer reads events"

# 6. provisioner staging: the same list in a terminal (--once for a pipe).
OUT=$(timeout 20 "$PROVISIONER_BIN" staging --site "HQ floor 2" --once \
    -D store.path="$DATA/store.db" -D templates.dir="$TEMPLATES_DIR")
expect_true grep -q '^site HQ floor 2: 2 devices, 1 new, 1 stale$' <<<"$OUT"
expect_true grep -Eq "^$MAC +stale +- +yealink T46U +108.86.0.90 +- +201 +[0-9]+s ago +127.0.0.1$" <<<"$OUT"
# On a terminal it redraws until interrupted (script(1) gives it a pty).
timeout 20 script -qec "timeout -s INT 3.5 '$PROVISIONER_BIN' staging --site 'HQ floor 2' --interval 1 \
    -D store.path='$DATA/store.db' -D templates.dir='$TEMPLATES_DIR'" /dev/null >"$WORK/live" 2>&1
FRAMES=$(grep -o $'\e\[2J' "$WORK/live" | wc -l)
expect_true test "$FRAMES" -ge 3
expect_true grep -q "Ctrl-C to stop" "$WORK/live"
expect_true grep -q "$MAC" "$WORK/live"
OUT=$(timeout 20 "$PROVISIONER_BIN" staging --interval 0 --once -D store.path="$DATA/store.db" 2>&1)
expect_true test $? -ne 0
stop_server

# 7. events.keep_days: events older than that are pruned at start.
OLD=$(( $(date +%s) - 40 * 86400 ))
sqlite3 "$DATA/store.db" "INSERT INTO events (at, mac, protocol, outcome) VALUES ($OLD, '001565aa0001', 'http', 'served')"
BEFORE=$(sqlite3 "$DATA/store.db" "SELECT count(*) FROM events")
start_server -D events.keep_days=30
for _ in $(seq 1 50); do
    [[ $(sqlite3 "$DATA/store.db" "SELECT count(*) FROM events WHERE at = $OLD") == 0 ]] && break
    sleep 0.1
done
expect_true test "$(sqlite3 "$DATA/store.db" "SELECT count(*) FROM events WHERE at = $OLD")" = 0
expect_true test "$(sqlite3 "$DATA/store.db" "SELECT count(*) FROM events")" = $((BEFORE - 1))
stop_server

# 8. devices.max_unassigned: a sweep of made-up MACs stops at the cap.
use_fresh_store sweep
start_server -D devices.max_unassigned=3
for i in $(seq 1 8); do
    curl -s --max-time 5 -o /dev/null "http://127.0.0.1:$HTTP_PORT/cfg00000000000$i.xml"
done
sleep 1.5
api GET "/devices?state=unassigned"
expect_json .total 3 "unassigned devices capped at devices.max_unassigned"
stop_server

finish

#!/usr/bin/env bash
# The routes the admin portal uses, against the real binary: the catalog,
# sorting and search at 10,000 extensions, reveal (audited, admins only),
# references, imports in the background with progress, and the staging
# stream (Server-Sent Events) with its cap and lifetime.

source "$(dirname "$0")/lib.sh"

start_server -D license.extensions=20000 -D portal.streams=2 -D portal.stream_max=3

cli() { "$PROVISIONER_BIN" "$@" -D store.path="$DATA/store.db" -D templates.dir="$TEMPLATES_DIR"; }
VIEWER=$(cli token create --role viewer --name portal-viewer)
INSTALLER=$(cli token create --role installer --name portal-installer)

# --- catalog: every role; vendors and models sorted, lines and keys from vendor.json
api GET /catalog "" "$VIEWER"
expect_status 200
expect_json '[.vendors[].vendor] == ([.vendors[].vendor] | sort)' true "vendors are sorted"
expect_json '.vendors[] | select(.vendor == "yealink") | .name' Yealink
expect_json '.vendors[] | select(.vendor == "yealink") | .softphone' false
expect_json '.vendors[] | select(.vendor == "yealink") | .models[] | select(.model == "T46U") | "\(.lines) \(.keys)"' "16 27"
expect_json '[.vendors[] | select(.vendor == "yealink") | .models[].model] == ([.vendors[] | select(.vendor == "yealink") | .models[].model] | sort)' true "models are sorted"

# --- 10,000 extensions, imported in the background
{
    echo "extension,device_type,callerid_name,user"
    for i in $(seq 10000 19999); do echo "$i,SIP,Person $i,user$i"; done
} >"$WORK/big.csv"
: >"$WORK/body"
post_import() {
    STATUS=$(curl -s --max-time 60 -o "$WORK/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
        --data-binary "@$1" "http://127.0.0.1:$ADMIN_PORT/api/v1/imports$2")
    BODY=$(cat "$WORK/body")
}
# wait_import ID: polls (at most 60 s) until the import is no longer running; the last body in BODY.
wait_import() {
    for _ in $(seq 1 600); do
        api GET "/imports/$1"
        [[ $(jq -r .state <<<"$BODY") != running ]] && return
        sleep 0.1
    done
}
post_import "$WORK/big.csv" "?async=true&dry_run=true"
expect_status 202 "a dry run in the background"
DRY=$(jq -r .id <<<"$BODY")
wait_import "$DRY"
expect_json .state done
expect_json .report.dry_run true
expect_json .report.rows 10000
expect_json "\"\(.rows_done) \(.rows_total)\"" "10000 10000" "a dry run's rows checked"
api GET "/extensions?limit=1"
expect_json .total 0 "a dry run stores nothing"

START=$(date +%s.%N)
post_import "$WORK/big.csv" "?async=true"
expect_status 202
ID=$(jq -r .id <<<"$BODY")
wait_import "$ID"
echo "figure: import of 10000 rows in the background: $(awk -v a="$START" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}') s"
expect_json .state done
expect_json .report.extensions.created 10000
api GET "/imports/$ID" "" "$INSTALLER"
expect_status 403 "only admins follow imports"
api GET "/imports/999999"
expect_status 404

# A bad file fails whole; the synchronous form still works.
printf 'extension,device_type,callerid_name\n500,NOPE,X\n' >"$WORK/bad.csv"
post_import "$WORK/bad.csv" "?async=true"
BAD=$(jq -r .id <<<"$BODY")
wait_import "$BAD"
expect_json .state failed
expect_json .report.error.code invalid_import
printf 'extension,device_type,callerid_name\n501,SIP,Sync\n' >"$WORK/one.csv"
post_import "$WORK/one.csv" ""
expect_status 200 "the synchronous import"
expect_json .extensions.created 1

# --- sort and search at 10,000
api GET "/extensions?sort=callerid_name&order=desc&limit=3"
expect_status 200
expect_json '[.items[].extension] | join(",")' "501,19999,19998" "Sync after Person 19999"
api GET "/extensions?sort=user&limit=2"
expect_json '[.items[].extension] | join(",")' "501,10000" "an empty user first"
expect_json .total 10001
api GET "/extensions?q=USER1234&limit=100"
expect_json '[.items[].extension] | join(",")' "12340,12341,12342,12343,12344,12345,12346,12347,12348,12349"
api GET "/extensions?sort=secret"
expect_status 400 "a sort outside the list"
expect_json '.error.fields.sort | test("callerid_name")' true "the field names what may be sorted by"
api GET "/extensions?sort=extension%3B%20DROP%20TABLE%20extensions"
expect_status 400
api GET "/extensions?order=sideways"
expect_status 400
expect_json '.error.fields.order' "must be asc or desc"
api GET "/devices?sort=nope"
expect_status 400
expect_json '.error.fields | keys | join(",")' sort

# One page at 10,000, timed the way a browser asks it.
timed() {
    curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$ADMIN_PORT/api/v1$1"
}
for q in "/extensions?limit=50" "/extensions?limit=50&sort=callerid_name&order=desc" \
         "/extensions?limit=50&q=person%201&sort=user" "/extensions?limit=50&offset=9950&sort=updated_at"; do
    best=99
    for _ in 1 2 3; do t=$(timed "$q"); best=$(awk -v a="$t" -v b="$best" 'BEGIN{print (a < b) ? a : b}'); done
    echo "figure: GET $q at 10001 extensions: ${best} s (best of 3)"
    expect_true awk -v t="$best" 'BEGIN{exit !(t < 0.5)}'
done

# --- devices: search and sort
for m in 00:15:65:00:00:0a 00:15:65:00:00:0b 00:15:65:00:00:0c; do
    api POST /devices "{\"mac\":\"$m\",\"make\":\"Yealink\",\"model\":\"T46U\",\"label\":\"site-${m: -1}\",\"serial\":\"SN${m: -1}\"}"
    expect_status 201
done
api GET "/devices?sort=label&order=desc"
expect_json '[.items[].label] | join(",")' "site-c,site-b,site-a"
api GET "/devices?q=snb"
expect_json '[.items[].mac] | join(",")' "00:15:65:00:00:0b"
api GET "/devices?q=00-00-0C"
expect_json '[.items[].mac] | join(",")' "00:15:65:00:00:0c"

# --- reveal: admins only, audited without the value
api GET /extensions/10001
SECRET=$(jq -r .secret <<<"$BODY")
api POST /extensions/10001/secret/reveal
expect_status 200
expect_json .secret "$SECRET"
api POST /extensions/10001/secret/reveal "" "$VIEWER"
expect_status 403
api POST /extensions/10001/secret/reveal "" "$INSTALLER"
expect_status 403
api GET "/audit?entity=extension&entity_id=10001"
expect_json '.items[0].action' reveal
expect_true test "$(grep -c -- "$SECRET" <<<"$BODY")" = 0
api GET /extensions/10001/secret/reveal
expect_status 405

# --- references: the delete dialog's list, the 409's list
api PATCH /extensions/10002 '{"call_forward":"10001"}'
expect_status 200
api PUT /extensions/10003/buttons '[{"index":1,"type":"blf","value":"10001","label":"x"}]'
api GET /extensions/10001/references "" "$VIEWER"
expect_status 200
REFS=$(jq -c .references <<<"$BODY")
expect_json '.references | length' 2
api DELETE /extensions/10001
expect_status 409
expect_json '.error.references | tojson' "$REFS" "the refusal lists the same references"
api GET /extensions/424242/references
expect_status 404

# --- the staging stream
STREAM_URL="http://127.0.0.1:$ADMIN_PORT/api/v1/staging/stream?site=site-a"
START=$(date +%s.%N)
curl -s -N --max-time 10 -D "$WORK/stream.headers" -H "Authorization: Bearer $VIEWER" "$STREAM_URL" >"$WORK/stream.1" &
S1=$!
sleep 0.5
# A change while it runs: the next tick sends it.
api PATCH /devices/00:15:65:00:00:0a '{"model":"T48U"}'
expect_status 200
wait "$S1"
RC=$?
ELAPSED=$(awk -v a="$START" -v b="$(date +%s.%N)" 'BEGIN{print b-a}')
expect_true test "$RC" = 0   # ended by the server (portal.stream_max=3), not by --max-time
expect_true awk -v t="$ELAPSED" 'BEGIN{exit !(t >= 2.9 && t < 6)}'
grep -qi '^content-type: text/event-stream' "$WORK/stream.headers" && ok || bad "content type: $(cat "$WORK/stream.headers")"
grep -qi '^cache-control: no-store' "$WORK/stream.headers" && ok || bad "cache-control"
expect_true test "$(grep -c '^event: staging$' "$WORK/stream.1")" = 2
FIRST=$(grep -m1 '^data: ' "$WORK/stream.1" | cut -c7-)
api GET "/staging?site=site-a"
expect_true test "$(jq -r '"\(.site) \(.items[0].mac) \(.items[0].model)"' <<<"$FIRST")" = "site-a 00:15:65:00:00:0a T46U"
LAST=$(grep '^data: ' "$WORK/stream.1" | tail -1 | cut -c7-)
expect_true test "$(jq -c . <<<"$LAST")" = "$(jq -c . <<<"$BODY")"
expect_true test "$(jq -r '.items[0].model' <<<"$LAST")" = T48U

# At most portal.streams (2) at once; the rest of the API still answers.
# (Two callers: a caller's own third stream would end its oldest instead.)
curl -s -N --max-time 10 -H "Authorization: Bearer $VIEWER" "$STREAM_URL" >"$WORK/stream.2" &
S2=$!
curl -s -N --max-time 10 -H "Authorization: Bearer $INSTALLER" "$STREAM_URL" >"$WORK/stream.3" &
S3=$!
sleep 0.5
: >"$WORK/body"
STATUS=$(curl -s --max-time 5 -o "$WORK/body" -D "$WORK/h4" -w '%{http_code}' -H "Authorization: Bearer $VIEWER" "$STREAM_URL")
BODY=$(cat "$WORK/body")
expect_status 503 "a third stream is refused"
expect_json .error.code too_many_streams
grep -qi '^retry-after:' "$WORK/h4" && ok || bad "retry-after on 503"
api GET /license
expect_status 200 "the API answers while streams run"
wait "$S2" "$S3"
api POST /staging/stream
expect_status 405
curl -s -o /dev/null -w '%{http_code}' "$STREAM_URL" >"$WORK/code"
expect_true test "$(cat "$WORK/code")" = 401

# A bad query is a plain 400 naming the field, and holds no place.
for q in "state=bogus" "limit=x"; do
    : >"$WORK/body"
    STATUS=$(curl -s --max-time 5 -o "$WORK/body" -D "$WORK/h5" -w '%{http_code}' -H "Authorization: Bearer $VIEWER" \
        "$STREAM_URL&$q")
    BODY=$(cat "$WORK/body")
    expect_status 400 "stream ?$q"
    expect_json ".error.fields | has(\"${q%%=*}\")" true "the 400 names ${q%%=*}"
    grep -qi '^content-type: application/json' "$WORK/h5" && ok || bad "a JSON error, not a stream: $(cat "$WORK/h5")"
done

# Streams that last (portal.stream_max=600): a server stopping ends them at
# once; dead clients and revoked tokens do not keep them.
stop_server
start_server -D portal.stream_max=600 -D portal.streams=2
STREAM_URL="http://127.0.0.1:$ADMIN_PORT/api/v1/staging/stream?site=site-a"

# A token revoked while its stream runs ends the stream at the next tick (2 s).
REVOKED=$(cli token create --role viewer --name stream-revoked)
curl -s -N --max-time 30 -H "Authorization: Bearer $REVOKED" "$STREAM_URL" >"$WORK/stream.revoked" &
SR=$!
sleep 0.5
cli token revoke stream-revoked >/dev/null
START=$(date +%s.%N)
wait "$SR"
RC=$?
ELAPSED=$(awk -v a="$START" -v b="$(date +%s.%N)" 'BEGIN{print b-a}')
echo "figure: stream end after its token was revoked: ${ELAPSED} s"
expect_true test "$RC" = 0   # ended by the server, not by --max-time
expect_true awk -v t="$ELAPSED" 'BEGIN{exit !(t < 4)}'
expect_true test "$(grep -c '^event: staging$' "$WORK/stream.revoked")" = 1

# Dead clients: a caller's streams killed mid-way, one after another, leave
# no place taken that its next stream needs (its third ends its oldest).
for i in 1 2 3; do
    curl -s -N --max-time 30 -H "Authorization: Bearer $VIEWER" "$STREAM_URL" >"$WORK/dead.$i" &
    DEAD=$!
    sleep 0.3
    kill -9 "$DEAD"
    wait "$DEAD" 2>/dev/null
done
: >"$WORK/body"
STATUS=$(curl -s -N --max-time 1 -o "$WORK/body" -w '%{http_code}' -H "Authorization: Bearer $VIEWER" "$STREAM_URL")
expect_true test "$STATUS" = 200
expect_true grep -q '^event: staging$' "$WORK/body"

curl -s -N --max-time 30 -H "Authorization: Bearer $VIEWER" "$STREAM_URL" >"$WORK/stream.4" &
S4=$!
sleep 0.5
START=$(date +%s.%N)
stop_server
wait "$S4"
ELAPSED=$(awk -v a="$START" -v b="$(date +%s.%N)" 'BEGIN{print b-a}')
echo "figure: server stop with a stream open: ${ELAPSED} s"
expect_true awk -v t="$ELAPSED" 'BEGIN{exit !(t < 5)}'
expect_true test "$(grep -c '^event: staging$' "$WORK/stream.4")" = 1

finish

#!/usr/bin/env bash
# A node on a PostgreSQL store (store.url) whose database stops: it goes on
# serving the phones it served, from memory (service/store_fallback.h), the
# same bytes for the same Digest credentials; a phone it cannot check is told
# to try later (503 with Retry-After), and so are wrong credentials (a 401
# for a phone it served would tell a sweep which ones); over TFTP a phone
# whose key it does not keep gets the stand-in, as the store would give one;
# /readyz stays 200 and says it serves from its cache. The database back, the
# next fetch reads it again: an edit made after is served. On a cluster this
# test starts itself (tests/pg/with_cluster.sh).
if [[ -z "${PROVISIONER_TEST_PG_URL:-}" ]]; then
    exec bash "$(dirname "$0")/../pg/with_cluster.sh" bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"

PG_URL="$PROVISIONER_TEST_PG_URL"
PG_PORT=$(sed -E 's#^.*@127\.0\.0\.1:([0-9]+)/.*$#\1#' <<<"$PG_URL")
PG_DIR=$(dirname "$PROVISIONER_TEST_PG_CTL")
UA="Yealink SIP-T46U 108.86.0.90 00:15:65:4a:a9:37"
FILE=0015654aa937.cfg

# No allowed network: loopback proves nothing, every secret needs the phone's
# own credentials.
start_server -D store.url="$PG_URL" -D provisioning.allow_networks=192.0.2.0/24
HTTPS_PORT=$(jq -r .https "$DATA/ports.json")
TFTP_PORT=$(jq -r .tftp "$DATA/ports.json")
golden_settings
add_phone yealink 00:15:65:4a:a9:37 Yealink T46U 10

# The phone's pair, made by the admin's preview of its config (as a first
# contact would make it).
api GET "/devices/0015654aa937/preview/$FILE"
expect_status 200 "preview of the phone's config"
api GET /devices/0015654aa937/credentials
PHONE_USER=$(jq -r '.user // empty' <<<"$BODY")
PHONE_PASS=$(jq -r '.password // empty' <<<"$BODY")
[[ -n "$PHONE_USER" && -n "$PHONE_PASS" ]] && ok || bad "the phone has no credentials"

# phone OUT URL [USER:PASSWORD [USER-AGENT]]: a Digest fetch into $WORK/OUT;
# STATUS, and the headers in $WORK/OUT.headers.
phone() {
    local out=$1 url=$2 creds=${3-$PHONE_USER:$PHONE_PASS} ua=${4-$UA}
    STATUS=$(curl -s -k --max-time 5 --digest -u "$creds" -A "$ua" -o "$WORK/$out" -D "$WORK/$out.headers" \
        -w '%{http_code}' "$url")
}
ops() {
    BODY=$(curl -s --max-time 5 -w '\n%{http_code}' "http://127.0.0.1:$ADMIN_PORT$1")
    STATUS=${BODY##*$'\n'}
    BODY=${BODY%$'\n'*}
}
metric() { ops /metrics; sed -n "s/^$1 //p" <<<"$BODY"; }
# tftp_get FILE OUT: tftp-hpa's get; its messages in TFTP_ERR.
tftp_get() { TFTP_ERR=$(timeout 10 tftp -m binary 127.0.0.1 "$TFTP_PORT" -c get "$1" "$WORK/$2" 2>&1); }

# The phone's first fetch records the firmware it reports, which moves the
# config generation (another firmware can mean another file), and a move
# empties the node's memory: let it happen (the event written, the move
# seen) before the fetches whose memory this test relies on.
phone warmup.https "https://127.0.0.1:$HTTPS_PORT/$FILE"
expect_status 200 "the phone's first fetch"
for _ in $(seq 1 50); do
    [[ -n $(psql "$PG_URL" -Atq -c "SELECT last_firmware FROM devices WHERE mac = '0015654aa937'") ]] && break
    sleep 0.1
done
[[ -n $(psql "$PG_URL" -Atq -c "SELECT last_firmware FROM devices WHERE mac = '0015654aa937'") ]] && ok ||
    bad "the first fetch's firmware was not recorded within 5 s"
sleep 1.5  # the generation is read again every second (a NOTIFY is sooner)

# Served from the store: over HTTPS plain, over HTTP sealed with the phone's
# key once a config carrying it went out (the first HTTP fetch).
phone golden.https "https://127.0.0.1:$HTTPS_PORT/$FILE"
expect_status 200 "HTTPS fetch with the phone's credentials"
grep -q "$PHONE_PASS" "$WORK/golden.https" && ok || bad "the HTTPS config does not carry the phone's pair"
phone first.http "http://127.0.0.1:$HTTP_PORT/$FILE"
expect_status 200 "first HTTP fetch"
phone golden.http "http://127.0.0.1:$HTTP_PORT/$FILE"
expect_status 200 "second HTTP fetch"
(($(stat -c %s "$WORK/golden.http") % 32768 == 0)) && ! grep -q "$PHONE_PASS" "$WORK/golden.http" && ok ||
    bad "the second HTTP fetch is not sealed"
# Over TFTP (no User-Agent: the vendor of a name several share is the
# store's make): sealed with the key the phone was given.
tftp_get "$FILE" golden.tftp
[[ -s "$WORK/golden.tftp" ]] && (($(stat -c %s "$WORK/golden.tftp") % 32768 == 0)) && ok ||
    bad "TFTP fetch with the store up: $TFTP_ERR"
ops /readyz
expect_status 200 "/readyz with the store up"
grep -q '^serving: store$' <<<"$BODY" && ok || bad "/readyz should say it serves from the store"

# The database stops.
"$PROVISIONER_TEST_PG_CTL" stop -m fast -w >/dev/null 2>&1 && ok || bad "the cluster did not stop"
before=$(metric provisioner_fetches_from_cache_total)
phone away.https "https://127.0.0.1:$HTTPS_PORT/$FILE"
expect_status 200 "HTTPS fetch with the store away"
cmp -s "$WORK/golden.https" "$WORK/away.https" && ok || bad "HTTPS with the store away: other bytes"
phone away.http "http://127.0.0.1:$HTTP_PORT/$FILE"
expect_status 200 "HTTP fetch with the store away"
cmp -s "$WORK/golden.http" "$WORK/away.http" && ok || bad "HTTP with the store away: other bytes (sealed alike?)"
tftp_get "$FILE" away.tftp
cmp -s "$WORK/golden.tftp" "$WORK/away.tftp" && ok || bad "TFTP with the store away: other bytes: $TFTP_ERR"
after=$(metric provisioner_fetches_from_cache_total)
[[ -n "$before" && -n "$after" ]] && ((after == before + 3)) && ok ||
    bad "provisioner_fetches_from_cache_total went from '$before' to '$after' (3 more expected)"

phone wrong "http://127.0.0.1:$HTTP_PORT/$FILE" "$PHONE_USER:not-the-password"
expect_status 503 "wrong credentials with the store away: try later, as for a phone not kept"
OTHER_UA="Yealink SIP-T46U 108.86.0.90 00:15:65:00:00:99"
phone unknown "http://127.0.0.1:$HTTP_PORT/001565000099.cfg" "someone:something" "$OTHER_UA"
expect_status 503 "a phone this node never served, with the store away"
grep -qi '^Retry-After: ' "$WORK/unknown.headers" && ok || bad "the 503 has no Retry-After"
tftp_get 001565000099.cfg unknown.tftp
[[ -s "$WORK/unknown.tftp" ]] && (($(stat -c %s "$WORK/unknown.tftp") == $(stat -c %s "$WORK/golden.tftp"))) &&
    ! cmp -s "$WORK/golden.tftp" "$WORK/unknown.tftp" && ok ||
    bad "TFTP for a phone never served: '$TFTP_ERR' (the stand-in, the size of a sealed file, expected)"

ops /readyz
expect_status 200 "/readyz with the store away (the node serves from its cache)"
grep -q '^store: unavailable: ' <<<"$BODY" && grep -q '^serving: cache$' <<<"$BODY" &&
    grep -q '^events_spooled: [0-9][0-9]*$' <<<"$BODY" && ok || bad "/readyz should say the store is away and the cache serves"

# The database back (on its port and socket folder, as with_cluster.sh
# started it): ready at once, and the store read again.
"$PROVISIONER_TEST_PG_CTL" start -w -t 30 -l "$PG_DIR/postgres.log" \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c synchronous_commit=off" \
    >/dev/null 2>&1 && ok || bad "the cluster did not start again"
for _ in $(seq 1 50); do
    ops /readyz
    grep -q '^serving: store$' <<<"$BODY" && break
    sleep 0.1
done
expect_status 200 "/readyz with the store back"
grep -q '^store: ok$' <<<"$BODY" && grep -q '^serving: store$' <<<"$BODY" && ok ||
    bad "/readyz should say the store serves again"

api PATCH /extensions/1002 '{"callerid_name":"Carol after the outage"}'
expect_status 200 "edit with the store back"
seen=""
for _ in $(seq 1 40); do
    phone back.https "https://127.0.0.1:$HTTPS_PORT/$FILE"
    if [[ $STATUS == 200 ]] && grep -q "Carol after the outage" "$WORK/back.https"; then seen=yes; break; fi
    sleep 0.05
done
[[ -n "$seen" ]] && ok || bad "the edit made with the store back was not served (2 s)"
phone unknown.back "http://127.0.0.1:$HTTP_PORT/001565000099.cfg" "someone:something" "$OTHER_UA"
expect_status 401 "a MAC the store does not know, with the store back: the ordinary challenge"

finish

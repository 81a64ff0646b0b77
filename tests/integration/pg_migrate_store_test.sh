#!/usr/bin/env bash
# provisioner migrate-store: a SQLite store with a bit of everything (the
# golden phones, fetches, audit, tokens) copied into a PostgreSQL database
# of a cluster this test starts itself (tests/pg/with_cluster.sh); every
# table's rows and checksum compared; the phone gets the same bytes from a
# server on the copy; a second copy into the now non-empty target refused,
# as are bad --from and --to.
if [[ -z "${PROVISIONER_TEST_PG_URL:-}" ]]; then
    exec bash "$(dirname "$0")/../pg/with_cluster.sh" bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"

PG_URL="$PROVISIONER_TEST_PG_URL"
YEALINK_UA="Yealink SIP-T46U 108.86.0.90 00:15:65:4a:a9:37"
fetch() {  # fetch OUT: the Yealink phone's config from the running server
    curl -s --max-time 5 -o "$1" -w '%{http_code}' -A "$YEALINK_UA" "http://127.0.0.1:$HTTP_PORT/0015654aa937.cfg"
}

start_server
golden_store
[[ $(fetch "$WORK/sqlite.cfg") == 200 ]] && ok || bad "fetch from the SQLite store"
store_fingerprint >/dev/null  # the fetch's event and device update written
stop_server

run migrate-store --from "sqlite:$WORK/store.db" --to "$PG_URL"
expect_rc 0 "migrate-store"
grep -q "copied: every table's rows and checksum match" <<<"$OUT" && ok || bad "no match line: $OUT $ERR"
for table in devices extensions buttons settings events audit api_tokens device_credentials licence_usage; do
    line=$(grep "^$table " <<<"$OUT")
    [[ "$line" == *" ok" ]] && ok || bad "table $table: '$line'"
done
events=$(awk '$1 == "events" {print $2}' <<<"$OUT")
((events >= 1)) && ok || bad "no events copied ($events)"

# A server on the copy: the same token works, the phone gets the same bytes.
SAVED_TOKEN=$TOKEN
use_fresh_store pg
start_server -D store.url="$PG_URL"
TOKEN=$SAVED_TOKEN
api GET /extensions/1001
expect_status 200 "the copied token and extension"
[[ $(fetch "$WORK/pg.cfg") == 200 ]] && ok || bad "fetch from the PostgreSQL copy"
cmp -s "$WORK/sqlite.cfg" "$WORK/pg.cfg" && ok || bad "the copy renders other bytes"
api POST /extensions '{"extension":"7001","callerid_name":"After the copy"}'
expect_status 201 "a new extension gets an id after the copied ones"
stop_server

run migrate-store --from "sqlite:$WORK/store.db" --to "$PG_URL"
[[ $RC -ne 0 ]] && ok || bad "a copy into a non-empty target succeeded"
grep -q "not empty" <<<"$ERR" && ok || bad "the refusal does not say the target is not empty: $ERR"
run migrate-store --from "$WORK/store.db" --to "$PG_URL"
expect_rc 2 "--from without sqlite:"
run migrate-store --from "sqlite:$WORK/nothing.db" --to "$PG_URL"
[[ $RC -ne 0 && "$ERR" == *"no SQLite store"* ]] && ok || bad "a missing source: rc $RC, $ERR"
run migrate-store --from "sqlite:$WORK/store.db" --to "mysql://x"
expect_rc 2 "--to not postgresql://"

finish

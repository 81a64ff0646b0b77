#!/usr/bin/env bash
# provisioner migrate-store: a SQLite store with a bit of everything (the
# golden phones, fetches, audit, tokens) copied into a PostgreSQL database
# of a cluster this test starts itself (tests/pg/with_cluster.sh); every
# table's rows and checksum compared; the phone gets the same bytes from a
# server on the copy; a second copy into the now non-empty target refused,
# as are bad --from and --to. --to-file (and its mode); a copy whose
# comparison differs rolled back; a crafted source column refused.
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
run migrate-store --from "sqlite:$WORK/store.db"
expect_rc 2 "neither --to nor --to-file"

# Another database of the cluster: PG_URL with its database name replaced.
new_database() {  # new_database NAME: prints the new database's URL
    psql -q -X -v ON_ERROR_STOP=1 "$PG_URL" -c "CREATE DATABASE $1" >/dev/null || return 1
    echo "${PG_URL%/*}/$1"
}
rows_in() {  # rows_in URL TABLE
    psql -q -X -t -A -v ON_ERROR_STOP=1 "$1" -c "SELECT count(*) FROM $2"
}

# --to-file: the URL (and a password in it) kept off the command line; a
# file its group or others may read is refused before it is read.
FILE_URL=$(new_database by_file) || bad "cannot create the database by_file"
echo "$FILE_URL" >"$WORK/target-url"
chmod 0644 "$WORK/target-url"
run migrate-store --from "sqlite:$WORK/store.db" --to-file "$WORK/target-url"
expect_rc 2 "a --to-file others may read"
[[ "$ERR" == *"--to-file $WORK/target-url is readable by others (mode 0644): chmod 600 it"* ]] && ok ||
    bad "the refusal does not name the file and its mode: $ERR"
chmod 0640 "$WORK/target-url"
run migrate-store --from "sqlite:$WORK/store.db" --to-file "$WORK/target-url"
[[ $RC == 2 && "$ERR" == *"readable by its group"* ]] && ok || bad "a --to-file its group may read: rc $RC, $ERR"
chmod 0600 "$WORK/target-url"
run migrate-store --from "sqlite:$WORK/store.db" --to-file "$WORK/target-url" --to "$FILE_URL"
expect_rc 2 "both --to and --to-file"
run migrate-store --from "sqlite:$WORK/store.db" --to-file "$WORK/target-url"
expect_rc 0 "migrate-store --to-file"
grep -q "copied: every table's rows and checksum match" <<<"$OUT" && ok || bad "--to-file: no match line: $OUT $ERR"
[[ $(rows_in "$FILE_URL" extensions) -ge 1 ]] && ok || bad "--to-file: nothing copied"
echo "mysql://x" >"$WORK/bad-url" && chmod 0600 "$WORK/bad-url"
run migrate-store --from "sqlite:$WORK/store.db" --to-file "$WORK/bad-url"
[[ $RC == 2 && "$ERR" == *"--to-file's line must be a postgresql:// URL"* && "$ERR" != *mysql* ]] && ok ||
    bad "a --to-file that is no postgresql:// URL: rc $RC, $ERR"

# The comparison is made inside the copy's transaction, before its COMMIT:
# a target that changes rows as they go in (a trigger) shows DIFFERS for
# that table, the copy is rolled back, and the target keeps no row.
TAMPER_URL=$(new_database tampered) || bad "cannot create the database tampered"
run migrate -D store.url="$TAMPER_URL" -D templates.dir="$TEMPLATES_DIR"
expect_rc 0 "migrate the target to be tampered with"
psql -q -X -v ON_ERROR_STOP=1 "$TAMPER_URL" >/dev/null <<'SQL' || bad "cannot add the tampering trigger"
CREATE FUNCTION tamper() RETURNS trigger AS $$
BEGIN NEW.callerid_name := NEW.callerid_name || ' (changed)'; RETURN NEW; END $$ LANGUAGE plpgsql;
CREATE TRIGGER tamper BEFORE INSERT ON extensions FOR EACH ROW EXECUTE FUNCTION tamper();
SQL
run migrate-store --from "sqlite:$WORK/store.db" --to "$TAMPER_URL"
expect_rc 1 "a copy that differs"
[[ $(grep "^extensions " <<<"$OUT") == *" DIFFERS" ]] && ok || bad "extensions not shown as DIFFERS: $OUT"
[[ $(grep "^devices " <<<"$OUT") == *" ok" ]] && ok || bad "devices not shown as ok: $OUT"
[[ "$ERR" == *"rolled back, nothing was stored"* ]] && ok || bad "the refusal does not say nothing was stored: $ERR"
for table in extensions devices events audit; do
    [[ $(rows_in "$TAMPER_URL" $table) == 0 ]] && ok || bad "$table kept rows of a copy that differed"
done

# A crafted source: a column our schema does not have, its name made to
# break out of a quoted identifier, is refused by name before any SQL.
cp "$WORK/store.db" "$WORK/crafted.db"
sqlite3 "$WORK/crafted.db" 'ALTER TABLE devices ADD COLUMN "a"") VALUES (1); --" TEXT'
CRAFTED_URL=$(new_database crafted) || bad "cannot create the database crafted"
run migrate-store --from "sqlite:$WORK/crafted.db" --to "$CRAFTED_URL"
expect_rc 1 "a source column our schema lacks"
want="table devices has a column this build's schema does not: \"a\"\") VALUES (1); --\""
[[ "$ERR" == *"$want"* ]] && ok || bad "the crafted column is not named: $ERR"
[[ $(rows_in "$CRAFTED_URL" extensions) == 0 ]] && ok || bad "a refused copy stored rows"

finish

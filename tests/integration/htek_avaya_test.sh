#!/usr/bin/env bash
# Htek UC9xx and Avaya J100 against the real binary. Each phone's boot
# sequence is replayed with its real User-Agent over HTTP (curl) and without
# one over TFTP (tftp-hpa), in the order the phone asks: Htek its model file
# cfg<code>.xml, cfg<mac> and cfg<mac>.xml, stopping at the first it gets (so
# the first two are 404: the phone's settings are all in the third); Avaya
# J100Supgrade.txt, which GETs 46xxsettings.txt, which GETs <mac>.txt. Every file is byte-compared with
# tests/data/golden/<vendor>/ (a phone with two lines and buttons; Avaya has
# one account), and the wipe config of a deleted device with
# tests/data/golden/<vendor>/removed/. cfg<mac>.xml is also Grandstream's
# name: over TFTP the device's make decides, else the MAC's prefix (001fc1, Htek's). Avaya's shared
# 46xxsettings.txt holds no secret; a value Avaya cannot write (a `"`) is
# refused, naming the setting. Then, in a fresh store with no allowed network,
# both phones come in by an inventory CSV, the shared file shows each time
# zone's DST in Avaya's words, and each phone gets its secrets only inside a
# staging window.
#
# UPDATE_GOLDEN=1 rewrites the golden files; review the diff.
source "$(dirname "$0")/lib.sh"
GOLDEN="${SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/data/golden"
for tool in curl jq xmllint cmp tftp timeout; do
    command -v "$tool" >/dev/null || { echo "htek_avaya_test needs $tool" >&2; exit 1; }
done

HTEK_MAC=00:1f:c1:1c:22:a9
HTEK=001fc11c22a9
HTEK_UA="Htek UC926 2.0.4.6.41 00:1f:c1:1c:22:a9"
AVAYA_MAC=c8:1f:ea:83:e8:5a
AVAYA=c81fea83e85a
AVAYA_UA="Mozilla/4.0 (compatible; MSIE 6.0) AVAYA/J179-4.1.3.0.6 (MAC:c81fea83e85a)"
GOLDEN_MACS="$GOLDEN_MACS $HTEK $AVAYA"
declare -A SECRET=()

start_server
TFTP_PORT=$(jq -r .tftp "$DATA/ports.json")

# fetch UA FILE: GET from the phone port; STATUS, body in $WORK/got.
fetch() {
    : >"$WORK/got"
    STATUS=$(curl -s --max-time 10 -o "$WORK/got" -w '%{http_code}' -A "$1" "http://127.0.0.1:$HTTP_PORT/$2")
    BODY=$(head -c 300 "$WORK/got" | tr -d '\0')
}
# tftp_fetch FILE: the same file over TFTP (no User-Agent); 0 when served.
tftp_fetch() {
    rm -f "$WORK/got"
    timeout 20 tftp -m binary 127.0.0.1 "$TFTP_PORT" -c get "$1" "$WORK/got" >/dev/null 2>&1 && [[ -s "$WORK/got" ]]
}
has() { if grep -qF -- "$2" "$WORK/got"; then ok; else bad "$1: lacks '$2'"; fi; }
lacks() { if ! grep -qF -- "$2" "$WORK/got"; then ok; else bad "$1: has '$2'"; fi; }
# golden WANT: $WORK/got (provisioning credentials normalized) is WANT byte for byte.
golden() {
    normalize_creds "$WORK/got"
    local want="$GOLDEN/$1"
    if [[ -n "${UPDATE_GOLDEN:-}" ]]; then mkdir -p "$(dirname "$want")"; cp "$WORK/got" "$want"; fi
    if cmp -s "$WORK/got" "$want"; then ok; else bad "$1 differs"; diff "$want" "$WORK/got" | head -20 >&2; fi
}

golden_settings
# Htek UC926: two lines, a line, BLF, speed dial and park key (lib.sh, as the other families).
add_phone htek "$HTEK_MAC" Htek UC926 80
# Avaya J179: its one account (a second is refused: the J100 registers one line in
# third-party call control), a line, BLF, speed dial and DND key. Park has no key
# name on the J100 (vendor-templates/README.md, "Avaya"): such a button is stored
# and left out of the file.
api POST /extensions "{\"extension\":\"9001\",\"callerid_name\":\"Ann O'Neil; Sales\",\"mac\":\"$AVAYA_MAC\",
    \"phone_make\":\"Avaya\",\"phone_model\":\"J179\",\"secret\":\"Secret9001\"}"
expect_status 201 "avaya line"
api POST /extensions "{\"extension\":\"9002\",\"callerid_name\":\"Second\",\"device_type\":\"SIP-VIRTUAL\",
    \"mac\":\"$AVAYA_MAC\",\"secret\":\"Secret9002\"}"
expect_status 400 "a J179 has one line"
api PUT /extensions/9001/buttons '[{"index":1,"type":"line","line":1},
    {"index":2,"type":"blf","value":"8001","label":"Desk & Co","line":1},
    {"index":3,"type":"speed_dial","value":"*97","label":"Voicemail","line":1},
    {"index":4,"type":"dnd","label":"DND","line":1},
    {"index":5,"type":"park","value":"701","label":"Park 1","line":1}]'
expect_status 200 "avaya buttons"

# No reference addresses a JEM24 key (vendor-templates/README.md, "Avaya J100"): the
# module is refused rather than its buttons taken and left out of the file.
api PATCH "/devices/$AVAYA_MAC" '{"expansion_model":"JEM24","expansion_count":1}'
expect_status 400 "avaya: a JEM24 is not supported"
expect_json '.error.fields | has("expansion_model")' true

# Htek boot, with the UC926's User-Agent: the model file (UC926: 0010) and the
# binary cfg<mac> are not served, or the phone would stop there.
fetch "$HTEK_UA" cfg0010.xml
expect_status 404 "htek cfg0010.xml (UC926) is not served"
fetch "$HTEK_UA" "cfg$HTEK"
expect_status 404 "htek cfg$HTEK (binary) is not served"
fetch "$HTEK_UA" "cfg$HTEK.xml"
expect_status 200 "htek cfg$HTEK.xml"
has "htek" "<P34>Secret8001</P34>"
has "htek" "<P734>Secret8002</P734>"
xmllint --noout "$WORK/got" 2>/dev/null && ok || bad "htek: not well-formed XML"
golden "htek/cfg$HTEK.xml"

# Htek with two UC46 modules (40 keys each, vendor.json key_params): keys 37-76
# are module 1's, 77-116 module 2's, each at its own P-value (P60000+1000(M-1)+5(J-1)).
api PATCH "/devices/$HTEK_MAC" '{"expansion_model":"UC46","expansion_count":7}'
expect_status 400 "htek: seven UC46 (six at most)"
expect_json '.error.fields | has("expansion_count")' true
api PATCH "/devices/$HTEK_MAC" '{"expansion_model":"uc46","expansion_count":2}'
expect_status 200 "htek: two UC46"
expect_json .expansion_model UC46 "htek: the module as the catalog spells it"
api PUT /extensions/8001/buttons '[{"index":1,"type":"line","line":1},
    {"index":2,"type":"blf","value":"8002","label":"Bob & Co","line":1},
    {"index":3,"type":"speed_dial","value":"*97","label":"Voicemail","line":1},
    {"index":4,"type":"park","value":"701","label":"Park 1","line":2},
    {"index":37,"type":"blf","value":"2001","label":"Eve","line":1},
    {"index":57,"type":"speed_dial","value":"5551234","label":"Pizza","line":2},
    {"index":116,"type":"blf","value":"2002","label":"Last <key>","line":1},
    {"index":117,"type":"blf","value":"2003","label":"Past","line":1}]'
expect_status 400 "htek: key 117 is past two modules"
expect_json '.error.fields | keys | join(",")' 'buttons[7].index'
api PUT /extensions/8001/buttons '[{"index":1,"type":"line","line":1},
    {"index":2,"type":"blf","value":"8002","label":"Bob & Co","line":1},
    {"index":3,"type":"speed_dial","value":"*97","label":"Voicemail","line":1},
    {"index":4,"type":"park","value":"701","label":"Park 1","line":2},
    {"index":37,"type":"blf","value":"2001","label":"Eve","line":1},
    {"index":57,"type":"speed_dial","value":"5551234","label":"Pizza","line":2},
    {"index":116,"type":"blf","value":"2002","label":"Last <key>","line":1}]'
expect_status 200 "htek: buttons on both modules"
fetch "$HTEK_UA" "cfg$HTEK.xml"
expect_status 200 "htek with modules"
# Module 1 key 1 (a BLF), key 21 (page 2 key 1, P60100: a speed dial on line 2),
# module 2 key 40 (P61195..), and an unused key blanked with account 0.
for p in "<P60000>3</P60000>" "<P60001>2001</P60001>" "<P60002>Eve</P60002>" "<P60003>1</P60003>" \
         "<P60100>2</P60100>" "<P60101>5551234</P60101>" "<P60103>2</P60103>" \
         "<P61195>3</P61195>" "<P61197>Last &lt;key&gt;</P61197>" "<P60005>0</P60005>" "<P60008>0</P60008>"; do
    has "htek modules" "$p"
done
lacks "htek modules: a third module" "<P62000>"
xmllint --noout "$WORK/got" 2>/dev/null && ok || bad "htek with modules: not well-formed XML"
golden "htek/expansion/cfg$HTEK.xml"
# A UC912G takes no module.
api POST /devices '{"mac":"00:1f:c1:00:00:12","make":"Htek","model":"UC912G","expansion_model":"UC46","expansion_count":1}'
expect_status 400 "htek: a UC912G takes no UC46"
expect_json '.error.fields | has("expansion_model")' true
# Back to the golden phone without modules (the removal below compares it).
api PUT /extensions/8001/buttons '[{"index":1,"type":"line","line":1},
    {"index":2,"type":"blf","value":"8002","label":"Bob & Co","line":1},
    {"index":3,"type":"speed_dial","value":"*97","label":"Voicemail","line":1},
    {"index":4,"type":"park","value":"701","label":"Park 1","line":2}]'
expect_status 200
api PATCH "/devices/$HTEK_MAC" '{"expansion_count":0}'
expect_status 200 "htek: the modules taken off"
fetch "$HTEK_UA" "cfg$HTEK.xml"
golden "htek/cfg$HTEK.xml"

# Avaya boot: each file names the next, and the shared files carry no secret.
fetch "$AVAYA_UA" J100Supgrade.txt
expect_status 200 "avaya J100Supgrade.txt"
has "J100Supgrade.txt" "GET 46xxsettings.txt"
golden avaya/J100Supgrade.txt
fetch "$AVAYA_UA" 46xxsettings.txt
expect_status 200 "avaya 46xxsettings.txt"
has "46xxsettings.txt" 'GET $MACADDR.txt'
[[ $(tail -n 1 "$WORK/got") == 'GET $MACADDR.txt' ]] && ok || bad "46xxsettings.txt: the GET is not its last line (the phone reads no line after it)"
for secret in Secret9001 Adm1nPw FORCE_SIP_PASSWORD FORCE_WEB_ADMIN_PASSWORD 9001; do lacks "46xxsettings.txt" "$secret"; done
golden avaya/46xxsettings.txt
fetch "$AVAYA_UA" "$AVAYA.txt"
expect_status 200 "avaya $AVAYA.txt"
has "avaya" 'SET FORCE_SIP_PASSWORD "Secret9001"'
has "avaya" 'SET PHONEKEY "Key=2;Type=feature;Name=blf;attr1=8001;attr2=8001;Label=Desk & Co;Forced"'
lacks "avaya park" "Park 1"
golden "avaya/$AVAYA.txt"

# The same sequences over TFTP, which carries no User-Agent: the file names
# and the MAC decide. cfg<mac>.xml is Htek's by the device's make (its prefix is Htek's too), not Grandstream's.
tftp_fetch cfg0010.xml && bad "tftp cfg0010.xml is served" || ok
tftp_fetch "cfg$HTEK" && bad "tftp cfg$HTEK is served" || ok
tftp_fetch "cfg$HTEK.xml" && ok || bad "tftp cfg$HTEK.xml"
golden "htek/cfg$HTEK.xml"
for f in J100Supgrade.txt 46xxsettings.txt "$AVAYA.txt"; do
    tftp_fetch "$f" && ok || bad "tftp $f"
    golden "avaya/$f"
done

# A `"` cannot be written in an Avaya value: the write is refused naming the
# field and never its value, and the phone keeps getting its file.
api PATCH /extensions/9001 '{"callerid_name":"Ann \"the boss\""}'
expect_status 400 "a caller ID name with a double quote, for an Avaya"
grep -qF '"callerid_name"' <<<"$BODY" && ok || bad "the refusal names callerid_name: $BODY"
grep -qF 'double quote' <<<"$BODY" && ok || bad "the refusal says why: $BODY"
grep -qF 'the boss' <<<"$BODY" && bad "the refusal shows the value" || ok
fetch "$AVAYA_UA" "$AVAYA.txt"
expect_status 200 "the phone still gets its file"
lacks "avaya after a refused write" "the boss"
api PATCH /extensions/9001 '{"callerid_name":"Ann O'"'"'Neil; Sales"}'
expect_status 200
# A `;` is a PHONEKEY field separator: refused in a key's label, kept in a name.
api PUT /extensions/9001/buttons '[{"index":2,"type":"blf","value":"8001","label":"A;Type=application","line":1}]'
expect_status 400 "a key label with a semicolon"
grep -qF '"buttons[0].label"' <<<"$BODY" && ok || bad "the refusal names buttons[0].label: $BODY"
api PUT /extensions/9001/buttons '[{"index":1,"type":"line","line":1}]'
expect_status 200
fetch "$AVAYA_UA" "$AVAYA.txt"
expect_status 200 "avaya after the fix"
has "avaya" 'SET DISPLAY_NAME "Ann O'"'"'Neil; Sales"'

# Deleted: the wipe config, every account and key slot blank.
for phone in "htek|$HTEK_MAC|$HTEK_UA|cfg$HTEK.xml" "avaya|$AVAYA_MAC|$AVAYA_UA|$AVAYA.txt"; do
    IFS='|' read -r vendor mac ua file <<<"$phone"
    api DELETE "/devices/$mac?force=true"
    expect_status 204 "$vendor: device deleted"
    fetch "$ua" "$file"
    expect_status 200 "$vendor: the wipe"
    lacks "$vendor wipe" "Secret"
    lacks "$vendor wipe" "ca.pem"
    golden "$vendor/removed/$file"
done

# No allowed network: the secrets go out inside a staging window only.
stop_server
use_fresh_store staging
start_server -D provisioning.allow_networks=
# The phones come in by the inventory CSV, as an admin's spreadsheet brings them.
cat >"$WORK/inventory.csv" <<CSV
mac,make,model,serial,label,extension,device_type,callerid_name,user,voicemail_enabled,voicemail_pin,voicemail_email,did,phone_reg,buttons
$HTEK,Htek,UC926,,Desk 1,8001,SIP,Htek one,,false,,,,1,1:line|2:blf:8002:Bob|3:speed_dial:*97:Voicemail|4:park:701::2
$HTEK,Htek,UC926,,Desk 1,8002,SIP-VIRTUAL,Htek two,,false,,,,2,
$AVAYA,Avaya,J179,,Desk 2,9001,SIP,Ann,,false,,,,1,1:line|2:blf:8001:Htek|3:dnd::DND
CSV
: >"$WORK/body"
STATUS=$(curl -s --max-time 20 -o "$WORK/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: text/csv' --data-binary "@$WORK/inventory.csv" "http://127.0.0.1:$ADMIN_PORT/api/v1/imports")
BODY=$(cat "$WORK/body")
expect_status 200 "the inventory imports"
expect_json .extensions.created 3
for ext in 8001 8002 9001; do
    api GET "/extensions/$ext"
    SECRET[$ext]=$(jq -r .secret <<<"$BODY")
done
# What each make cannot express is a 400 naming the field; what it can is taken.
for case in "$HTEK_MAC|dtmf_mode|\"auto\"|400" "$HTEK_MAC|srtp|\"required\"|400" "$HTEK_MAC|codecs|\"iLBC\"|400" \
            "$HTEK_MAC|language|\"fr\"|400" "$HTEK_MAC|tone_country|\"FR\"|200" "$HTEK_MAC|codecs|\"opus,PCMA\"|200" \
            "$AVAYA_MAC|outbound_proxy|\"proxy.example.net\"|400" "$AVAYA_MAC|dtmf_mode|\"info\"|400" \
            "$AVAYA_MAC|tone_country|\"FR\"|400" "$AVAYA_MAC|codecs|\"G722,PCMU\"|200" \
            "$AVAYA_MAC|backup_sip_server|\"pbx2.example.net\"|200"; do
    IFS='|' read -r mac key value want <<<"$case"
    api PUT "/devices/$mac/settings" "{\"$key\":$value}"
    expect_status "$want" "$mac $key $value"
    if [[ $want == 400 ]]; then expect_json ".error.fields | has(\"$key\")" true "$mac $key: the field is named"; fi
done
fetch "$HTEK_UA" "cfg$HTEK.xml"
expect_status 401 "htek outside a window"
fetch "$AVAYA_UA" "$AVAYA.txt"
expect_status 401 "avaya outside a window"
fetch "$AVAYA_UA" 46xxsettings.txt
expect_status 200 "the shared settings file needs no proof"

# Time zones with DST, in the words Avaya writes them: offset, then the rule
# (week or L for the last, day, month, hour; the end in local summer time).
for tz in "Europe/Paris|+1:00|2|LSunMar2L|LSunOct3L" "Australia/Sydney|+10:00|2|1SunOct2L|1SunApr3L" \
          "Asia/Kolkata|+5:30|0||" "America/Phoenix|-7:00|0||"; do
    IFS='|' read -r zone offset mode start stop <<<"$tz"
    api PUT /settings "{\"timezone\":\"$zone\"}"
    expect_status 200 "timezone $zone"
    fetch "$AVAYA_UA" 46xxsettings.txt
    has "avaya $zone" "SET GMTOFFSET \"$offset\""
    has "avaya $zone" "SET DAYLIGHT_SAVING_SETTING_MODE \"$mode\""
    if [[ -n "$start" ]]; then
        has "avaya $zone" "SET DSTSTART \"$start\""
        has "avaya $zone" "SET DSTSTOP \"$stop\""
    else
        lacks "avaya $zone" "DSTSTART"
    fi
done
api PUT /settings '{"timezone":"Europe/Paris"}'
expect_status 200
api POST /staging/windows "{\"macs\":[\"$HTEK_MAC\",\"$AVAYA_MAC\"],\"minutes\":10}"
expect_status 201 "a window for both"
fetch "$HTEK_UA" "cfg$HTEK.xml"
expect_status 200 "htek inside the window"
has "htek in window" "<P34>${SECRET[8001]}</P34>"
has "htek in window" "<P734>${SECRET[8002]}</P734>"
# Paris: zone code 49 (+1), DST on, last Sunday of March at 2 to the last of October at 3.
for p in "<P64>49</P64>" "<P75>1</P75>" "<P23118>3</P23118>" "<P23119>5</P23119>" "<P23120>0</P23120>" \
         "<P23121>2</P23121>" "<P23122>10</P23122>" "<P23125>3</P23125>" "<P20076>3</P20076>" "<P20079>10</P20079>"; do
    has "htek Paris" "$p"
done
fetch "$AVAYA_UA" "$AVAYA.txt"
expect_status 200 "avaya inside the window"
has "avaya in window" "SET FORCE_SIP_PASSWORD \"${SECRET[9001]}\""
has "avaya in window" 'SET PHONEKEY "Key=3;Type=feature;Name=dnd;Label=DND;Forced"'
# The device's own settings reach its own file (the shared one cannot know them).
has "avaya in window" 'SET CODEC_PRIORITY "G722,G711U"'
# No SIP server set here: the backup alone, never a controller with no host.
has "avaya in window" 'SET SIP_CONTROLLER_LIST "pbx2.example.net:5060;transport=udp"'
lacks "avaya in window" 'SET SIP_USER_ACCOUNT "9001@"'
for pair in "$HTEK|cfg$HTEK.xml" "$AVAYA|$AVAYA.txt"; do
    IFS='|' read -r mac file <<<"$pair"
    q="any(.items[]; .path == \"$file\" and .outcome == \"served\" and .auth == \"staging_window\")"
    got=false
    for _ in $(seq 1 50); do
        api GET "/events?mac=$mac&limit=100"
        got=$(jq -r "$q" <<<"$BODY" 2>/dev/null)
        [[ $got == true ]] && break
        sleep 0.1
    done
    [[ $got == true ]] && ok || bad "$file: no served event with auth staging_window"
done

finish

#!/usr/bin/env bash
# Keys by model (vendor-templates/README.md, "Keys by model"): a button past
# a phone's keys is a 400 naming it, and so is a device change that would
# leave stored buttons past them; a device with an expansion module gets its
# module's keys, every one named, the unused ones blanked. For each family
# with a module, the golden phone gets one module and a BLF and a speed dial
# on it (byte-compared with tests/data/golden/<vendor>/expansion/). A
# Grandstream GRP2614's keys 7-40 land on their own P-values (vendor.json
# key_ranges), and its MPKs take no line.
#
# UPDATE_GOLDEN=1 rewrites the expansion/ golden files; review the diff.
source "$(dirname "$0")/lib.sh"
GOLDEN="${SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/data/golden"
for tool in curl jq xmllint cmp sqlite3; do
    command -v "$tool" >/dev/null || { echo "expansion_test needs $tool" >&2; exit 1; }
done

start_server

fetch() {
    local ua=$1 file=$2; shift 2
    rm -f "$WORK/got"
    touch "$WORK/got"
    STATUS=$(curl -s --max-time 10 -o "$WORK/got" -w '%{http_code}' -A "$ua" "$@" "http://127.0.0.1:$HTTP_PORT/$file")
    BODY=$(head -c 300 "$WORK/got" | tr -d '\0')
}
has() { if grep -qF -- "$2" "$WORK/got"; then ok; else bad "$1: lacks '$2'"; fi; }

# vendor, MAC, User-Agent, config file, extensions' base, the model's keys,
# the module, and how a module key (module 1) reads: used (printf: key) and blank.
PHONES=(
    "yealink|0015654aa937|Yealink SIP-T46U 108.86.0.90 00:15:65:4a:a9:37|0015654aa937.cfg|10|27|EXP43|expansion_module.1.key.%d.type = 16|expansion_module.1.key.%d.type = 0"
    "polycom|0004f2aabb01|FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 Type/Application|0004f2aabb01-settings.cfg|20|12|VVX_EM| attendant.resourceList.%d.type=\"normal\"| attendant.resourceList.%d.address=\"\""
    "cisco|00562b043615|Cisco-CP-8841-3PCC/12.0.1 (00562b043615)|00562b043615.xml|30|10|CP-8800-KEM|<Unit_1_Key_%d_>fnc=sd+blf+cp;|<Unit_1_Key_%d_></Unit_1_Key_"
    "snom|000413922d24|Mozilla/4.0 (compatible; snomD785-SIP 10.1.33.33 2010.12-00004-g9ba52f5 000413922D24 SXM:0 UXM:0)|snomD785-000413922D24.htm|50|24|D7|<fkey idx=\"%d\" context=\"1\" label=\"Eve\" perm=\"R\">blf|<fkey idx=\"%d\" context=\"active\" label=\"\" perm=\"R\">none</fkey>"
)

golden_store

# buttons BASE EXTRA: the golden phone's four buttons and EXTRA (JSON objects).
buttons() {
    echo "[{\"index\":1,\"type\":\"line\",\"line\":1},
        {\"index\":2,\"type\":\"blf\",\"value\":\"${1}02\",\"label\":\"Bob & Co\",\"line\":1},
        {\"index\":3,\"type\":\"speed_dial\",\"value\":\"*97\",\"label\":\"Voicemail\",\"line\":1},
        {\"index\":4,\"type\":\"park\",\"value\":\"701\",\"label\":\"Park 1\",\"line\":2}$2]"
}

for phone in "${PHONES[@]}"; do
    IFS='|' read -r vendor mac ua file base keys module used blank <<<"$phone"
    on_module=",{\"index\":$((keys + 1)),\"type\":\"blf\",\"value\":\"2001\",\"label\":\"Eve\",\"line\":1},
        {\"index\":$((keys + 3)),\"type\":\"speed_dial\",\"value\":\"5551234\",\"label\":\"Pizza\",\"line\":1}"

    # Without a module, key keys+1 is past the phone's keys: a 400 naming the button, nothing stored.
    before=$(store_fingerprint)
    api PUT "/extensions/${base}01/buttons" "$(buttons "$base" "$on_module")"
    expect_status 400 "$vendor: a button past the $keys keys"
    expect_json '.error.fields | keys | join(",")' 'buttons[4].index,buttons[5].index' "$vendor: the refusal names both buttons"
    expect_json '.error.fields["buttons[4].index"] | startswith("must be 1 to '"$keys"': ")' true
    [[ "$(store_fingerprint)" == "$before" ]] && ok || bad "$vendor: a refused PUT stored something"

    # A module the model does not take, and more than the module's max.
    api PATCH "/devices/$mac" '{"expansion_model":"NO-SUCH-EM","expansion_count":1}'
    expect_status 400 "$vendor: an unknown module"
    expect_json '.error.fields.expansion_model | startswith("must be one of ")' true
    api PATCH "/devices/$mac" "{\"expansion_model\":\"$module\",\"expansion_count\":99}"
    expect_status 400 "$vendor: 99 modules"
    expect_json '.error.fields | has("expansion_count")' true

    # One module: its keys are the phone's keys+1 on.
    api PATCH "/devices/$mac" "{\"expansion_model\":\"$(tr '[:upper:]' '[:lower:]' <<<"$module")\",\"expansion_count\":1}"
    expect_status 200 "$vendor: one $module"
    expect_json .expansion_model "$module" "$vendor: the module as the catalog spells it"
    expect_json .expansion_count 1
    api PUT "/extensions/${base}01/buttons" "$(buttons "$base" "$on_module")"
    expect_status 200 "$vendor: buttons on the module"

    # The module can no longer go: the two buttons would be past the keys.
    before=$(store_fingerprint)
    api PATCH "/devices/$mac" '{"expansion_count":0}'
    expect_status 400 "$vendor: taking the module off strands two buttons"
    expect_json '.error.fields.expansion_count | contains("key '"$((keys + 1))"'") and contains("key '"$((keys + 3))"'")' true
    [[ "$(store_fingerprint)" == "$before" ]] && ok || bad "$vendor: a refused PATCH stored something"

    fetch "$ua" "$file"
    expect_status 200 "$vendor: fetched with a module"
    # Module key 1 used, key 2 blank (Polycom and Snom continue the phone's numbering).
    case $vendor in
        yealink|cisco) k1=1; k2=2 ;;
        polycom) k1=$((keys + 1)); k2=$((keys + 2)) ;;
        snom) k1=$keys; k2=$((keys + 1)) ;;  # idx is 0-based
    esac
    # shellcheck disable=SC2059
    has "$vendor module key 1" "$(printf "$used" "$k1")"
    # shellcheck disable=SC2059
    has "$vendor module key 2 blank" "$(printf "$blank" "$k2")"
    if [[ "$vendor" != yealink ]]; then
        xmllint --noout "$WORK/got" 2>/dev/null && ok || bad "$vendor: not well-formed XML"
    fi
    normalize_creds "$WORK/got"
    want="$GOLDEN/$vendor/expansion/$file"
    if [[ -n "${UPDATE_GOLDEN:-}" ]]; then mkdir -p "$(dirname "$want")"; cp "$WORK/got" "$want"; fi
    if cmp -s "$WORK/got" "$want"; then ok; else bad "$vendor/expansion/$file differs"; diff "$want" "$WORK/got" | head -20 >&2; fi
done

# A model with fewer keys is refused while the buttons are on the module.
api PATCH /devices/00:15:65:4a:a9:37 '{"model":"T31","expansion_model":"","expansion_count":0}'
expect_status 400 "a smaller model strands the buttons"
expect_json '.error.fields.model | contains("extension 1001")' true

# Families without a module in the references take none.
api PATCH /devices/00:0b:82:8a:a8:72 '{"expansion_model":"GXP2200EXT","expansion_count":1}'
expect_status 400 "Grandstream lists no module"
expect_json '.error.fields.expansion_model' "a Grandstream GXP2135 takes no expansion module"

# The inventory CSV: a bad module names the row and the column, nothing stored.
import_csv() {
    printf '%s\n' "$@" >"$WORK/import.csv"
    : >"$WORK/body"
    STATUS=$(curl -s --max-time 20 -o "$WORK/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: text/csv' --data-binary "@$WORK/import.csv" "http://127.0.0.1:$ADMIN_PORT/api/v1/imports")
    BODY=$(cat "$WORK/body")
}
before=$(store_fingerprint)
import_csv 'mac,make,model,expansion_model,expansion_count' '00:15:65:00:00:01,Yealink,T46U,EXP43,1' \
    '00:15:65:00:00:02,Yealink,T46U,EXP50,1'
expect_status 400 "a module the T46U does not take"
expect_json '.error.problems | map("\(.line):\(.column)") | join(",")' '3:expansion_model'
import_csv 'mac,extension,buttons' '00:15:65:4a:a9:37,1001,1:line|90:blf:2001'
expect_status 400 "a button past the T46U's keys and one EXP43"
expect_json '.error.problems | map("\(.line):\(.column)") | join(",")' '2:buttons'
[[ "$(store_fingerprint)" == "$before" ]] && ok || bad "a refused import stored something"
import_csv 'mac,make,model,expansion_model,expansion_count' '00:15:65:00:00:01,Yealink,T46U,exp43,2'
expect_status 200 "two EXP43 on a new T46U"
api GET /devices/00:15:65:00:00:01
expect_json '"\(.expansion_model) \(.expansion_count)"' "EXP43 2"


# A line on a Cisco KEM key (its keys take BLF, speed dial and park only) is
# refused on every path, not only PUT buttons: an extension on no phone may
# hold one, and binding it to the 8841 with its module is a 400 naming mac.
api POST /extensions '{"extension":"3901","callerid_name":"Kem line"}'
expect_status 201
api PUT /extensions/3901/buttons '[{"index":11,"type":"line","line":1}]'
expect_status 200 "no phone, no limit"
before=$(store_fingerprint)
api PATCH /extensions/3901 '{"mac":"00:56:2b:04:36:15","phone_reg":3}'
expect_status 400 "a line button bound onto a KEM key"
expect_json '.error.fields.mac | contains("takes no line")' true
[[ "$(store_fingerprint)" == "$before" ]] && ok || bad "a refused bind stored something"

# Changing a phone's model through its extension checks its modules: the
# T46U's EXP43 is no module a T46S takes.
api PATCH /extensions/1001 '{"phone_model":"T46S"}'
expect_status 400 "a model change that leaves a module the model does not take"
expect_json '.error.fields.phone_model | contains("expansion modules")' true

# Grandstream GRP2614: 16 VPK then 24 MPK (MPK M = key 16+M), each range at
# its own P-values (vendor.json key_ranges; F grp26xx:7900-7924 VPK 7+,
# :8088-8159 MPKs). A BLF on key 7 and on key 20 (MPK 4) lands there, and
# never on the keys-1-6 formula's continuation (P1376 auto-attended
# transfer, P1382 keypad lock, P1485 off-hook timeout).
GRP_UA="Grandstream Model HW GRP2614 SW 1.0.5.15 DevId 000b828aa874"
# pval P WANT: the text of <P> in $WORK/got; pnone P: no <P> at all.
pval() {
    local got
    got=$(xmllint --xpath "string(/gs_provision/config/$1)" "$WORK/got" 2>/dev/null)
    if [[ "$got" == "$2" ]]; then ok; else bad "GRP2614 $1 is '$got', expected '$2'"; fi
}
pnone() {
    [[ $(xmllint --xpath "count(//$1)" "$WORK/got" 2>/dev/null) == 0 ]] && ok || bad "GRP2614 writes $1"
}
api POST /extensions '{"extension":"4801","callerid_name":"Grp one","mac":"00:0b:82:8a:a8:74",
    "phone_make":"Grandstream","phone_model":"GRP2614","secret":"Secret4801"}'
expect_status 201 "a GRP2614"
api POST /extensions '{"extension":"4802","callerid_name":"Grp two","mac":"00:0b:82:8a:a8:74","secret":"Secret4802"}'
expect_status 201 "its second line"
api PUT /extensions/4801/buttons '[{"index":1,"type":"line","line":1},
    {"index":7,"type":"blf","value":"2001","label":"Eve","line":1},
    {"index":20,"type":"blf","value":"2002","label":"Ann","line":2}]'
expect_status 200 "a BLF on VPK 7 and on MPK 4 (key 20)"
fetch "$GRP_UA" cfg000b828aa874.xml
expect_status 200 "GRP2614 config"
xmllint --noout "$WORK/got" 2>/dev/null && ok || bad "GRP2614: not well-formed XML"
# Key 7: P23800 mode (BLF 1), P23801 account (0-based), P23802 label, P23803 value.
pval P23800 1; pval P23801 0; pval P23802 Eve; pval P23803 2001
# Key 20 = MPK 4: P326 mode, P310 account (line 2: 1), P311 label, P312 value.
pval P326 1; pval P310 1; pval P311 Ann; pval P312 2002
pnone P1376; pnone P1382; pnone P1485
# Every slot written: unused fixed VPK 2-4 (the model's 4 lines) are the
# phone's default line keys (31, account K-1); VPK 5 and 8, MPK 24 (key 40) are none.
pval P1365 31; pval P1366 1; pval P1369 31; pval P1370 3
pval P1371 -1; pval P1372 0; pval P1473 ""
pval P23804 -1; pval P23805 0
pval P1460 -1; pval P1461 0; pval P1462 ""; pval P1463 ""
# Removing the MPK's button resets it on the next fetch.
api PUT /extensions/4801/buttons '[{"index":1,"type":"line","line":1},
    {"index":7,"type":"blf","value":"2001","label":"Eve","line":1}]'
expect_status 200
fetch "$GRP_UA" cfg000b828aa874.xml
pval P326 -1; pval P310 0; pval P311 ""; pval P312 ""
# Key 41 is past the 40 keys; a line on key 20 is refused, naming the button and the key.
before=$(store_fingerprint)
api PUT /extensions/4801/buttons '[{"index":1,"type":"line","line":1},{"index":41,"type":"blf","value":"2003","line":1}]'
expect_status 400 "GRP2614 key 41"
expect_json '.error.fields["buttons[1].index"]' "must be 1 to 40: the phone has 40 keys (a Grandstream GRP2614)"
api PUT /extensions/4801/buttons '[{"index":1,"type":"line","line":1},{"index":20,"type":"line","line":2}]'
expect_status 400 "a line on GRP2614 MPK 4"
expect_json '.error.fields["buttons[1].index"]' \
    "is key 20, one of the MPKs of a Grandstream GRP2614 (keys 17 to 40), which take no line: keys 1 to 16 do"
[[ "$(store_fingerprint)" == "$before" ]] && ok || bad "a refused GRP2614 PUT stored something"

# A deleted device's wipe blanks every key of every module its model takes.
api DELETE "/devices/0015654aa937?force=true"
expect_status 204
fetch "Yealink SIP-T46U 108.86.0.90 00:15:65:4a:a9:37" 0015654aa937.cfg
expect_status 200 "the wipe"
has "wipe: module 1 key 1 blank" "expansion_module.1.key.1.type = 0"
has "wipe: module 3 key 60 blank" "expansion_module.3.key.60.type = 0"
if grep -q "expansion_module.1.key.1.type = 16" "$WORK/got"; then bad "wipe: a module key still used"; else ok; fi


# Fanvil: keys past the side keys are on the screen's DSS pages
# (vendor-templates/README.md, "Fanvil: key index space"). An X5U-V2 has 4
# side keys, then 5 pages of 6: key 20 is page 3 key 4, key 34 the last.
xpath() {
    local got
    got=$(xmllint --xpath "string($2)" "$WORK/got" 2>/dev/null)
    if [[ "$got" == "$3" ]]; then ok; else bad "$1: $2 is '$got', expected '$3'"; fi
}
FANVIL_UA="Fanvil X5U-V2 2.12.16.17 0c383e557eb1"
api PUT /extensions/6001/buttons '[{"index":1,"type":"line","line":1},
    {"index":20,"type":"blf","value":"2001","label":"Eve","line":1}]'
expect_status 200 "fanvil: a BLF on key 20"
fetch "$FANVIL_UA" 0c383e557eb1.cfg
expect_status 200 "fanvil: fetched with a key on a page"
xmllint --noout "$WORK/got" 2>/dev/null && ok || bad "fanvil: not well-formed XML"
key20=$(xmllint --xpath "//dsskey/internal[@index='3']/Fkey[@index='4']" "$WORK/got" 2>/dev/null | tr -d ' \n')
want20='<Fkeyindex="4"><Type>1</Type><Value>2001@1/ba</Value><Title>Eve</Title></Fkey>'
[[ "$key20" == "$want20" ]] && ok || bad "fanvil key 20: got '$key20', expected '$want20'"
xpath "fanvil pages" "//dsskey/FuncKeyPageNum" 5
xpath "fanvil side page" "//dsskey/SideKeyPageNum" 1
xpath "fanvil side keys" "count(//dsskey/dssSide[@index='1']/Fkey)" 4
xpath "fanvil page count" "count(//dsskey/internal)" 5
xpath "fanvil every page key" "count(//dsskey/internal/Fkey)" 30
xpath "fanvil page 5 key 6 blank" "//dsskey/internal[@index='5']/Fkey[@index='6']/Type" 0
xpath "fanvil key 20 once" "count(//Fkey[Value='2001@1/ba'])" 1
# One model per render: the stored one (the API checked the buttons
# against it), not the one a request names. Asked as an X7 (11 side keys,
# 4 pages of 29), the stored X5U-V2 still gets its own layout.
fetch "Fanvil X7 2.12.16.17 0c383e557eb1" 0c383e557eb1.cfg
expect_status 200 "fanvil: fetched naming another model"
xpath "fanvil as X7: the X5U-V2's pages" "//dsskey/FuncKeyPageNum" 5
xpath "fanvil as X7: the X5U-V2's side keys" "count(//dsskey/dssSide[@index='1']/Fkey)" 4
xpath "fanvil as X7: the X5U-V2's page keys" "count(//dsskey/internal/Fkey)" 30
xpath "fanvil as X7: key 20 still page 3 key 4" "//dsskey/internal[@index='3']/Fkey[@index='4']/Value" "2001@1/ba"
api PUT /extensions/6001/buttons '[{"index":35,"type":"blf","value":"2001","line":1}]'
expect_status 400 "fanvil: key 35 is past the X5U-V2's 34"
expect_json '.error.fields["buttons[0].index"] | startswith("must be 1 to 34: ")' true

# Models added from the references' tables are recognised by their
# User-Agent alone (the store knows the MAC, not the model) and render with
# their own counts: a Polycom VVX 350 (6 keys), a Snom D865 (40 keys). A
# model not recognised would get its vendor's largest counts (16 and 48
# keys), so the last key written shows which model was read.
api POST /extensions '{"extension":"7001","callerid_name":"Vvx","mac":"00:04:f2:aa:bb:35","phone_make":"Polycom","secret":"Secret7001"}'
expect_status 201 "a Polycom with no model"
fetch "FileTransport PolycomVVX-VVX_350-UA/5.4.3.1014 Type/Application" 0004f2aabb35-settings.cfg
expect_status 200 "VVX 350: fetched"
has "VVX 350 line 1" ' reg.1.address="7001"'
has "VVX 350 key 6" ' attendant.resourceList.6.address=""'
if grep -q 'attendant.resourceList.7.' "$WORK/got"; then bad "VVX 350: a key past its 6"; else ok; fi
api POST /extensions '{"extension":"7002","callerid_name":"Dee","mac":"00:04:13:92:2d:65","phone_make":"Snom","secret":"Secret7002"}'
expect_status 201 "a Snom with no model"
fetch "Mozilla/4.0 (compatible; snomD865-SIP 10.1.33.33 2010.12-00004-g9ba52f5 000413922D65 SXM:0 UXM:0)" \
    snomD865-000413922D65.htm
expect_status 200 "D865: fetched"
has "D865 line 1" '<user_name idx="1" perm="R">7002</user_name>'
has "D865 key 40" '<fkey idx="39" '
if grep -q '<fkey idx="40" ' "$WORK/got"; then bad "D865: a key past its 40"; else ok; fi
xmllint --noout "$WORK/got" 2>/dev/null && ok || bad "D865: not well-formed XML"

# Grandstream GXP21xx take their keys to the physical counts in the alias
# (config version 2) file: VPK K is pks.vpk.K, a GXP2130's MPK M is key 12+M
# (pks.mpk.M); every key slot is written in order; no <Pnnn> element in it.
GS_UA="Grandstream Model HW GXP2135 SW 1.0.7.97 DevId 000b828aa872"
api PUT /extensions/4001/buttons '[{"index":1,"type":"line","line":1},
    {"index":20,"type":"blf","value":"4002","label":"Bob","line":1}]'
expect_status 200 "GXP2135: a BLF on key 20"
fetch "$GS_UA" cfg000b828aa872.xml
expect_status 200 "GXP2135 fetched"
has "GXP2135 key 20" '<item name="pks.vpk.20.keyMode">BLF</item>'
has "GXP2135 key 20" '<item name="pks.vpk.20.account">0</item>'
has "GXP2135 key 20" '<item name="pks.vpk.20.description">Bob</item>'
has "GXP2135 key 20" '<item name="pks.vpk.20.value">4002</item>'
has "GXP2135 key 1" '<item name="pks.vpk.1.keyMode">Line</item>'
has "GXP2135 key 19 unused" '<item name="pks.vpk.19.keyMode">None</item>'
has "GXP2135 key 32 unused" '<item name="pks.vpk.32.keyMode">None</item>'
has "GXP2135 alias file" '<config version="2">'
if grep -q '<P[0-9]' "$WORK/got"; then bad "GXP2135: a <Pnnn> element in its alias file"; else ok; fi
if grep -q 'pks.vpk.33\.' "$WORK/got"; then bad "GXP2135: a VPK past its 32"; else ok; fi
# Its slots in order 1..32, none skipped (a gap drops every VPK after it).
got_order=$(grep -o 'pks\.vpk\.[0-9]*\.keyMode' "$WORK/got" | cut -d. -f3 | tr '\n' ' ')
[[ "$got_order" == "$(seq -s ' ' 1 32) " ]] && ok || bad "GXP2135 VPKs out of order: $got_order"
# A line on a dynamic VPK (past the GXP2135's 8 fixed ones) is refused, naming it.
api PUT /extensions/4001/buttons '[{"index":1,"type":"line","line":1},{"index":9,"type":"line","line":1}]'
expect_status 400 "GXP2135: a line on dynamic VPK 9"
expect_json '.error.fields["buttons[1].index"] | contains("past the fixed ones") and contains("keys 1 to 8")' true
api PUT /extensions/4001/buttons '[{"index":33,"type":"blf","value":"4002","line":1}]'
expect_status 400 "GXP2135: key 33 is past its 32"
expect_json '.error.fields["buttons[0].index"] | startswith("must be 1 to 32: ")' true

api POST /extensions '{"extension":"4101","callerid_name":"Mpk","mac":"00:0b:82:8a:a8:74","phone_make":"Grandstream",
    "phone_model":"GXP2130","secret":"Secret4101"}'
expect_status 201
api PUT /extensions/4101/buttons '[{"index":13,"type":"line","line":1}]'
expect_status 400 "GXP2130: a line on an MPK (key 13)"
expect_json '.error.fields["buttons[0].index"] | contains("takes no line")' true
api PUT /extensions/4101/buttons '[{"index":13,"type":"blf","value":"4001","label":"Al","line":1},
    {"index":20,"type":"park","value":"701","line":1}]'
expect_status 200 "GXP2130: BLF and park on MPK 1 and 8"
fetch "Grandstream Model HW GXP2130 SW 1.0.11.79 DevId 000b828aa874" cfg000b828aa874.xml
expect_status 200 "GXP2130 fetched"
has "GXP2130 MPK 1" '<item name="pks.mpk.1.keyMode">BLF</item>'
has "GXP2130 MPK 1" '<item name="pks.mpk.1.account">Account1</item>'
has "GXP2130 MPK 1" '<item name="pks.mpk.1.value">4001</item>'
has "GXP2130 MPK 8" '<item name="pks.mpk.8.keyMode">CallPark</item>'
has "GXP2130 MPK 2 unused" '<item name="pks.mpk.2.account">Account1</item>'
has "GXP2130 VPK 12 unused" '<item name="pks.vpk.12.keyMode">None</item>'
has "GXP2130 VPK 3 back to line 3" '<item name="pks.vpk.3.keyMode">Line</item>'
if grep -q 'pks.vpk.13\.\|pks.mpk.9\.\|<P[0-9]' "$WORK/got"; then bad "GXP2130: a key past its 12 VPK + 8 MPK, or a P-value"; else ok; fi
api PUT /extensions/4101/buttons '[{"index":21,"type":"blf","value":"4001","line":1}]'
expect_status 400 "GXP2130: key 21 is past its 20"

finish

#!/usr/bin/env bash
# Aastra/Mitel and Gigaset (vendor-templates/README.md, their sections): each
# boot sequence replayed over HTTP with the phone's real User-Agent and over
# TFTP (no User-Agent), byte-compared with golden files; a phone with
# everything removed, an Aastra with an expansion module, time zones with
# and without DST, identification of names several vendors serve, both
# phone proofs (allowed network, staging window), and an inventory CSV with
# one phone of each family imported and provisioned. The Gigaset N510 (its own
# format, ISO-8859-1 with quoted values) is replayed the same way, with its
# refusals of what that format cannot write.
#
# UPDATE_GOLDEN=1 rewrites the golden files from what the server sends;
# review the diff before committing it.
source "$(dirname "$0")/lib.sh"
GOLDEN="${SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/data/golden"

AASTRA_UA="Aastra6867i MAC:00-08-5D-5A-1B-2C V:6.4.0.140-SIP"
AASTRA_MAC=00085d5a1b2c
AASTRA_FILE=00085D5A1B2C.cfg
GIGASET_UA="Gigaset N870 IP PRO/83.V2.11.0+build.a546b91;7C2F80E0D605"
GIGASET_MAC=7c2f80e0d605
GIGASET_FILE=7c2f80e0d605.xml
# The N510 IP PRO: an older base with a format of its own (vendor.json families.n510);
# W's example User-Agent (no "Gigaset " in front) and its file name, the MAC in capitals.
N510_UA="N510 IP PRO/42.245.00.000.000;7C2F804DF9A9"
N510_MAC=7c:2f:80:4d:f9:a9
N510_FILE=7C2F804DF9A9.xml

start_server
TFTP_PORT=$(jq -r .tftp "$DATA/ports.json")

# fetch UA FILE: GET from the phone port; sets STATUS, the body in $WORK/got.
fetch() {
    rm -f "$WORK/got"
    touch "$WORK/got"
    STATUS=$(curl -s --max-time 10 -o "$WORK/got" -w '%{http_code}' -A "$1" "http://127.0.0.1:$HTTP_PORT/$2")
    BODY=$(head -c 300 "$WORK/got" | tr -d '\0')
}

# tftp_fetch FILE: tftp-hpa, binary; sets STATUS 200 or 404 like fetch.
tftp_fetch() {
    rm -f "$WORK/got"
    local err
    err=$(timeout 30 tftp -m binary 127.0.0.1 "$TFTP_PORT" -c get "$1" "$WORK/got" 2>&1)
    # tftp-hpa exits 0 after an ERROR packet: what it printed tells.
    if [[ $? -eq 0 && "$err" != *[Ee]rror* ]]; then STATUS=200; else STATUS=404; fi
    [[ -e "$WORK/got" ]] || touch "$WORK/got"
    BODY=$(head -c 300 "$WORK/got" | tr -d '\0')
}

# The phones whose random provisioning credentials normalize_creds (lib.sh)
# replaces with placeholders before a comparison.
GOLDEN_MACS="$AASTRA_MAC $GIGASET_MAC"

# golden PATH: $WORK/got is the golden file tests/data/golden/PATH, byte for byte.
golden() {
    local want="$GOLDEN/$1"
    normalize_creds "$WORK/got"
    if [[ -n "${UPDATE_GOLDEN:-}" ]]; then mkdir -p "$(dirname "$want")"; cp "$WORK/got" "$want"; fi
    if cmp -s "$WORK/got" "$want"; then ok; else bad "$1 differs from its golden file"; diff "$want" "$WORK/got" | head -20 >&2; fi
}

has() { if grep -qF -- "$2" "$WORK/got"; then ok; else bad "$1: lacks '$2'"; fi; }
lacks() { if grep -qF -- "$2" "$WORK/got"; then bad "$1: has '$2'"; else ok; fi; }
# has_line WHAT LINE: LINE is a whole line of $WORK/got.
has_line() { if grep -qxF -- "$2" "$WORK/got"; then ok; else bad "$1: no line '$2'"; fi; }
# lacks_start WHAT TEXT: no line of $WORK/got starts with TEXT.
lacks_start() { if grep -q "^$2" "$WORK/got"; then bad "$1: a line starts with '$2'"; else ok; fi; }
xml_ok() { if xmllint --noout "$WORK/got" 2>/dev/null; then ok; else bad "$1: not well-formed XML"; fi; }

golden_settings
# The Aastra is entered under its current brand's name: vendor.json `makes`.
add_phone aastra 00:08:5d:5a:1b:2c Mitel 6867i 70
api GET /devices/00:08:5d:5a:1b:2c
expect_json .model 6867i "a Mitel 6867i is a model of the Aastra folder"

# A Gigaset base: two lines (two handsets) and no keys at all.
api POST /extensions '{"extension":"8001","callerid_name":"R&D <Sales> \"Q\" = 1","mac":"7c:2f:80:e0:d6:05",
    "phone_make":"Gigaset","phone_model":"N870","secret":"Secret8001"}'
expect_status 201 "gigaset first line"
api POST /extensions '{"extension":"8002","callerid_name":"Bob'"'"'s desk","device_type":"SIP-VIRTUAL",
    "mac":"7c:2f:80:e0:d6:05","secret":"Secret8002"}'
expect_status 201 "gigaset second line"
api PUT /extensions/8001/buttons '[{"index":1,"type":"blf","value":"8002","label":"Bob","line":1}]'
expect_status 400 "a DECT base has no keys: a BLF is refused"
expect_json '.error.fields | keys[0]' 'buttons[0].index'

# Boot sequences over HTTP, with the phones' own User-Agents: Aastra reads
# aastra.cfg, <model>.cfg, <MAC>.cfg in that order; a Gigaset base its <mac>.xml.
for f in aastra.cfg 6867i.cfg "$AASTRA_FILE"; do
    fetch "$AASTRA_UA" "$f"
    expect_status 200 "aastra $f is served"
    golden "aastra/$f"
done
fetch "$GIGASET_UA" "$GIGASET_FILE"
expect_status 200 "gigaset $GIGASET_FILE is served"
xml_ok gigaset
golden "gigaset/$GIGASET_FILE"

# What the phone gets: both lines, the keys on the 6867i's own key names.
fetch "$AASTRA_UA" "$AASTRA_FILE"
has_line "aastra line 1" "sip line1 password: Secret7001"
has_line "aastra line 2" "sip line2 auth name: 7002"
has_line "aastra caller id, one line" 'sip line1 display name: R&D <Sales> "Q" = 1'
has_line "aastra line key" "topsoftkey1 type: line"
has_line "aastra blf" "topsoftkey2 value: 7002"
has_line "aastra speed dial" "topsoftkey3 type: speeddial"
has_line "aastra park on line 2" "topsoftkey4 value: asterisk;701"
has_line "aastra park's line" "topsoftkey4 line: 2"
has_line "aastra unused top key" "topsoftkey20 type: none"
has_line "aastra first bottom key" "softkey1 type: none"
has_line "aastra last bottom key" "softkey18 type: none"
lacks_start "aastra keys stop at the 6867i's 38" "softkey19 "
has_line "aastra unused account" "sip line24 registrar ip: 0.0.0.0"
has_line "aastra provisioning" "https server: prov.example.net"
has_line "aastra provisioning port" "https port: 443"
has_line "aastra trust" "sips root and intermediate certificates: https://prov.example.net/ca.pem"
has_line "aastra tls" "sip transport protocol: 4"
api GET /devices/00:08:5d:5a:1b:2c/credentials
has_line "aastra: its own digest user" "http digest username: $(jq -r .user <<<"$BODY")"
has_line "aastra: its own digest password" "http digest password: $(jq -r .password <<<"$BODY")"
fetch "$GIGASET_UA" "$GIGASET_FILE"
has gigaset '<param name="SipAccount.00001.AuthPassword" value="Secret8001"/>'
has gigaset '<param name="SipAccount.00002.UserName" value="8002"/>'
has gigaset '<param name="SipAccount.00001.DisplayName" value="R&amp;D &lt;Sales&gt; &quot;Q&quot; = 1"/>'
has gigaset '<oper name="add_hs" value="00002">'
has gigaset '<param name="SipAccount.00250.AuthName" value=""/>'
lacks gigaset 'SipAccount.00251.'
has gigaset "not supported"

# Over TFTP there is no User-Agent: <MAC>.cfg, a name Yealink, Polycom and
# Fanvil serve too, goes to the vendor of the device's make; the common
# files are the vendor's alone.
for f in aastra.cfg 6867i.cfg "$AASTRA_FILE"; do
    tftp_fetch "$f"
    expect_status 200 "aastra $f over tftp"
    golden "aastra/$f"
done
tftp_fetch "$GIGASET_FILE"
expect_status 200 "gigaset over tftp"
golden "gigaset/$GIGASET_FILE"
# An unknown MAC of Aastra's prefix: refused like any unknown MAC.
tftp_fetch 00085D000001.cfg
expect_status 404 "an unknown aastra MAC"

# A User-Agent MAC that is not the file's is refused as an unknown MAC is.
fetch "$AASTRA_UA" 00085D5A1B2D.cfg
expect_status 404 "aastra: another MAC in the User-Agent"
lacks "aastra: another MAC in the User-Agent" "Secret"
# Another vendor's User-Agent does not get the Aastra file.
fetch "Yealink SIP-T46U 108.86.0.90 00:08:5d:5a:1b:2c" "$AASTRA_FILE"
lacks "a Yealink UA asking for the aastra MAC" "topsoftkey"

# An expansion module: an M685 on the 6867i, a BLF on its first key (39).
api PATCH /devices/00:08:5d:5a:1b:2c '{"expansion_model":"M685","expansion_count":1}'
expect_status 200 "aastra: an M685"
api PUT /extensions/7001/buttons '[{"index":1,"type":"line","line":1},
    {"index":2,"type":"blf","value":"7002","label":"Bob & Co","line":1},
    {"index":39,"type":"blf","value":"7002","label":"Bob EXP","line":1}]'
expect_status 200 "aastra: a module key"
fetch "$AASTRA_UA" "$AASTRA_FILE"
has_line "aastra module key" "expmod1 key1 value: 7002"
has_line "aastra module last key" "expmod1 key84 type: none"
golden "aastra/expansion/$AASTRA_FILE"
api PUT /extensions/7001/buttons '[{"index":123,"type":"blf","value":"7002","line":1}]'
expect_status 400 "aastra: key 123 is past one M685"

# Everything removed: no buttons, no module, the second line deleted.
api PUT /extensions/7001/buttons '[]'
expect_status 200
api PATCH /devices/00:08:5d:5a:1b:2c '{"expansion_model":"","expansion_count":0}'
expect_status 200 "aastra: the module taken off"
api DELETE "/extensions/7002?force=true"
expect_status 204
api DELETE "/extensions/8002?force=true"
expect_status 204
fetch "$AASTRA_UA" "$AASTRA_FILE"
lacks "aastra removed" "Secret7002"
has_line "aastra removed: account 2 off" "sip line2 password:"
has_line "aastra removed: account 2 not registered" "sip line2 registrar ip: 0.0.0.0"
has_line "aastra removed: key 2" "topsoftkey2 type: none"
golden "aastra/removed/$AASTRA_FILE"
fetch "$GIGASET_UA" "$GIGASET_FILE"
lacks "gigaset removed" "Secret8002"
lacks "gigaset removed: no handset 2" 'value="00002">'
has "gigaset removed: account 2 blank" '<param name="SipAccount.00002.AuthPassword" value=""/>'
xml_ok "gigaset removed"
golden "gigaset/removed/$GIGASET_FILE"

# The N510: two lines (a handset each), no keys. Its file is ISO-8859-1, values quoted
# inside attributes (value='"x"'): a Latin-1 letter is one byte, a `"` or a character
# past U+00FF is refused naming the parameter (vendor-templates/README.md, "Gigaset").
api POST /extensions '{"extension":"8101","callerid_name":"R&D <Sales> O'"'"'Brien","mac":"'"$N510_MAC"'",
    "phone_make":"Gigaset","phone_model":"N510","secret":"Secret8101"}'
expect_status 201 "n510 first line"
api POST /extensions '{"extension":"8102","callerid_name":"Hélène","device_type":"SIP-VIRTUAL",
    "mac":"'"$N510_MAC"'","secret":"Secret8102"}'
expect_status 201 "n510 second line"
api PUT /extensions/8101/buttons '[{"index":1,"type":"blf","value":"8102","label":"Bob","line":1}]'
expect_status 400 "n510: a DECT base has no keys"
api POST /extensions '{"extension":"8107","callerid_name":"Seventh","device_type":"SIP-VIRTUAL",
    "mac":"'"$N510_MAC"'","secret":"Secret8107","phone_reg":7}'
expect_status 400 "n510: six accounts at most"
# Boot: the base's data server holds Gigaset's own binaries (42/2/master.bin and the
# siu redirections), which we do not serve; the file they name is <MAC>.xml.
fetch "$N510_UA" 42/2/master.bin
expect_status 404 "n510: Gigaset's master.bin is not ours to serve"
fetch "$N510_UA" "$N510_FILE"
expect_status 200 "n510 $N510_FILE"
xml_ok n510
golden "gigaset/n510/$N510_FILE"
has n510 '<?xml version="1.0" encoding="ISO-8859-1"?>'
has n510 '<MAC_ADDRESS value="7C2F804DF9A9"/>'
has n510 '<SYMB_ITEM ID="BS_IP_Data1.aucS_SIP_PASSWORD" class="symb_item" value='"'"'"Secret8101"'"'"'/>'
has n510 '<SYMB_ITEM ID="BS_IP_Data1.aucS_SIP_PASSWORD_2" class="symb_item" value='"'"'"Secret8102"'"'"'/>'
has n510 'value='"'"'"R&amp;D &lt;Sales&gt; O&apos;Brien"'"'"'/>'
has n510 "$(printf 'value='"'"'"H\xe9l\xe8ne"'"'"'/>')"
has n510 '<SYMB_ITEM ID="BS_IP_Data1.ucB_SIP_ACCOUNT_IS_ACTIVE_6" class="symb_item" value="0x0"/>'
has n510 '<SYMB_ITEM ID="BS_IP_Data1.uiI_TIME_TIMEZONE" class="symb_item" value="0x1b"/>'
has n510 "not supported"
lacks n510 "SYMB_ITEM ID=\"BS_IP_Data1.ucB_SIP_ACCOUNT_IS_ACTIVE_7\""
# Without the MAC in its User-Agent (W's other form), and over TFTP: the same file.
fetch "N510 IP PRO/42.258.00.000.000" "$N510_FILE"
expect_status 200 "n510 without a MAC in its User-Agent"
golden "gigaset/n510/$N510_FILE"
tftp_fetch "$N510_FILE"
expect_status 200 "n510 over tftp"
golden "gigaset/n510/$N510_FILE"
# Over plain HTTP the base is told where its file is (the data server, no scheme, as W).
api PUT "/devices/$N510_MAC/settings" '{"provisioning_url":"http://prov.example.net/p/"}'
expect_status 200 "n510 over http"
fetch "$N510_UA" "$N510_FILE"
has "n510 http" '<S_CONFIGFILE_URL class="string" value='"'"'"prov.example.net/p/7C2F804DF9A9.xml"'"'"'/>'
has "n510 http" '<SYMB_ITEM ID="BS_IP_Data1.aucS_DATA_SERVER[0]" class="symb_item" value='"'"'"prov.example.net/p"'"'"'/>'
# What the N510 can and cannot express.
for case in "dtmf_mode|\"info\"|400" "srtp|\"required\"|400" "outbound_proxy|\"proxy.example.net\"|400" \
            "codecs|\"opus\"|400" "language|\"fr\"|400" "tone_country|\"FR\"|200" "codecs|\"G722,PCMA\"|200"; do
    IFS='|' read -r key value want <<<"$case"
    api PUT "/devices/$N510_MAC/settings" "{\"$key\":$value}"
    expect_status "$want" "n510 $key $value"
    if [[ $want == 400 ]]; then expect_json ".error.fields | has(\"$key\")" true "n510 $key: the field is named"; fi
done
fetch "$N510_UA" "$N510_FILE"
has "n510 tone FR" '<SYMB_ITEM ID="BS_AE_SwConfig.ucCountryCodeTone" class="symb_item" value="7"/>'
has "n510 codecs" '<SYMB_ITEM ID="BS_IP_Data1.ucI_SIP_PREFERRED_VOCODER_2" class="symb_item" value="0x05,0x01"/>'
# A double quote cannot be written in a quoted value, nor a character
# ISO-8859-1 lacks: the write is refused naming the field, never the value,
# and the base goes on getting the file it had.
api PATCH /extensions/8102 '{"callerid_name":"Bob \"the boss\""}'
expect_status 400 "an N510's caller ID name with a double quote"
expect_json '.error.fields.callerid_name | test("double quote")' true
grep -qF 'the boss' <<<"$BODY" && bad "the refusal shows the value" || ok
api PATCH /extensions/8102 '{"callerid_name":"Price 5 €"}'
expect_status 400 "an N510's caller ID name with a character ISO-8859-1 lacks"
expect_json '.error.fields.callerid_name | test("ISO-8859-1")' true
fetch "$N510_UA" "$N510_FILE"
expect_status 200 "the base still gets its file"
lacks "n510 after refused writes" "the boss"
lacks "n510 after refused writes" "Price 5"
# Everything removed: the second line deleted, then the base itself (its wipe config).
api DELETE "/extensions/8102?force=true"
expect_status 204
api PUT "/devices/$N510_MAC/settings" '{"provisioning_url":null,"tone_country":null,"codecs":null}'
expect_status 200
fetch "$N510_UA" "$N510_FILE"
expect_status 200 "n510 with one line"
lacks "n510 one line" "Secret8102"
has "n510 one line: account 2 off" '<SYMB_ITEM ID="BS_IP_Data1.ucB_SIP_ACCOUNT_IS_ACTIVE_2" class="symb_item" value="0x0"/>'
api DELETE "/devices/$N510_MAC?force=true"
expect_status 204 "n510 deleted"
fetch "$N510_UA" "$N510_FILE"
expect_status 200 "n510: the wipe"
lacks "n510 wipe" "Secret"
xml_ok "n510 wipe"
golden "gigaset/n510/removed/$N510_FILE"

# Time zones: Aastra's own rule fields; Gigaset's zone names carry the base's own rules.
zone() {
    api PUT /settings "{\"timezone\":\"$1\"}"
    expect_status 200 "timezone $1"
}
zone Europe/Paris
fetch "$AASTRA_UA" "$AASTRA_FILE"
for l in "time zone minutes: -60" "dst config: 3" "dst minutes: 60" "dst [start|end] relative date: 1" \
         "dst start month: 3" "dst start week: -1" "dst start day: 1" "dst start hour: 2" \
         "dst end month: 10" "dst end week: -1" "dst end day: 1" "dst end hour: 3"; do
    has_line "aastra Paris" "$l"
done
fetch "$GIGASET_UA" "$GIGASET_FILE"
has "gigaset Paris" '<param name="DmGlobal.0.TimeZone" value="Europe/Paris"/>'
zone America/Phoenix
fetch "$AASTRA_UA" "$AASTRA_FILE"
has_line "aastra Phoenix" "time zone minutes: 420"
has_line "aastra Phoenix: no DST" "dst config: 0"
lacks "aastra Phoenix" "dst start month"
zone America/New_York
fetch "$AASTRA_UA" aastra.cfg
has_line "aastra.cfg New York" "time zone minutes: 300"
has_line "aastra.cfg New York: second Sunday of March" "dst start week: 2"
has_line "aastra.cfg New York: first Sunday of November" "dst end week: 1"
zone Asia/Kolkata
fetch "$GIGASET_UA" "$GIGASET_FILE"
lacks "gigaset Kolkata: not in its list, the base keeps its own" "DmGlobal.0.TimeZone"
# The N510 names a zone of its list by offset (W common.py _TZ_GIGASET), DST on when the zone has it;
# an offset its two W lists give different codes for (-3: 0x12 or 0x15) is not written.
api POST /extensions '{"extension":"8111","callerid_name":"Base","mac":"'"$N510_MAC"'",
    "phone_make":"Gigaset","phone_model":"N510","secret":"Secret8111"}'
expect_status 201 "n510 again"
fetch "$N510_UA" "$N510_FILE"
has "n510 Kolkata" '<SYMB_ITEM ID="BS_IP_Data1.uiI_TIME_TIMEZONE" class="symb_item" value="0x30"/>'
has "n510 Kolkata: no DST" '<SYMB_ITEM ID="BS_IP_Data1.ucB_TIME_USE_AUTOMATIC_DST" class="symb_item" value="0x0"/>'
zone Europe/Paris
fetch "$N510_UA" "$N510_FILE"
has "n510 Paris" '<SYMB_ITEM ID="BS_IP_Data1.uiI_TIME_TIMEZONE" class="symb_item" value="0x1b"/>'
has "n510 Paris: DST" '<SYMB_ITEM ID="BS_IP_Data1.ucB_TIME_USE_AUTOMATIC_DST" class="symb_item" value="0x1"/>'
zone America/Sao_Paulo
fetch "$N510_UA" "$N510_FILE"
lacks "n510 Sao Paulo: a disputed code, not written" "uiI_TIME_TIMEZONE"
zone Etc/GMT-1

# Outside an allowed network a new phone needs a proof: a staging window
# opened for its MAC lets it take its first config.
stop_server
use_fresh_store proofs
start_server -D provisioning.allow_networks=""
golden_settings
add_phone aastra 00:08:5d:5a:1b:2c Aastra 6867i 70
api POST /extensions '{"extension":"8001","callerid_name":"Base","mac":"7c:2f:80:e0:d6:05",
    "phone_make":"Gigaset","phone_model":"N870","secret":"Secret8001"}'
expect_status 201 "gigaset line, second store"
fetch "$AASTRA_UA" "$AASTRA_FILE"
expect_status 401 "aastra outside an allowed network, no window"
fetch "$GIGASET_UA" "$GIGASET_FILE"
expect_status 401 "gigaset outside an allowed network, no window"
api POST /staging/windows '{"macs":["00:08:5d:5a:1b:2c","7c:2f:80:e0:d6:05"],"minutes":5,"max_devices":2}'
expect_status 201 "a staging window"
WINDOW=$(jq -r .id <<<"$BODY")
fetch "$AASTRA_UA" "$AASTRA_FILE"
expect_status 200 "aastra in its staging window"
has_line "aastra in its window" "sip line1 password: Secret7001"
fetch "$GIGASET_UA" "$GIGASET_FILE"
expect_status 200 "gigaset in its staging window"
has gigaset '<param name="SipAccount.00001.AuthPassword" value="Secret8001"/>'
# Once the window is closed, its fetches carry the digest credentials that
# config gave it, and a wrong password is refused.
api DELETE "/staging/windows/$WINDOW"
expect_status 200 "the window closed"
STATUS=$(curl -s --max-time 10 -o "$WORK/got" -w '%{http_code}' -A "$AASTRA_UA" "http://127.0.0.1:$HTTP_PORT/$AASTRA_FILE")
expect_status 401 "aastra, window closed, no credentials"
api GET /devices/00:08:5d:5a:1b:2c/credentials
PUSER=$(jq -r .user <<<"$BODY")
PPASS=$(jq -r .password <<<"$BODY")
STATUS=$(curl -s --max-time 10 -o "$WORK/got" -w '%{http_code}' --digest -u "$PUSER:$PPASS" -A "$AASTRA_UA" \
    "http://127.0.0.1:$HTTP_PORT/$AASTRA_FILE")
expect_status 200 "aastra with its digest credentials"
has_line "aastra by digest" "sip line1 password: Secret7001"
# The event says which proof served it (written after the answer: waited for).
for _ in $(seq 1 30); do
    api GET "/events?mac=00:08:5d:5a:1b:2c&outcome=served&limit=100"
    [[ $(jq '[.items[] | select(.auth == "digest")] | length' <<<"$BODY") -ge 1 ]] && break
    sleep 0.1
done
expect_json '[.items[] | select(.auth == "digest")] | length' 1 "aastra: one fetch served by its digest credentials"
STATUS=$(curl -s --max-time 10 -o "$WORK/got" -w '%{http_code}' --digest -u "$PUSER:wrong" -A "$AASTRA_UA" \
    "http://127.0.0.1:$HTTP_PORT/$AASTRA_FILE")
expect_status 401 "aastra with a wrong digest password"

# An inventory with one phone of each family imports (CLI), and each phone
# provisions with its own User-Agent.
stop_server
use_fresh_store csv
cat >"$WORK/inventory.csv" <<'CSV'
mac,make,model,serial,label,extension,device_type,callerid_name,user,voicemail_enabled,voicemail_pin,voicemail_email,did,phone_reg,buttons
14:00:e9:1e:db:52,Mitel,6930,SN-6930-1,Desk,9001,SIP,Ana,,false,,,,1,1:line|2:blf:9002:Base|22:speed_dial:*97:VM
7c:2f:80:e0:d6:06,Gigaset,N670,SN-N670-1,Warehouse,9002,SIP,Warehouse,,false,,,,1,
CSV
run import "$WORK/inventory.csv" $(store_args "$DATA")
expect_rc 0 "import an Aastra and a Gigaset"
start_server
golden_settings
fetch "Mitel6930 MAC:14-00-E9-1E-DB-52 V:6.4.0.140-SIP" 1400E91EDB52.cfg
expect_status 200 "the imported 6930 provisions"
has_line "imported 6930: its line" "sip line1 user name: 9001"
has_line "imported 6930: its BLF" "topsoftkey2 value: 9002"
has_line "imported 6930: its last key" "topsoftkey22 type: speeddial"
fetch "Gigaset N670 IP PRO/83.V2.65.0+build.8504c90;7C2F80E0D606" 7c2f80e0d606.xml
expect_status 200 "the imported N670 provisions"
xml_ok "imported N670"
has "imported N670: its account" '<param name="SipAccount.00001.UserName" value="9002"/>'
has "imported N670: its 20 accounts" 'SipAccount.00020.AuthName'
lacks "imported N670: no more" 'SipAccount.00021.'

finish

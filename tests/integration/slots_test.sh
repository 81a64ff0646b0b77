#!/usr/bin/env bash
# Removing takes effect on the next fetch. Every config names every account
# and key slot of its model, so for each of the six families: a phone is
# provisioned, loses a button and an extension through the admin API, and
# its next fetch has that account disabled and blank and that key reset
# (byte-compared with tests/data/golden/<vendor>/removed/). Then the device
# itself is deleted: its next fetch (HTTP, HTTP Digest with the credentials
# it held, or TFTP) gets a wipe config, every account disabled and blank,
# recorded in its event; the fetch after that finds an unknown MAC.
#
# UPDATE_GOLDEN=1 rewrites the removed/ golden files; review the diff.
source "$(dirname "$0")/lib.sh"
GOLDEN="${SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/data/golden"
for tool in curl jq xmllint cmp; do
    command -v "$tool" >/dev/null || { echo "slots_test needs $tool" >&2; exit 1; }
done

start_server

# fetch UA FILE [curl args]: GET from the phone port; STATUS, body in $WORK/got.
fetch() {
    local ua=$1 file=$2; shift 2
    rm -f "$WORK/got"
    touch "$WORK/got"
    STATUS=$(curl -s --max-time 10 -o "$WORK/got" -w '%{http_code}' -A "$ua" "$@" "http://127.0.0.1:$HTTP_PORT/$file")
    BODY=$(head -c 300 "$WORK/got" | tr -d '\0')
}

has() { if grep -qF -- "$2" "$WORK/got"; then ok; else bad "$1: lacks '$2'"; fi; }
lacks() { if ! grep -qF -- "$2" "$WORK/got"; then ok; else bad "$1: still has '$2'"; fi; }
# xpath WHAT EXPR WANT: the XPath string value of EXPR in $WORK/got.
xpath() {
    local got
    got=$(xmllint --xpath "string($2)" "$WORK/got" 2>/dev/null)
    if [[ "$got" == "$3" ]]; then ok; else bad "$1: $2 is '$got', expected '$3'"; fi
}

# vendor, its MAC, the User-Agent, its config file, the extensions' base.
PHONES=(
    "yealink|0015654aa937|Yealink SIP-T46U 108.86.0.90 00:15:65:4a:a9:37|0015654aa937.cfg|10"
    "polycom|0004f2aabb01|FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 Type/Application|0004f2aabb01-settings.cfg|20"
    "cisco|00562b043615|Cisco-CP-8841-3PCC/12.0.1 (00562b043615)|00562b043615.xml|30"
    "grandstream|000b828aa872|Grandstream Model HW GXP2135 SW 1.0.7.97 DevId 000b828aa872|cfg000b828aa872.xml|40"
    "snom|000413922d24|Mozilla/4.0 (compatible; snomD785-SIP 10.1.33.33 2010.12-00004-g9ba52f5 000413922D24 SXM:0 UXM:0)|snomD785-000413922D24.htm|50"
    "fanvil|0c383e557eb1|Fanvil X5U-V2 2.12.16.17 0c383e557eb1|0c383e557eb1.cfg|60"
)

# account_off VENDOR N: account slot N is disabled and blank in $WORK/got.
account_off() {
    local v=$1 n=$2 what="$1 account $2"
    case $v in
        yealink)
            has "$what" "account.$n.enable = 0"
            for k in user_name auth_name password sip_server.1.address; do has "$what" "account.$n.$k = %NULL%"; done ;;
        polycom)
            for k in address auth.userId auth.password server.1.address; do has "$what" " reg.$n.$k=\"\""; done ;;
        cisco)
            has "$what" "<Line_Enable_${n}_>No</Line_Enable_${n}_>"
            for k in User_ID Auth_ID Password Proxy; do has "$what" "<${k}_${n}_></${k}_${n}_>"; done ;;
        grandstream)
            # The GXP2135's alias file (config version 2): account.N.*.
            has "$what" "<item name=\"account.$n.enable\">No</item>"
            for k in sip.userid sip.subscriber.password sip.server.1.address; do
                has "$what" "<item name=\"account.$n.$k\"></item>"
            done ;;
        snom)
            has "$what" "<user_active idx=\"$n\" perm=\"R\">off</user_active>"
            for k in user_name user_pname user_pass user_host; do has "$what" "<$k idx=\"$n\" perm=\"R\"></$k>"; done ;;
        fanvil)
            xpath "$what" "//sip/line[@index='$n']/EnableReg" 0
            for k in PhoneNumber RegisterUser RegisterPswd RegisterAddr; do
                xpath "$what" "count(//sip/line[@index='$n']/$k[.=''])" 1
            done ;;
    esac
}

# key_reset VENDOR N: key slot N is reset in $WORK/got.
key_reset() {
    local v=$1 n=$2 what="$1 key $2"
    case $v in
        yealink) has "$what" "linekey.$n.type = 0"; has "$what" "linekey.$n.value = %NULL%" ;;
        polycom) has "$what" " attendant.resourceList.$n.address=\"\"" ;;
        cisco)
            has "$what" "<Extension_${n}_>Disabled</Extension_${n}_>"
            has "$what" "<Extended_Function_${n}_></Extended_Function_${n}_>" ;;
        grandstream)
            # GXP2135 VPK N: one no higher than its 4 lines goes back to line N's appearance
            # (account N-1), any other to None; label and value blank.
            local mode=None account=0
            ((n <= 4)) && { mode=Line; account=$((n - 1)); }
            has "$what" "<item name=\"pks.vpk.$n.keyMode\">$mode</item>"
            has "$what" "<item name=\"pks.vpk.$n.account\">$account</item>"
            has "$what" "<item name=\"pks.vpk.$n.value\"></item>" ;;
        snom) has "$what" "<fkey idx=\"$((n - 1))\" context=\"active\" label=\"\" perm=\"R\">none</fkey>" ;;
        fanvil)
            xpath "$what" "//dssSide/Fkey[@index='$n']/Type" 0
            xpath "$what" "count(//dssSide/Fkey[@index='$n']/Value[.=''])" 1 ;;
    esac
}

golden_store

# Provisioned: each phone has both accounts and its BLF.
for phone in "${PHONES[@]}"; do
    IFS='|' read -r vendor mac ua file base <<<"$phone"
    fetch "$ua" "$file"
    expect_status 200 "$vendor: provisioned"
    has "$vendor provisioned" "Secret${base}02"
done

# Remove the BLF (key 2) and the park key (4), then the second extension.
for phone in "${PHONES[@]}"; do
    IFS='|' read -r vendor mac ua file base <<<"$phone"
    api PUT "/extensions/${base}01/buttons" "[{\"index\":1,\"type\":\"line\",\"line\":1},
        {\"index\":3,\"type\":\"speed_dial\",\"value\":\"*97\",\"label\":\"Voicemail\",\"line\":1}]"
    expect_status 200 "$vendor: buttons replaced"
    api DELETE "/extensions/${base}02?force=true"
    expect_status 204 "$vendor: second extension deleted"
done

# The next fetch: account 2 disabled and blank, keys 2 and 4 reset, line 1
# and keys 1 and 3 as before; as the removed/ golden file.
for phone in "${PHONES[@]}"; do
    IFS='|' read -r vendor mac ua file base <<<"$phone"
    fetch "$ua" "$file"
    expect_status 200 "$vendor: fetched after the removal"
    lacks "$vendor after removal" "Secret${base}02"
    has "$vendor after removal" "Secret${base}01"
    account_off "$vendor" 2
    key_reset "$vendor" 2
    key_reset "$vendor" 4
    if [[ "$vendor" != yealink ]]; then
        xmllint --noout "$WORK/got" 2>/dev/null && ok || bad "$vendor: not well-formed XML"
    fi
    normalize_creds "$WORK/got"
    want="$GOLDEN/$vendor/removed/$file"
    if [[ -n "${UPDATE_GOLDEN:-}" ]]; then mkdir -p "$(dirname "$want")"; cp "$WORK/got" "$want"; fi
    if cmp -s "$WORK/got" "$want"; then ok; else bad "$vendor/removed/$file differs"; diff "$want" "$WORK/got" | head -20 >&2; fi
done

# A deleted device gets a wipe config once: every account disabled and
# blank, every key reset, nothing of its old accounts.
for phone in "${PHONES[@]}"; do
    IFS='|' read -r vendor mac ua file base <<<"$phone"
    api DELETE "/devices/$mac?force=true"
    expect_status 204 "$vendor: device deleted"
    fetch "$ua" "$file"
    expect_status 200 "$vendor: a deleted device gets its wipe"
    lacks "$vendor wipe" "Secret${base}01"
    lacks "$vendor wipe" "Voicemail"
    # Nor our CA: a phone leaving the fleet is not told to trust us.
    lacks "$vendor wipe" "ca.pem"
    lacks "$vendor wipe" "BEGIN CERTIFICATE"
    account_off "$vendor" 1
    account_off "$vendor" 2
    key_reset "$vendor" 1
    key_reset "$vendor" 3
    # The transport may lose what it was handed: for a grace period the
    # wipe is served again (counted once); after it the MAC is unknown
    # (the store's unit tests move the clock past it).
    fetch "$ua" "$file"
    expect_status 200 "$vendor: a retry within the grace period gets the wipe again"
    account_off "$vendor" 1
done
for _ in $(seq 1 30); do
    api GET "/events?mac=00:56:2b:04:36:15&outcome=served&limit=100"
    [[ $(jq '[.items[] | select(.wipe)] | length' <<<"$BODY") -ge 1 ]] && break
    sleep 0.1
done
expect_json '[.items[] | select(.wipe)] | length' 1 "the wipe delivery is one event"
expect_json '[.items[] | select(.wipe)][0].path' 00562b043615.xml

# A device that was never given a config has nothing to wipe.
api POST /devices '{"mac":"00:15:65:00:00:77","make":"Yealink","model":"T46U"}'
expect_status 201 "a device never fetched"
api DELETE /devices/00:15:65:00:00:77
expect_status 204
fetch "Yealink SIP-T46U 108.86.0.90 00:15:65:00:00:77" 001565000077.cfg
expect_status 404 "no wipe for a device that never had accounts"

# Outside allow_networks the deleted phone proves its MAC with the
# credentials it held (HTTP Digest); nobody else gets its wipe.
api POST /extensions '{"extension":"7001","callerid_name":"Wipe me","mac":"00:04:13:92:2d:25",
    "phone_make":"Snom","phone_model":"D785","secret":"Secret7001"}'
expect_status 201
SNOM2_UA="Mozilla/4.0 (compatible; snomD785-SIP 10.1.33.33 000413922D25)"
fetch "$SNOM2_UA" snomD785-000413922D25.htm
expect_status 200
has "second snom" Secret7001
api GET /devices/00:04:13:92:2d:25/credentials
PUSER=$(jq -r .user <<<"$BODY")
PPASS=$(jq -r .password <<<"$BODY")
api DELETE "/devices/000413922d25?force=true"
expect_status 204
# A third, deleted and then given to someone else by an admin: the
# credentials the old phone held must not open the new owner's config.
api POST /extensions '{"extension":"7003","callerid_name":"Old owner","mac":"00:04:13:92:2d:26","phone_make":"Snom",
    "phone_model":"D785","secret":"Secret7003"}'
expect_status 201
SNOM3_UA="Mozilla/4.0 (compatible; snomD785-SIP 10.1.33.33 000413922D26)"
fetch "$SNOM3_UA" snomD785-000413922D26.htm
has "third snom" Secret7003
api GET /devices/00:04:13:92:2d:26/credentials
OLD_USER=$(jq -r .user <<<"$BODY")
OLD_PASS=$(jq -r .password <<<"$BODY")
api DELETE "/devices/000413922d26?force=true"
expect_status 204
api DELETE "/extensions/7003?force=true"
api POST /extensions '{"extension":"7004","callerid_name":"New owner","mac":"00:04:13:92:2d:26","phone_make":"Snom",
    "phone_model":"D785","secret":"Secret7004"}'
expect_status 201
stop_server
start_server -D provisioning.allow_networks=10.0.0.0/8
fetch "$SNOM3_UA" snomD785-000413922D26.htm --digest -u "$OLD_USER:$OLD_PASS"
expect_status 401 "a claimed MAC: the old phone's credentials prove nothing"
lacks "claimed after a delete" Secret7004
fetch "$SNOM2_UA" snomD785-000413922D25.htm
expect_status 401 "no proof: a challenge, the wipe stays"
fetch "$SNOM2_UA" snomD785-000413922D25.htm --digest -u "wrong:creds"
expect_status 401 "other credentials: a challenge"
fetch "$SNOM2_UA" snomD785-000413922D25.htm --digest -u "$PUSER:$PPASS"
expect_status 200 "the credentials it held: its wipe"
account_off snom 1
lacks "digest wipe" Secret7001
fetch "$SNOM2_UA" snomD785-000413922D25.htm --digest -u "$PUSER:$PPASS"
expect_status 200 "a retry within the grace period: the wipe again"
lacks "digest wipe again" Secret7001
stop_server

# Over TFTP (no User-Agent: the make comes from the wipe's record).
if curl -V | grep -qw tftp; then
    start_server
    TFTP_PORT=$(jq -r .tftp "$DATA/ports.json")
    api POST /extensions '{"extension":"7002","callerid_name":"Tftp","mac":"00:0b:82:8a:a8:73",
        "phone_make":"Grandstream","phone_model":"GXP2135","secret":"Secret7002"}'
    expect_status 201
    rm -f "$WORK/got"
    curl -s --max-time 20 -o "$WORK/got" "tftp://127.0.0.1:$TFTP_PORT/cfg000b828aa873.xml"
    has "tftp provisioned" Secret7002
    api DELETE "/devices/000b828aa873?force=true"
    expect_status 204
    rm -f "$WORK/got"
    curl -s --max-time 20 -o "$WORK/got" "tftp://127.0.0.1:$TFTP_PORT/cfg000b828aa873.xml"
    lacks "tftp wipe" Secret7002
    account_off grandstream 1
    xpath "tftp wipe" "count(/gs_provision/config/item[@name='pks.vpk.1.keyMode'])" 1
    # The same for a file name several vendors use ({mac}.cfg: Fanvil,
    # Polycom, Yealink) asked for with no User-Agent by a MAC outside every
    # vendor's OUIs: the make stored for it says whose file it is, and once
    # the device is deleted, the wipe's record (not the first vendor that
    # has the name).
    HTTP_PORT=$(jq -r .http "$DATA/ports.json")
    api POST /extensions '{"extension":"7005","callerid_name":"Odd MAC","mac":"0a:00:00:00:00:42",
        "phone_make":"Yealink","phone_model":"T46U","secret":"Secret7005"}'
    expect_status 201
    fetch "" 0a0000000042.cfg
    expect_status 200 "no User-Agent, an odd MAC: its stored make"
    has "yealink by stored make" "account.1.password = Secret7005"
    api DELETE "/devices/0a0000000042?force=true"
    expect_status 204
    fetch "" 0a0000000042.cfg
    expect_status 200 "no User-Agent, an odd MAC deleted: its wipe"
    lacks "yealink wipe by the wipe's make" Secret7005
    account_off yealink 1
    for _ in $(seq 1 30); do
        api GET "/events?mac=00:0b:82:8a:a8:73&limit=100"
        [[ $(jq '[.items[] | select(.wipe)] | length' <<<"$BODY") -ge 1 ]] && break
        sleep 0.1
    done
    expect_json '[.items[] | select(.wipe)][0].protocol' tftp "the TFTP wipe is recorded"
else
    echo "slots_test: curl without tftp://, TFTP part skipped" >&2
fi

finish

#!/usr/bin/env bash
# Firmware targets in each family's real templates (issue 14): for every
# vendor, a catalog image targeted per model, per site and per device (and
# "none" per device over a model target), the device's config rendered for a
# phone reporting an old firmware (the vendor's real User-Agent) carries the
# vendor's firmware keys with the image's URL; at the target version, with
# "none", and for another model of the vendor, it does not. The check-sync
# keys are in every config. Renders with `provisioner render --user-agent`,
# and over HTTP with curl for two families.
#
# Needs curl, jq. Traffic stays on 127.0.0.1.

source "$(dirname "$0")/lib.sh"

for tool in curl jq cmp; do
    command -v "$tool" >/dev/null || { echo "firmware_render_test needs $tool" >&2; exit 1; }
done

FW="$WORK/fw"
mkdir -p "$FW"
BASE="http://prov.example.net/p"

start_server -D firmware.dir="$FW"
api PUT /settings "{\"provisioning_url\":\"$BASE\"}"
expect_status 200 "the provisioning URL"

cli() {
    "$PROVISIONER_BIN" "$@" -D store.path="$DATA/store.db" -D templates.dir="$TEMPLATES_DIR" -D firmware.dir="$FW"
}

# render MAC FILE UA: the config the phone gets, in $WORK/out.
render() {
    if ! cli render "$1" "$2" --user-agent "$3" >"$WORK/out" 2>"$WORK/render-err"; then
        bad "render $2 for '$3': $(cat "$WORK/render-err")"
        : >"$WORK/out"
    fi
}
has() { grep -qF -- "$1" "$WORK/out"; }
# expect_keys WHAT LINE...: every LINE is in the rendered config.
expect_keys() {
    local what=$1 line
    shift
    for line in "$@"; do has "$line" && ok || bad "$what: no '$line' in $(head -c 4000 "$WORK/out")"; done
}
# expect_none WHAT LINE...: no LINE is.
expect_none() {
    local what=$1 line
    shift
    for line in "$@"; do
        if has "$line"; then bad "$what: '$line' is there"; else ok; fi
    done
}
target() {
    api PUT /firmware/targets "$1"
    expect_status 200 "target $1"
}
untarget() {
    api DELETE /firmware/targets "$1"
    expect_status 204 "clear target $1"
}

# family NAME VENDOR MODEL OTHER_MODEL MAC OTHER_MAC FILE OTHER_FILE UA_OLD UA_TARGET UA_OTHER VERSION IMAGE PER_DEVICE
#   then the arrays UP (lines written when told to upgrade), STAY (lines
#   written otherwise), ALWAYS (check-sync keys, in every config).
# PER_DEVICE is "yes" where the file can carry a device's or a site's own
# target, "model" where it is served to any MAC-shaped name and carries only
# the model's target (Polycom's master): site and device targets are refused.
ON_TARGET=()
family() {
    local name=$1 vendor=$2 model=$3 other=$4 mac=$5 other_mac=$6 file=$7 other_file=$8
    local ua_old=$9 ua_target=${10} ua_other=${11} version=${12} image=${13} per_device=${14}
    head -c 4096 /dev/urandom >"$WORK/$image"
    local out
    out=$(cli firmware add "$WORK/$image" --vendor "$vendor" --models "$model" --version "$version" --name "$image" 2>&1)
    [[ $? -eq 0 ]] && ok || bad "$name: firmware add: $out"
    api POST /devices "{\"mac\":\"$mac\",\"make\":\"$vendor\",\"model\":\"$model\",\"label\":\"Paris\"}"
    expect_status 201 "$name device"
    api POST /devices "{\"mac\":\"$other_mac\",\"make\":\"$vendor\",\"model\":\"$other\",\"label\":\"Paris\"}"
    expect_status 201 "$name other model's device"

    render "$mac" "$file" "$ua_old"
    expect_none "$name, no target" "${UP[@]}"
    expect_keys "$name, no target" "${STAY[@]}" "${ALWAYS[@]}"

    # Per model.
    local m="{\"vendor\":\"$vendor\",\"model\":\"$model\""
    target "$m,\"version\":\"$version\"}"
    render "$mac" "$file" "$ua_old"
    expect_keys "$name, model target, old firmware" "${UP[@]}" "${ALWAYS[@]}"
    expect_none "$name, model target, old firmware" "${STAY[@]}"
    render "$mac" "$file" "$ua_target"
    if [[ ${#ON_TARGET[@]} -gt 0 ]]; then
        expect_keys "$name, model target, on target" "${ON_TARGET[@]}" "${ALWAYS[@]}"
        expect_none "$name, model target, on target" "${STAY[@]}"
    else
        expect_none "$name, model target, on target" "${UP[@]}"
        expect_keys "$name, model target, on target" "${STAY[@]}" "${ALWAYS[@]}"
    fi
    render "$other_mac" "$other_file" "$ua_other"
    expect_none "$name, another model" "${UP[@]}"
    expect_keys "$name, another model" "${STAY[@]}"

    if [[ $per_device != yes ]]; then
        # Served to any MAC-shaped name: a site's or a device's own target
        # could never reach it, so none is taken (named by its scope).
        local scope
        for scope in "\"scope\":\"site\",\"key\":\"Paris\"" "\"scope\":\"device\",\"key\":\"$mac\""; do
            api PUT /firmware/targets "$m,$scope,\"version\":\"none\"}"
            expect_status 400 "$name: a {$scope} target is refused"
            expect_json '.error.fields | keys | join(",")' scope
        done
        untarget "$m}"
        return
    fi
    # None at the device beats the model's target.
    target "$m,\"scope\":\"device\",\"key\":\"$mac\",\"version\":\"none\"}"
    render "$mac" "$file" "$ua_old"
    expect_none "$name, device none over a model target" "${UP[@]}"
    expect_keys "$name, device none over a model target" "${STAY[@]}" "${ALWAYS[@]}"
    untarget "$m,\"scope\":\"device\",\"key\":\"$mac\"}"
    untarget "$m}"

    # Per site (the device's label), then per device.
    local scope
    for scope in "\"scope\":\"site\",\"key\":\"Paris\"" "\"scope\":\"device\",\"key\":\"$mac\""; do
        target "$m,$scope,\"version\":\"$version\"}"
        render "$mac" "$file" "$ua_old"
        expect_keys "$name, {$scope}, old firmware" "${UP[@]}"
        expect_none "$name, {$scope}, old firmware" "${STAY[@]}"
        render "$mac" "$file" "$ua_target"
        expect_none "$name, {$scope}, on target" "${UP[@]}"
        render "$other_mac" "$other_file" "$ua_other"
        expect_none "$name, {$scope}, another model" "${UP[@]}"
        untarget "$m,$scope}"
    done
}

# --- Yealink: static.firmware.url in <mac>.cfg. ---------------------------
UP=("static.firmware.url = $BASE/T46U-108.86.0.90.rom")
STAY=("static.firmware.url = %NULL%")
ALWAYS=("sip.notify_reboot_enable = 0" "sip.trust_ctrl = 1")
family yealink Yealink T46U T48U 00:15:65:00:01:01 00:15:65:00:01:02 001565000101.cfg 001565000102.cfg \
    "Yealink SIP-T46U 108.86.0.80 00:15:65:00:01:01" "Yealink SIP-T46U 108.86.0.90 00:15:65:00:01:01" \
    "Yealink SIP-T48U 108.86.0.80 00:15:65:00:01:02" 108.86.0.90 T46U-108.86.0.90.rom yes

# --- Polycom: APP_FILE_PATH in the <mac>.cfg master (model-wide only). -----
UP=('APP_FILE_PATH="VVX400-5.9.5.0001.sip.ld"')
STAY=('APP_FILE_PATH="sip.ld"')
# On its target the master still names the target's image: "sip.ld" may
# hold an older one, which the phone would go back to at its next check.
ON_TARGET=('APP_FILE_PATH="VVX400-5.9.5.0001.sip.ld"')
ALWAYS=()
family polycom Polycom VVX_400 VVX_500 00:04:f2:00:02:01 00:04:f2:00:02:02 0004f2000201.cfg 0004f2000202.cfg \
    "FileTransport PolycomVVX-VVX_400-UA/5.9.3.0000 Type/Application" \
    "FileTransport PolycomVVX-VVX_400-UA/5.9.5.0001 Type/Application" \
    "FileTransport PolycomVVX-VVX_500-UA/5.9.3.0000 Type/Application" 5.9.5.0001 VVX400-5.9.5.0001.sip.ld model
ON_TARGET=()
# The check-sync keys are in the per-device settings file.
render 00:04:f2:00:02:01 0004f2000201-settings.cfg "FileTransport PolycomVVX-VVX_400-UA/5.9.3.0000 Type/Application"
expect_keys "polycom settings" 'voIpProt.SIP.specialEvent.checkSync.alwaysReboot="0"' \
    'voIpProt.SIP.requestValidation.1.request="NOTIFY"' \
    'voIpProt.SIP.requestValidation.1.request.1.event="check-sync"' \
    'voIpProt.SIP.requestValidation.1.method="digest"'

# --- Cisco MPP: Upgrade_Rule, and resync by SIP per used line. ------------
UP=("<Upgrade_Enable>Yes</Upgrade_Enable>" "<Upgrade_Rule>$BASE/sip88xx.12-0-7MPP0201-66.loads</Upgrade_Rule>")
STAY=("<Upgrade_Rule></Upgrade_Rule>")
ALWAYS=("<Resync_From_SIP>Yes</Resync_From_SIP>")
family cisco Cisco 8841 7841 00:56:2b:00:03:01 00:56:2b:00:03:02 00562b000301.xml 00562b000302.xml \
    "Cisco-CP-8841-3PCC/12.0.1 (00562b000301)" "Cisco-CP-8841-3PCC/12.0.7 (00562b000301)" \
    "Cisco-CP-7841-3PCC/12.0.1 (00562b000302)" 12.0.7 sip88xx.12-0-7MPP0201-66.loads yes
api POST /extensions '{"extension":"301","callerid_name":"Desk 301","mac":"00:56:2b:00:03:01","secret":"Secret301"}'
expect_status 201 "cisco line"
render 00:56:2b:00:03:01 00562b000301.xml "Cisco-CP-8841-3PCC/12.0.1 (00562b000301)"
expect_keys "cisco: the used line takes an authenticated resync" "<Auth_Resync-Reboot_1_>Yes</Auth_Resync-Reboot_1_>"
expect_none "cisco: an unused line is not given one" "<Auth_Resync-Reboot_2_>"

# --- Grandstream GXP21xx: the version-2 (alias) file. ---------------------
UP=('<item name="provisioning.firmware.serverPath">prov.example.net/p</item>'
    '<item name="provisioning.firmware.protocol">HTTP</item>'
    '<item name="provisioning.firmware.filePrefix">v1.0.11.3-</item>'
    '<item name="provisioning.firmware.checkCondition">CheckWhenChange</item>'
    '<item name="provisioning.firmware.confirm.enable">No</item>')
STAY=('<item name="provisioning.firmware.checkCondition">SkipCheck</item>')
ALWAYS=('<item name="sip.notify.challenge">Yes</item>' '<item name="account.1.sip.allowSipReset">No</item>')
family grandstream-gxp Grandstream GXP2135 GXP2170 00:0b:82:00:04:01 00:0b:82:00:04:02 \
    cfg000b82000401.xml cfg000b82000402.xml \
    "Grandstream Model HW GXP2135 SW 1.0.7.97 DevId 000b82000401" \
    "Grandstream Model HW GXP2135 SW 1.0.11.3 DevId 000b82000401" \
    "Grandstream Model HW GXP2170 SW 1.0.7.97 DevId 000b82000402" 1.0.11.3 v1.0.11.3-gxp2135fw.bin yes

# --- Grandstream GRP26xx: P-values. ----------------------------------------
UP=("<P192>prov.example.net/p</P192>" "<P6767>1</P6767>" "<P232>v1.0.7.5-</P232>" "<P238>1</P238>" "<P8375>0</P8375>")
STAY=("<P238>2</P238>")
ALWAYS=("<P4428>0</P4428>" "<P26015>0</P26015>")
family grandstream-grp Grandstream GRP2612 GRP2614 00:0b:82:00:04:03 00:0b:82:00:04:04 \
    cfg000b82000403.xml cfg000b82000404.xml \
    "Grandstream Model HW GRP2612 SW 1.0.5.67 DevId 000b82000403" \
    "Grandstream Model HW GRP2612 SW 1.0.7.5 DevId 000b82000403" \
    "Grandstream Model HW GRP2614 SW 1.0.5.67 DevId 000b82000404" 1.0.7.5 v1.0.7.5-grp2600fw.bin yes

# --- Snom: firmware and update_policy in <model>-<mac>.htm. ---------------
UP=('<update_policy perm="R">auto_update</update_policy>'
    "<firmware perm=\"R\">$BASE/snomD785-10.1.215.13-SIP-r.bin</firmware>")
STAY=('<update_policy perm="R">settings_only</update_policy>')
ALWAYS=('<challenge_checksync perm="R">on</challenge_checksync>')
family snom Snom D785 D735 00:04:13:00:05:01 00:04:13:00:05:02 snomD785-000413000501.htm snomD735-000413000502.htm \
    "Mozilla/4.0 (compatible; snomD785-SIP 10.1.33.33 2010.12-00004-g9ba52f5 000413000501 SXM:0 UXM:0)" \
    "Mozilla/4.0 (compatible; snomD785-SIP 10.1.215.13 2010.12-00004-g9ba52f5 000413000501 SXM:0 UXM:0)" \
    "Mozilla/4.0 (compatible; snomD735-SIP 10.1.33.33 2010.12-00004-g9ba52f5 000413000502 SXM:0 UXM:0)" \
    10.1.215.13 snomD785-10.1.215.13-SIP-r.bin yes

# --- Fanvil: Auto_Image_URL; the vendor's own check stays off. ------------
UP=("<Download_Mode>1</Download_Mode>" "<Auto_Image_URL>$BASE/x5u-v2-2.12.22.2.z</Auto_Image_URL>")
STAY=("<Auto_Image_URL></Auto_Image_URL>")
ALWAYS=("<EnableAutoUpgrade>0</EnableAutoUpgrade>")
family fanvil Fanvil X5U-V2 X6U 0c:38:3e:00:06:01 0c:38:3e:00:06:02 0c383e000601.cfg 0c383e000602.cfg \
    "Fanvil X5U-V2 2.12.16.17 0c383e000601" "Fanvil X5U-V2 2.12.22.2 0c383e000601" \
    "Fanvil X6U 2.12.16.17 0c383e000602" 2.12.22.2 x5u-v2-2.12.22.2.z yes

# --- Over HTTP: what the phone itself fetches, for two families. ----------
# A model target for Yealink and Polycom; the running server sees the CLI's
# images once its catalog has verified them.
target '{"vendor":"yealink","model":"T46U","version":"108.86.0.90"}'
target '{"vendor":"polycom","model":"VVX_400","version":"5.9.5.0001"}'
fetch() { curl -s --max-time 10 -o "$WORK/out" -w '%{http_code}' -A "$1" "http://127.0.0.1:$HTTP_PORT/$2"; }
for _ in $(seq 1 50); do
    [[ $(fetch "Yealink SIP-T46U 108.86.0.80 00:15:65:00:01:01" 001565000101.cfg) == 200 ]] &&
        has "static.firmware.url = $BASE/T46U-108.86.0.90.rom" && break
    sleep 0.1
done
expect_keys "yealink over HTTP, old firmware" "static.firmware.url = $BASE/T46U-108.86.0.90.rom"
[[ $(fetch "Yealink SIP-T46U 108.86.0.90 00:15:65:00:01:01" 001565000101.cfg) == 200 ]] && ok || bad "yealink fetch"
expect_keys "yealink over HTTP, on target" "static.firmware.url = %NULL%"
[[ $(fetch "FileTransport PolycomVVX-VVX_400-UA/5.9.3.0000 Type/Application" 0004f2000201.cfg) == 200 ]] && ok ||
    bad "polycom master fetch"
expect_keys "polycom over HTTP, old firmware" 'APP_FILE_PATH="VVX400-5.9.5.0001.sip.ld"'
# The master is the same for a MAC the store does not know.
[[ $(fetch "FileTransport PolycomVVX-VVX_400-UA/5.9.3.0000 Type/Application" 0004f2999999.cfg) == 200 ]] && ok ||
    bad "polycom master fetch, unknown MAC"
expect_keys "polycom over HTTP, unknown MAC" 'APP_FILE_PATH="VVX400-5.9.5.0001.sip.ld"'
# The image itself is served from the provisioning root.
[[ $(curl -s --max-time 10 -o "$WORK/img" -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/T46U-108.86.0.90.rom") == 200 ]] &&
    cmp -s "$WORK/img" "$WORK/T46U-108.86.0.90.rom" && ok || bad "the Yealink image is not served"

finish

#!/usr/bin/env bash
# One phone of every family: an inventory CSV holding one desk phone (or DECT
# base) of each vendor folder in vendor-templates/ imports in one request,
# and every phone then provisions: each of its per-device files over HTTP
# with its real User-Agent (tests/data/user_agents.tsv, the first row whose
# model the family's vendor.json lists, one with a MAC first), and over
# TFTP by name alone, where the vendor and the device's make decide who owns
# a name several vendors use (`<mac>.cfg`). A family added to vendor-templates/
# is in this suite without a line changed here; a family without a User-Agent
# in user_agents.tsv fails it.
source "$(dirname "$0")/lib.sh"
SRC="${SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
for tool in curl jq tftp python3; do
    command -v "$tool" >/dev/null || { echo "every_family_test needs $tool" >&2; exit 1; }
done

# The plan, one line per family: vendor|make|model|mac|User-Agent|device files
# (space-separated, {mac} and {model} filled in the way vendor.json spells them).
python3 - "$TEMPLATES_DIR" "$SRC/tests/data/user_agents.tsv" >"$WORK/plan" <<'PY' || { echo "no plan" >&2; exit 1; }
import json, os, sys
templates, tsv = sys.argv[1], sys.argv[2]
rows = [line.rstrip("\n").split("\t") for line in open(tsv, encoding="utf-8") if line.strip()]
for vendor in sorted(os.listdir(templates)):
    path = os.path.join(templates, vendor, "vendor.json")
    if not os.path.isfile(path):
        continue
    v = json.load(open(path, encoding="utf-8"))
    device_files = [f["path"] for f in v.get("files", []) if f.get("kind") == "device"]
    if not device_files:
        continue  # a softphone: no files to fetch
    models = v.get("models", {})
    candidates = [r for r in rows if len(r) >= 5 and r[0] == vendor and r[1] in models]
    # A User-Agent that carries its MAC first; else a MAC from the family's OUI.
    pick = next((r for r in candidates if r[3]), candidates[0] if candidates else None)
    if pick is None:
        print(f"{vendor}|{v['name']}|||NO-USER-AGENT|")
        continue
    _, model, _, mac, ua = pick[:5]
    if not mac:
        mac = v["ouis"][0] + "00a001"
    mac = mac.upper() if v.get("mac_case") == "upper" else mac.lower()
    files = " ".join(p.replace("{mac}", mac).replace("{model}", model) for p in device_files)
    print(f"{vendor}|{v['name']}|{model}|{mac}|{ua}|{files}")
PY

# The inventory: one phone per family, extension 3001, 3002, ...
echo "mac,make,model,extension,device_type,callerid_name" >"$WORK/fleet.csv"
n=0
while IFS='|' read -r vendor make model mac ua files; do
    n=$((n + 1))
    if [[ "$ua" == NO-USER-AGENT ]]; then
        bad "$vendor: tests/data/user_agents.tsv has no User-Agent for a model its vendor.json lists"
        continue
    fi
    printf '%s,%s,%s,%d,SIP,%s desk\n' "$mac" "$make" "$model" $((3000 + n)) "$make" >>"$WORK/fleet.csv"
done <"$WORK/plan"
families=$(wc -l <"$WORK/plan")
[[ $families -ge 6 ]] && ok || bad "at least the first six families are planned: $families"

start_server
TFTP_PORT=$(jq -r .tftp "$DATA/ports.json")
api PUT /settings '{"sip_server":"pbx.example.net","provisioning_url":"http://prov.example.net/"}'
expect_status 200 "settings"

STATUS=$(curl -s --max-time 20 -o "$WORK/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: text/csv' --data-binary "@$WORK/fleet.csv" "http://127.0.0.1:$ADMIN_PORT/api/v1/imports")
BODY=$(cat "$WORK/body")
echo "POST /imports $STATUS" >>"$WORK/api-statuses"
expect_status 200 "the inventory of one phone per family imports"
api GET "/devices?limit=100"
expect_json '.items | length' "$((n - $(grep -c NO-USER-AGENT "$WORK/plan" || true)))" "one device per family"

n=0
while IFS='|' read -r vendor make model mac ua files; do
    n=$((n + 1))
    [[ "$ua" == NO-USER-AGENT ]] && continue
    ext=$((3000 + n))
    : >"$WORK/all.$vendor"
    : >"$WORK/tftp.$vendor"
    for file in $files; do
        rm -f "$WORK/got"
        code=$(curl -s --max-time 10 -o "$WORK/got" -w '%{http_code}' -A "$ua" "http://127.0.0.1:$HTTP_PORT/$file")
        if [[ "$code" == 200 && -s "$WORK/got" ]]; then ok; else bad "$vendor $model: GET $file answered $code"; fi
        cat "$WORK/got" >>"$WORK/all.$vendor" 2>/dev/null
        # By name alone over TFTP: no User-Agent, the device's make decides.
        rm -f "$WORK/got"
        err=$(timeout 30 tftp -m binary 127.0.0.1 "$TFTP_PORT" -c get "$file" "$WORK/got" 2>&1)
        if [[ -s "$WORK/got" && "$err" != *[Ee]rror* ]]; then ok; else bad "$vendor $model: TFTP $file: ${err:-empty}"; fi
        cat "$WORK/got" >>"$WORK/tftp.$vendor" 2>/dev/null
    done
    # The phone's registration is in one of its files: its extension and the PBX.
    for via in all tftp; do
        grep -qF "$ext" "$WORK/$via.$vendor" && ok || bad "$vendor $model ($via): no file names extension $ext"
        grep -qF "pbx.example.net" "$WORK/$via.$vendor" && ok || bad "$vendor $model ($via): no file names the PBX"
    done
done <"$WORK/plan"

# Every fetch was a phone the store knows: the event log holds a success for each family.
api GET "/events?limit=500"
while IFS='|' read -r vendor make model mac ua files; do
    [[ "$ua" == NO-USER-AGENT ]] && continue
    got=$(jq -r --arg mac "$(tr 'A-F' 'a-f' <<<"$mac")" \
        '[.items[] | select((.mac | ascii_downcase | gsub("[^0-9a-f]"; "")) == $mac)] | length' <<<"$BODY")
    [[ "${got:-0}" -ge 1 ]] && ok || bad "$vendor: no event for $mac"
done <"$WORK/plan"

echo "every_family: $(grep -vc NO-USER-AGENT "$WORK/plan") families provisioned over HTTP and TFTP"
finish

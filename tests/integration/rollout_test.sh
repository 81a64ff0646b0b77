#!/usr/bin/env bash
# Firmware status and rollouts end to end (issue 14), on the real binary:
# three Cisco 8841s, an image of 12.0.8 in the catalog, a rollout with one
# canary. The canary, fetching its config with its real User-Agent, is told
# to upgrade and the others are not; still on 12.0.7 after three more
# fetches it is `failed` and the rollout halts by itself. A second rollout
# whose canary comes back on 12.0.8 completes and reaches every phone; one
# call rolls it back. A TFTP fetch (no User-Agent) is `unknown`, never
# `failed`. Bad rollouts are refused naming the field; viewers may not start one.
#
# Needs curl (with tftp://), jq. Traffic stays on 127.0.0.1.

source "$(dirname "$0")/lib.sh"

for tool in curl jq; do
    command -v "$tool" >/dev/null || { echo "rollout_test needs $tool" >&2; exit 1; }
done

FW="$WORK/fw"
mkdir -p "$FW"
A=00562b040001 B=00562b040002 C=00562b040003 D=00562b040004
ua() { echo "Cisco-CP-8841-3PCC/$1 ($2)"; }
# fetch MAC VERSION: the phone's config with its User-Agent at VERSION, into $WORK/MAC.xml.
fetch() {
    STATUS=$(curl -s --max-time 10 -o "$WORK/$1.xml" -w '%{http_code}' -A "$(ua "$2" "$1")" \
        "http://127.0.0.1:$HTTP_PORT/$1.xml")
}
# device MAC: its API view in BODY (after the event writer caught up: a fetch is recorded within a second).
device() { api GET "/devices/$1"; }
# wait_json PATH JQ VALUE: GET PATH until JQ gives VALUE, at most 15 s (the server moves rollouts every 5 s).
wait_json() {
    for _ in $(seq 1 150); do
        api GET "$1"
        [[ $(jq -r "$2" <<<"$BODY") == "$3" ]] && return 0
        sleep 0.1
    done
    return 1
}

start_server -D firmware.dir="$FW"
api PUT /settings '{"sip_server":"pbx.example.net","provisioning_url":"http://prov.example.net/"}'
expect_status 200 "settings"
n=1
for mac in $A $B $C $D; do
    api POST /extensions "{\"extension\":\"30$n\",\"callerid_name\":\"Desk $n\",\"mac\":\"$mac\",\"phone_make\":\"Cisco\",\"phone_model\":\"8841\",\"secret\":\"Secret30${n}x\"}"
    expect_status 201 "phone $mac"
    n=$((n + 1))
done
head -c 65536 /dev/urandom >"$WORK/img"
STATUS=$(curl -s --max-time 20 -o "$WORK/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
    -T "$WORK/img" "http://127.0.0.1:$ADMIN_PORT/api/v1/firmware?vendor=cisco&models=8841&version=12.0.8&name=sip88xx.12-0-8MPP.loads")
BODY=$(cat "$WORK/body")
expect_status 201 "the image is added"

# --- Refusals: each bad field named, nothing stored. -----------------------
api POST /firmware/rollouts '{"vendor":"cisco","model":"8841","version":"12.0.9","canaries":["00562b040001"],"percent":10,"window":"5s"}'
expect_status 400 "a bad rollout is refused"
expect_json '.error.fields | keys | sort | join(",")' "canaries,version,window"
api POST /firmware/rollouts '{"vendor":"cisco","model":"8841","version":"12.0.8","canaries":["00562b0400ff"],"window":"10m"}'
expect_status 400 "a canary that is not an 8841 of the inventory is refused"
expect_json '.error.fields.canaries' "00562b0400ff is not a Cisco 8841 in the inventory"
api POST /firmware/rollouts '{"vendor":"cisco","model":"8841","version":"12.0.8","canaries":"x","window":"10m","colour":1}'
expect_status 400 "a malformed rollout is refused"
expect_json '.error.fields | keys | sort | join(",")' "canaries,colour"
api POST /firmware/rollouts '{"vendor":"polycom","model":"VVX_400","version":"5.9.5","canaries":["0004f2000001"],"window":"1h"}'
expect_status 400 "no Polycom rollout: its master file cannot tell one phone alone"
expect_true grep -q "set the model's target instead" <<<"$(jq -r .error.fields.vendor <<<"$BODY")"
api GET /firmware/rollouts
expect_json .total 0 "no rollout was stored"
api POST /tokens '{"name":"ro","role":"viewer"}'
VIEWER=$(jq -r .token <<<"$BODY")
api POST /firmware/rollouts '{"vendor":"cisco","model":"8841","version":"12.0.8","canaries":["00562b040001"],"window":"10m"}' "$VIEWER"
expect_status 403 "a viewer may not start a rollout"

# --- A canary that never comes back on the version halts the rollout. ------
api POST /firmware/rollouts '{"vendor":"cisco","model":"8841","version":"12.0.8","canaries":["00:56:2B:04:00:01"],"window":"10m"}'
expect_status 201 "a rollout starts"
expect_json .state canary
expect_json '.canaries | join(",")' "$A"
ID1=$(jq -r .id <<<"$BODY")
api POST /firmware/rollouts '{"vendor":"cisco","model":"8841","version":"12.0.8","canaries":["00562b040002"],"window":"10m"}'
expect_status 409 "a second rollout of the same model waits for the first"

fetch $A 12.0.7
expect_status 200 "the canary's config"
fetch $B 12.0.7
expect_status 200 "another phone's config"
expect_true grep -q "<Upgrade_Rule>http://prov.example.net/sip88xx.12-0-8MPP.loads</Upgrade_Rule>" "$WORK/$A.xml"
expect_true grep -q "<Upgrade_Rule></Upgrade_Rule>" "$WORK/$B.xml"
expect_true wait_json "/devices/$A" .firmware_status upgrading
expect_json .firmware_target 12.0.8
device $B
expect_json .firmware_status "" "a phone outside the canary ring has no target"
for _ in 1 2; do fetch $A 12.0.7; done
sleep 1.2
device $A
expect_json .firmware_status upgrading "two fetches on the old version: still upgrading"
api GET "/firmware/rollouts/$ID1"
expect_json .state canary
fetch $A 12.0.7
expect_true wait_json "/devices/$A" .firmware_status failed
expect_true wait_json "/firmware/rollouts/$ID1" .state halted
expect_json .reason "canary $A failed: it still reports \"12.0.7\" after 3 fetches told to upgrade to 12.0.8"
expect_json '.members | map(select(.ring == "canary")) | .[0].firmware_status' failed
api GET /staging
expect_json .firmware_counts.failed 1 "the staging view counts the failed phone"
fetch $A 12.0.7
expect_true grep -q "<Upgrade_Rule></Upgrade_Rule>" "$WORK/$A.xml"
expect_true wait_json "/devices/$A" .firmware_status ""
api POST "/firmware/rollouts/$ID1/halt" ''
expect_status 409 "a halted rollout does not halt again"
api POST "/firmware/rollouts/$ID1/halt" '{"why":"x","reason":7}'
expect_status 400 "a bad halt body is refused, each field named"
expect_json '.error.fields | keys | sort | join(",")' "reason,why"
api POST /firmware/rollouts '{"vendor":"cisco","model":"8841","version":"12.0.8","percent":true,"window":true}'
expect_status 400 "a boolean is no percent and no window"
expect_json '.error.fields | keys | sort | join(",")' "percent,window"

# --- A canary that upgrades: the rollout completes and reaches the rest. ---
api POST /firmware/rollouts '{"vendor":"cisco","model":"8841","version":"12.0.8","canaries":["00562b040002"],"window":3600}'
expect_status 201 "a second rollout starts once the first halted"
ID2=$(jq -r .id <<<"$BODY")
fetch $B 12.0.7
expect_true wait_json "/devices/$B" .firmware_status upgrading
fetch $B 12.0.8
expect_true grep -q "<Upgrade_Rule></Upgrade_Rule>" "$WORK/$B.xml"
expect_true wait_json "/devices/$B" .firmware_status on_target
expect_true wait_json "/firmware/rollouts/$ID2" .state complete
api GET /firmware/targets
expect_json '[.items[] | select(.scope == "model")][0].version' 12.0.8 "the model's target is the version"
expect_json '[.items[] | select(.scope == "device")] | length' 0 "the canary's own row went"
device $B
expect_json .state stale "the completion marked the model's phones stale (to be pushed)"
fetch $C 12.0.7
expect_true wait_json "/devices/$C" .firmware_status upgrading

# A TFTP fetch carries no User-Agent: a phone only ever seen so is
# unknown, never failed; one seen over HTTP keeps what that fetch found.
TFTP_PORT=$(jq -r .tftp "$DATA/ports.json")
for _ in 1 2 3 4; do
    curl -s --max-time 10 -o /dev/null "tftp://127.0.0.1:$TFTP_PORT/$C.xml"
    curl -s --max-time 10 -o /dev/null "tftp://127.0.0.1:$TFTP_PORT/$D.xml"
done
expect_true wait_json "/devices/$D" .firmware_status unknown
expect_json .firmware_target 12.0.8
device $C
expect_json .firmware_status upgrading "TFTP fetches leave an HTTP fetch's finding as it was"

# --- One call rolls it back. -----------------------------------------------
api POST "/firmware/rollouts/$ID2/rollback" ''
expect_status 200 "a rollback"
expect_json .state rolled_back
api GET /firmware/targets
expect_json '.items | length' 0 "no target is left (there was none before)"
fetch $C 12.0.7
expect_true wait_json "/devices/$C" .firmware_status ""
api GET "/audit?entity=firmware_rollout"
expect_json '[.items[].action] | sort | join(",")' "complete,create,create,halt,rollback"

# The CLI reads the same rollouts.
run firmware rollouts -D store.path="$DATA/store.db" -D templates.dir="$TEMPLATES_DIR" -D firmware.dir="$FW"
expect_rc 0 "firmware rollouts"
expect_true grep -q "rolled_back" <<<"$OUT"
run firmware rollout show "$ID1" -D store.path="$DATA/store.db" -D templates.dir="$TEMPLATES_DIR" -D firmware.dir="$FW"
expect_rc 0 "firmware rollout show"
expect_true grep -q "canary" <<<"$OUT"
run firmware rollout start --vendor cisco --model 8841 --version 12.0.8 --percent 0 --window 1h \
    -D store.path="$DATA/store.db" -D templates.dir="$TEMPLATES_DIR" -D firmware.dir="$FW"
expect_rc 2 "a percent of 0 is a usage error"
finish

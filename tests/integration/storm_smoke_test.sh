#!/usr/bin/env bash
# The boot-storm harness (bench/storm) against the real binary, small enough
# to run with every build so it cannot rot: 50 phones of six vendors boot
# within 3 s (HTTP with Digest, HTTPS resumed by ticket, TFTP from an allowed
# network, new phones through a staging window), every one is provisioned,
# and every file it got is, byte for byte, what a single curl gets for the
# same phone afterwards.
#
# Needs the storm binary beside the provisioner (cmake --build builds it),
# curl with tftp://, jq, python3. Traffic goes to 127.0.0.0/8 only; every run is bounded.
source "$(dirname "$0")/lib.sh"
SRC=${SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
STORM=${STORM_BIN:-$(dirname "$PROVISIONER_BIN")/storm}
[[ -x $STORM ]] || { echo "storm_smoke_test needs $STORM (cmake --build build --target storm)" >&2; exit 1; }
curl -V | grep -qw tftp || { echo "storm_smoke_test needs a curl with tftp://" >&2; exit 1; }

python3 "$SRC/bench/storm/fleet.py" make 50 "$WORK" --new-share 0.2 >/dev/null
# The policy of bench/storm/run.sh: loopback as such is not trusted.
start_server -D provisioning.allow_networks="127.3.0.0/16, 127.9.0.0/16" -D certs.dir="$DATA/certs" \
    -D tls.server_names=127.0.0.1
api_file POST /imports "$WORK/inventory.csv"
expect_status 200 "import the fleet"
expect_json .devices.created 50
NODE=$(jq -r '"http://127.0.0.1:\(.http),https://127.0.0.1:\(.https),tftp://127.0.0.1:\(.tftp)"' "$DATA/ports.json")
HTTPS_PORT=$(jq -r .https "$DATA/ports.json")
TFTP_PORT=$(jq -r .tftp "$DATA/ports.json")

# storm LABEL ARGS...: runs the storm (at most 25 s); its JSON line in $WORK/LABEL.json.
storm() {
    local label=$1; shift
    timeout 25 "$STORM" --node "$NODE" --timeout-s 5 --attempts 3 --deadline-s 20 --label "$label" "$@" \
        >"$WORK/$label.out" 2>&1
    RC=$?
    sed -n 's/^JSON //p' "$WORK/$label.out" >"$WORK/$label.json"
    BODY=$(cat "$WORK/$label.json")
}

# The provisioned phones' first contact, from the allowed bench network.
storm dry --phones "$WORK/dryrun.tsv" --window-s 1
expect_rc 0 "the dry run provisions every phone in it: $(cat "$WORK/dry.out")"
python3 "$SRC/bench/storm/fleet.py" arm "$WORK" "$ADMIN_PORT" "$TOKEN" >"$WORK/arm.out" ||
    bad "fleet.py arm: $(cat "$WORK/arm.out")"

mkdir "$WORK/www"
storm boot --phones "$WORK/phones.tsv" --window-s 3 --save "$WORK/www" --server-pid "$SERVER_PID"
expect_rc 0 "the storm provisions every phone: $(cat "$WORK/boot.out")"
expect_json .provisioned 50
expect_json .errors '{}'
NEW=$(awk -F'\t' '$5 == 1' "$WORK/fleet.tsv" | wc -l)
HTTPS=$(cut -f1 "$WORK/phones.tsv" | grep -c '^https$')
DIGEST=$(awk -F'\t' '$1 != "tftp" && $4 != "-"' "$WORK/phones.tsv" | wc -l)
[[ $NEW -gt 0 && $HTTPS -gt 0 && $DIGEST -gt 0 ]] && ok || bad "the fleet has new ($NEW), HTTPS ($HTTPS) and Digest ($DIGEST) phones"
[[ $(jq -r .challenges <<<"$BODY") -ge $DIGEST ]] && ok || bad "every Digest phone answered a challenge: $BODY"
# Each HTTPS phone makes a connection per file, the first a full handshake.
[[ $(jq -r .resumed <<<"$BODY") -ge $HTTPS ]] && ok || bad "HTTPS phones resumed their sessions: $BODY"
[[ $(jq -r .server_cpu_s <<<"$BODY") != 0.00 && $(jq -r .server_peak_rss_kib <<<"$BODY") -gt 1000 ]] && ok ||
    bad "the server's CPU and peak RSS are read from /proc: $BODY"
api GET "/staging/windows"
expect_json '[.items[].used] | add' "$NEW" "the new phones were claimed through the staging window"

# Every file of every phone, fetched once more by curl as that phone (its
# address, User-Agent and credentials), is the storm's copy byte for byte.
checked=0
while IFS=$'\t' read -r proto src ua user pass files; do
    for f in $files; do
        args=(-s --max-time 10 -o "$WORK/got" --interface "$src")
        [[ $ua != - ]] && args+=(-A "$ua")
        [[ $user != - ]] && args+=(--digest -u "$user:$pass")
        case $proto in
            http) url="http://127.0.0.1:$HTTP_PORT/$f" ;;
            https) url="https://127.0.0.1:$HTTPS_PORT/$f"; args+=(-k) ;;
            tftp) url="tftp://127.0.0.1:$TFTP_PORT/$f" ;;
        esac
        rm -f "$WORK/got"
        if curl "${args[@]}" "$url" && cmp -s "$WORK/got" "$WORK/www/$proto/$f"; then
            checked=$((checked + 1))
        else
            bad "$proto $f from $src: curl's copy differs from the storm's (or failed)"
        fi
    done
done <"$WORK/phones.tsv"
WANT=$(cut -f6 "$WORK/phones.tsv" | wc -w)
[[ $checked == "$WANT" ]] && ok || bad "checked $checked of $WANT files"
echo "storm: $(sed -n 2,3p "$WORK/boot.out" | tr -s ' ' | tr '\n' ';') $checked files compared with curl"
finish

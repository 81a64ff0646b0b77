#!/usr/bin/env bash
# The firmware catalog end to end (issue 14), on the real binary with curl:
# uploads through POST /api/v1/firmware (good, corrupt, wrong size, bad
# fields, 413 by Content-Length and past the cap when chunked), the CLI's
# `firmware add/list/remove/target`, a catalog image truncated after it was
# added refused over HTTP and TFTP and served again once put back, targets,
# and a 200 MiB image uploaded and downloaded (HTTP and TFTP) with the
# server's peak RSS bounded.
#
# Needs curl (with tftp://), jq, sha256sum, cmp. Traffic stays on 127.0.0.1.

source "$(dirname "$0")/lib.sh"

for tool in curl jq sha256sum cmp truncate; do
    command -v "$tool" >/dev/null || { echo "firmware_test needs $tool" >&2; exit 1; }
done
curl -V | grep -qw tftp || { echo "firmware_test needs a curl with tftp://" >&2; exit 1; }

FW="$WORK/fw"
mkdir -p "$FW"

# upload FILE QUERY [EXTRA CURL ARGS...]: streams FILE as the body of
# POST /api/v1/firmware?QUERY (curl -T never holds it in memory either).
upload() {
    local file=$1 query=$2
    shift 2
    : >"$WORK/body"
    STATUS=$(curl -s --max-time 120 -o "$WORK/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/octet-stream' "$@" -T "$file" "http://127.0.0.1:$ADMIN_PORT/api/v1/firmware?$query")
    BODY=$(cat "$WORK/body")
}

fetch_http() { curl -s --max-time 120 -o "$2" -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/$1"; }
fetch_tftp() { curl -s --max-time 120 --tftp-blksize 65464 -o "$2" "tftp://127.0.0.1:$TFTP_PORT/$1"; }
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$SERVER_PID/status"; }
incoming_empty() { [[ -z "$(ls -A "$FW/.incoming" 2>/dev/null)" ]]; }
cli() {
    "$PROVISIONER_BIN" "$@" -D store.path="$DATA/store.db" -D templates.dir="$TEMPLATES_DIR" -D firmware.dir="$FW"
}

# wait_state ID STATE: the image's state reaches STATE within 10 s.
wait_state() {
    for _ in $(seq 1 100); do
        api GET "/firmware/$1"
        [[ $(jq -r .state <<<"$BODY") == "$2" ]] && return 0
        sleep 0.1
    done
    return 1
}

# --- 1. A small cap: every refusal, and a good image. ---------------------
start_server -D firmware.dir="$FW" -D firmware.max_bytes=1048576 -D firmware.rescan_interval=1
TFTP_PORT=$(jq -r .tftp "$DATA/ports.json")

head -c 524288 /dev/urandom >"$WORK/small.rom"
SMALL_SHA=$(sha256sum "$WORK/small.rom" | cut -d' ' -f1)

upload "$WORK/small.rom" "vendor=yealink&models=T46U,T48U&version=108.86.0.90&name=T46U-108.86.0.90.rom&sha256=$SMALL_SHA&size=524288"
expect_status 201 "a good image is added"
expect_json .state ok
expect_json .sha256 "$SMALL_SHA"
expect_json '.models | join(",")' "T46U,T48U"
SMALL_ID=$(jq -r .id <<<"$BODY")
[[ $(stat -c %a "$FW/T46U-108.86.0.90.rom") == 644 ]] && ok || bad "the image is not 0644"
jq -e '.[0].sha256 == "'"$SMALL_SHA"'"' "$FW/manifest.json" >/dev/null && ok || bad "manifest.json lacks the image"
[[ $(fetch_http T46U-108.86.0.90.rom "$WORK/got") == 200 ]] && cmp -s "$WORK/got" "$WORK/small.rom" && ok ||
    bad "the image is not served intact over HTTP"
fetch_tftp T46U-108.86.0.90.rom "$WORK/got.tftp" && cmp -s "$WORK/got.tftp" "$WORK/small.rom" && ok ||
    bad "the image is not served intact over TFTP"

upload "$WORK/small.rom" "vendor=yealink&models=T46U&version=1.0&name=corrupt.rom&sha256=$(printf '%064d' 0)"
expect_status 400 "a SHA-256 mismatch is refused"
expect_json .error.code checksum_mismatch
expect_json '.error.fields | has("sha256")' true
upload "$WORK/small.rom" "vendor=yealink&models=T46U&version=1.0&name=short.rom&size=524287"
expect_status 400 "a size mismatch is refused"
expect_json .error.code size_mismatch
expect_json '.error.fields | has("size")' true
[[ ! -e "$FW/corrupt.rom" && ! -e "$FW/short.rom" ]] && incoming_empty && ok || bad "a refused upload left a file"

upload "$WORK/small.rom" "vendor=acme&models=X1&version=&name=../x&sha256=zz&colour=red"
expect_status 400 "bad fields are refused"
expect_json '.error.fields | keys | join(",")' "colour,name,sha256,vendor,version" "every bad field is named"
upload "$WORK/small.rom" "vendor=yealink&models=T46U,Q9&version=2&name=q.rom"
expect_status 400
expect_json '.error.fields.models | test("Q9")' true "the unknown model is named"
upload "$WORK/small.rom" "vendor=yealink&models=T46U&version=2&name=T46U-108.86.0.90.rom"
expect_status 409 "an image never replaces another"
cmp -s "$FW/T46U-108.86.0.90.rom" "$WORK/small.rom" && ok || bad "the first image was changed"

VIEWER=$("$PROVISIONER_BIN" token create --role viewer --name fw-viewer -D store.path="$DATA/store.db")
: >"$WORK/body"
STATUS=$(curl -s -o "$WORK/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $VIEWER" -T "$WORK/small.rom" \
    "http://127.0.0.1:$ADMIN_PORT/api/v1/firmware?vendor=yealink&models=T46U&version=3&name=v.rom")
expect_status 403 "only admins upload"
api GET /firmware "" "$VIEWER"
expect_status 200 "viewers list images"
expect_json .total 1

head -c 2097152 /dev/urandom >"$WORK/big2m.rom"
upload "$WORK/big2m.rom" "vendor=yealink&models=T46U&version=9&name=big.rom"
expect_status 413 "over firmware.max_bytes by Content-Length"
expect_json .error.code body_too_large
upload "$WORK/big2m.rom" "vendor=yealink&models=T46U&version=9&name=big.rom&size=2097152" -H 'Transfer-Encoding: chunked'
expect_status 413 "over firmware.max_bytes while chunked"
[[ ! -e "$FW/big.rom" ]] && incoming_empty && ok || bad "an over-cap upload left a file"

# Empty, and chunked without a size or SHA-256 (Poco ends a chunked body
# quietly when the client drops: nothing else tells a cut-off image).
: >"$WORK/empty.rom"
upload "$WORK/empty.rom" "vendor=yealink&models=T46U&version=9&name=empty.rom"
expect_status 400 "an empty image is refused"
expect_json '.error.fields | has("body")' true
upload "$WORK/small.rom" "vendor=yealink&models=T46U&version=9&name=chunked.rom" -H 'Transfer-Encoding: chunked'
expect_status 400 "a chunked upload without size or sha256 is refused"
expect_json .error.code length_required
expect_json '.error.fields | has("size")' true
upload "$WORK/small.rom" "vendor=yealink&models=T46U&version=9&name=chunked.rom&size=524288" -H 'Transfer-Encoding: chunked'
expect_status 201 "a chunked upload with its size is taken"
expect_json .sha256 "$SMALL_SHA"
api DELETE "/firmware/$(jq -r .id <<<"$BODY")"
expect_status 204
# A chunked body cut off by the client mid-chunk: never an image.
cut_chunked() {
    exec 3<>"/dev/tcp/127.0.0.1/$ADMIN_PORT"
    printf 'POST /api/v1/firmware?%s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\nTransfer-Encoding: chunked\r\n\r\n10000\r\n' \
        "$1" "$TOKEN" >&3
    head -c 1000 "$WORK/small.rom" >&3
    sleep 0.3
    exec 3>&-
}
cut_chunked "vendor=yealink&models=T46U&version=9&name=cut.rom"
cut_chunked "vendor=yealink&models=T46U&version=9&name=cut2.rom&sha256=$SMALL_SHA"
sleep 0.5
api GET /firmware
[[ $(jq '[.items[] | select(.file | startswith("cut"))] | length' <<<"$BODY") == 0 ]] && ok ||
    bad "a cut-off chunked upload was taken"
[[ ! -e "$FW/cut.rom" && ! -e "$FW/cut2.rom" && ! -e "$FW/empty.rom" ]] && incoming_empty && ok ||
    bad "a refused upload left a file"

# --- 2. Truncated after it was added: refused over HTTP and TFTP. ---------
cp "$FW/T46U-108.86.0.90.rom" "$WORK/keep.rom"
# Other names for it (firmware.catalog_only is false): checked as it is.
ln -s T46U-108.86.0.90.rom "$FW/alias.rom"
ln "$FW/T46U-108.86.0.90.rom" "$FW/hard.rom"
[[ $(fetch_http alias.rom "$WORK/got") == 200 ]] && cmp -s "$WORK/got" "$WORK/small.rom" && ok ||
    bad "a link to a good image is not served"
truncate -s 100000 "$FW/T46U-108.86.0.90.rom"
[[ $(fetch_http T46U-108.86.0.90.rom "$WORK/got") == 404 ]] && ok || bad "a truncated image is served over HTTP"
[[ $(fetch_http alias.rom "$WORK/got") == 404 ]] && ok || bad "a truncated image is served under a symbolic link"
[[ $(fetch_http hard.rom "$WORK/got") == 404 ]] && ok || bad "a truncated image is served under a hard link"
if fetch_tftp alias.rom "$WORK/got.tftp"; then bad "a truncated image is served over TFTP under a link"; else ok; fi
rm -f "$FW/alias.rom" "$FW/hard.rom"
if fetch_tftp T46U-108.86.0.90.rom "$WORK/got.tftp"; then bad "a truncated image is served over TFTP"; else ok; fi
wait_state "$SMALL_ID" corrupt && ok || bad "the truncated image is not marked corrupt"
[[ $(fetch_http T46U-108.86.0.90.rom "$WORK/got") == 404 ]] && ok || bad "a corrupt image is served"
# Put back as it was: hashed again (the rescan notices it), then served.
cp "$WORK/keep.rom" "$FW/T46U-108.86.0.90.rom"
wait_state "$SMALL_ID" ok && ok || bad "the restored image is not verified again"
[[ $(fetch_http T46U-108.86.0.90.rom "$WORK/got") == 200 ]] && cmp -s "$WORK/got" "$WORK/small.rom" && ok ||
    bad "the restored image is not served"
grep -q "T46U-108.86.0.90.rom is corrupt" "$DATA/stderr" "$DATA/stdout" && ok || bad "no log line for the corrupt image"

# --- 3. The CLI beside the running server, and targets. -------------------
head -c 70000 /dev/urandom >"$WORK/t48u.rom"
OUT=$(cli firmware add "$WORK/t48u.rom" --vendor Yealink --models t48u --version 108.86.0.95 \
      --sha256 "$(sha256sum "$WORK/t48u.rom" | cut -d' ' -f1)" 2>&1)
[[ $? -eq 0 && $OUT == *"t48u.rom"* ]] && ok || bad "firmware add from the CLI: $OUT"
[[ -e "$WORK/t48u.rom" ]] && ok || bad "the CLI took the admin's file away"
OUT=$(cli firmware add "$WORK/t48u.rom" --vendor yealink --models T48U --version 1 --name other.rom --size 1 2>&1)
[[ $? -eq 2 && $OUT == *"--size"* ]] && ok || bad "a wrong --size is a usage error naming it: $OUT"
for _ in $(seq 1 30); do [[ $(fetch_http t48u.rom "$WORK/got") == 200 ]] && break; sleep 0.1; done
cmp -s "$WORK/got" "$WORK/t48u.rom" && ok || bad "the server does not serve what the CLI added"
cli firmware list | grep -q "108.86.0.95" && ok || bad "firmware list lacks the CLI's image"

api PUT /firmware/targets '{"vendor":"yealink","model":"T48U","version":"108.86.0.95"}'
expect_status 200 "a model target"
expect_json .scope model
api PUT /firmware/targets '{"vendor":"yealink","model":"T48U","scope":"site","key":"Paris","version":"none"}'
expect_status 200 "a site target of none"
api PUT /firmware/targets '{"vendor":"yealink","model":"T48U","scope":"device","key":"zz","version":"7.7"}'
expect_status 400 "a bad device target"
expect_json '.error.fields | keys | join(",")' "key,version"
api PUT /firmware/targets '{"vendor":"yealink","model":"T46U","version":"108.86.0.95"}'
expect_status 400 "a version the catalog lacks for the model"
OUT=$(cli firmware target --vendor yealink --model T46U --mac 00:15:65:00:00:01 --version 108.86.0.90 2>&1)
[[ $? -eq 0 ]] && ok || bad "firmware target from the CLI: $OUT"
cli firmware targets | grep -q "device  001565000001" && ok || bad "firmware targets lacks the device target"
api GET /firmware/targets
expect_json .total 3
T48U_ID=$(cli firmware list | awk '$3 == "108.86.0.95" {print $1}')
api DELETE "/firmware/$T48U_ID"
expect_status 409 "an image a target names stays"
expect_json .error.code firmware_in_use
api DELETE /firmware/targets '{"vendor":"yealink","model":"T48U"}'
expect_status 204
api DELETE /firmware/targets '{"vendor":"yealink","model":"T48U","scope":"site","key":"Paris"}'
expect_status 204
OUT=$(cli firmware remove "$T48U_ID" 2>&1)
[[ $? -eq 0 && ! -e "$FW/t48u.rom" ]] && ok || bad "firmware remove: $OUT"

# --- 3b. Targets reach the device's rendered config. ----------------------
# A copy of the templates whose Yealink file prints the firmware fields (the
# vendor templates themselves are not changed here).
TPL="$WORK/tpl"
cp -r "$TEMPLATES_DIR" "$TPL"
printf '\n#fw {{#has_firmware_upgrade}}{{firmware_url}} {{firmware_version}}{{/has_firmware_upgrade}}\n' \
    >>"$TPL/yealink/mac.cfg.mustache"
api PUT /settings '{"provisioning_url":"http://prov.example.net/p"}'
expect_status 200
api POST /devices '{"mac":"00:15:65:00:00:01","make":"Yealink","model":"T46U","label":"Paris"}'
expect_status 201
# render OLD_FIRMWARE: the #fw line of the device's config for a phone reporting it.
fw_line() {
    "$PROVISIONER_BIN" render 00:15:65:00:00:01 001565000001.cfg \
        --user-agent "Yealink SIP-T46U $1 00:15:65:00:00:01" -D store.path="$DATA/store.db" \
        -D templates.dir="$TPL" -D firmware.dir="$FW" 2>"$WORK/render-err" | grep '^#fw'
}
WANT="#fw http://prov.example.net/p/T46U-108.86.0.90.rom 108.86.0.90"
[[ $(fw_line 108.86.0.80) == "$WANT" ]] && ok || bad "the device target is not offered: $(fw_line 108.86.0.80) $(cat "$WORK/render-err")"
[[ $(fw_line 108.86.0.90) == "#fw " ]] && ok || bad "a phone on its target is told again"
OUT=$(cli firmware target --vendor yealink --model T46U --mac 00:15:65:00:00:01 --version none 2>&1)
[[ $(fw_line 108.86.0.80) == "#fw " ]] && ok || bad "a device target of none still offers: $OUT"
cli firmware target --vendor yealink --model T46U --mac 00:15:65:00:00:01 --clear >/dev/null
api PUT /firmware/targets '{"vendor":"yealink","model":"T46U","version":"108.86.0.90"}'
expect_status 200
[[ $(fw_line 108.86.0.80) == "$WANT" ]] && ok || bad "the model target is not offered"
api PUT /firmware/targets '{"vendor":"yealink","model":"T46U","scope":"site","key":"Paris","version":"none"}'
[[ $(fw_line 108.86.0.80) == "#fw " ]] && ok || bad "a site target of none does not override the model's"
api DELETE /firmware/targets '{"vendor":"yealink","model":"T46U","scope":"site","key":"Paris"}'
api DELETE /firmware/targets '{"vendor":"yealink","model":"T46U"}'
expect_status 204

# --- 4. 200 MiB, with the server's peak RSS bounded. ----------------------
# A restart: every image is hashed again before it is served.
stop_server
start_server -D firmware.dir="$FW" -D firmware.max_bytes=230686720
TFTP_PORT=$(jq -r .tftp "$DATA/ports.json")
wait_state "$SMALL_ID" ok && ok || bad "the image is not verified at start"

head -c 209715200 /dev/urandom >"$WORK/huge.rom"
HUGE_SHA=$(sha256sum "$WORK/huge.rom" | cut -d' ' -f1)
BOUND_KIB=$((64 * 1024))
BEFORE=$(hwm_kib)
upload "$WORK/huge.rom" "vendor=yealink&models=*&version=200.0&name=huge.rom&sha256=$HUGE_SHA"
expect_status 201 "a 200 MiB image is added"
AFTER=$(hwm_kib)
echo "upload: VmHWM ${BEFORE} -> ${AFTER} KiB" >&2
(( AFTER - BEFORE < BOUND_KIB )) && ok || bad "the upload grew the peak RSS by $((AFTER - BEFORE)) KiB"
[[ $(fetch_http huge.rom "$WORK/got") == 200 ]] && cmp -s "$WORK/got" "$WORK/huge.rom" && ok ||
    bad "the 200 MiB image is not served intact over HTTP"
fetch_tftp huge.rom "$WORK/got.tftp" && cmp -s "$WORK/got.tftp" "$WORK/huge.rom" && ok ||
    bad "the 200 MiB image is not served intact over TFTP"
AFTER2=$(hwm_kib)
echo "downloads: VmHWM ${AFTER} -> ${AFTER2} KiB" >&2
(( AFTER2 - BEFORE < BOUND_KIB )) && ok || bad "the downloads grew the peak RSS by $((AFTER2 - BEFORE)) KiB"
rm -f "$WORK/got" "$WORK/got.tftp" "$WORK/huge.rom"

finish

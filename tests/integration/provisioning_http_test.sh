#!/usr/bin/env bash
# Phones fetch their configs over HTTP: each vendor's boot sequence replayed
# with curl and the vendor's real User-Agent, byte-compared with golden files
# (tests/data/golden/<vendor>/<file>); 304, HEAD, unknown and mismatched MACs,
# denied networks, path escapes, uploads, static firmware, events, preview,
# template reload.
#
# UPDATE_GOLDEN=1 rewrites the golden files from what the server sends;
# review the diff before committing it.
source "$(dirname "$0")/lib.sh"
GOLDEN="${SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/data/golden"

mkdir -p "$WORK/fw" "$WORK/outside" "$WORK/uploads"
head -c 300000 /dev/urandom >"$WORK/fw/T46U-108.86.0.90.rom"
echo "not for phones" >"$WORK/outside/secret.txt"
ln -s "$WORK/outside/secret.txt" "$WORK/fw/escape.rom"

start_server -D firmware.dir="$WORK/fw" -D uploads.dir="$WORK/uploads" -D uploads.max_bytes=4096

# fetch UA FILE [extra curl args]: GET from the phone port; sets STATUS, BODY file $WORK/got
fetch() {
    local ua=$1 file=$2; shift 2
    rm -f "$WORK/got" "$WORK/headers"
    touch "$WORK/got"
    STATUS=$(curl -s --max-time 10 -o "$WORK/got" -D "$WORK/headers" -w '%{http_code}' -A "$ua" "$@" \
        "http://127.0.0.1:$HTTP_PORT/$file")
    BODY=$(head -c 300 "$WORK/got" | tr -d '\0')
}

header() { tr -d '\r' <"$WORK/headers" | sed -n "s/^$1: //Ip" | head -1; }

# golden VENDOR FILE: compares $WORK/got with the golden file byte for byte.
golden() {
    local want="$GOLDEN/$1/$2"
    normalize_creds "$WORK/got"
    if [[ -n "${UPDATE_GOLDEN:-}" ]]; then
        mkdir -p "$GOLDEN/$1"
        cp "$WORK/got" "$want"
    fi
    if cmp -s "$WORK/got" "$want"; then ok; else bad "$1/$2 differs from its golden file"; diff "$want" "$WORK/got" | head -20 >&2; fi
}

YEALINK_UA="Yealink SIP-T46U 108.86.0.90 00:15:65:4a:a9:37"
POLYCOM_UA="FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 Type/Application"
CISCO_UA="Cisco-CP-8841-3PCC/12.0.1 (00562b043615)"
GS_UA="Grandstream Model HW GXP2135 SW 1.0.7.97 DevId 000b828aa872"
SNOM_UA="Mozilla/4.0 (compatible; snomD785-SIP 10.1.33.33 2010.12-00004-g9ba52f5 000413922D24 SXM:0 UXM:0)"
FANVIL_UA="Fanvil X5U-V2 2.12.16.17 0c383e557eb1"

golden_store

# boot VENDOR UA FILE...: each file is served, well formed, and as golden.
boot() {
    local vendor=$1 ua=$2; shift 2
    for f in "$@"; do
        fetch "$ua" "$f"
        expect_status 200 "$vendor $f is served"
        golden "$vendor" "$f"
        if [[ "$f" == *.xml || "$f" == *.htm || ( "$vendor" != yealink && "$f" == *.cfg ) ]]; then
            if xmllint --noout "$WORK/got" 2>/dev/null; then ok; else bad "$vendor $f is not well-formed XML"; fi
        fi
    done
}

# A Yealink asks for <mac>.boot first and y000000000000.boot only when that is
# missing (vendors.md, Yealink boot); we serve both.
boot yealink "$YEALINK_UA" 0015654aa937.boot y000000000000.boot y000000000108.cfg 0015654aa937.cfg
boot polycom "$POLYCOM_UA" 000000000000.cfg 0004f2aabb01.cfg 0004f2aabb01-settings.cfg 0004f2aabb01-directory.xml
boot cisco "$CISCO_UA" 8841.xml 8841-3PCC.xml 00562b043615.xml
boot grandstream "$GS_UA" cfg000b828aa872.xml cfggxp2135.xml cfg.xml
boot snom "$SNOM_UA" snomD785.htm snomD785-000413922D24.htm
boot fanvil "$FANVIL_UA" F0V5UV200000.cfg 0c383e557eb1.cfg

# Both lines and every button reach each phone.
check_lines() {
    local vendor=$1 file=$2 ua=$3 base=$4
    fetch "$ua" "$file"
    for needle in "Secret${base}01" "Secret${base}02" "${base}02" "701" "R&amp;D &lt;Sales&gt;"; do
        if [[ "$vendor" == yealink && "$needle" == "R&amp;D &lt;Sales&gt;" ]]; then needle='R&D <Sales> "Q" = 1'; fi
        if grep -qF -- "$needle" "$WORK/got"; then ok; else bad "$vendor $file lacks '$needle'"; fi
    done
}
check_lines yealink 0015654aa937.cfg "$YEALINK_UA" 10
check_lines polycom 0004f2aabb01-settings.cfg "$POLYCOM_UA" 20
check_lines cisco 00562b043615.xml "$CISCO_UA" 30
check_lines grandstream cfg000b828aa872.xml "$GS_UA" 40
check_lines snom snomD785-000413922D24.htm "$SNOM_UA" 50
check_lines fanvil 0c383e557eb1.cfg "$FANVIL_UA" 60

# A key=value file: no value can start a new line (the caller ID has '=' and quotes).
fetch "$YEALINK_UA" 0015654aa937.cfg
if grep -q '^account.1.display_name = R&D <Sales> "Q" = 1$' "$WORK/got"; then ok; else bad "kv escaping"; fi

# Same name, vendor by User-Agent, else by the device's make in the store.
fetch "" 0015654aa937.cfg
normalize_creds "$WORK/got"
if cmp -s "$WORK/got" "$GOLDEN/yealink/0015654aa937.cfg"; then ok; else bad "no UA: yealink from the store's make"; fi
fetch "" 0c383e557eb1.cfg
expect_status 200
normalize_creds "$WORK/got"
if cmp -s "$WORK/got" "$GOLDEN/fanvil/0c383e557eb1.cfg"; then ok; else bad "no UA: fanvil from the store's make"; fi
fetch "" 0004f2aabb01.cfg
normalize_creds "$WORK/got"
if cmp -s "$WORK/got" "$GOLDEN/polycom/0004f2aabb01.cfg"; then ok; else bad "no UA: polycom from the store's make"; fi

# Conditional GET and HEAD.
fetch "$YEALINK_UA" 0015654aa937.cfg
etag=$(header ETag)
length=$(header Content-Length)
expect_true test -n "$etag"
[[ "$(header Content-Type)" == text/plain* ]] && ok || bad "Content-Type of a Yealink file"
[[ "$length" == "$(stat -c %s "$WORK/got")" ]] && ok || bad "Content-Length matches the body"
fetch "$YEALINK_UA" 0015654aa937.cfg -H "If-None-Match: $etag"
expect_status 304 "If-None-Match answered with 304"
[[ ! -s "$WORK/got" ]] && ok || bad "304 has no body"
fetch "$YEALINK_UA" 0015654aa937.cfg -H 'If-None-Match: "stale"'
expect_status 200 "a stale ETag gets the file"
fetch "$YEALINK_UA" 0015654aa937.cfg -I
expect_status 200 "HEAD"
# With -I curl writes the headers where the body would go: nothing may follow them.
[[ "$(header Content-Length)" == "$length" && "$(tail -c 4 "$WORK/got" | od -An -c | tr -d ' ')" == '\r\n\r\n' ]] \
    && ok || bad "HEAD: same length, no body"
fetch "$POLYCOM_UA" 0004f2aabb01-settings.cfg
[[ "$(header Content-Type)" == application/xml* || "$(header Content-Type)" == text/xml* ]] && ok || bad "XML Content-Type: $(header Content-Type)"

# A changed config gets a new ETag.
api PATCH /extensions/1001 '{"callerid_name":"Alice"}'
expect_status 200
fetch "$YEALINK_UA" 0015654aa937.cfg -H "If-None-Match: $etag"
expect_status 200 "changed config is sent again"
[[ "$(header ETag)" != "$etag" ]] && ok || bad "ETag changes with the config"

# Unknown MAC: 404; a UA whose MAC disagrees with the path: refused the same way.
fetch "Yealink SIP-T46U 108.86.0.90 00:15:65:00:00:01" 001565000001.cfg
expect_status 404 "unknown MAC"
cp "$WORK/got" "$WORK/unknown.body"
tr -d '\r' <"$WORK/headers" | grep -v '^Date:' >"$WORK/unknown.headers"
fetch "$YEALINK_UA" 001565000002.cfg
expect_status 404 "UA MAC differs from the path"
if ! grep -q "Secret" "$WORK/got"; then ok; else bad "mismatch leaked a secret"; fi
# Common files still go to unknown phones.
fetch "Yealink SIP-T46U 108.86.0.90 00:15:65:00:00:01" y000000000108.cfg
expect_status 200 "common file for an unknown phone"
if ! grep -q "Adm1nPw" "$WORK/got"; then ok; else bad "common file carries the admin password"; fi

# Path safety: nothing outside the served names.
for target in "/../etc/passwd" "/%2e%2e/%2e%2e/etc/passwd" "/..%2fetc%2fpasswd" "/yealink%2fvendor.json" \
              "/yealink/vendor.json" "/vendor.json" "/mac.cfg.mustache" "/yealink/mac.cfg.mustache" \
              "/..%5c..%5cetc%5cpasswd" "/a%00.cfg" "//etc/passwd" "/escape.rom" "/.hidden" "/%2e%2e" \
              "/0015654aa937.cfg%00.txt" "/README.md" "//../x" "//..%2fetc%2fpasswd" "///etc//passwd" \
              "//%2e%2e/%2e%2e/etc/passwd" "//yealink//vendor.json" "//%2f0015654aa937.cfg" "//.hidden" \
              "//a%5cb.cfg" "//escape.rom/"; do
    STATUS=$(curl -s --max-time 10 --path-as-is -o "$WORK/got" -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT$target")
    BODY=$(head -c 100 "$WORK/got")
    expect_status 404 "path escape $target"
    if ! grep -q "root:\|not for phones\|\"models\"\|{{" "$WORK/got"; then ok; else bad "$target leaked a file"; fi
done
# Repeated slashes are one: a phone that joins a server setting ending in '/'
# with its own '/' asks for "//<file>" and gets the file.
fetch "$YEALINK_UA" 0015654aa937.cfg
cp "$WORK/got" "$WORK/single-slash.cfg"
for target in "/0015654aa937.cfg" "//0015654aa937.cfg"; do
    fetch "$YEALINK_UA" "$target" --path-as-is
    expect_status 200 "/$target is the root file"
    if cmp -s "$WORK/got" "$WORK/single-slash.cfg"; then ok; else bad "/$target differs from /0015654aa937.cfg"; fi
done
STATUS=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -X DELETE "http://127.0.0.1:$HTTP_PORT/0015654aa937.cfg")
expect_status 405 "DELETE is not a phone's method"

# Static firmware from firmware.dir, at the root, streamed.
fetch "$YEALINK_UA" T46U-108.86.0.90.rom
expect_status 200 "firmware image"
cmp -s "$WORK/got" "$WORK/fw/T46U-108.86.0.90.rom" && ok || bad "firmware bytes differ"

# Polycom uploads: per device, capped, refused for unknown MACs and for served files.
STATUS=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -A "$POLYCOM_UA" -X PUT --data-binary 'log line 1' \
    "http://127.0.0.1:$HTTP_PORT/0004f2aabb01-app.log")
expect_status 204 "upload from a known phone"
[[ "$(cat "$WORK/uploads/0004f2aabb01/0004f2aabb01-app.log" 2>/dev/null)" == "log line 1" ]] && ok || bad "upload stored"
STATUS=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -A "$POLYCOM_UA" -X PUT --data-binary 'x' \
    "http://127.0.0.1:$HTTP_PORT/0004f2000000-phone.cfg")
expect_status 404 "upload for an unknown MAC"
[[ ! -e "$WORK/uploads/0004f2000000" ]] && ok || bad "nothing stored for an unknown MAC"
head -c 5000 /dev/zero >"$WORK/big"
STATUS=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -A "$POLYCOM_UA" -X PUT --data-binary @"$WORK/big" \
    "http://127.0.0.1:$HTTP_PORT/0004f2aabb01-web.cfg")
expect_status 413 "upload over uploads.max_bytes"
STATUS=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -A "$POLYCOM_UA" -X PUT --data-binary 'x' \
    "http://127.0.0.1:$HTTP_PORT/0004f2aabb01-settings.cfg")
expect_status 405 "PUT over a served file"
fetch "$POLYCOM_UA" 0004f2aabb01-app.log
expect_status 404 "uploads are never served"

# Events: recorded without blocking, with the firmware seen on the device.
for _ in $(seq 1 30); do
    api GET "/events?mac=00:15:65:4a:a9:37&outcome=served&limit=1000"
    [[ $(jq -r .total <<<"$BODY") -ge 6 ]] && break
    sleep 0.1
done
[[ $(jq -r .total <<<"$BODY") -ge 6 ]] && ok || bad "served events for the Yealink"
expect_json '.items[0].protocol' 'http'
expect_json '.items[0].vendor' 'yealink'
expect_json '.items[0].model' 'T46U'
expect_json '.items[0].firmware' '108.86.0.90'
expect_json '.items[0].peer_ip' '127.0.0.1'
api GET "/events?mac=00:15:65:00:00:01&outcome=not_found"
[[ $(jq -r .total <<<"$BODY") -ge 1 ]] && ok || bad "unknown MAC recorded"
api GET "/events?outcome=denied"
[[ $(jq -r .total <<<"$BODY") -ge 1 ]] && ok || bad "mismatched MAC recorded as denied"
api GET "/events?limit=2&offset=1"
expect_json '.items | length' '2'
api GET /devices/00:15:65:4a:a9:37
expect_json '.last_firmware' '108.86.0.90'
expect_json '.last_seen_ip' '127.0.0.1'
expect_json '.last_seen_ua' "$YEALINK_UA"
[[ $(jq -r .last_hash <<<"$BODY") == ${etag:1:32}* || -n $(jq -r .last_hash <<<"$BODY") ]] && ok || bad "config hash recorded"

# Preview: the API and the CLI give exactly the phone's bytes.
fetch "$SNOM_UA" snomD785-000413922D24.htm
STATUS=$(curl -s -o "$WORK/preview" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
    "http://127.0.0.1:$ADMIN_PORT/api/v1/devices/000413922d24/preview/snomD785-000413922D24.htm")
expect_status 200 "preview"
cmp -s "$WORK/preview" "$WORK/got" && ok || bad "API preview differs from what the phone gets"
"$PROVISIONER_BIN" render 00:04:13:92:2D:24 snomD785-000413922D24.htm -D store.path="$WORK/store.db" \
    -D templates.dir="$TEMPLATES_DIR" >"$WORK/cli-preview" 2>"$WORK/cli-err"
cmp -s "$WORK/cli-preview" "$WORK/got" && ok || bad "CLI render differs: $(cat "$WORK/cli-err")"
VIEWER=$("$PROVISIONER_BIN" token create --role viewer -D store.path="$WORK/store.db" -D templates.dir="$TEMPLATES_DIR")
api GET /devices/000413922d24/preview/snomD785-000413922D24.htm "" "$VIEWER"
expect_status 403 "viewers cannot preview secrets"

# Per-device settings override the global ones in what the phone gets.
api PUT /devices/00:15:65:4a:a9:37/settings '{"ntp_server":"ntp.site-a.example"}'
expect_status 200
expect_json '.effective.ntp_server' 'ntp.site-a.example'
expect_json '.effective.sip_server' 'pbx.example.net'
fetch "$YEALINK_UA" 0015654aa937.cfg
grep -q "ntp.site-a.example" "$WORK/got" && ok || bad "device override not rendered"
api PUT /devices/00:15:65:4a:a9:37/settings '{"ntp_server":null}'
expect_json '.overrides | length' '0'

# Secrets stay home: from outside provisioning.allow_networks, without the
# device's credentials, a config with secrets gets a Digest challenge, the
# same status, headers and body as a MAC the store does not know.
stop_server
start_server -D firmware.dir="$WORK/fw" -D provisioning.allow_networks=10.0.0.0/8
fetch "$YEALINK_UA" 0015654aa937.cfg
expect_status 401 "no proof outside allow_networks: a challenge"
cp "$WORK/got" "$WORK/denied.body"
tr -d '\r' <"$WORK/headers" | grep -v '^Date:' | sed 's/nonce="[^"]*"/nonce=N/' >"$WORK/denied.headers"
fetch "Yealink SIP-T46U 108.86.0.90 00:15:65:00:00:01" 001565000001.cfg
expect_status 401 "an unknown MAC: the same challenge"
cmp -s "$WORK/got" "$WORK/denied.body" && ok || bad "denied body differs from unknown"
tr -d '\r' <"$WORK/headers" | grep -v '^Date:' | sed 's/nonce="[^"]*"/nonce=N/' >"$WORK/unknown.headers"
cmp -s "$WORK/denied.headers" "$WORK/unknown.headers" && ok || bad "denied headers differ from unknown: $(diff "$WORK/unknown.headers" "$WORK/denied.headers")"
grep -q '^WWW-Authenticate: Digest realm="provisioner"' "$WORK/denied.headers" && ok || bad "no Digest challenge: $(cat "$WORK/denied.headers")"
fetch "$YEALINK_UA" y000000000108.cfg
expect_status 200 "common files are still served"
stop_server

# Templates are reloaded when vendor-templates/ changes, and on SIGHUP; a
# template that renders broken XML is a 500, never a broken file.
cp -r "$TEMPLATES_DIR" "$WORK/templates"
TEMPLATES_DIR="$WORK/templates" start_server -D templates.poll_seconds=1
echo "# reloaded-marker" >>"$WORK/templates/yealink/mac.cfg.mustache"
for _ in $(seq 1 40); do
    fetch "$YEALINK_UA" 0015654aa937.cfg
    grep -q reloaded-marker "$WORK/got" && break
    sleep 0.1
done
grep -q reloaded-marker "$WORK/got" && ok || bad "template change not picked up"
sed -i 's|<settings>|<settings><broken>|' "$WORK/templates/snom/mac.htm.mustache"
kill -HUP "$SERVER_PID"
for _ in $(seq 1 40); do
    fetch "$SNOM_UA" snomD785-000413922D24.htm
    [[ "$STATUS" == 500 ]] && break
    sleep 0.1
done
expect_status 500 "a template rendering broken XML"
if ! grep -q "Secret" "$WORK/got"; then ok; else bad "broken file was sent"; fi
grep -q "not well-formed" "$WORK/stderr" && ok || bad "render failure logged with its reason"
echo "{{#unclosed}}" >"$WORK/templates/fanvil/mac.cfg.mustache"
kill -HUP "$SERVER_PID"
sleep 0.5
fetch "$FANVIL_UA" 0c383e557eb1.cfg
expect_status 200 "a template that fails to load keeps the previous set"
grep -q "templates not reloaded" "$WORK/stderr" && ok || bad "failed reload logged"

finish

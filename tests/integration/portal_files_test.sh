#!/usr/bin/env bash
# The portal's files on the admin port (portal.dir): `/` is index.html, each
# type with its Content-Type and the safety headers (CSP default-src 'self',
# nosniff, X-Frame-Options DENY, no-referrer); no listing; no way out of the
# folder (.., encoded, NUL, backslash, dot files, a symbolic link leading
# out): 404 in the API's JSON error shape; GET and HEAD only; /api/ still the API. Served to anyone (the
# sign-in screen is one of them), unlike the API.

source "$(dirname "$0")/lib.sh"

# A portal folder of our own: a file per type, a subfolder, links in and out.
P="$WORK/portal"
mkdir -p "$P/js" "$P/sub" "$WORK/outside"
echo '<!doctype html><title>portal</title>' >"$P/index.html"
echo 'export const x = 1;' >"$P/js/app.js"
echo 'body { color: black; }' >"$P/style.css"
echo '<svg xmlns="http://www.w3.org/2000/svg"/>' >"$P/icon.svg"
echo 'hidden' >"$P/.env"
echo 'secret outside' >"$WORK/outside/secret.txt"
echo 'inner' >"$P/sub/index.html"
ln -s "$WORK/outside/secret.txt" "$P/leak.txt"
ln -s "$WORK/outside" "$P/out"
ln -s "$P/style.css" "$P/alias.css"
printf 'bin' >"$P/data.bin"

start_server -D portal.dir="$P"
BASE="http://127.0.0.1:$ADMIN_PORT"

# get PATH [curl args]: sets STATUS, BODY and HEADERS (lower-cased names).
get() {
    local path=$1; shift
    : >"$WORK/got"
    STATUS=$(curl -s --path-as-is --max-time 10 -o "$WORK/got" -D "$WORK/h" -w '%{http_code}' "$@" "$BASE$path")
    BODY=$(cat "$WORK/got")
    HEADERS=$(tr -d '\r' <"$WORK/h" | tr 'A-Z' 'a-z')
}
header() { sed -n "s/^$1: //p" <<<"$HEADERS" | head -1; }

get /
expect_status 200 "/ is the index"
expect_true grep -q '<title>portal</title>' <<<"$BODY"
expect_true test "$(header content-type)" = "text/html; charset=utf-8"
expect_true test "$(header content-security-policy)" = "default-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
expect_true test "$(header x-content-type-options)" = "nosniff"
expect_true test "$(header x-frame-options)" = "deny"
expect_true test "$(header referrer-policy)" = "no-referrer"
expect_true test -n "$(header last-modified)"

get /index.html?x=1
expect_status 200 "a query string is ignored"
get /js/app.js
expect_status 200
expect_true test "$(header content-type)" = "text/javascript; charset=utf-8"
get /style.css
expect_true test "$(header content-type)" = "text/css; charset=utf-8"
get /icon.svg
expect_true test "$(header content-type)" = "image/svg+xml"
get /data.bin
expect_true test "$(header content-type)" = "application/octet-stream"
get /alias.css
expect_status 200 "a link that stays inside the folder"
get /sub/
expect_status 200 "a folder's index"
expect_true test "$BODY" = "inner"
get / -I
expect_status 200 "HEAD"

# Nothing else: no listing, no way out.
for path in /js/ /sub /nothing.html /.env /js/../.env /../outside/secret.txt /%2e%2e/outside/secret.txt \
    /js/%2e%2e/%2e%2e/outside/secret.txt /js%2f..%2f..%2foutside%2fsecret.txt /leak.txt /out/secret.txt \
    '/index.html%00.css' '/js\app.js' '/..%5coutside%5csecret.txt' /%zz; do
    get "$path"
    expect_status 404 "$path"
    expect_json .error.code not_found "$path: the API's error shape"
    expect_true test "$(header x-content-type-options)" = "nosniff"
    if grep -q 'secret outside' <<<"$BODY"; then bad "$path leaked a file outside the folder"; fi
done
get / -X POST -d x=1
expect_status 405 "POST to a portal path"
expect_true test "$(header allow)" = "get, head"
expect_json .error.code method_not_allowed

# The API is still the API, and still wants a token.
api GET /extensions "" ""
expect_status 401 "the API without a token"
api GET /extensions
expect_status 200 "the API with a token"
get /api/v1/nothing -H "Authorization: Bearer $TOKEN"
expect_status 404
expect_true test "$(header content-type)" = "application/json; charset=utf-8"

# An empty portal.dir serves nothing: every path outside /api/ is the API's 404.
stop_server
start_server -D portal.dir=
BASE="http://127.0.0.1:$ADMIN_PORT"
get /
expect_status 404 "no portal when portal.dir is empty"
expect_true test "$(header content-type)" = "application/json; charset=utf-8"

finish

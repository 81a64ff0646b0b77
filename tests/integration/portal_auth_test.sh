#!/usr/bin/env bash
# Portal sign-in with the real binary and curl: users made with the CLI (a
# password file others may read refused), the session and device cookies
# and their attributes, CSRF refusal (sign-out too), idle expiry, sign-in
# throttling (429 + Retry-After, recovery by time and by `user unthrottle`),
# parallel guesses held to the throttle's count, a name blocked by someone
# else's guesses still signing in from a browser that signed in before,
# sign-out, users over the API, the last admin kept, the audit; a password,
# or a name that is no user's, is never in the log or the audit; bearer
# tokens work as before; a non-loopback admin.bind is HTTPS with Secure
# cookies. Other sources are 127.0.0.2 and up (curl --interface).

source "$(dirname "$0")/lib.sh"

PW='correct horse battery staple'
cli() { "$PROVISIONER_BIN" "$@" -D store.path="$DATA/store.db" -D templates.dir="$TEMPLATES_DIR"; }
A() { echo "http://127.0.0.1:$ADMIN_PORT/api/v1$1"; }
JAR="$WORK/cookies"

# sign_in NAME PASSWORD [SEND_JAR] [SOURCE]: POST /session; sets STATUS, BODY,
# HEADERS; the cookies go to $JAR; SEND_JAR's cookies are sent (a browser
# that signed in before); SOURCE is the address to send from.
sign_in() {
    local args=(-s --max-time 20 -D "$WORK/headers" -o "$WORK/body" -w '%{http_code}' -c "$JAR")
    [[ -n "${3-}" ]] && args+=(-b "$3")
    [[ -n "${4-}" ]] && args+=(--interface "$4")
    : >"$WORK/body"
    STATUS=$(curl "${args[@]}" -H 'Content-Type: application/json' \
        --data-binary "{\"name\":\"$1\",\"password\":\"$2\"}" "$(A /session)")
    BODY=$(cat "$WORK/body")
    HEADERS=$(tr -d '\r' <"$WORK/headers")
}
# failures: how many failed sign-ins the audit holds.
failures() {
    api GET "/audit?entity=sign_in&limit=1000"
    jq '[.items[] | select(.action == "failure")] | length' <<<"$BODY"
}
# guess_in_parallel N NAME [FIRST_SOURCE]: N wrong-password sign-ins at
# once, from 127.0.0.1 or from N addresses from 127.0.0.FIRST_SOURCE up;
# their statuses and error codes, a line each, in $WORK/parallel.
guess_in_parallel() {
    local i pids=()
    for i in $(seq 1 "$1"); do
        local from=()
        [[ -n "${3-}" ]] && from=(--interface "127.0.0.$(($3 + i - 1))")
        curl -s --max-time 20 "${from[@]}" -o "$WORK/par.$i" -w '%{http_code}' -H 'Content-Type: application/json' \
            --data-binary "{\"name\":\"$2\",\"password\":\"wrong password $i\"}" "$(A /session)" \
            >"$WORK/par.$i.status" &
        pids+=($!)
    done
    wait "${pids[@]}"
    for i in $(seq 1 "$1"); do
        echo "$(cat "$WORK/par.$i.status") $(jq -r '.error.code // empty' "$WORK/par.$i" 2>/dev/null)"
    done >>"$WORK/parallel"
}
# capi METHOD PATH [BODY] [CSRF]: with the session cookie (no bearer token).
capi() {
    local args=(-s --max-time 20 -o "$WORK/body" -w '%{http_code}' -b "$JAR" -X "$1")
    [[ -n "${3-}" ]] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
    [[ -n "${4-}" ]] && args+=(-H "X-CSRF-Token: $4")
    : >"$WORK/body"
    STATUS=$(curl "${args[@]}" "$(A "$2")")
    BODY=$(cat "$WORK/body")
}

start_server -D portal.session_idle=4

# ---- users from the CLI
printf '%s\n' "$PW" | cli user add ann --role admin >"$WORK/out" 2>&1
RC=$?; expect_true test "$RC" = 0
expect_true grep -q "user ann (admin) added" "$WORK/out"
printf 'short\n' | cli user add shorty --role viewer >"$WORK/out" 2>&1
RC=$?; expect_true test "$RC" = 2
expect_true grep -q "at least 10 characters" "$WORK/out"
# a password file others may read is refused, naming it and its mode
printf '%s\n' "$PW" >"$WORK/pwfile"
chmod 644 "$WORK/pwfile"
cli user add vic --role viewer --password-file "$WORK/pwfile" >"$WORK/out" 2>&1
RC=$?; expect_true test "$RC" = 2
expect_true grep -q -- "--password-file $WORK/pwfile is readable by others (mode 0644): chmod 600 it" "$WORK/out"
chmod 640 "$WORK/pwfile"
cli user add vic --role viewer --password-file "$WORK/pwfile" >"$WORK/out" 2>&1
RC=$?; expect_true test "$RC" = 2
expect_true grep -q "is readable by its group (mode 0640)" "$WORK/out"
chmod 600 "$WORK/pwfile"
cli user add vic --role viewer --password-file "$WORK/pwfile" >/dev/null 2>&1
expect_true test $? = 0
OUT=$(cli user list)
expect_true grep -q "^ann  *admin  *active" <<<"$OUT"
expect_true grep -q "^vic  *viewer  *active" <<<"$OUT"

# ---- a form on another site cannot sign a browser in (login CSRF): a
# text/plain body that parses as JSON is refused, and no cookie is set
STATUS=$(curl -s --max-time 20 -D "$WORK/headers" -o "$WORK/body" -w '%{http_code}' \
    -H 'Content-Type: text/plain' --data-binary "{\"name\":\"ann\",\"password\":\"$PW\"}" "$(A /session)")
BODY=$(cat "$WORK/body")
expect_status 400 "a text/plain sign-in"
expect_json '.error.fields["Content-Type"]' "must be application/json"
if grep -qi "^Set-Cookie:" "$WORK/headers"; then bad "a refused sign-in set a cookie"; else ok; fi

# ---- sign in: the body, the cookie and its attributes (no Secure over HTTP)
sign_in ann "$PW"
expect_status 200 "sign-in"
expect_json .user.name ann
expect_json .user.role admin
expect_true grep -Eq '"expires_at":"[0-9-]+T[0-9:]+Z"' <<<"$BODY"
expect_true grep -Eq '"idle_expires_at":"[0-9-]+T[0-9:]+Z"' <<<"$BODY"
CSRF=$(jq -r .csrf_token <<<"$BODY")
expect_true test ${#CSRF} -ge 32
COOKIE_LINES=$(grep -i '^Set-Cookie:' <<<"$HEADERS")
expect_true test "$(wc -l <<<"$COOKIE_LINES")" = 2
expect_true grep -Eq '^Set-Cookie: prov_session=[A-Za-z0-9]{43}; Path=/; HttpOnly; SameSite=Strict$' <<<"$COOKIE_LINES"
expect_true grep -Eq '^Set-Cookie: prov_device=ann\.[0-9]{10}\.[0-9a-f]{64}; Path=/api/v1/session; Max-Age=15552000; HttpOnly; SameSite=Strict$' \
    <<<"$COOKIE_LINES"

capi GET /session
expect_status 200 "GET /session with the cookie"
expect_json .csrf_token "$CSRF"
capi GET /extensions
expect_status 200 "a GET with the cookie needs no CSRF token"

# ---- CSRF: a cookie request that changes something needs the header
EXT='{"extension":"1001","callerid_name":"Alice"}'
capi POST /extensions "$EXT"
expect_status 403 "cookie POST without X-CSRF-Token"
expect_json .error.code csrf
capi POST /extensions "$EXT" "${CSRF}0"
expect_status 403 "cookie POST with a wrong X-CSRF-Token"
capi POST /extensions "$EXT" "$CSRF"
expect_status 201 "cookie POST with its X-CSRF-Token"
api GET "/audit?entity=extension&entity_id=1001"
expect_json '.items[0].actor' "user:ann (admin)" "the change is audited as the signed-in user"

# ---- users over the API (admins), a viewer's session cannot
capi POST /users "{\"name\":\"bob\",\"role\":\"installer\",\"password\":\"$PW\"}" "$CSRF"
expect_status 201 "POST /users"
expect_json '[(.id > 0), .name, .role, .disabled, .last_sign_in_at, (.created_at | test("Z$"))] | map(tostring) | join(",")' \
    "true,bob,installer,false,null,true" "the new user's fields"
api POST /users '{"name":"carl","role":"viewer","password":"too short"}'
expect_status 400 "a short password"
expect_json '.error.fields.password | test("at least 10")' true
api GET /users
expect_status 200 "GET /users with a bearer token"
expect_json '[.items[].name] | join(",")' "ann,bob,vic"
expect_json '.total' 3
expect_true test "$(jq '[.items[] | keys] | unique | length' <<<"$BODY")" = 1
api PATCH /users/bob '{"disabled":true}'
expect_status 200
expect_json .disabled true
api DELETE /users/bob
expect_status 204
api GET /users/bob
expect_status 404

JAR_ANN="$WORK/cookies.ann"; cp "$JAR" "$JAR_ANN"
sign_in vic "$PW"
expect_status 200 "viewer sign-in"
capi GET /users
expect_status 403 "a viewer's session cannot list users"

# ---- idle expiry (portal.session_idle=4)
sleep 5
capi GET /session
expect_status 401 "the session idled out"
capi GET /extensions
expect_status 401 "an idled-out cookie authenticates nothing"

# ---- a wrong password and an unknown user get the same answer
sign_in ann 'wrong password 1'
expect_status 401
MSG_BAD=$(jq -r .error.message <<<"$BODY")
sign_in nobody "$PW"
expect_status 401
expect_json .error.message "$MSG_BAD" "one message for an unknown user and a wrong password"
# a name that is no user's may be a password typed in the wrong box: neither
# the log nor the audit keeps it (a user's name is kept)
expect_true test "$(cat "$DATA/stderr" "$DATA/stdout" | grep -c "signin_failure.*nobody")" = 0
expect_true test "$(grep -c "signin_failure.*reason=unknown_user" "$DATA/stderr" "$DATA/stdout" | awk -F: '{s+=$2} END {print s}')" = 1
expect_true test "$(cat "$DATA/stderr" "$DATA/stdout" | grep -c 'signin_failure.*reason=bad_password user="ann"')" = 1

# ---- throttling: this address's fifth failure (four for ann, one for nobody) blocks it
sign_in ann 'wrong password 2'; sign_in ann 'wrong password 3'
sign_in ann 'wrong password 4'
expect_status 401 "the fifth failure is still a 401"
sign_in ann "$PW"
expect_status 429 "blocked: even the right password gets 429"
RETRY=$(sed -n 's/^Retry-After: //Ip' <<<"$HEADERS")
expect_true test "${RETRY:-0}" -ge 25 -a "${RETRY:-0}" -le 30
expect_true grep -q "event=signin_block src=127.0.0.1 seconds=30 key=\"source:127.0.0.1\"" "$DATA/stderr" "$DATA/stdout"

# unthrottle from the CLI: the name, then the address
OUT=$(cli user unthrottle ann)
expect_true grep -q "sign-in throttle cleared for ann" <<<"$OUT"
sign_in ann "$PW"
expect_status 429 "the address is still blocked"
cli user unthrottle 127.0.0.1 >/dev/null
sign_in ann "$PW"
expect_status 200 "signed in after unthrottle"

# recovery by time: five failures on another name block the address for 30 s
for i in 1 2 3 4 5; do sign_in "ghost$i" "wrong password $i"; done
sign_in ann "$PW"
expect_status 429 "the address is blocked again"
RETRY=$(sed -n 's/^Retry-After: //Ip' <<<"$HEADERS")
sleep $((RETRY + 1))
sign_in ann "$PW"
expect_status 200 "signed in once the block is over"

# ---- parallel guesses from one address: one at a time gets to the password
# (the others 429 sign_in_in_progress), so no more than five failures before
# the block (429 too_many_failures), however many are sent at once
cli user unthrottle 127.0.0.1 >/dev/null
BEFORE=$(failures)
: >"$WORK/parallel"
for round in 1 2 3 4 5 6 7; do guess_in_parallel 8 ann; done
AFTER=$(failures)
expect_true test "$((AFTER - BEFORE))" = 5
expect_true test "$(grep -cv -E '^(401 unauthenticated|429 sign_in_in_progress|429 too_many_failures)$' "$WORK/parallel")" = 0
expect_true grep -q "^429 sign_in_in_progress$" "$WORK/parallel"
expect_true grep -q "^429 too_many_failures$" "$WORK/parallel"
# ...and from many addresses at one name: five failures, then the name's block
cli user unthrottle 127.0.0.1 >/dev/null; cli user unthrottle ann >/dev/null
BEFORE=$(failures)
: >"$WORK/parallel"
for round in 0 1 2 3 4 5; do guess_in_parallel 8 ann $((2 + 8 * round)); done
AFTER=$(failures)
expect_true test "$((AFTER - BEFORE))" = 5
expect_true grep -q "^429 too_many_failures$" "$WORK/parallel"
cli user unthrottle ann >/dev/null

# ---- a name blocked by another address's guesses: the browser that signed
# in before (its prov_device cookie) still signs in, a fresh one does not
sign_in ann "$PW"
expect_status 200 "ann signs in, and the browser gets its device cookie"
DEVICE_JAR="$WORK/cookies.device"; cp "$JAR" "$DEVICE_JAR"
for i in 1 2 3 4 5; do sign_in ann "wrong password $i" "" 127.0.0.60; done
sign_in ann "$PW" "" 127.0.0.61
expect_status 429 "the name is blocked for a fresh browser"
sign_in ann "$PW"
expect_status 429 "the name is blocked for a fresh browser on the user's own address"
sign_in ann "$PW" "$DEVICE_JAR"
expect_status 200 "the browser that signed in before is not held by the name's block"
# its failures count on the device: five, and it is blocked too
for i in 1 2 3 4 5; do sign_in ann "wrong password $i" "$DEVICE_JAR" "127.0.0.$((61 + i))"; done
expect_status 401
sign_in ann "$PW" "$DEVICE_JAR" 127.0.0.70
expect_status 429 "a device cookie's own failures block it"
expect_true grep -Eq 'event=signin_block src=127\.0\.0\.66 seconds=30 key="device:[0-9a-f]{16}"' "$DATA/stderr" "$DATA/stdout"
cli user unthrottle ann >/dev/null

# ---- sign-out clears the cookie and ends the session (a second session of
# ann's, kept in JAR_ANN, lives on); it needs the session's CSRF token
sign_in ann "$PW"
expect_status 200
cp "$JAR" "$JAR_ANN"
sign_in ann "$PW"
expect_status 200
CSRF=$(jq -r .csrf_token <<<"$BODY")
OLD_JAR="$WORK/cookies.old"; cp "$JAR" "$OLD_JAR"
capi DELETE /session
expect_status 403 "sign-out without X-CSRF-Token"
expect_json .error.code csrf
capi GET /session
expect_status 200 "a refused sign-out leaves the session"
STATUS=$(curl -s --max-time 20 -D "$WORK/headers" -o /dev/null -w '%{http_code}' -b "$JAR" -X DELETE \
    -H "X-CSRF-Token: $CSRF" "$(A /session)")
expect_status 204 "sign-out"
expect_true grep -Eq '^Set-Cookie: prov_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0' \
    <(tr -d '\r' <"$WORK/headers")
expect_true test "$(grep -ci '^Set-Cookie:' "$WORK/headers")" = 1
JAR="$OLD_JAR"
capi GET /session
expect_status 401 "the old cookie is dead after sign-out"

# ---- a new password ends the other sessions
JAR="$JAR_ANN"
capi GET /session
expect_status 200 "ann's other session is alive"
printf '%s\n' "another good password" | cli user passwd ann >/dev/null
capi GET /session
expect_status 401 "a new password ends the sessions"

# ---- bearer tokens work as before, and the audit
api GET /extensions/1001
expect_status 200 "bearer tokens still work"
api GET "/audit?entity=session&limit=1000"
expect_true grep -q '"action":"sign_in"' <<<"$BODY"
expect_true grep -q '"action":"sign_out"' <<<"$BODY"
api GET "/audit?entity=sign_in&limit=1000"
expect_true grep -q '"action":"failure"' <<<"$BODY"
expect_true grep -q 'bad_password' <<<"$BODY"
expect_true grep -q '"action":"unthrottle"' <<<"$BODY"
api GET "/audit?entity=user&limit=1000"
expect_true grep -q '"action":"delete"' <<<"$BODY"
# ---- the last enabled admin: not over the API; the CLI only with --force
api DELETE /users/ann
expect_status 409 "deleting the last admin"
expect_json .error.code last_admin
expect_json .error.message "'ann' is the last admin: it cannot be deleted (make another user admin first)"
api PATCH /users/ann '{"role":"viewer"}'
expect_status 409 "demoting the last admin"
api PATCH /users/ann '{"disabled":true}'
expect_status 409 "disabling the last admin"
cli user disable ann >"$WORK/out" 2>&1
RC=$?; expect_true test "$RC" = 1
expect_true grep -q "'ann' is the last admin: it cannot be disabled.*--force does it anyway" "$WORK/out"
cli user delete ann >/dev/null 2>&1
expect_true test $? = 1
api GET /users/ann
expect_json .disabled false "a refused change changed nothing"
cli user disable ann --force >/dev/null 2>&1
expect_true test $? = 0
api GET /users/ann
expect_json .disabled true
cli user delete ann --force >/dev/null 2>&1
expect_true test $? = 0
expect_true grep -q "even the last enabled admin" <("$PROVISIONER_BIN" user --help 2>&1)

api GET "/audit?limit=1000"
expect_true test "$(grep -c -F "nobody" <<<"$BODY")" = 0
for secret in "$PW" "another good password" "wrong password" "argon2"; do
    expect_true test "$(grep -c -F "$secret" <<<"$BODY")" = 0
    expect_true test "$(cat "$DATA/stderr" "$DATA/stdout" | grep -c -F "$secret")" = 0
done

# ---- admin.bind off the loopback: HTTPS, and the cookie is Secure
stop_server
use_fresh_store wide
start_server -D portal.session_idle=60 -D admin.bind=0.0.0.0 -D certs.dir="$WORK/certs"
expect_true grep -q "HTTPS because admin.bind 0.0.0.0 is not a loopback address" "$DATA/stdout" "$DATA/stderr"
printf '%s\n' "$PW" | cli user add ann --role admin >/dev/null 2>&1
STATUS=$(curl -sk --max-time 20 -D "$WORK/headers" -o "$WORK/body" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary "{\"name\":\"ann\",\"password\":\"$PW\"}" "https://127.0.0.1:$ADMIN_PORT/api/v1/session")
expect_status 200 "sign-in over automatic HTTPS"
expect_true grep -Eq '^Set-Cookie: prov_session=[A-Za-z0-9]{43}; Path=/; HttpOnly; SameSite=Strict; Secure$' \
    <(tr -d '\r' <"$WORK/headers")
expect_true grep -Eq '^Set-Cookie: prov_device=ann\.[0-9]+\.[0-9a-f]{64}; Path=/api/v1/session; Max-Age=15552000; HttpOnly; SameSite=Strict; Secure$' \
    <(tr -d '\r' <"$WORK/headers")
STATUS=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ADMIN_PORT/api/v1/session")
expect_true test "$STATUS" = 000

finish

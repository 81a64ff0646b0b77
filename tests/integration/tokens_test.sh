#!/usr/bin/env bash
# API tokens against the real binary, with real curl: list, revoke, expiry and
# names from the CLI and the API; a revoked or expired token refused 401;
# repeated failures from one address answered 429 with Retry-After (a correct
# token from it too) while other addresses are served; audit entries for token
# creation and revocation, previews, exports and failed authentication (with
# the source address); the first admin token in a 0600 file when standard
# output is no terminal, printed on a terminal, and never in the log.
#
# Needs curl, jq, sqlite3, script (util-linux). Traffic goes to 127.0.0.0/8 only.
source "$(dirname "$0")/lib.sh"

for tool in curl jq sqlite3 script timeout; do
    command -v "$tool" >/dev/null || { echo "tokens_test needs $tool" >&2; exit 1; }
done

SECRETS=()  # every token seen: none may reach the log or the audit

# cli ARGS...: the CLI on this suite's store; sets OUT, ERR and RC.
cli() { run "$@" -D store.path="$DATA/store.db" -D templates.dir="$TEMPLATES_DIR"; }

# api_from ADDRESS METHOD PATH [BODY] [TOKEN]: api from ADDRESS (a loopback
# address of its own); also sets HEADERS.
api_from() {
    local from=$1 method=$2 path=$3 body=${4-} token=${5-$TOKEN}
    local args=(-s --max-time 20 --interface "$from" -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' -X "$method")
    [[ -n "$token" ]] && args+=(-H "Authorization: Bearer $token")
    [[ -n "$body" ]] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
    : >"$WORK/body"
    STATUS=$(curl "${args[@]}" "http://127.0.0.1:$ADMIN_PORT/api/v1$path")
    BODY=$(cat "$WORK/body")
    HEADERS=$(tr -d '\r' <"$WORK/headers")
}

header() { sed -n "s/^$1: //Ip" <<<"$HEADERS" | head -1; }

# The first start, not on a terminal: the token in admin-token, 0600, nowhere else.
test_first_token_file() {
    start_server -D admin.auth_failures=5 -D admin.auth_block_seconds=3
    SECRETS+=("$TOKEN")
    [[ "$TOKEN" =~ ^prov_[A-Za-z0-9]{40}$ ]] && ok || bad "admin-token should hold the first token, got '$TOKEN'"
    [[ "$(stat -c %a "$DATA/admin-token")" == 600 ]] && ok || bad "admin-token should be 0600, is $(stat -c %a "$DATA/admin-token")"
    [[ "$(stat -c %U "$DATA/admin-token")" == "$(id -un)" ]] && ok || bad "admin-token belongs to the server's user"
    if grep -qE 'prov_[A-Za-z0-9]{8}' "$DATA/stdout" "$DATA/stderr"; then
        bad "nothing token-like on standard output or in the log: $(grep -E 'prov_' "$DATA/stdout" "$DATA/stderr" | head -2)"
    else ok; fi
    grep -qF "first start: an admin API token was written to \"$DATA/admin-token\" (mode 0600)" "$DATA/stderr" && ok ||
        bad "the log names the token file: $(grep 'first start' "$DATA/stderr")"
    api GET /license
    expect_status 200 "the token from admin-token works"
}

# The same first start on a terminal (script(1) gives it one): printed, no file.
test_first_token_on_terminal() {
    local dir="$WORK/tty" pid=""
    mkdir -p "$dir"
    script -qefc "sh -c 'echo \$\$ >\"$dir/pid\"; exec \"$PROVISIONER_BIN\" serve -D store.path=\"$dir/store.db\" \
        -D templates.dir=\"$TEMPLATES_DIR\" -D admin.port=0 -D http.port=0 -D https.port=0 -D tftp.port=0 \
        -D ports.file=\"$dir/ports.json\"'" "$dir/typescript" </dev/null >/dev/null 2>&1 &
    local script_pid=$!
    for _ in $(seq 1 100); do [[ -s "$dir/ports.json" ]] && break; sleep 0.1; done
    pid=$(cat "$dir/pid" 2>/dev/null)
    [[ -n "$pid" ]] && kill "$pid" 2>/dev/null
    wait "$script_pid" 2>/dev/null
    [[ -s "$dir/ports.json" ]] && ok || bad "serve on a terminal should start"
    grep -qE '^admin token: prov_[A-Za-z0-9]{40}.?$' "$dir/typescript" && ok ||
        bad "on a terminal the first start prints 'admin token: prov_...', got: $(head -3 "$dir/typescript")"
    [[ ! -e "$dir/admin-token" ]] && ok || bad "on a terminal no admin-token file is written"
}

# token create/list/revoke on the command line, with names and expiry.
test_cli_tokens() {
    cli token create --role viewer --name wallboard --expires 30d
    expect_rc 0 "token create --name wallboard --expires 30d"
    WALLBOARD=$OUT
    SECRETS+=("$WALLBOARD")
    [[ "$WALLBOARD" =~ ^prov_[A-Za-z0-9]{40}$ ]] && ok || bad "token create prints the token alone, got '$OUT'"
    cli token create --role viewer --name wallboard
    expect_rc 1 "a second token named wallboard"
    [[ "$ERR" == *"already"* && -z "$OUT" ]] && ok || bad "a taken name is refused, got '$ERR'"
    cli token create --role viewer --name 42
    expect_rc 2 "a name of digits only"
    cli token create --role viewer --expires 30
    expect_rc 2 "an expiry without a unit"
    [[ "$ERR" == *"--expires"* ]] && ok || bad "the error names --expires, got '$ERR'"
    cli token create --role viewer --expires 2001-01-01
    expect_rc 2 "an expiry in the past"
    cli token list --role admin
    expect_rc 2 "token list takes no --role"

    api GET /license '' "$WALLBOARD"
    expect_status 200 "the wallboard token works"
    cli token list
    expect_rc 0 "token list"
    local header row hash
    header=$(head -1 <<<"$OUT")
    [[ "$header" =~ ^ID\ +NAME\ +ROLE\ +STATE\ +CREATED\ +EXPIRES\ +LAST\ USED$ ]] && ok || bad "token list's header: '$header'"
    row=$(grep -E '^[0-9]+ +wallboard ' <<<"$OUT")
    [[ "$row" =~ viewer\ +active\ +[0-9T:-]+Z\ +$(date -u -d '+30 days' +%Y-%m-%d)T[0-9:]+Z\ +[0-9T:-]+Z$ ]] && ok ||
        bad "the wallboard row: viewer, active, expires in 30 days, used just now; got '$row'"
    grep -qE '^1 +first-start +admin +active ' <<<"$OUT" && ok || bad "the first token is listed: $OUT"
    hash=$(sqlite3 "$DATA/store.db" "SELECT token_hash FROM api_tokens WHERE name = 'wallboard'")
    [[ -n "$hash" && "$OUT" != *"$hash"* && "$OUT" != *prov_* ]] && ok || bad "token list shows no secret and no hash"

    cli token revoke wallboard
    expect_rc 0 "token revoke wallboard"
    [[ "$OUT" =~ ^token\ [0-9]+\ \(wallboard\)\ revoked$ ]] && ok || bad "token revoke says what it revoked: '$OUT'"
    api GET /license '' "$WALLBOARD"
    expect_status 401 "a revoked token is refused (the CLI's revocation reaches the running server at once)"
    expect_json .error.message "the API token was revoked"
    cli token revoke wallboard
    expect_rc 1 "wallboard again: no token of that name is left"
    cli token list
    grep -qE '^[0-9]+ +wallboard +viewer +revoked ' <<<"$OUT" && ok || bad "a revoked token stays listed as revoked"
}

# The same through /api/v1/tokens, for admins only.
test_api_tokens() {
    api POST /tokens '{"role":"installer","name":"van 7","expires":"2099-01-01"}'
    expect_status 201 "POST /tokens"
    local van van_id
    van=$(jq -r .token <<<"$BODY")
    van_id=$(jq -r .id <<<"$BODY")
    SECRETS+=("$van")
    expect_json .role installer
    expect_json .state active
    expect_json .expires_at 2099-01-01T00:00:00Z
    [[ "$van" =~ ^prov_[A-Za-z0-9]{40}$ ]] && ok || bad "POST /tokens shows the token once"
    api GET /devices '' "$van"
    expect_status 200 "the installer token works"
    api GET /tokens '' "$van"
    expect_status 403 "an installer may not list tokens"
    api POST /tokens '{"role":"admin"}' "$van"
    expect_status 403 "an installer may not make tokens"

    api GET /tokens
    expect_status 200 "GET /tokens"
    expect_json '[.items[] | select(.name == "van 7")] | length' 1
    expect_json '[.items[] | select(.name == "van 7")][0].last_used_at | test("Z$")' true "last_used_at is set once used"
    expect_json '[.items[] | .token, .hash, .token_hash] | map(select(. != null)) | length' 0 "GET /tokens shows no secret and no hash"
    expect_json '[.items[] | select(.name == "wallboard")][0].state' revoked

    api POST /tokens '{"role":"viewer","name":"van 7"}'
    expect_status 409 "a taken name"
    api POST /tokens '{"role":"root","name":"x","colour":"red"}'
    expect_status 400 "bad fields"
    expect_json '.error.fields | keys | join(",")' "colour,role"
    api POST /tokens '{"role":"viewer","expires":"soon"}'
    expect_status 400 "a bad expiry"
    expect_json '.error.fields | keys | join(",")' "expires"

    # An expiry a few seconds ahead: works, then refused as expired.
    local soon
    soon=$(date -u -d '+3 seconds' +%Y-%m-%dT%H:%M:%SZ)
    api POST /tokens "{\"role\":\"viewer\",\"name\":\"brief\",\"expires\":\"$soon\"}"
    expect_status 201 "a token expiring in 3 s"
    local brief
    brief=$(jq -r .token <<<"$BODY")
    SECRETS+=("$brief")
    api GET /license '' "$brief"
    expect_status 200 "before its expiry"
    sleep 4
    api GET /license '' "$brief"
    expect_status 401 "after its expiry"
    expect_json .error.message "the API token has expired"
    api GET /tokens
    expect_json '[.items[] | select(.name == "brief")][0].state' expired

    api DELETE "/tokens/$van_id"
    expect_status 200 "DELETE /tokens/{id}"
    expect_json .state revoked
    api GET /devices '' "$van"
    expect_status 401 "the revoked installer token"
    api DELETE "/tokens/$van_id"
    expect_status 409 "revoking twice"
    api DELETE /tokens/nobody
    expect_status 404 "no token of that name"
}

# Failed authentication: 401s, then 429 with Retry-After for that address
# alone, whatever token it sends, until the block ends.
test_failures_blocked() {
    local i
    for i in 1 2 3 4 5 6 7 8; do
        api_from 127.0.0.5 GET /license '' ""
        [[ "$STATUS" == 401 ]] || bad "a request without a token: expected 401, got $STATUS"
    done
    api_from 127.0.0.5 GET /license
    expect_status 200 "requests without a token are refused, never counted: a token from there still works"
    for i in 1 2 3 4; do
        api_from 127.0.0.3 GET /license '' "prov_guess$i"
        expect_status 401 "guess $i"
    done
    api_from 127.0.0.3 GET /license '' "prov_guess5"
    expect_status 401 "the fifth guess is answered, and starts the block"
    api_from 127.0.0.3 GET /license '' "prov_guess6"
    expect_status 429 "the next guess: 429"
    local retry
    retry=$(header Retry-After)
    [[ "$retry" =~ ^[0-9]+$ && "$retry" -ge 1 && "$retry" -le 3 ]] && ok || bad "Retry-After is the block's rest (1-3 s), got '$retry'"
    expect_json .error.code too_many_failures
    api_from 127.0.0.3 GET /license
    expect_status 429 "a correct token from the blocked address is refused too"
    api_from 127.0.0.3 POST /tokens '{"role":"admin"}'
    expect_status 429 "and so is any other request from it"
    api_from 127.0.0.1 GET /license
    expect_status 200 "another address is served"
    api_from 127.0.0.4 GET /license '' prov_other
    expect_status 401 "another address's guess is answered 401, not 429"
    sleep "$retry"
    sleep 0.2
    api_from 127.0.0.3 GET /license
    expect_status 200 "after the block the correct token works again"
    grep -qE '^[0-9T:-]+Z Warning security: event=auth_block src=127\.0\.0\.3 seconds=3 failures=5 block=1$' "$DATA/stderr" && ok ||
        bad "the block is one security line: $(grep auth_block "$DATA/stderr")"
    grep -qE 'Warning security: event=auth_failure src=127\.0\.0\.3 reason=unknown$' "$DATA/stderr" && ok ||
        bad "failures are security lines: $(grep auth_failure "$DATA/stderr" | head -2)"
}

# Audit: token changes, previews, exports, failed authentication.
test_audit() {
    api POST /extensions '{"extension":"1001","callerid_name":"Alice","mac":"00:15:65:4a:a9:37",
        "phone_make":"Yealink","phone_model":"T46U","secret":"AuditSecret1001xyz"}'
    expect_status 201 "an extension on a phone"
    SECRETS+=("AuditSecret1001xyz")
    api GET /devices/0015654aa937/preview/0015654aa937.cfg
    expect_status 200 "the preview"
    api GET "/exports?secrets=true"
    expect_status 200 "an export with secrets"
    cli export --secrets "$WORK/inventory.csv"
    expect_rc 0 "export --secrets on the command line"
    cli render 00:15:65:4a:a9:37 0015654aa937.cfg
    expect_rc 0 "render on the command line"

    api GET "/audit?entity=api_token&limit=100"
    expect_status 200 "the token audit"
    expect_json '[.items[] | select(.action == "create")] | length' 4 "four tokens made (first start, wallboard, van 7, brief), none refused"
    expect_json '[.items[] | select(.action == "revoke")] | length' 2 "two revoked (wallboard by the CLI, van 7 by the API)"
    expect_json '[.items[] | select(.action == "revoke" and .actor == "cli")][0].source' "" "the CLI's revocation has no address"
    expect_json '[.items[] | select(.action == "revoke" and .actor != "cli")][0].source' 127.0.0.1 "the API's revocation names its address"
    expect_json '[.items[] | select(.action == "create" and .entity_id == "1")][0].actor' "first start"
    api GET "/audit?entity=device&limit=100"
    expect_json '[.items[] | select(.action == "preview")] | map(.source) | sort | join(",")' ",127.0.0.1" "the API's and the CLI's previews"
    expect_json '[.items[] | select(.action == "preview")][0].after.file' 0015654aa937.cfg
    api GET "/audit?entity=inventory&limit=100"
    expect_json '[.items[] | select(.action == "export" and .after.secrets == true)] | map(.actor) | map(test("^cli$|admin")) | all' true "both exports with secrets"
    expect_json '[.items[] | select(.action == "export" and .after.secrets == true)] | length' 2
    api GET "/audit?entity=auth&entity_id=127.0.0.3&limit=100"
    expect_json '[.items[] | select(.action == "failure")] | length' 5 "five failures from 127.0.0.3 (not the refused ones)"
    expect_json '[.items[] | select(.action == "failure")][0].after.reason' unknown
    expect_json '[.items[] | select(.action == "failure")][0].source' 127.0.0.3
    expect_json '[.items[] | select(.action == "block")][0].after.seconds' 3
    api GET "/audit?entity=auth&limit=100"
    expect_json '[.items[] | select(.after.reason == "revoked")] | length >= 2' true "revoked tokens used: failures with their reason"
    expect_json '[.items[] | select(.after.reason == "expired")][0].after.token_id | type' number "an expired token's failure names it"
    api GET "/audit?entity=auth&entity_id=127.0.0.5&limit=100"
    expect_json .total 0 "requests without a token are not audited"
}

# No token and no secret in the log or in the audit log.
test_nothing_leaks() {
    local s audit leaks=0
    audit=$(sqlite3 "$DATA/store.db" 'SELECT * FROM audit')
    for s in "${SECRETS[@]}"; do
        if grep -qF -- "$s" "$DATA/stderr" "$DATA/stdout"; then bad "secret ${s:0:9}… in the log"; leaks=1; fi
        if [[ "$audit" == *"$s"* ]]; then bad "secret ${s:0:9}… in the audit log"; leaks=1; fi
    done
    [[ $leaks == 0 ]] && ok
    [[ ${#SECRETS[@]} -ge 5 ]] && ok || bad "the leak check saw too few secrets (${#SECRETS[@]})"
}

test_first_token_file
test_first_token_on_terminal
test_cli_tokens
test_api_tokens
test_failures_blocked
test_audit
stop_server
test_nothing_leaks
finish

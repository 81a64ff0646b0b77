#!/usr/bin/env bash
# Softphone invitations end to end: a real SMTP sink (python3-aiosmtpd) with
# STARTTLS (a throwaway certificate trusted through smtp.ca_file) and AUTH;
# the e-mail arrives, its link's page is fetched over HTTPS, the account is
# revealed once; a second reveal and a guessed token get the same refusal
# and no audit row, a flood of bad links none either and does not slow a
# phone; with the sink down the e-mail waits queued and goes out when it is back.

source "$(dirname "$0")/lib.sh"
HERE="$(cd "$(dirname "$0")" && pwd)"

# Debian's python3-aiosmtpd is in the system Python, which a python3 earlier on PATH may not see.
PY=python3
"$PY" -c 'import aiosmtpd' 2>/dev/null || PY=/usr/bin/python3
"$PY" -c 'import aiosmtpd' 2>/dev/null || { echo "python3-aiosmtpd is missing (deploy/install-deps.sh)" >&2; exit 1; }

SINK="$WORK/sink"
mkdir -p "$SINK"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -addext subjectAltName=DNS:localhost \
    -keyout "$WORK/smtp.key" -out "$WORK/smtp.crt" 2>/dev/null
SINK_PID=""
start_sink() {  # [PORT]
    rm -f "$SINK/port"
    "$PY" "$HERE/smtp_sink.py" "$SINK" "$WORK/smtp.crt" "$WORK/smtp.key" pbx 's3cret pass' ${1-} \
        >"$WORK/sink.out" 2>&1 &
    SINK_PID=$!
    for _ in $(seq 1 100); do [[ -s "$SINK/port" ]] && break; sleep 0.1; done
    SMTP_PORT=$(cat "$SINK/port")
}
stop_sink() { kill "$SINK_PID" 2>/dev/null; wait "$SINK_PID" 2>/dev/null; SINK_PID=""; }
trap 'stop_sink; cleanup' EXIT

start_sink
start_server -D smtp.host=localhost -D smtp.port="$SMTP_PORT" -D smtp.starttls=required \
    -D smtp.user=pbx -D smtp.password='s3cret pass' -D smtp.from=pbx@example.com \
    -D smtp.ca_file="$WORK/smtp.crt" -D smtp.retry=1s -D smtp.timeout=5 \
    -D invitations.base_url=https://phones.example.com -D invitations.valid_for=1h
HTTPS_PORT=$(jq -r .https "$DATA/ports.json")

api PUT /settings '{"sip_server":"pbx.example.com","sip_port":5060,"sip_transport":"udp"}'
expect_status 200 "settings"

# A softphone extension: make and model stored on it, no MAC.
api POST /extensions '{"extension":"2001","callerid_name":"Soft User","voicemail_email":"soft@example.com",
  "phone_make":"IntellaPhone","phone_model":"IntellaPhone PC","secret":"Sip2001SecretXyz"}'
expect_status 201 "softphone extension created"
expect_json .phone_make IntellaPhone
expect_json .phone_model "IntellaPhone PC"
expect_json .mac null
api POST /extensions '{"extension":"2002","callerid_name":"Bad","phone_make":"IntellaPhone",
  "phone_model":"IntellaPhone PC","mac":"00:15:65:00:00:01"}'
expect_status 400 "a softphone with a MAC"
expect_json '.error.fields | has("mac")' true
api POST /extensions '{"extension":"2003","callerid_name":"Desk","phone_make":"Yealink","phone_model":"T46U"}'
expect_status 400 "a hardware make still needs a MAC"
api POST /extensions '{"extension":"2004","callerid_name":"Desk","voicemail_email":"d@example.com"}'
expect_status 201

# Refusals: not a softphone; no e-mail at all.
api POST /extensions/2004/invitations '{}'
expect_status 409 "invitation to a non-softphone extension"
api POST /extensions '{"extension":"2005","callerid_name":"No mail","phone_make":"IntellaPhone","phone_model":"IntellaPhone iOS"}'
expect_status 201
api POST /extensions/2005/invitations ''
expect_status 400 "no e-mail"
expect_json '.error.fields | has("email")' true

# Send one and see it arrive over STARTTLS with AUTH.
api POST /extensions/2001/invitations ''
expect_status 202 "invitation queued"
expect_json .state queued
expect_json .email soft@example.com
for _ in $(seq 1 100); do [[ -s "$SINK/1.eml" ]] && break; sleep 0.1; done
expect_true test -s "$SINK/1.eml"
expect_true grep -q 'tls=True auth=True rcpt=soft@example.com' "$SINK/auth.log"
for _ in $(seq 1 50); do
    api GET /extensions/2001/invitations
    [[ $(jq -r '.items[0].state' <<<"$BODY") == sent ]] && break
    sleep 0.1
done
expect_json '.items[0].state' sent
expect_json '.items[0].smtp_reply | startswith("250 2.0.0 Ok: saved as 1")' true
expect_json '.items[0].tries' 1

# The e-mail: text and HTML, the link, the download links, no secret.
python3 - "$SINK/1.eml" >"$WORK/mail.txt" <<'PY'
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=policy.default)
print("SUBJECT", m["Subject"])
print("PARTS", ",".join(p.get_content_type() for p in m.walk() if not p.is_multipart()))
print(m.get_body(("plain",)).get_content())
print(m.get_body(("html",)).get_content())
PY
expect_true grep -q 'PARTS text/plain,text/html' "$WORK/mail.txt"
expect_true grep -q 'apps.apple.com' "$WORK/mail.txt"
if grep -q Sip2001SecretXyz "$WORK/mail.txt"; then bad "the secret is in the e-mail"; else ok; fi
LINK=$(grep -o 'https://phones.example.com/invite/[A-Za-z0-9_-]*' "$WORK/mail.txt" | head -1)
TOKEN_PART=${LINK##*/}
[[ ${#TOKEN_PART} -eq 43 ]] && ok || bad "a 43-character token in the link: '$LINK'"
# Only the hash is stored.
if sqlite3 "$DATA/store.db" "SELECT * FROM invitations; SELECT * FROM outbox;" | grep -q -- "$TOKEN_PART"; then
    bad "the token is stored"; else ok; fi

page() {  # METHOD TOKEN -> STATUS, $WORK/page, $WORK/page.h
    STATUS=$(curl -sk --max-time 10 -o "$WORK/page" -D "$WORK/page.h" -w '%{http_code}' -X "$1" \
        --resolve "phones.example.com:$HTTPS_PORT:127.0.0.1" "https://phones.example.com:$HTTPS_PORT/invite/$2")
    BODY=$(cat "$WORK/page")
}
page GET "$TOKEN_PART"
expect_status 200 "landing page"
expect_true grep -q 'Show my account' "$WORK/page"
expect_true grep -qi '^cache-control: no-store' "$WORK/page.h"
expect_true grep -qi '^referrer-policy: no-referrer' "$WORK/page.h"
expect_true grep -qi "^content-security-policy: default-src 'none'" "$WORK/page.h"
if grep -q Sip2001SecretXyz "$WORK/page"; then bad "GET shows the secret"; else ok; fi
# Never over plain HTTP: a GET (a POST would be refused by its method before
# any route) gets no invitation page.
STATUS=$(curl -s --max-time 10 -o "$WORK/http_page" -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/invite/$TOKEN_PART")
[[ "$STATUS" != 200 ]] && ok || bad "the page over HTTP (status $STATUS)"
if grep -q -e 'Show my account' -e 'IntellaPhone' "$WORK/http_page"; then bad "the invitation page over HTTP"; else ok; fi

page POST "$TOKEN_PART"
expect_status 200 "reveal"
expect_true grep -q Sip2001SecretXyz "$WORK/page"
expect_true grep -q 'sip:2001@pbx.example.com' "$WORK/page"
expect_true grep -q '<svg' "$WORK/page"
page POST "$TOKEN_PART"
REFUSED_STATUS=$STATUS
cp "$WORK/page" "$WORK/refused1"
[[ "$REFUSED_STATUS" == 404 ]] && ok || bad "a second reveal is refused (got $REFUSED_STATUS)"
page POST "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
[[ "$STATUS" == "$REFUSED_STATUS" ]] && ok || bad "a guessed token: same status"
expect_true cmp -s "$WORK/page" "$WORK/refused1"
page GET "short"
expect_true cmp -s "$WORK/page" "$WORK/refused1"
if grep -q -- "$TOKEN_PART" "$DATA/stderr" "$DATA/stdout"; then bad "the token is logged"; else ok; fi
if grep -q -e Sip2001SecretXyz -e 's3cret' "$DATA/stderr" "$DATA/stdout"; then bad "a secret is logged"; else ok; fi
api GET '/audit?entity=invitation&limit=100'
expect_json '[.items[].action] | map(select(. == "reveal")) | length' 1
expect_json '[.items[].action] | map(select(. == "view")) | length' 1
# Refusals are security-log lines, not audit rows.
expect_json '[.items[].action] | map(select(. == "reveal_refused" or . == "view_refused")) | length' 0
expect_true grep -q 'security: event=invite_refused src=127.0.0.1 method=POST reason=not_live' "$DATA/stderr"
expect_true grep -q 'security: event=invite_refused src=127.0.0.1 method=GET reason=malformed' "$DATA/stderr"

# A client looping on bad links: 200 requests on keep-alive connections
# write no audit row, and a phone fetching its config meanwhile is answered
# at once (the refusals touch no store, past the limit not even a read).
add_phone yealink 00:15:65:4a:a9:37 Yealink T46U 30
AUDIT_ROWS=$(sqlite3 "$DATA/store.db" "SELECT COUNT(*) FROM audit")
for i in $(seq 1 100); do
    echo "url = \"https://phones.example.com:$HTTPS_PORT/invite/bad$i\""
    printf 'url = "https://phones.example.com:%s/invite/%043d"\n' "$HTTPS_PORT" "$i"
done >"$WORK/flood.curl"
flood() {
    curl -sk --max-time 60 --resolve "phones.example.com:$HTTPS_PORT:127.0.0.1" -K "$WORK/flood.curl" \
        -o /dev/null -w '%{http_code}\n' >"$WORK/flood.$1" 2>/dev/null
}
flood 1 & FLOOD1=$!
flood 2 & FLOOD2=$!
FETCH=$(curl -s --max-time 10 -o /dev/null -w '%{http_code} %{time_total}' \
    -A "Yealink SIP-T46U 108.86.0.90 00:15:65:4a:a9:37" "http://127.0.0.1:$HTTP_PORT/0015654aa937.cfg")
wait "$FLOOD1" "$FLOOD2"
[[ ${FETCH%% *} == 200 ]] && ok || bad "a phone's fetch during the flood (got $FETCH)"
awk -v t="${FETCH##* }" 'BEGIN { exit !(t < 2) }' && ok || bad "a phone's fetch took ${FETCH##* }s during the flood"
[[ $(grep -c '^404$' "$WORK/flood.1") -eq 200 && $(grep -c '^404$' "$WORK/flood.2") -eq 200 ]] && ok ||
    bad "every flooded request gets the refusal page"
[[ $(sqlite3 "$DATA/store.db" "SELECT COUNT(*) FROM audit") -eq $AUDIT_ROWS ]] && ok ||
    bad "the flood wrote audit rows"
expect_true grep -q 'event=invite_refused src=127.0.0.1 method=GET reason=rate_limited' "$DATA/stderr"
# Rate-limited lines too: at most log.refusal_lines (20) a minute of the kind.
REFUSAL_LINES=$(grep -c 'event=invite_refused' "$DATA/stderr")
[[ $REFUSAL_LINES -le 20 ]] && ok || bad "$REFUSAL_LINES invite_refused lines in a minute"

# The sink down: queued with the reason, then sent once it is back.
stop_sink
api POST /extensions/2001/invitations '{"email":"other@example.com"}'
expect_status 202
for _ in $(seq 1 50); do
    api GET /extensions/2001/invitations
    [[ $(jq -r '.items[0].tries' <<<"$BODY") -ge 1 ]] && break
    sleep 0.1
done
expect_json '.items[0].state' queued
expect_json '.items[0].smtp_reply | test("cannot connect")' true
expect_json '.items[1].revoked' true "the older invitation is revoked"
start_sink "$SMTP_PORT"
for _ in $(seq 1 100); do
    api GET /extensions/2001/invitations
    [[ $(jq -r '.items[0].state' <<<"$BODY") == sent ]] && break
    sleep 0.2
done
expect_json '.items[0].state' sent "sent once the sink is back"
expect_json '.items[0].tries >= 2' true
expect_true grep -q 'rcpt=other@example.com' "$SINK/auth.log"
# The first link is revoked now (and was revealed anyway); the JSON shape.
expect_json '.items[0] | keys | sort | join(",")' \
    "created_at,email,expires_at,extension,id,next_try_at,revealed_at,revoked,sent_at,smtp_reply,state,tries"

# A relay whose certificate the configured CAs do not vouch for gets no mail
# (and so no password): the e-mail waits with the reason.
stop_server
start_server -D smtp.host=localhost -D smtp.port="$SMTP_PORT" -D smtp.starttls=required \
    -D smtp.user=pbx -D smtp.password='s3cret pass' -D smtp.from=pbx@example.com \
    -D smtp.ca_file="$GOLDEN_TRUST_CA" -D smtp.retry=1s -D smtp.timeout=5 \
    -D invitations.base_url=https://phones.example.com
SAVED=$(grep -c . "$SINK/auth.log")
api POST /extensions/2001/invitations ''
expect_status 202
# A try is counted when it starts and its reply written when it ends: wait
# for the reply.
for _ in $(seq 1 100); do
    api GET /extensions/2001/invitations
    [[ -n $(jq -r '.items[0].smtp_reply // empty' <<<"$BODY") ]] && break
    sleep 0.1
done
expect_json '.items[0].state' queued "an untrusted relay: still queued"
expect_json '.items[0].smtp_reply | test("TLS handshake with localhost failed")' true
[[ $(grep -c . "$SINK/auth.log") -eq $SAVED ]] && ok || bad "an untrusted relay got the mail"

check_described_statuses
echo "invitations: $PASS passed, $FAIL failed"
[[ $FAIL -eq 0 ]]

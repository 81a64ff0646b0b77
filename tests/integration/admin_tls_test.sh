#!/usr/bin/env bash
# The admin API over HTTPS (admin.tls=true): the same routes and answers as
# over plain HTTP, verified against the server's own certificate; plain HTTP,
# a silent client and a broken handshake on that port get nothing and do not
# stop it; the phones' ports are unaffected.

source "$(dirname "$0")/lib.sh"

start_server -D certs.dir="$WORK/certs" -D tls.server_names="prov.test, 127.0.0.1" -D admin.tls=true
CERT="$WORK/certs/server.crt"
A="https://127.0.0.1:$ADMIN_PORT/api/v1"
sapi() {  # METHOD PATH [BODY]: over TLS, the certificate checked
    local args=(-s --max-time 25 --cacert "$CERT" -o "$WORK/body" -w '%{http_code}' -X "$1"
                -H "Authorization: Bearer $TOKEN")
    [[ -n "${3-}" ]] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
    STATUS=$(curl "${args[@]}" "$A$2")
    BODY=$(cat "$WORK/body")
}

sapi POST /extensions '{"extension":"1001","callerid_name":"Alice","mac":"00:15:65:4a:a9:37","phone_make":"Yealink","phone_model":"T46U"}'
expect_status 201 "create over HTTPS"
expect_json .extension 1001
sapi GET /extensions/1001
expect_status 200 "read over HTTPS"
expect_json .callerid_name Alice
# No token: the same 401 as over HTTP.
STATUS=$(curl -s --max-time 10 --cacert "$CERT" -o /dev/null -w '%{http_code}' "$A/extensions")
expect_status 401 "no token over HTTPS"
# Keep-alive: two requests on one TLS connection.
OUT=$(curl -s --max-time 10 --cacert "$CERT" -H "Authorization: Bearer $TOKEN" -w '%{http_code} %{num_connects}\n' \
      -o /dev/null "$A/extensions/1001" -o /dev/null "$A/settings")
expect_true test "$OUT" = $'200 1\n200 0'

# Plain HTTP on the TLS port is not answered as HTTP.
STATUS=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ADMIN_PORT/api/v1/extensions")
expect_true test "$STATUS" = 000
# Twelve clients that connect and say nothing (more than the admin port's
# eight threads), and one whose handshake is garbage: none holds a thread
# (they wait in the port's waiting room until admin.header_timeout), so the
# next client is served while the silent ones stay connected (30 s).
python3 - "$ADMIN_PORT" "$WORK/silent" <<'PY' &
import socket, sys, time
held = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(12)]
open(sys.argv[2], "w").write("connected")
time.sleep(30)
PY
SILENT=$!
for _ in $(seq 1 100); do [[ -s "$WORK/silent" ]] && break; sleep 0.1; done
python3 - "$ADMIN_PORT" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"\x16\x03\x01\x00\x05hello")
try:
    s.recv(100)  # an alert, or the close
except OSError:
    pass
PY
T0=$(date +%s%N)
sapi GET /extensions/1001
MS=$(( ($(date +%s%N) - T0) / 1000000 ))
expect_status 200 "served while silent clients hold the port"
echo "admin over TLS answered in $MS ms with 12 silent clients connected" >&2
kill "$SILENT" 2>/dev/null; wait "$SILENT" 2>/dev/null

# The certificate the admin port shows is the phones' server certificate.
PORTS=$(cat "$DATA/ports.json")
HTTPS_PORT=$(jq -r .https <<<"$PORTS")
fp() { echo | timeout 10 openssl s_client -connect "127.0.0.1:$1" 2>/dev/null | openssl x509 -noout -fingerprint -sha256; }
expect_true test "$(fp "$ADMIN_PORT")" = "$(fp "$HTTPS_PORT")"
STATUS=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/y000000000000.boot")
expect_status 200 "phones' HTTP unaffected"

# admin.tls takes true or false only.
OUT=$("$PROVISIONER_BIN" serve -D store.path="$WORK/x.db" -D templates.dir="$TEMPLATES_DIR" -D admin.tls=yes 2>&1 >/dev/null)
expect_true grep -q "^provisioner: config: admin.tls must be true or false (got 'yes')" <<<"$OUT"
finish

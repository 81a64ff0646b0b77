#!/usr/bin/env bash
# HTTPS on mbedTLS: certificate generated on first start, TLS policy checked
# with openssl s_client, the same pipeline as HTTP, session resumption, a
# half-open or silent client does not hold the server, certificate reload.
source "$(dirname "$0")/lib.sh"
GOLDEN="${SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/data/golden"

start_server -D certs.dir="$WORK/certs" -D tls.server_names="prov.test, 127.0.0.1"
HTTPS_PORT=$(jq -r .https "$WORK/ports.json")
CERT="$WORK/certs/server.crt"

# Generated on first start: ECDSA P-256, the configured names, key private.
expect_true test -s "$CERT"
[[ "$(stat -c %a "$WORK/certs/server.key")" == 600 ]] && ok || bad "key file is not 0600"
openssl x509 -in "$CERT" -noout -text >"$WORK/cert.txt"
grep -q "ASN1 OID: prime256v1" "$WORK/cert.txt" && ok || bad "not a P-256 key"
grep -q "DNS:prov.test, IP Address:127.0.0.1" "$WORK/cert.txt" && ok || bad "SANs: $(grep -A1 'Alternative' "$WORK/cert.txt")"

golden_settings
add_phone yealink 00:15:65:4a:a9:37 Yealink T46U 10

# The same pipeline as HTTP, with the certificate verified by name.
UA="Yealink SIP-T46U 108.86.0.90 00:15:65:4a:a9:37"
STATUS=$(curl -s --max-time 10 --cacert "$CERT" --resolve "prov.test:$HTTPS_PORT:127.0.0.1" -A "$UA" \
    -o "$WORK/got" -w '%{http_code}' "https://prov.test:$HTTPS_PORT/0015654aa937.cfg")
expect_status 200 "config over HTTPS"
normalize_creds "$WORK/got"
cmp -s "$WORK/got" "$GOLDEN/yealink/0015654aa937.cfg" && ok || bad "HTTPS bytes differ from the golden file"
STATUS=$(curl -s --max-time 10 --cacert "$CERT" -A "$UA" -o /dev/null -w '%{http_code}' \
    "https://127.0.0.1:$HTTPS_PORT/001565000001.cfg")
expect_status 404 "unknown MAC over HTTPS"
for _ in $(seq 1 30); do
    api GET "/events?mac=00:15:65:4a:a9:37&outcome=served"
    [[ $(jq -r '[.items[] | select(.protocol == "https")] | length' <<<"$BODY") -ge 1 ]] && break
    sleep 0.1
done
[[ $(jq -r '[.items[] | select(.protocol == "https")] | length' <<<"$BODY") -ge 1 ]] && ok || bad "https event"

# Policy: TLS 1.2 only; ECDHE + AEAD; no RSA key exchange, no CBC.
s_client() { echo | timeout 10 openssl s_client -connect "127.0.0.1:$HTTPS_PORT" "$@" 2>&1; }
s_client -tls1_2 >"$WORK/s" ; grep -q "Cipher is ECDHE-ECDSA-AES128-GCM-SHA256" "$WORK/s" && ok || bad "ECDHE-ECDSA-AES128-GCM not chosen: $(grep 'Cipher is' "$WORK/s")"
s_client -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' >"$WORK/s"; grep -q "Cipher is (NONE)" "$WORK/s" && ok || bad "TLS 1.1 accepted"
s_client -tls1 -cipher 'DEFAULT:@SECLEVEL=0' >"$WORK/s"; grep -q "Cipher is (NONE)" "$WORK/s" && ok || bad "TLS 1.0 accepted"
s_client -tls1_2 -cipher AES128-GCM-SHA256 >"$WORK/s"; grep -q "Cipher is (NONE)" "$WORK/s" && ok || bad "RSA key exchange accepted"
s_client -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA256 >"$WORK/s"; grep -q "Cipher is (NONE)" "$WORK/s" && ok || bad "CBC accepted"
s_client -tls1_2 -cipher ECDHE-ECDSA-CHACHA20-POLY1305 >"$WORK/s"; grep -q "Cipher is ECDHE-ECDSA-CHACHA20-POLY1305" "$WORK/s" && ok || bad "ChaCha20 refused"
# Curves are pinned: P-384 first in the client's list is passed over for
# P-256; a client offering X25519 (and P-256, the certificate's curve) is served.
s_client -tls1_2 -groups P-384:P-256 >"$WORK/s"; grep -q "Server Temp Key: ECDH, prime256v1" "$WORK/s" && ok || bad "P-384 used: $(grep 'Temp Key' "$WORK/s")"
s_client -tls1_2 -groups X25519:P-256 >"$WORK/s"; grep -q "Cipher is ECDHE-ECDSA" "$WORK/s" && ok || bad "X25519 client refused"
s_client -tls1_2 -groups P-521:P-384 >"$WORK/s"; grep -q "Cipher is (NONE)" "$WORK/s" && ok || bad "a client without P-256/X25519 was served"

# Resumption: a saved session (ticket) is reused.
s_client -tls1_2 -sess_out "$WORK/sess" >/dev/null
s_client -tls1_2 -sess_in "$WORK/sess" >"$WORK/s"; grep -q "^Reused" "$WORK/s" && ok || bad "session not reused: $(grep -E '^(New|Reused)' "$WORK/s")"
s_client -tls1_2 -no_ticket -sess_out "$WORK/sess2" >/dev/null
s_client -tls1_2 -no_ticket -sess_in "$WORK/sess2" >"$WORK/s"; grep -q "^Reused" "$WORK/s" && ok || bad "session cache (no ticket) not reused"

# Half-open and silent clients do not hold the server: 20 TCP connections
# that never speak TLS, then a normal fetch answers at once.
python3 - "$HTTPS_PORT" >"$WORK/silent" <<'PY' &
import socket, sys, time
socks = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(20)]
socks[0].sendall(b"\x16\x03\x01\x00")  # half a record header, then nothing
start = time.time()
socks[1].settimeout(15)
try:
    data = socks[1].recv(10)
except Exception:
    data = b"?"
print("closed-after %.1f %r" % (time.time() - start, data))
time.sleep(1)
PY
SILENT_PID=$!
sleep 0.5
t0=$(date +%s%N)
STATUS=$(curl -s --max-time 5 --cacert "$CERT" -A "$UA" -o /dev/null -w '%{http_code}' \
    "https://127.0.0.1:$HTTPS_PORT/y000000000108.cfg")
t1=$(date +%s%N)
expect_status 200 "fetch beside 20 silent TLS clients"
(( (t1 - t0) / 1000000 < 1000 )) && ok || bad "fetch took $(( (t1 - t0) / 1000000 )) ms"
wait $SILENT_PID
read -r _ secs data <"$WORK/silent"
# The handshake timeout (5 s) closes a client that never finishes it.
awk -v s="$secs" 'BEGIN { exit !(s >= 3 && s <= 12) }' && ok || bad "silent client closed after $secs s, want about 5"

# SIGHUP: a new certificate for new connections.
old_serial=$(openssl x509 -in "$CERT" -noout -serial)
rm -f "$WORK/certs/server.crt" "$WORK/certs/server.key"
kill -HUP "$SERVER_PID"
for _ in $(seq 1 30); do [[ -s "$CERT" ]] && break; sleep 0.1; done
sleep 0.3
s_client -tls1_2 >"$WORK/s"
new_serial=$(sed -n '/BEGIN CERTIFICATE/,/END CERTIFICATE/p' "$WORK/s" | openssl x509 -noout -serial)
[[ -n "$new_serial" && "$new_serial" != "$old_serial" && "$new_serial" == "$(openssl x509 -in "$CERT" -noout -serial)" ]] \
    && ok || bad "certificate not reloaded ($old_serial -> $new_serial)"

# A key that does not match its certificate stops the server with one line.
stop_server
openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/certs/server.key" 2>/dev/null
"$PROVISIONER_BIN" serve -D store.path="$WORK/store.db" -D templates.dir="$TEMPLATES_DIR" -D certs.dir="$WORK/certs" \
    -D admin.port=0 -D http.port=0 -D https.port=0 -D tftp.port=0 >/dev/null 2>"$WORK/bad-key.err" &
BAD=$!
for _ in $(seq 1 50); do kill -0 $BAD 2>/dev/null || break; sleep 0.1; done
if kill -0 $BAD 2>/dev/null; then kill $BAD; bad "server started with a mismatched key"; else ok; fi
[[ $(grep -c '^provisioner:' "$WORK/bad-key.err") -eq 1 ]] && grep -q "^provisioner: .*does not match" "$WORK/bad-key.err" \
    && ! grep -q "listening\|HTTP on" "$WORK/bad-key.err" && ok || bad "mismatched key: $(cat "$WORK/bad-key.err")"
rm -f "$WORK/certs/server.key"
"$PROVISIONER_BIN" serve -D store.path="$WORK/store.db" -D templates.dir="$TEMPLATES_DIR" -D certs.dir="$WORK/certs" \
    -D admin.port=0 -D http.port=0 -D https.port=0 -D tftp.port=0 >/dev/null 2>"$WORK/no-key.err" &
BAD=$!
for _ in $(seq 1 50); do kill -0 $BAD 2>/dev/null || break; sleep 0.1; done
if kill -0 $BAD 2>/dev/null; then kill $BAD; bad "server started without its key"; else ok; fi
grep -q "server.key is missing" "$WORK/no-key.err" && ok || bad "missing key: $(cat "$WORK/no-key.err")"

finish

#!/usr/bin/env bash
# Phones that prove who they are with a factory certificate: a test vendor CA
# and device certificates made here with the openssl CLI; curl --cert for the
# right MAC, another MAC, an untrusted CA, an expired certificate; no
# certificate under each https.client_cert mode; secrets_require_client_cert.
source "$(dirname "$0")/lib.sh"

PKI="$WORK/pki"
mkdir -p "$PKI" "$WORK/certs/vendor-ca/polycom" "$WORK/certs/vendor-ca/cisco"

ca() {  # ca NAME: an EC P-256 CA
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
        -subj "/O=Test $1 CA/CN=Test $1 Root" -keyout "$PKI/$1-ca.key" -out "$PKI/$1-ca.pem" \
        -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
}
device() {  # device CA NAME SUBJECT [openssl ca dates...]: a device certificate signed by CA
    local ca=$1 name=$2 subject=$3; shift 3
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "$subject" \
        -keyout "$PKI/$name.key" -out "$PKI/$name.csr" 2>/dev/null
    if [[ $# -eq 0 ]]; then
        openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/$ca-ca.pem" -CAkey "$PKI/$ca-ca.key" \
            -CAcreateserial -days 825 -out "$PKI/$name.pem" 2>/dev/null
    else  # explicit validity: openssl ca takes start and end dates
        mkdir -p "$PKI/ca-db"; : >"$PKI/ca-db/index.txt"; echo 1000 >"$PKI/ca-db/serial"
        cat >"$PKI/ca.cnf" <<CNF
[ca]
default_ca = d
[d]
database = $PKI/ca-db/index.txt
serial = $PKI/ca-db/serial
new_certs_dir = $PKI/ca-db
default_md = sha256
policy = p
[p]
commonName = supplied
CNF
        openssl ca -batch -config "$PKI/ca.cnf" -cert "$PKI/$ca-ca.pem" -keyfile "$PKI/$ca-ca.key" \
            -in "$PKI/$name.csr" -out "$PKI/$name.pem" -notext "$@" 2>/dev/null
    fi
}

ca polycom
ca cisco
ca rogue
device polycom phone-a "/CN=00:04:f2:aa:bb:01"
device polycom phone-b "/CN=0004F2AABB02"
device rogue rogue-a "/CN=0004f2aabb01"
device polycom expired "/CN=0004f2aabb01" -startdate 20200101000000Z -enddate 20210101000000Z
device polycom future "/CN=0004f2aabb01" -startdate 20990101000000Z -enddate 21000101000000Z
device cisco mpp "/OU=CP-8841-3PCC/L=FCH1234ABCD/ST=00:56:2b:04:36:15/CN=CP-8841-3PCC"
cp "$PKI/polycom-ca.pem" "$WORK/certs/vendor-ca/polycom/root.pem"
cp "$PKI/cisco-ca.pem" "$WORK/certs/vendor-ca/cisco/root.pem"
for f in phone-a phone-b rogue-a expired future mpp; do expect_true test -s "$PKI/$f.pem"; done

# Secrets are not served to 127.0.0.1 by network: only a certificate can prove a phone.
start_server -D certs.dir="$WORK/certs" -D provisioning.allow_networks=10.0.0.0/8
HTTPS_PORT=$(jq -r .https "$WORK/ports.json")
for mac in 00:04:f2:aa:bb:01 00:04:f2:aa:bb:02; do
    n=${mac: -1}
    api POST /extensions "{\"extension\":\"20$n\",\"callerid_name\":\"Phone $n\",\"mac\":\"$mac\",\"phone_make\":\"Polycom\",\"phone_model\":\"VVX_400\",\"secret\":\"SecretPolycom$n\"}"
    expect_status 201
done
api POST /extensions '{"extension":"301","callerid_name":"MPP","mac":"00:56:2b:04:36:15","phone_make":"Cisco","phone_model":"8841","secret":"SecretCisco1"}'
expect_status 201

# fetch CERT FILE: HTTPS with a client certificate (or none when CERT is -);
# STATUS is the HTTP code, or 000 when the handshake failed.
fetch() {
    local cert=$1 file=$2 args=(-s --max-time 10 -k -o "$WORK/got" -w '%{http_code}')
    [[ "$cert" != - ]] && args+=(--cert "$PKI/$cert.pem" --key "$PKI/$cert.key")
    : >"$WORK/got"
    STATUS=$(curl "${args[@]}" "https://127.0.0.1:$HTTPS_PORT/$file" 2>/dev/null)
    BODY=$(head -c 200 "$WORK/got")
}

fetch phone-a 0004f2aabb01-settings.cfg
expect_status 200 "a phone with its own certificate gets its config"
grep -q "SecretPolycom1" "$WORK/got" && ok || bad "secret missing"
fetch phone-b 0004f2aabb02-settings.cfg
expect_status 200 "MAC in the CN, uppercase, no separators"
fetch phone-a 0004f2aabb02-settings.cfg
expect_status 403 "certificate for A asking for B's file"
! grep -q "SecretPolycom2" "$WORK/got" && ok || bad "B's secret leaked"
fetch mpp 00562b043615.xml
expect_status 200 "Cisco: the MAC is the subject's ST field"
grep -q "SecretCisco1" "$WORK/got" && ok || bad "Cisco secret missing"
fetch - 0004f2aabb01-settings.cfg
expect_status 401 "no certificate, network not allowed: a Digest challenge"
fetch rogue-a 0004f2aabb01-settings.cfg
expect_status 000 "a certificate from an untrusted CA fails the handshake"
fetch expired 0004f2aabb01-settings.cfg
expect_status 000 "an expired certificate fails the handshake"
fetch future 0004f2aabb01-settings.cfg
expect_status 000 "a not-yet-valid certificate fails the handshake"
fetch - 000000000000.cfg
expect_status 200 "common files need no certificate"

for _ in $(seq 1 30); do
    api GET "/events?mac=00:04:f2:aa:bb:01"
    [[ $(jq -r '[.items[] | select(.auth == "client_cert" and .outcome == "served")] | length' <<<"$BODY") -ge 1 ]] && break
    sleep 0.1
done
[[ $(jq -r '[.items[] | select(.auth == "client_cert" and .outcome == "served")] | length' <<<"$BODY") -ge 1 ]] \
    && ok || bad "event records client_cert authorisation"
api GET "/events?outcome=denied"
[[ $(jq -r '[.items[] | select(.mac == "0004f2aabb02")] | length' <<<"$BODY") -ge 1 ]] && ok || bad "the 403 is recorded as denied"
grep -q "certificate for 0004f2aabb01 asked for 0004f2aabb02" "$WORK/stderr" && ok || bad "the 403 is logged"

# required: no certificate, no connection.
stop_server
start_server -D certs.dir="$WORK/certs" -D https.client_cert=required
HTTPS_PORT=$(jq -r .https "$WORK/ports.json")
fetch - 000000000000.cfg
expect_status 000 "required: no certificate fails the handshake"
fetch phone-a 0004f2aabb01-settings.cfg
expect_status 200 "required: a good certificate"

# none: no certificate is asked for; a proof cannot be made.
stop_server
start_server -D certs.dir="$WORK/certs" -D https.client_cert=none -D provisioning.allow_networks=10.0.0.0/8
HTTPS_PORT=$(jq -r .https "$WORK/ports.json")
fetch phone-a 0004f2aabb01-settings.cfg
expect_status 401 "none: a certificate proves nothing (a Digest challenge)"
fetch - 000000000000.cfg
expect_status 200 "none: plain HTTPS"

# secrets_require_client_cert: even an allowed network needs the certificate.
stop_server
start_server -D certs.dir="$WORK/certs" -D policy.secrets_require_client_cert=true
HTTPS_PORT=$(jq -r .https "$WORK/ports.json")
fetch - 0004f2aabb01-settings.cfg
expect_status 404 "secrets_require_client_cert: allowed network, no certificate"
fetch phone-a 0004f2aabb01-settings.cfg
expect_status 200 "secrets_require_client_cert: with the certificate"
STATUS=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(jq -r .http "$WORK/ports.json")/0004f2aabb01-settings.cfg")
expect_status 404 "secrets_require_client_cert: plain HTTP gets no secrets"

# required without any vendor CA: one line at start.
stop_server
rm -rf "$WORK/certs/vendor-ca"
"$PROVISIONER_BIN" serve -D store.path="$WORK/store.db" -D templates.dir="$TEMPLATES_DIR" -D certs.dir="$WORK/certs" \
    -D https.client_cert=required -D admin.port=0 -D http.port=0 -D https.port=0 -D tftp.port=0 \
    >/dev/null 2>"$WORK/no-ca.err" &
BAD=$!
for _ in $(seq 1 50); do kill -0 $BAD 2>/dev/null || break; sleep 0.1; done
if kill -0 $BAD 2>/dev/null; then kill $BAD; bad "required without vendor CAs started"; else ok; fi
grep -q "^provisioner: .*holds no vendor CA" "$WORK/no-ca.err" && ok || bad "no-CA message: $(cat "$WORK/no-ca.err")"

finish

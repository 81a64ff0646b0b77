#!/usr/bin/env bash
# Trust: the CA a phone needs for HTTPS resync and SIP over TLS reaches each
# family in its own way (vendor-templates/README.md "Trust"):
#   Yealink  static.trusted_certificates.url  the URL of ca.pem
#   Cisco    Custom_CA_Rule                   the URL of ca.pem
#   Polycom  device.sec.TLS.customCaCert1 and sec.TLS.customCaCert.1, the PEM inline
#   Grandstream P8433 (GXP21xx: trustedCACertificates.trustedCACertificate.1), the PEM inline
#   Snom, Fanvil                              nothing (no documented parameter found)
# ca.pem is served over HTTP, HTTPS and TFTP and is the certificate the server
# was configured with: the root of server.crt's chain, the self-signed
# server.crt itself, or trust.ca_file. trust.deliver=false takes all of it
# away; a trust.ca_file that is not one PEM certificate stops the start with
# one line naming the key.
#
# Needs openssl, curl, tftp (tftp-hpa), python3.
source "$(dirname "$0")/lib.sh"

for tool in openssl tftp python3; do
    command -v "$tool" >/dev/null || { echo "trust_test needs $tool" >&2; exit 1; }
done

YEALINK_UA="Yealink SIP-T46U 108.86.0.90 00:15:65:4a:a9:37"
POLYCOM_UA="FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 Type/Application"
CISCO_UA="Cisco-CP-8841-3PCC/12.0.1 (00562b043615)"
GS_UA="Grandstream Model HW GXP2135 SW 1.0.7.97 DevId 000b828aa872"
SNOM_UA="Mozilla/4.0 (compatible; snomD785-SIP 10.1.33.33 2010.12-00004-g9ba52f5 000413922D24 SXM:0 UXM:0)"
FANVIL_UA="Fanvil X5U-V2 2.12.16.17 0c383e557eb1"
CA_URL="https://prov.example.net/ca.pem"

fingerprint() { openssl x509 -noout -fingerprint -sha256 -in "$1" 2>/dev/null; }

# A private CA and a server certificate it signed; server.crt holds the chain,
# leaf first, as an admin would install it.
mkdir -p "$WORK/ca" "$WORK/certs"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj "/CN=Site CA" -keyout "$WORK/ca/ca.key" -out "$WORK/ca/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$WORK/certs/server.key" -out "$WORK/ca/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$WORK/ca/ext"
openssl x509 -req -in "$WORK/ca/server.csr" -CA "$WORK/ca/ca.pem" -CAkey "$WORK/ca/ca.key" \
    -CAcreateserial -days 30 -extfile "$WORK/ca/ext" -out "$WORK/ca/leaf.pem" 2>/dev/null
cat "$WORK/ca/leaf.pem" "$WORK/ca/ca.pem" >"$WORK/certs/server.crt"
CA_FP=$(fingerprint "$WORK/ca/ca.pem")
[[ -n "$CA_FP" ]] || { echo "openssl made no CA" >&2; exit 1; }

# fetch UA FILE: GET from the phone port into $WORK/got.
fetch() {
    STATUS=$(curl -s --max-time 10 -o "$WORK/got" -w '%{http_code}' -A "$1" "http://127.0.0.1:$HTTP_PORT/$2")
    BODY=$(head -c 300 "$WORK/got")
}
# has WHAT LINE: LINE is a whole line of $WORK/got (leading blanks ignored).
has() {
    if sed 's/^[[:space:]]*//' "$WORK/got" | grep -qxF -- "$2"; then ok; else bad "$1: no line '$2'"; fi
}
lacks() {
    if grep -qF -- "$2" "$WORK/got"; then bad "$1: unexpected '$2'"; else ok; fi
}
# inline_pem WHAT XPATH-ish: the PEM an XML config carries inline, parsed as
# the phone's XML parser would (character references resolved), into
# $WORK/inline.pem. `attr NAME` takes an attribute, `elem NAME` an element's text.
inline_pem() {
    python3 - "$WORK/got" "$1" "$2" >"$WORK/inline.pem" <<'EOF'
import sys, xml.etree.ElementTree as ET
path, kind, name = sys.argv[1:4]
for e in ET.parse(path).getroot().iter():
    if kind == "attr" and name in e.attrib:
        print(e.attrib[name], end="")
    if kind == "elem" and e.tag == name:
        print(e.text or "", end="")
    if kind == "item" and e.tag == "item" and e.attrib.get("name") == name:
        print(e.text or "", end="")
EOF
}
expect_fp() {  # expect_fp WHAT FILE FINGERPRINT
    local got
    got=$(fingerprint "$2")
    if [[ -n "$got" && "$got" == "$3" ]]; then ok; else bad "$1: fingerprint '$got', want '$3'"; fi
}

# Every family's config, checked against the CA with fingerprint $1.
check_configs() {
    local fp=$1 what=$2
    fetch "$YEALINK_UA" 0015654aa937.cfg
    expect_status 200 "yealink $what"
    has "yealink $what" "static.trusted_certificates.url = $CA_URL"
    fetch "$CISCO_UA" 00562b043615.xml
    expect_status 200 "cisco $what"
    has "cisco $what" "<Custom_CA_Rule ua=\"na\">$CA_URL</Custom_CA_Rule>"
    fetch "$POLYCOM_UA" 0004f2aabb01-settings.cfg
    expect_status 200 "polycom $what"
    inline_pem attr device.sec.TLS.customCaCert1
    expect_fp "polycom device.sec.TLS.customCaCert1 $what" "$WORK/inline.pem" "$fp"
    inline_pem attr sec.TLS.customCaCert.1
    expect_fp "polycom sec.TLS.customCaCert.1 $what" "$WORK/inline.pem" "$fp"
    has "polycom $what" 'device.sec.TLS.customCaCert1.set="1"'
    fetch "$GS_UA" cfg000b828aa872.xml
    expect_status 200 "grandstream $what"
    # The GXP2135's alias file: P8433 by its alias.
    inline_pem item trustedCACertificates.trustedCACertificate.1
    expect_fp "grandstream trustedCACertificate.1 $what" "$WORK/inline.pem" "$fp"
    # Snom and Fanvil: no parameter confirmed, so nothing is written.
    fetch "$SNOM_UA" snomD785-000413922D24.htm
    lacks "snom $what" "BEGIN CERTIFICATE"
    fetch "$FANVIL_UA" 0c383e557eb1.cfg
    lacks "fanvil $what" "BEGIN CERTIFICATE"
}

# ca.pem over HTTP, HTTPS and TFTP equals the CA with fingerprint $1.
check_served() {
    local fp=$1 what=$2 tftp_port https_port
    tftp_port=$(jq -r .tftp "$DATA/ports.json")
    https_port=$(jq -r .https "$DATA/ports.json")
    STATUS=$(curl -s --max-time 10 -o "$WORK/http.pem" -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/ca.pem")
    expect_status 200 "ca.pem over HTTP ($what)"
    expect_fp "ca.pem over HTTP ($what)" "$WORK/http.pem" "$fp"
    # Trust on first use, as a phone does it: the file from plain HTTP is
    # the CA the HTTPS fetch is verified with.
    STATUS=$(curl -s --max-time 10 -o "$WORK/https.pem" -w '%{http_code}' --cacert "$WORK/http.pem" \
        "https://127.0.0.1:$https_port/ca.pem")
    expect_status 200 "ca.pem over HTTPS verified with the CA it serves ($what)"
    expect_fp "ca.pem over HTTPS ($what)" "$WORK/https.pem" "$fp"
    rm -f "$WORK/tftp.pem"
    (cd "$WORK" && timeout 10 tftp 127.0.0.1 "$tftp_port" -m octet -c get ca.pem tftp.pem >/dev/null 2>&1)
    expect_fp "ca.pem over TFTP ($what)" "$WORK/tftp.pem" "$fp"
}

# --- A CA-signed server certificate: its chain's root is delivered ---------

start_server -D certs.dir="$WORK/certs" -D trust.ca_file=
golden_store
check_configs "$CA_FP" "root of server.crt"
check_served "$CA_FP" "root of server.crt"
STATUS=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/ca.crt")
expect_status 404 "only ca.pem is the trust file"

# --- trust.deliver=false: nothing in any config, no ca.pem ----------------

stop_server
start_server -D certs.dir="$WORK/certs" -D trust.ca_file= -D trust.deliver=false
fetch "$YEALINK_UA" 0015654aa937.cfg
expect_status 200 "yealink with trust off"
lacks "yealink with trust off" "trusted_certificates"
fetch "$CISCO_UA" 00562b043615.xml
lacks "cisco with trust off" "Custom_CA_Rule"
fetch "$POLYCOM_UA" 0004f2aabb01-settings.cfg
expect_status 200 "polycom with trust off"
lacks "polycom with trust off" "customCaCert"
fetch "$GS_UA" cfg000b828aa872.xml
expect_status 200 "grandstream with trust off"
lacks "grandstream with trust off" "trustedCACertificate"
lacks "grandstream with trust off" "BEGIN CERTIFICATE"
STATUS=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/ca.pem")
expect_status 404 "no ca.pem with trust off"

# --- trust.ca_file: the admin's CA (a PBX's, for SIP over TLS) ------------

stop_server
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj "/CN=PBX CA" -keyout "$WORK/ca/pbx.key" -out "$WORK/ca/pbx.pem" 2>/dev/null
# Written with CRLF line ends and a comment: phones get the canonical form.
{ echo "PBX CA, from the PBX's admin"; sed 's/$/\r/' "$WORK/ca/pbx.pem"; } >"$WORK/ca/pbx-crlf.pem"
start_server -D certs.dir="$WORK/certs" -D trust.ca_file="$WORK/ca/pbx-crlf.pem"
PBX_FP=$(fingerprint "$WORK/ca/pbx.pem")
check_configs "$PBX_FP" "trust.ca_file"
STATUS=$(curl -s --max-time 10 -o "$WORK/http.pem" -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/ca.pem")
expect_status 200 "ca.pem from trust.ca_file"
if cmp -s "$WORK/http.pem" "$WORK/ca/pbx.pem"; then ok; else bad "ca.pem is not the canonical PEM of trust.ca_file"; fi
stop_server

# --- A bad trust.ca_file stops the start with one line naming it ----------

printf 'not a certificate\n' >"$WORK/ca/bad.pem"
cat "$WORK/ca/pbx.pem" "$WORK/ca/ca.pem" >"$WORK/ca/two.pem"
for bad_file in "$WORK/ca/bad.pem" "$WORK/ca/two.pem" "$WORK/ca/missing.pem"; do
    run render 00:15:65:4a:a9:37 0015654aa937.cfg -D store.path="$DATA/store.db" \
        -D templates.dir="$TEMPLATES_DIR" -D trust.ca_file="$bad_file"
    [[ "$RC" != 0 ]] && ok || bad "trust.ca_file=$bad_file was accepted"
    expect_one_line "$ERR" "error for $bad_file"
    expect_true grep -q "trust.ca_file" <<<"$ERR"
done

# --- A generated self-signed certificate is delivered itself --------------

use_fresh_store selfsigned
start_server -D certs.dir="$DATA/certs" -D trust.ca_file=
golden_store
SELF_FP=$(fingerprint "$DATA/certs/server.crt")
[[ -n "$SELF_FP" ]] && ok || bad "no generated server.crt"
check_configs "$SELF_FP" "self-signed server.crt"
check_served "$SELF_FP" "self-signed server.crt"

finish

#!/usr/bin/env bash
# bench/tls/scan.sh: testssl.sh (Debian's package testssl.sh, command `testssl`)
# against the provisioner's HTTPS front end on 127.0.0.1.
#   bench/tls/scan.sh              start provisioners of its own and run scans 1 and 2 (about 2 minutes)
#   LEGACY=1 bench/tls/scan.sh     also scan 3 (about 1.5 minutes more)
#   bench/tls/scan.sh PORT         only a full scan of a provisioner already on 127.0.0.1:PORT
# Scans:
#   1 generated  the self-signed ECDSA P-256 certificate the server makes in an
#                empty certs.dir at first start; the full default testssl run
#                (protocols, cipher categories, forward secrecy, server
#                preferences, certificate and server defaults, HTTP headers,
#                vulnerabilities, every cipher, client simulations)
#   2 ca-issued  a certificate from a throw-away CA made here with openssl
#                (P-256, 397 days, a CRL distribution point), put in certs.dir
#                as an admin would; testssl -S (server defaults, certificate)
#                with --add-ca, which is all that changes with the certificate
#   3 legacy-rsa tls.legacy_phones=true (CBC suites and RSA key exchange
#                added) with an RSA 2048 certificate from the same CA, as
#                older phones that know no ECDSA need (key usage
#                digitalSignature and keyEncipherment); the full default run
#                with --add-ca
# testssl runs with --nodns none (no DNS look-ups, no rDNS/CAA), without
# --phone-out (no CRL or OCSP fetches): it sends traffic to 127.0.0.1 only.
# Each scan is bounded by timeout. --severity would only filter testssl's
# JSON/CSV files, so the JSON is written whole and filtered here.
# Results (testssl's text log and JSON per scan) stay in OUT (default: a new
# /tmp/prov-tls-scan.XXXXXX). Every HIGH and CRITICAL finding is listed, then
# the count of each lower severity and the MEDIUM and LOW findings.
# Exit status: 1 when there is a HIGH or CRITICAL finding other than the two
# that any self-signed certificate gets (cert_chain_of_trust "self signed",
# and cert_revocation: no CRL or OCSP URI), which scan 2 checks with a CA.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BENCH_BIN_DIR:-build/bin}
BOOT=y000000000000.boot
TESTSSL_TIMEOUT=${TESTSSL_TIMEOUT:-300}

missing=()
command -v testssl >/dev/null || missing+=(testssl.sh)
command -v jq >/dev/null || missing+=(jq)
command -v openssl >/dev/null || missing+=(openssl)
command -v curl >/dev/null || missing+=(curl)
if ((${#missing[@]})); then
    [[ $(id -u) == 0 ]] || { echo "needs ${missing[*]}: apt-get install ${missing[*]}" >&2; exit 1; }
    echo "installing ${missing[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

OUT=${OUT:-$(mktemp -d /tmp/prov-tls-scan.XXXXXX)}
mkdir -p "$OUT"
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_provisioner NAME [-D ...]: a provisioner with its state in OUT/NAME;
# sets PORT to its HTTPS port.
start_provisioner() {
    local name=$1 dir=$OUT/$1 pid
    shift
    mkdir -p "$dir"
    rm -f "$dir/ports.json"
    "$BIN/provisioner" serve -D store.path="$dir/store.db" -D templates.dir=vendor-templates \
        -D certs.dir="$dir/certs" -D http.port=0 -D https.port=0 -D tftp.port=0 -D admin.port=0 \
        -D http.bind=127.0.0.1 -D https.bind=127.0.0.1 -D tftp.bind=127.0.0.1 \
        -D ports.file="$dir/ports.json" -D log.level=warning "$@" >"$dir/out" 2>"$dir/err" &
    pid=$!
    PIDS+=("$pid")
    for _ in $(seq 1 100); do
        [[ -s $dir/ports.json ]] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    [[ -s $dir/ports.json ]] || { echo "provisioner ($name) did not start: $(head -c 300 "$dir/err")" >&2; exit 1; }
    PORT=$(jq -r .https "$dir/ports.json")
}

# scan NAME PORT [testssl options]: one bounded testssl run, OUT/NAME.{log,json}
scan() {
    local name=$1 port=$2 rc=0 t0
    shift 2
    rm -f "$OUT/$name.log" "$OUT/$name.json"
    echo "scan $name: testssl $* https://127.0.0.1:$port/$BOOT"
    t0=$(date +%s)
    timeout "$TESTSSL_TIMEOUT" testssl --quiet --color 0 --nodns none --warnings off \
        --connect-timeout 5 --openssl-timeout 10 \
        --logfile "$OUT/$name.log" --jsonfile "$OUT/$name.json" "$@" \
        "https://127.0.0.1:$port/$BOOT" >"$OUT/$name.stdout" 2>&1 || rc=$?
    echo "  done in $(($(date +%s) - t0)) s (exit $rc)"
    if [[ ! -s $OUT/$name.json ]] || ! jq -e 'length > 0' "$OUT/$name.json" >/dev/null 2>&1; then
        echo "  no results: $(tail -3 "$OUT/$name.stdout")" >&2
        BAD+=("$name: no results")
        return 0
    fi
    SCANS+=("$name")
}

# The throw-away CA (OUT/ca) for scans 2 and 3.
make_ca() {
    local ca=$OUT/ca
    mkdir -p "$ca"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$ca/ca.key" 2>/dev/null
    openssl req -x509 -new -key "$ca/ca.key" -subj "/O=Provisioner bench/CN=Provisioner test CA" -days 30 \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -out "$ca/ca.crt" 2>/dev/null
}

# ca_cert DIR KEYUSAGE GENPKEY-ARGS...: a server certificate from the CA in DIR/certs.
ca_cert() {
    local dir=$1 usage=$2 ca=$OUT/ca
    shift 2
    mkdir -p "$dir/certs"
    openssl genpkey "$@" -out "$dir/certs/server.key" 2>/dev/null
    chmod 600 "$dir/certs/server.key"
    openssl req -new -key "$dir/certs/server.key" -subj "/O=Provisioner bench/CN=localhost" \
        -out "$dir/server.csr" 2>/dev/null
    cat >"$dir/ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,$usage
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1
crlDistributionPoints=URI:http://127.0.0.1/provisioner-test-ca.crl
EXT
    openssl x509 -req -in "$dir/server.csr" -CA "$ca/ca.crt" -CAkey "$ca/ca.key" -CAcreateserial -days 397 \
        -extfile "$dir/ext" -out "$dir/certs/server.crt" 2>/dev/null
}

SCANS=()
BAD=()
if (($# > 0)); then
    scan given "$1"
else
    start_provisioner generated
    scan generated "$PORT"
    make_ca
    ca_cert "$OUT/ca-issued" digitalSignature -algorithm EC -pkeyopt ec_paramgen_curve:P-256
    start_provisioner ca-issued
    scan ca-issued "$PORT" -S --add-ca "$OUT/ca/ca.crt"
    if [[ ${LEGACY:-0} == 1 ]]; then
        # keyEncipherment too, as RSA certificates for old phones have it: without
        # it mbedTLS (rightly) offers no RSA key exchange with this certificate.
        ca_cert "$OUT/legacy-rsa" digitalSignature,keyEncipherment -algorithm RSA -pkeyopt rsa_keygen_bits:2048
        start_provisioner legacy-rsa -D tls.legacy_phones=true
        scan legacy-rsa "$PORT" --add-ca "$OUT/ca/ca.crt"
    fi
fi

# --- report -------------------------------------------------------------------
echo
fail=0
for name in "${SCANS[@]}"; do
    j=$OUT/$name.json
    echo "== $name: $(jq -r '[.[] | .severity] | group_by(.) | map("\(.[0]) \(length)") | join(", ")' "$j")"
    self_signed=$(jq -r '[.[] | select(.id == "cert_chain_of_trust" and (.finding | test("self signed")))] | length' "$j")
    while IFS=$'\t' read -r sev id finding; do
        [[ -n $sev ]] || continue
        inherent=
        if ((self_signed)) && [[ $id == cert_revocation || $id == cert_chain_of_trust ]]; then
            inherent="  (any self-signed certificate without CRL/OCSP; see scan ca-issued)"
        else
            fail=1
        fi
        printf "  %-8s %-28s %s%s\n" "$sev" "$id" "$finding" "$inherent"
    done < <(jq -r '.[] | select(.severity == "HIGH" or .severity == "CRITICAL") | [.severity, .id, .finding] | @tsv' "$j")
    jq -r '.[] | select(.severity == "MEDIUM" or .severity == "LOW") | "  \(.severity)\t\(.id)\t\(.finding)"' "$j" |
        awk -F'\t' '{ printf "%-10s %-28s %s\n", $1, $2, $3 }'
done
echo "testssl logs and JSON: $OUT"
for b in "${BAD[@]}"; do echo "FAILED: $b"; done
((${#BAD[@]} == 0)) || exit 1
if ((fail)); then
    echo "FAILED: HIGH or CRITICAL findings above"
    exit 1
fi
echo "no HIGH or CRITICAL finding beyond those of a self-signed certificate"

#!/usr/bin/env bash
# bench/firmware: one large firmware image (200 MiB of random bytes by
# default) downloaded from the provisioner, which holds it in its firmware
# catalog, and from two peers serving the same file: nginx over HTTP
# (sendfile on) and atftpd over TFTP. All on 127.0.0.1, in one run.
#   bench/firmware/run.sh          (from anywhere, after a build)
#   RUNS=5 MIB=64 bench/firmware/run.sh
# RUNS (default 3) is the number of downloads whose median is taken for each
# figure; MIB (default 200) the image's size.
#   HTTP: curl -o /dev/null, one client, then 4 clients at once
#   TFTP: build/bin/tftp_load, blksize 1428 + tsize, windowsize 1, 8 and 16
#         (RFC 7440; a windowed figure is compared only when the peer
#         negotiated that windowsize, otherwise it is information), then 4
#         clients at once at windowsize 1
# The servers take turns within each round, so drift in the machine's load
# hits them alike. Each server's download is checked once against the file's
# SHA-256 (HTTP with curl, TFTP with tftp_load --output); the timed runs
# check the byte count (and TFTP the tsize). The provisioner's peak RSS is
# its VmHWM from /proc, read once it has verified the image and again after
# every download.
# Every transfer runs under timeout. Needs curl, jq, nginx, atftpd (installed
# with apt-get when missing and run as root); the servers run in the
# foreground, atftpd's own system service is left alone.
# Exit status: 0 when every download completed with the right bytes, 1
# otherwise (a wrong checksum among them).
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-3}
MIB=${MIB:-200}
BIN=${BENCH_BIN_DIR:-build/bin}
LOAD=$BIN/tftp_load
[[ -x $BIN/provisioner && -x $LOAD ]] || {
    echo "build first: cmake --build build --target provisioner tftp_load" >&2; exit 1; }

missing=()
for tool in curl jq nginx atftpd sha256sum; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if ((${#missing[@]})); then
    [[ $(id -u) == 0 ]] || { echo "needs ${missing[*]} (apt-get install curl jq nginx-light atftpd)" >&2; exit 1; }
    pkgs=()
    for tool in "${missing[@]}"; do
        case $tool in nginx) pkgs+=(nginx-light) ;; sha256sum) pkgs+=(coreutils) ;; *) pkgs+=("$tool") ;; esac
    done
    echo "installing ${pkgs[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
fi

WORK=$(mktemp -d /tmp/prov-bench-fw.XXXXXX)
chmod 755 "$WORK"  # nginx workers and atftpd may run unprivileged
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

load_line() { echo "$(cut -d' ' -f1-3 /proc/loadavg), $(pgrep -c cc1plus || true) compilers running"; }
echo "load at start: $(load_line)"

# --- the image ----------------------------------------------------------------
FW=$WORK/fw
mkdir -m 755 "$FW"
NAME=T46U-bench.rom
IMG=$FW/$NAME
SIZE=$((MIB << 20))
head -c "$SIZE" /dev/urandom >"$IMG"
SHA=$(sha256sum "$IMG" | cut -d' ' -f1)
echo "image: $NAME, $SIZE bytes, sha256 $SHA"

# The provisioner's catalog: added in place with the CLI, against the store
# and firmware.dir the server below runs with.
PROV_DEFS=(-D store.path="$WORK/store.db" -D templates.dir=vendor-templates -D firmware.dir="$FW")
"$BIN/provisioner" firmware add "$IMG" --vendor yealink --models T46U --version 108.86.0.200 \
    --sha256 "$SHA" --size "$SIZE" "${PROV_DEFS[@]}"

# --- servers ------------------------------------------------------------------
free_port() {  # free_port tcp|udp
    python3 - "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if sys.argv[1] == "tcp" else socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
PY
}

"$BIN/provisioner" serve "${PROV_DEFS[@]}" -D provisioning.allow_networks=127.0.0.0/8 \
    -D http.port=0 -D http.bind=127.0.0.1 -D tftp.port=0 -D tftp.bind=127.0.0.1 -D admin.port=0 \
    -D admin.bind=127.0.0.1 -D ports.file="$WORK/ports.json" -D log.level=warning \
    >"$WORK/prov.out" 2>"$WORK/prov.err" &
PROV_PID=$!
PIDS+=("$PROV_PID")
for _ in $(seq 1 100); do
    [[ -s $WORK/ports.json ]] && break
    kill -0 "$PROV_PID" 2>/dev/null || break
    sleep 0.1
done
[[ -s $WORK/ports.json ]] || { echo "provisioner did not start: $(head -c 300 "$WORK/prov.err")" >&2; exit 1; }
P_HTTP=$(jq -r .http "$WORK/ports.json")
P_TFTP=$(jq -r .tftp "$WORK/ports.json")

# The catalog refuses the image until this process has hashed it (in the
# background at start): wait for it, bounded.
t0=$(date +%s%N)
code=
for _ in $(seq 1 300); do
    code=$(timeout 5 curl -s -I -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P_HTTP/$NAME" || true)
    [[ $code == 200 ]] && break
    sleep 0.1
done
[[ $code == 200 ]] || { echo "the provisioner does not serve $NAME (HTTP $code)" >&2; exit 1; }
echo "provisioner: HTTP :$P_HTTP, TFTP :$P_TFTP; image served $((($(date +%s%N) - t0) / 1000000)) ms after start"

N_HTTP=$(free_port tcp)
cat >"$WORK/nginx.conf" <<CONF
worker_processes 2;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:$N_HTTP;
        root $FW;
    }
}
CONF
nginx -c "$WORK/nginx.conf" -g 'daemon off;' 2>"$WORK/nginx.err" &
NGINX_PID=$!
PIDS+=("$NGINX_PID")

A_TFTP=$(free_port udp)
atftpd_user=()
[[ $(id -u) == 0 ]] && atftpd_user=(--user nobody --group nogroup)
atftpd --daemon --no-fork "${atftpd_user[@]}" --port "$A_TFTP" --bind-address 127.0.0.1 \
    --logfile - --verbose=3 "$FW" >"$WORK/atftpd.log" 2>&1 &
ATFTPD_PID=$!
PIDS+=("$ATFTPD_PID")
sleep 0.5
kill -0 "$NGINX_PID" 2>/dev/null || { echo "nginx did not start: $(cat "$WORK/nginx.err")" >&2; exit 1; }
kill -0 "$ATFTPD_PID" 2>/dev/null || { echo "atftpd did not start: $(head -c 300 "$WORK/atftpd.log")" >&2; exit 1; }
echo "nginx: HTTP :$N_HTTP; atftpd: TFTP :$A_TFTP"

declare -A HPORT=([provisioner]=$P_HTTP [nginx]=$N_HTTP)
declare -A TPORT=([provisioner]=$P_TFTP [atftpd]=$A_TFTP)
FAILS=()
HWM_MAX=0
prov_hwm() {  # the provisioner's peak RSS so far, KiB; kept in HWM_MAX
    local kib
    kib=$(awk '/^VmHWM:/ {print $2}' "/proc/$PROV_PID/status" 2>/dev/null || echo 0)
    ((kib > HWM_MAX)) && HWM_MAX=$kib
    return 0
}
prov_hwm
HWM_READY=$HWM_MAX

# --- one SHA-256 check per server -------------------------------------------
check_sha() {  # check_sha LABEL FILE
    local got
    got=$(sha256sum "$2" 2>/dev/null | cut -d' ' -f1 || true)
    rm -f "$2"
    if [[ $got == "$SHA" ]]; then
        echo "  $1: sha256 matches"
    else
        echo "  $1: sha256 ${got:-none} differs from the file's"
        FAILS+=("$1: the downloaded bytes' sha256 differs from the file's")
    fi
}
echo "checksums"
for srv in provisioner nginx; do
    timeout 120 curl -s --max-time 110 -o "$WORK/got" "http://127.0.0.1:${HPORT[$srv]}/$NAME" || true
    check_sha "HTTP $srv" "$WORK/got"
done
for srv in provisioner atftpd; do
    timeout 150 "$LOAD" --port "${TPORT[$srv]}" --file "$NAME" --blksize 1428 --tsize --output "$WORK/got" \
        --deadline-s 120 >/dev/null 2>"$WORK/tftp.err" || true
    check_sha "TFTP $srv" "$WORK/got"
done
prov_hwm

# --- timed runs ---------------------------------------------------------------
# Each result is appended to R[server.key] as "milliseconds"; windowsizes as
# negotiated go to WS[server.key].
declare -A R WS
http_one() {  # http_one SERVER: one download, one client
    local out code bytes secs
    out=$(timeout 120 curl -s --max-time 110 -o /dev/null -w '%{http_code} %{size_download} %{time_total}' \
        "http://127.0.0.1:${HPORT[$1]}/$NAME" || true)
    read -r code bytes secs <<<"$out"
    if [[ $code == 200 && $bytes == "$SIZE" ]]; then
        R[$1.h1]+="$(awk -v s="$secs" 'BEGIN { printf "%.1f", s * 1000 }') "
    else
        FAILS+=("HTTP $1: got HTTP ${code:-none}, ${bytes:-0} bytes")
    fi
}
http_four() {  # http_four SERVER: 4 clients at once; the wall time of all four
    local i t0 t1 ok=1 code bytes pids=()
    t0=$(date +%s%N)
    for i in 1 2 3 4; do
        timeout 120 curl -s --max-time 110 -o /dev/null -w '%{http_code} %{size_download}' \
            "http://127.0.0.1:${HPORT[$1]}/$NAME" >"$WORK/par.$i" 2>/dev/null &
        pids+=($!)
    done
    for i in "${pids[@]}"; do wait "$i" || true; done
    t1=$(date +%s%N)
    for i in 1 2 3 4; do
        read -r code bytes <"$WORK/par.$i" || true
        [[ $code == 200 && $bytes == "$SIZE" ]] || { ok=; FAILS+=("HTTP $1 (4 at once): got HTTP ${code:-none}, ${bytes:-0} bytes"); }
    done
    [[ -n $ok ]] && R[$1.h4]+="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e6 }') "
    return 0
}
tftp_run() {  # tftp_run SERVER KEY CLIENTS [tftp_load args]: ms per transfer (1) or wall ms (more)
    local srv=$1 key=$2 c=$3 rc=0
    shift 3
    timeout 300 "$LOAD" --json --port "${TPORT[$srv]}" --file "$NAME" --blksize 1428 --tsize \
        --concurrency "$c" --count "$c" --deadline-s 280 "$@" >"$WORK/t.json" 2>"$WORK/t.err" || rc=$?
    if ((rc != 0)) || [[ $(jq -r .ok "$WORK/t.json" 2>/dev/null) != "$c" ]] ||
        [[ $(jq -r .bytes "$WORK/t.json") != $((c * SIZE)) ]]; then
        FAILS+=("TFTP $srv $key: exit $rc: $(grep -m2 . "$WORK/t.err" | tr '\n' ';')")
        return 0
    fi
    if ((c == 1)); then
        R[$srv.$key]+="$(jq -r '.p50_ms * 10 | round / 10' "$WORK/t.json") "
    else
        R[$srv.$key]+="$(jq -r '.seconds * 10000 | round / 10' "$WORK/t.json") "
    fi
    WS[$srv.$key]=$(jq -r .windowsize "$WORK/t.json")
}

echo "HTTP: $RUNS rounds"
for i in $(seq 1 "$RUNS"); do
    for srv in nginx provisioner; do http_one "$srv"; prov_hwm; done
done
for i in $(seq 1 "$RUNS"); do
    for srv in nginx provisioner; do http_four "$srv"; prov_hwm; done
done
echo "TFTP: $RUNS rounds"
for w in 1 8 16; do
    wopt=()
    ((w > 1)) && wopt=(--windowsize "$w")
    for i in $(seq 1 "$RUNS"); do
        for srv in atftpd provisioner; do tftp_run "$srv" "t$w" 1 "${wopt[@]}"; prov_hwm; done
    done
done
for i in $(seq 1 "$RUNS"); do
    for srv in atftpd provisioner; do tftp_run "$srv" t4c 4; prov_hwm; done
done
prov_hwm
RSS_END=$(awk '/^VmRSS:/ {print $2}' "/proc/$PROV_PID/status")
peer_hwm() {  # peer_hwm PID...: the largest VmHWM among them, KiB
    local p m=0 k
    for p in "$@"; do
        k=$(awk '/^VmHWM:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
        ((k > m)) && m=$k
    done
    echo "$m"
}
mapfile -t NGINX_WORKERS < <(pgrep -P "$NGINX_PID" || true)
NGINX_HWM=$(peer_hwm "$NGINX_PID" "${NGINX_WORKERS[@]}")
ATFTPD_HWM=$(peer_hwm "$ATFTPD_PID")

# --- table ------------------------------------------------------------------
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'; }
mibs() { awk -v ms="$1" -v n="$2" -v mib="$MIB" 'BEGIN { printf "%.0f", n * mib / (ms / 1000) }'; }
# row LABEL PEER KEY CLIENTS: median ms and MiB/s for peer and provisioner, and
# the provisioner's throughput over the peer's (higher is better)
row() {
    local label=$1 peer=$2 key=$3 n=$4 pm qm pt qt ratio note=""
    pm=$(median "${R[$peer.$key]:-}")
    qm=$(median "${R[provisioner.$key]:-}")
    pt=-; qt=-; ratio=-
    [[ -n $pm ]] && pt="$pm ms, $(mibs "$pm" "$n") MiB/s"
    [[ -n $qm ]] && qt="$qm ms, $(mibs "$qm" "$n") MiB/s"
    if [[ -n $pm && -n $qm ]]; then ratio=$(awk -v p="$pm" -v q="$qm" 'BEGIN { printf "%.2f", p / q }'); fi
    local want=1
    [[ $key =~ ^t([0-9]+)$ ]] && want=${BASH_REMATCH[1]}
    if ((want > 1)); then
        local pw=${WS[$peer.$key]:-?} qw=${WS[provisioner.$key]:-?}
        if [[ $pw != "$want" ]]; then
            note="  ($peer negotiated ws$pw: not like for like, information only)"
            ratio="($ratio)"
        fi
        [[ $qw == "$want" ]] || note+="  (provisioner negotiated ws$qw)"
    fi
    printf "%-34s %-8s %24s %24s %9s%s\n" "$label" "$peer" "$pt" "$qt" "$ratio" "$note"
}
echo
echo "median of $RUNS; MiB/s = clients x $MIB MiB / time"
printf "%-34s %-8s %24s %24s %9s\n" "figure ($MIB MiB)" "peer" "peer" "provisioner" "prov/peer"
row "HTTP, 1 client" nginx h1 1
row "HTTP, 4 clients at once (wall)" nginx h4 4
row "TFTP blksize 1428, ws1" atftpd t1 1
row "TFTP blksize 1428, ws8" atftpd t8 1
row "TFTP blksize 1428, ws16" atftpd t16 1
row "TFTP ws1, 4 clients at once (wall)" atftpd t4c 4
echo "prov/peer: the provisioner's throughput over the peer's (higher is better)."
echo "every run, ms (in the order run):"
for key in h1 h4 t1 t8 t16 t4c; do
    peer=atftpd
    [[ $key == h* ]] && peer=nginx
    printf "  %-4s %-8s %-32s provisioner %s\n" "$key" "$peer" "${R[$peer.$key]:--}" "${R[provisioner.$key]:--}"
done
echo "windowsize negotiated (RFC 7440): atftpd ${WS[atftpd.t8]:-?} and ${WS[atftpd.t16]:-?}," \
    "provisioner ${WS[provisioner.t8]:-?} and ${WS[provisioner.t16]:-?} (asked 8 and 16)"
echo "provisioner peak RSS (VmHWM): $((HWM_READY / 1024)) MiB once the image was verified, $((HWM_MAX / 1024)) MiB" \
    "after every download; RSS at the end $((RSS_END / 1024)) MiB"
echo "peers' peak RSS (information): nginx worker $((NGINX_HWM / 1024)) MiB, atftpd $((ATFTPD_HWM / 1024)) MiB"
echo "load at end: $(load_line)"
if ((${#FAILS[@]})); then
    for f in "${FAILS[@]}"; do echo "FAILED: $f"; done
    exit 1
fi
echo "every download completed; one per server matched the file's sha256"

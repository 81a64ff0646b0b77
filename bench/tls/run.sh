#!/usr/bin/env bash
# bench/tls: TLS handshakes per second on the provisioner's HTTPS front end
# (event loops over non-blocking mbedTLS 2.28) and on nginx (OpenSSL 3) serving the same
# certificate and key with the same suite, the in-process ceiling of mbedTLS
# itself (build/bin/mbedtls_ceiling, bench/tls/mbedtls_ceiling.cpp), and the
# latency of plain HTTP fetches while the HTTPS port is flooded with full
# handshakes.
#   bench/tls/run.sh [SECONDS]    (as root when packages are missing, from anywhere, after a build)
# SECONDS (default 10) is the length of each s_time run. Environment:
#   CLIENTS (2)   openssl s_time instances run side by side (s_time is one
#                 connection at a time); their rates are summed
#   FETCHES (100) plain HTTP fetches timed during the flood (and as many idle)
#   CEIL_FULL (600), CEIL_RESUMED (20000)  handshakes in mbedtls_ceiling
#   KEEP=1        keep the work folder (s_time outputs, configs) and print its path
# (a) s_time -new: full handshakes/s (ECDHE-ECDSA-AES128-GCM-SHA256, X25519
#     (s_time offers it first, both servers prefer it), TLS 1.2, handshake
#     only, new session each time)
# (b) s_time -reuse: resumed handshakes/s (session ticket)
# (c) s_time -new -www /y000000000000.boot: full handshake + one HTTP/1.0 GET
# (d) mbedtls_ceiling: mbedTLS's own rate, one thread, no sockets
# (e) FETCHES curl fetches of http://…/y000000000000.boot to the provisioner's
#     plain HTTP port, idle and then during CLIENTS parallel s_time -new
#     against its HTTPS port: p50, p99, max (target: p99 and max < 200 ms)
# (f) build/bin/tls_load: resumed and full handshakes with LOAD_CONCURRENCY
#     (32) connections in flight, on each server; full ones twice, the client
#     offering P-256 alone and then X25519 first
# Every server listens on 127.0.0.1 only; every run is bounded by -time,
# a count and timeout. Installs nginx-light, openssl, curl and jq with
# apt-get when missing. Takes about 2 minutes with the defaults.
# Exit status: 0 when every run produced figures and the latency target held.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-10}
CLIENTS=${CLIENTS:-2}
FETCHES=${FETCHES:-100}
CEIL_FULL=${CEIL_FULL:-600}
CEIL_RESUMED=${CEIL_RESUMED:-20000}
CIPHER=ECDHE-ECDSA-AES128-GCM-SHA256
BOOT=y000000000000.boot
BIN=${BENCH_BIN_DIR:-build/bin}
[[ -x $BIN/provisioner ]] || { echo "build first: cmake --build build" >&2; exit 1; }
[[ -x $BIN/mbedtls_ceiling ]] || cmake --build build --target mbedtls_ceiling -j1 >/dev/null

missing=()
command -v nginx >/dev/null || missing+=(nginx-light)
command -v openssl >/dev/null || missing+=(openssl)
command -v curl >/dev/null || missing+=(curl)
command -v jq >/dev/null || missing+=(jq)
if ((${#missing[@]})); then
    [[ $(id -u) == 0 ]] || { echo "needs ${missing[*]}: apt-get install ${missing[*]}" >&2; exit 1; }
    echo "installing ${missing[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

WORK=$(mktemp -d /tmp/prov-bench-tls.XXXXXX)
chmod 755 "$WORK"  # nginx workers run unprivileged
RES=$WORK/res
mkdir -p "$RES" "$WORK/www"
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    if [[ ${KEEP:-0} == 1 ]]; then echo "work folder kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- servers ----------------------------------------------------------------
"$BIN/provisioner" serve -D provisioning.allow_networks=127.0.0.0/8 -D store.path="$WORK/store.db" -D templates.dir=vendor-templates \
    -D certs.dir="$WORK/certs" -D http.port=0 -D https.port=0 -D tftp.port=0 -D admin.port=0 \
    -D http.bind=127.0.0.1 -D https.bind=127.0.0.1 -D tftp.bind=127.0.0.1 \
    -D ports.file="$WORK/ports.json" -D log.level=warning >"$WORK/prov.out" 2>"$WORK/prov.err" &
PROV_PID=$!
PIDS+=("$PROV_PID")
for _ in $(seq 1 100); do
    [[ -s $WORK/ports.json ]] && break
    kill -0 "$PROV_PID" 2>/dev/null || break
    sleep 0.1
done
[[ -s $WORK/ports.json ]] || { echo "provisioner did not start: $(head -c 300 "$WORK/prov.err")" >&2; exit 1; }
HTTP=$(jq -r .http "$WORK/ports.json")
HTTPS=$(jq -r .https "$WORK/ports.json")
CERT=$WORK/certs/server.crt
KEY=$WORK/certs/server.key
# The same bytes for nginx to serve.
curl -sf "http://127.0.0.1:$HTTP/$BOOT" -o "$WORK/www/$BOOT"
chmod 644 "$WORK/www/$BOOT"

NGINX_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# Same certificate and key, TLS 1.2 only, the one suite, X25519 then P-256
# (the provisioner's curve order), tickets and a shared session cache.
cat >"$WORK/nginx.conf" <<CONF
worker_processes 2;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_timeout 2s;
    client_body_temp_path $WORK/nginx-body;
    ssl_session_cache shared:TLS:10m;
    ssl_session_timeout 1d;
    ssl_session_tickets on;
    server {
        listen 127.0.0.1:$NGINX_PORT ssl;
        ssl_certificate $CERT;
        ssl_certificate_key $KEY;
        ssl_protocols TLSv1.2;
        ssl_ciphers $CIPHER;
        ssl_ecdh_curve X25519:prime256v1;
        ssl_prefer_server_ciphers on;
        root $WORK/www;
        default_type text/plain;
    }
}
CONF
nginx -c "$WORK/nginx.conf" -g 'daemon off;' 2>"$WORK/nginx.stderr" &
NGINX_PID=$!
PIDS+=("$NGINX_PID")
for _ in $(seq 1 50); do
    [[ -n $(ps -o pid= --ppid "$NGINX_PID" 2>/dev/null) ]] && break
    sleep 0.1
done
NGINX_WORKERS=$(ps -o pid= --ppid "$NGINX_PID" | tr '\n' ' ')
[[ -n $NGINX_WORKERS ]] || { echo "nginx did not start: $(cat "$WORK/nginx.stderr")" >&2; exit 1; }
cmp <(curl -sfk "https://127.0.0.1:$NGINX_PORT/$BOOT") "$WORK/www/$BOOT"

declare -A PORT=([provisioner]=$HTTPS [nginx]=$NGINX_PORT)
declare -A SRV_PIDS=([provisioner]=$PROV_PID [nginx]="$NGINX_WORKERS")
SERVERS=(provisioner nginx)
for s in "${SERVERS[@]}"; do
    hs=$(timeout 10 openssl s_client -connect "127.0.0.1:${PORT[$s]}" -tls1_2 -cipher "$CIPHER" </dev/null 2>&1 || true)
    proto=$(sed -n 's/^ *Protocol *: *//p' <<<"$hs")
    cipher=$(sed -n 's/^ *Cipher *: *//p' <<<"$hs")
    kx=$(sed -n 's/^Server Temp Key: *//p' <<<"$hs")
    echo "$s: 127.0.0.1:${PORT[$s]}, $proto $cipher, $kx"
    [[ $cipher == "$CIPHER" ]] || { echo "$s did not negotiate $CIPHER" >&2; exit 1; }
    # A build before X25519 was preferred (bench/ab.sh) gives P-256: said, not fatal.
    [[ $kx == X25519* ]] || echo "  note: $s did not prefer X25519 ($kx)"
done
CLK=$(getconf CLK_TCK)
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before the runs"

# cpu_ticks PID...: user + system time of these processes (all their threads)
cpu_ticks() {
    local p t=0 v
    for p in "$@"; do
        v=$(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')
        t=$((t + v))
    done
    echo "$t"
}
now() { date +%s.%N; }

# --- (d) the ceiling, while the servers are idle: before and after the s_time
# runs (the machine's speed drifts), the mean of the two is used ---------------
# ceiling N: one mbedtls_ceiling run, output in RES/ceiling.N
ceiling() {
    echo "mbedtls_ceiling ($1 of 2): $CEIL_FULL full, $CEIL_RESUMED resumed"
    timeout 300 "$BIN/mbedtls_ceiling" "$CERT" "$KEY" "$CEIL_FULL" "$CEIL_RESUMED" >"$RES/ceiling.$1"
    sed 's/^/  /' "$RES/ceiling.$1"
}
# ceil KEY: the mean of KEY over the two runs
ceil() {
    cat "$RES"/ceiling.[12] | grep '^CEILING' | tr ' ' '\n' | sed -n "s/^$1=//p" |
        awk '{ s += $1; n++ } END { printf "%.1f", s / n }'
}
# ceil_text KEY: KEY as the first run gave it (a word, not a number)
ceil_text() { grep '^CEILING' "$RES/ceiling.1" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
ceiling 1

# --- (a) (b) (c) s_time ---------------------------------------------------------
# stime KEY SERVER MODE [s_time args]: CLIENTS parallel s_time for SECS.
# Writes RES/SERVER.KEY: rate (sum of the clients' connections/s), server
# CPU seconds, wall seconds, connections, resumed connections, bytes read per
# connection, the clients' user CPU seconds (as s_time reports them).
stime() {
    local key=$1 srv=$2 mode=$3; shift 3
    local i pids=() c0 c1 w0 w1
    # shellcheck disable=SC2086
    c0=$(cpu_ticks ${SRV_PIDS[$srv]})
    w0=$(now)
    for i in $(seq 1 "$CLIENTS"); do
        (
            s=$(now)
            timeout $((SECS + 30)) openssl s_time -connect "127.0.0.1:${PORT[$srv]}" "-$mode" -time "$SECS" \
                -cipher "$CIPHER" -tls1_2 "$@" >"$RES/$srv.$key.$i.out" 2>&1 || true
            echo "$s $(now)" >"$RES/$srv.$key.$i.t"
        ) &
        pids+=($!)
    done
    wait "${pids[@]}"
    w1=$(now)
    # shellcheck disable=SC2086
    c1=$(cpu_ticks ${SRV_PIDS[$srv]})
    local rate=0 conns=0 reused=0 bytes=0 ccpu=0 n t0 t1 r b u
    for i in $(seq 1 "$CLIENTS"); do
        local out=$RES/$srv.$key.$i.out
        n=$(awk '/connections in .*s;/ {print $1; exit}' "$out")
        [[ $n =~ ^[0-9]+$ && $n -gt 0 ]] || { echo "$srv $key: s_time failed: $(grep -v '^[*r]*$' "$out" | head -3)" >&2; return 1; }
        read -r t0 t1 <"$RES/$srv.$key.$i.t"
        rate=$(awk -v r="$rate" -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", r + n / (b - a) }')
        conns=$((conns + n))
        r=$(grep -E '^[*r]+$' "$out" | tr -cd 'r' | wc -c)
        reused=$((reused + r))
        b=$(awk '/real seconds,/ {print $(NF - 4); exit}' "$out")
        bytes=$b
        u=$(awk '/connections in .*s;/ {sub(/s;$/, "", $4); print $4; exit}' "$out")
        ccpu=$(awk -v a="$ccpu" -v b="$u" 'BEGIN { printf "%.2f", a + b }')
    done
    echo "$rate $(awk -v c=$((c1 - c0)) -v k="$CLK" 'BEGIN { printf "%.2f", c / k }') \
$(awk -v a="$w0" -v b="$w1" 'BEGIN { printf "%.2f", b - a }') $conns $reused ${bytes:-0} $ccpu" >"$RES/$srv.$key"
}
for srv in "${SERVERS[@]}"; do
    echo "  $srv: (a) -new, (b) -reuse, (c) -new -www /$BOOT, ${SECS} s each, $CLIENTS clients"
    stime new "$srv" new
    stime reuse "$srv" reuse
    stime www "$srv" new -www "/$BOOT"
done

ceiling 2
CEIL_F=$(ceil full_per_core)
CEIL_R=$(ceil resumed_per_core)

# --- (e) plain HTTP latency, idle and during a flood of full handshakes ---------
# fetch_loop FILE DEADLINE: up to FETCHES fetches, 50 ms apart, until DEADLINE
fetch_loop() {
    local file=$1 deadline=$2 i
    : >"$file"
    for i in $(seq 1 "$FETCHES"); do
        [[ $(awk -v d="$deadline" -v n="$(now)" 'BEGIN { print (n < d) }') == 1 ]] || break
        curl -s -o /dev/null --max-time 5 -w '%{http_code} %{time_total}\n' "http://127.0.0.1:$HTTP/$BOOT" \
            >>"$file" || echo "000 5" >>"$file"
        sleep 0.05
    done
}
fetch_loop "$RES/idle.lat" "$(awk -v n="$(now)" 'BEGIN { printf "%.3f", n + 30 }')"
FLOOD_SECS=$((FETCHES / 10 + 5))
FLOOD=()
for i in $(seq 1 "$CLIENTS"); do
    timeout $((FLOOD_SECS + 30)) openssl s_time -connect "127.0.0.1:$HTTPS" -new -time "$FLOOD_SECS" \
        -cipher "$CIPHER" -tls1_2 >"$RES/flood.$i.out" 2>&1 &
    FLOOD+=($!)
done
PIDS+=("${FLOOD[@]}")
FLOOD_T0=$(now)
F_C0=$(cpu_ticks "$PROV_PID")
sleep 1
fetch_loop "$RES/flood.lat" "$(awk -v t="$FLOOD_T0" -v s="$FLOOD_SECS" 'BEGIN { printf "%.3f", t + s - 1 }')"
F_C1=$(cpu_ticks "$PROV_PID")
F_WALL=$(awk -v t="$FLOOD_T0" -v n="$(now)" 'BEGIN { printf "%.2f", n - t }')
# A few new HTTPS fetches during the flood, for information.
: >"$RES/flood-https.lat"
for _ in 1 2 3 4 5; do
    curl -sk -o /dev/null --max-time 10 -w '%{http_code} %{time_total}\n' "https://127.0.0.1:$HTTPS/$BOOT" \
        >>"$RES/flood-https.lat" || echo "000 10" >>"$RES/flood-https.lat"
done
wait "${FLOOD[@]}" || true
FLOOD_CONNS=0
for i in $(seq 1 "$CLIENTS"); do
    n=$(awk '/connections in .*s;/ {print $1; exit}' "$RES/flood.$i.out")
    FLOOD_CONNS=$((FLOOD_CONNS + ${n:-0}))
done

# lat FILE: "count failed p50 p99 max", times in ms (nearest rank)
lat() {
    local failed
    failed=$(awk '$1 != "200"' "$1" | wc -l)
    awk '{ print $2 * 1000 }' "$1" | sort -n | awk -v f="$failed" '
        { v[NR] = $1 }
        END {
            if (NR == 0) { print "0 0 - - -"; exit }
            p50 = v[int((NR * 50 + 99) / 100)]; p99 = v[int((NR * 99 + 99) / 100)]
            printf "%d %d %.1f %.1f %.1f\n", NR, f, p50, p99, v[NR]
        }'
}

# --- table ------------------------------------------------------------------
field() { awk -v i="$2" '{print $i}' "$RES/$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
per_cpu() { awk -v a="$(field "$1" 1)" -v w="$(field "$1" 3)" -v c="$(field "$1" 2)" 'BEGIN { if (c > 0) printf "%.0f", a * w / c; else print "-" }'; }
row() {  # row LABEL KEY
    local p n
    p=$(field "provisioner.$2" 1)
    n=$(field "nginx.$2" 1)
    printf "%-46s %12.0f %12.0f %10s\n" "$1: per second" "$p" "$n" "$(ratio "$p" "$n")"
    printf "%-46s %12s %12s %10s\n" "   per server CPU-second" "$(per_cpu "provisioner.$2")" "$(per_cpu "nginx.$2")" \
        "$(ratio "$(per_cpu "provisioner.$2")" "$(per_cpu "nginx.$2")")"
    printf "%-46s %12s %12s\n" "   server CPU used (cores)" \
        "$(ratio "$(field "provisioner.$2" 2)" "$(field "provisioner.$2" 3)")" \
        "$(ratio "$(field "nginx.$2" 2)" "$(field "nginx.$2" 3)")"
    printf "%-46s %12s %12s\n" "   s_time clients' user CPU (cores)" \
        "$(ratio "$(field "provisioner.$2" 7)" "$(field "provisioner.$2" 3)")" \
        "$(ratio "$(field "nginx.$2" 7)" "$(field "nginx.$2" 3)")"
}
echo
printf "%-46s %12s %12s %10s\n" "figure ($CLIENTS x s_time, ${SECS} s)" provisioner nginx prov/nginx
row "(a) full handshakes" new
row "(b) resumed handshakes" reuse
printf "%-46s %12s %12s\n" "   of which resumed" "$(field provisioner.reuse 5)/$(field provisioner.reuse 4)" \
    "$(field nginx.reuse 5)/$(field nginx.reuse 4)"
row "(c) full handshake + GET" www
printf "%-46s %12s %12s\n" "   bytes read per connection" "$(field provisioner.www 6)" "$(field nginx.www 6)"
PF=$(field provisioner.new 1)
PFC=$(per_cpu provisioner.new)
PR=$(field provisioner.reuse 1)
PRC=$(per_cpu provisioner.reuse)
echo
echo "(d) mbedTLS in-process ceiling, server side, one core (mean of the 2 runs): full $CEIL_F/s ($(ceil_text full_curve)), resumed $CEIL_R/s"
echo "    full with a client offering P-256 alone: $(ceil full_p256_per_core)/s; resumed by session ID with 1 /"
echo "    20000 sessions cached: $(ceil resumed_id_per_core)/s / $(ceil resumed_id_full_cache_per_core)/s (mbedTLS's own"
echo "    cache, for comparison: $(ceil list_resumed_id_per_core)/s / $(ceil list_resumed_id_full_cache_per_core)/s)"
printf "    provisioner full handshakes vs 2 cores x ceiling (%.0f/s): %s\n" \
    "$(awk -v c="$CEIL_F" 'BEGIN { print 2 * c }')" "$(ratio "$PF" "$(awk -v c="$CEIL_F" 'BEGIN { print 2 * c }')")"
printf "    provisioner full handshakes per server CPU-second vs ceiling per core: %s\n" "$(ratio "$PFC" "$CEIL_F")"
printf "    provisioner resumed vs 2 cores x ceiling: %s; per server CPU-second vs ceiling: %s\n" \
    "$(ratio "$PR" "$(awk -v c="$CEIL_R" 'BEGIN { print 2 * c }')")" "$(ratio "$PRC" "$CEIL_R")"
echo "    (the s_time clients share the same 2 cores, so 2 x ceiling is out of reach by their share;"
echo "     per server CPU-second takes the clients and other load on the machine out)"
read -r IN IF IP50 IP99 IMAX < <(lat "$RES/idle.lat")
read -r FN FF FP50 FP99 FMAX < <(lat "$RES/flood.lat")
read -r HN HF HP50 _ HMAX < <(lat "$RES/flood-https.lat")
echo
echo "(e) plain HTTP GET /$BOOT to the provisioner (curl, new connection each), ms"
printf "    idle:                     %3d fetches, %d failed, p50 %6s  p99 %6s  max %6s\n" "$IN" "$IF" "$IP50" "$IP99" "$IMAX"
printf "    during the HTTPS flood:   %3d fetches, %d failed, p50 %6s  p99 %6s  max %6s   (target < 200)\n" \
    "$FN" "$FF" "$FP50" "$FP99" "$FMAX"
printf "    the flood: %d x s_time -new, %d full handshakes in %d s (%.0f/s); provisioner used %.2f cores\n" \
    "$CLIENTS" "$FLOOD_CONNS" "$FLOOD_SECS" "$(awk -v n="$FLOOD_CONNS" -v s="$FLOOD_SECS" 'BEGIN { print n / s }')" \
    "$(awk -v c=$((F_C1 - F_C0)) -v k="$CLK" -v w="$F_WALL" 'BEGIN { print c / k / w }')"
printf "    info: new HTTPS fetch during the flood: %d fetches, %d failed, p50 %s ms, max %s ms\n" "$HN" "$HF" "$HP50" "$HMAX"
echo "machine: load average $(cut -d' ' -f1-3 /proc/loadavg) after the runs"

# --- (f) many handshakes at once: build/bin/tls_load (mbedTLS client, epoll,
# LOAD_CONCURRENCY connections in flight), as a boot storm makes them ----------
LOAD_SECS=$(( SECS > 10 ? 10 : SECS ))
echo
echo "(f) tls_load, ${LOAD_CONCURRENCY:-32} connections in flight, ${LOAD_SECS} s each (one client process)"
printf "    %-12s %-10s %10s %18s %12s %12s\n" server mode "per second" "per server CPU-s" "server cores" "client cores"
for srv in "${SERVERS[@]}"; do
    for run in resume new-p256 new-x25519; do
        mode=${run%%-*}
        curves=p256
        [[ $run == *x25519 ]] && curves=x25519
        # shellcheck disable=SC2086
        c0=$(cpu_ticks ${SRV_PIDS[$srv]})
        line=$(TLS_LOAD_CURVES=$curves timeout $((LOAD_SECS + 30)) "$BIN/tls_load" 127.0.0.1 "${PORT[$srv]}" "$mode" \
            "$LOAD_SECS" "${LOAD_CONCURRENCY:-32}" || true)
        # shellcheck disable=SC2086
        c1=$(cpu_ticks ${SRV_PIDS[$srv]})
        read -r n secs resumed failed ccpu < <(awk '{print $2, $4, $8, $10, $12}' <<<"$line")
        [[ ${n:-0} -gt 0 && ${failed:-1} == 0 ]] || { echo "    $srv $run: tls_load failed: $line"; continue; }
        [[ $mode == new || $resumed == "$n" ]] || echo "    $srv: only $resumed of $n resumed"
        awk -v n="$n" -v s="$secs" -v c=$((c1 - c0)) -v k="$CLK" -v cc="$ccpu" -v srv="$srv" -v m="$run" \
            'BEGIN { printf "    %-12s %-10s %10.0f %18.0f %12.2f %12.2f\n", srv, m, n / s, n / (c / k), c / k / s, cc / s }'
    done
done

ok=1
if ((FF > 0)) || [[ $FN == 0 ]] || awk -v a="$FP99" -v b="$FMAX" 'BEGIN { exit !(a >= 200 || b >= 200) }'; then
    echo "FAILED: plain HTTP latency during the flood (p99 $FP99 ms, max $FMAX ms, $FF failed)"
    ok=0
fi
((ok)) && echo "plain HTTP p99 and max stayed under 200 ms during the handshake flood"
((ok))

#!/usr/bin/env bash
# bench/tftp: TFTP figures for the provisioner and for two reference servers,
# atftpd and tftpd-hpa's in.tftpd, serving the same files, all measured with
# one load generator (build/bin/tftp_load, bench/tftp/tftp_load.cpp).
#   bench/tftp/run.sh [SECONDS]    (as root, from anywhere, after a build)
# SECONDS (default 5) is the length of each fixed-time run in (a); RUNS
# (environment, default 5) is the number of 16 MiB transfers whose median is
# taken in (b); A_RUNS (default 1) the number of (a) runs per server, the
# servers taking turns, whose median is shown; ONLY (default "a b c d") the
# scenarios to run. The whole script takes about two to three minutes.
#   (a) 4 KiB file, blksize 1428 + tsize, 8 and 32 concurrent: transfers/s, p99
#   (b) 16 MiB file, blksize 1428, windowsize 1, 8, 16: median time per transfer
#   (c) 1000 concurrent 4 KiB transfers from 1000 source addresses (127.1.x.y,
#       like 1000 phones): no failure; then the same from one address (info)
#   (d) 1% packet loss each way between two network namespaces: 200 x 4 KiB
#       and 5 x 16 MiB (windowsize 8): every transfer completes
# Servers listen on 127.0.0.1 only, and on 10.200.0.1 inside a namespace of
# this script's own for (d); every load run is bounded (--deadline-s, timeout).
# Installs atftpd, iproute2, jq (and nftables when the kernel has no netem)
# with apt-get when missing; atftpd's own system service is disabled, the
# servers here run in the foreground. tftpd-hpa conflicts with atftpd as a
# package, so it is fetched with apt-get download and unpacked under WORK.
# Exit status: 0 when every required check passed ((c) from one address is
# information only), 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-5}
RUNS=${RUNS:-5}
BIN=${BENCH_BIN_DIR:-build/bin}
LOAD=$BIN/tftp_load
[[ $(id -u) == 0 ]] || { echo "run as root (network namespaces, apt-get)" >&2; exit 1; }
[[ -x $BIN/provisioner ]] || { echo "build first: cmake --build build" >&2; exit 1; }
[[ -x $LOAD ]] || cmake --build build --target tftp_load -j1 >/dev/null

WORK=$(mktemp -d /tmp/prov-bench-tftp.XXXXXX)
chmod 755 "$WORK"  # atftpd and in.tftpd serve as nobody
NS_S=provtftp-s-$$ NS_C=provtftp-c-$$ VS=pt$$s VC=pt$$c
SRV_ADDR=10.200.0.1 CLI_ADDR=10.200.0.2
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    ip netns del "$NS_S" 2>/dev/null || true
    ip netns del "$NS_C" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- tools ------------------------------------------------------------------
APT_UPDATED=
apt_install() {
    [[ -n $APT_UPDATED ]] || { apt-get update -qq >/dev/null; APT_UPDATED=1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
missing=()
command -v atftpd >/dev/null || missing+=(atftpd)
{ command -v ip && command -v tc; } >/dev/null || missing+=(iproute2)
command -v jq >/dev/null || missing+=(jq)
((${#missing[@]} == 0)) || { echo "installing ${missing[*]}"; apt_install "${missing[@]}"; }
# The package enables a socket-activated system service on port 69: not wanted.
if command -v systemctl >/dev/null; then
    if [[ -d /run/systemd/system ]]; then
        systemctl disable --now atftpd.socket atftpd.service >/dev/null 2>&1 || true
    else
        systemctl disable atftpd.socket atftpd.service >/dev/null 2>&1 || true
    fi
fi
if [[ -x /etc/init.d/atftpd ]]; then
    /etc/init.d/atftpd stop >/dev/null 2>&1 || true
    update-rc.d atftpd disable >/dev/null 2>&1 || true
fi

mkdir -p "$WORK/hpa-deb"
if ! (cd "$WORK/hpa-deb" && apt-get download -qq tftpd-hpa 2>/dev/null); then
    apt-get update -qq >/dev/null; APT_UPDATED=1
    (cd "$WORK/hpa-deb" && apt-get download -qq tftpd-hpa 2>/dev/null)
fi
dpkg -x "$WORK"/hpa-deb/tftpd-hpa_*.deb "$WORK/hpa"
HPA=$WORK/hpa/usr/sbin/in.tftpd
if ldd "$HPA" | grep -q "not found"; then apt_install libwrap0; fi

# --- files ------------------------------------------------------------------
FW=$WORK/fw
mkdir -m 755 "$FW"
head -c 4096 /dev/urandom >"$FW/cfg4k.bin"
head -c $((16 << 20)) /dev/urandom >"$FW/fw16m.bin"
chmod 644 "$FW"/*

free_udp_port() {
    local p
    for p in $(shuf -i 20000-60999 -n 200); do
        ss -Hlun "sport = :$p" | grep -q . || { echo "$p"; return; }
    done
    echo "no free UDP port" >&2; return 1
}

# --- servers ----------------------------------------------------------------
# start_servers TAG ADDR [PREFIX...]: all three servers on ADDR, run through
# PREFIX (e.g. ip netns exec NS). Sets PORT[name] for those that came up.
declare -A PORT
start_servers() {
    local tag=$1 addr=$2; shift 2
    local pre=("$@") pa ph
    PORT=()
    if ((${#pre[@]})); then pa=6901 ph=6902; else pa=$(free_udp_port); ph=$(free_udp_port); fi
    "${pre[@]}" atftpd --daemon --no-fork --user nobody --group nogroup --port "$pa" \
        --bind-address "$addr" --logfile - --verbose=3 "$FW" >"$WORK/atftpd-$tag.log" 2>&1 &
    PIDS+=($!)
    PORT[atftpd]=$pa
    # in.tftpd resends only on its own timer (1 s by default) and ignores
    # duplicate ACKs, so under loss each lost DATA block costs that timer: 100
    # ms there, or 5 x 16 MiB lock-step would take minutes.
    local hpa_extra=()
    [[ $tag == loss ]] && hpa_extra=(-T 100000)
    "${pre[@]}" "$HPA" -L -u nobody -s "$FW" -a "$addr:$ph" "${hpa_extra[@]}" \
        >"$WORK/in.tftpd-$tag.log" 2>&1 &
    PIDS+=($!)
    PORT[in.tftpd]=$ph

    local dir=$WORK/prov-$tag attempt pid
    mkdir -p "$dir"
    for attempt in bind plain; do
        local extra=()
        [[ $attempt == bind ]] && extra=(-D tftp.bind="$addr" -D http.bind="$addr" -D admin.bind="$addr")
        rm -f "$dir/ports.json"
        # One load generator address plays up to 32 phones starting about
        # 3,000 transfers a second; the default of 8 requests not yet ACKed
        # per address (tftp.max_unverified_per_source, against forged floods)
        # would refuse many of them "busy", which the peers, with no such cap,
        # never do. Real phones behind a NAT start far fewer at once.
        "${pre[@]}" "$BIN/provisioner" serve -D provisioning.allow_networks=127.0.0.0/8 -D store.path="$dir/store.db" -D templates.dir=vendor-templates \
            -D firmware.dir="$FW" -D tftp.port=0 -D http.port=0 -D https.port=0 -D admin.port=0 -D tftp.max_unverified_per_source=64 \
            -D ports.file="$dir/ports.json" -D log.level=warning "${extra[@]}" >"$dir/out" 2>"$dir/err" &
        pid=$!
        PIDS+=("$pid")
        for _ in $(seq 1 100); do [[ -s $dir/ports.json ]] && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        [[ -s $dir/ports.json ]] && break
        kill "$pid" 2>/dev/null || true
    done
    if [[ ! -s $dir/ports.json ]]; then
        echo "provisioner: did not start ($(head -c 300 "$dir/err"))"
    elif [[ $(jq -r '.tftp // empty' "$dir/ports.json") == "" ]]; then
        echo "provisioner: no TFTP front end yet"
    else
        PORT[provisioner]=$(jq -r .tftp "$dir/ports.json")
        if [[ $attempt == plain ]]; then echo "provisioner: tftp.bind not accepted, listening on all addresses"; fi
    fi
}

SERVERS=(atftpd in.tftpd provisioner)
declare -A UP
FAILS=()
RES=$WORK/res
mkdir -p "$RES"

# load SERVER KEY [tftp_load args]: one bounded run, JSON kept as RES/SERVER.KEY.json
load() {
    local srv=$1 key=$2; shift 2
    [[ -n ${UP[$srv]:-} ]] || return 0
    local pre=() host=127.0.0.1
    [[ $key == d* ]] && pre=(ip netns exec "$NS_C") host=$SRV_ADDR
    local rc=0
    "${pre[@]}" timeout 150 "$LOAD" --json --host "$host" --port "${PORT[$srv]}" --deadline-s 120 "$@" \
        >"$RES/$srv.$key.json" 2>"$RES/$srv.$key.err" || rc=$?
    if ((rc != 0)); then
        local why
        why=$(grep -m3 . "$RES/$srv.$key.err" | tr '\n' ';')
        if [[ $key == c2 ]]; then
            INFO+=("$srv $key (info): $why")
        else
            FAILS+=("$srv $key: exit $rc: $why")
        fi
    fi
}

# check_up TAG: the first fetch, compared byte for byte with the file (on
# loopback also the 16 MiB one); a server that fails it is left out.
check_up() {
    local srv pre=() host=127.0.0.1 big=1
    if [[ $1 == loss ]]; then pre=(ip netns exec "$NS_C") host=$SRV_ADDR big=; fi
    for srv in "${SERVERS[@]}"; do
        UP[$srv]=
        [[ -n ${PORT[$srv]:-} ]] || continue
        if "${pre[@]}" timeout 60 "$LOAD" --host "$host" --port "${PORT[$srv]}" --file cfg4k.bin --blksize 1428 --tsize \
                --verify "$FW/cfg4k.bin" --timeout-ms 200 --retries 25 --deadline-s 30 >/dev/null 2>"$WORK/check.err" &&
            { [[ -z $big ]] || "${pre[@]}" timeout 60 "$LOAD" --host "$host" --port "${PORT[$srv]}" --file fw16m.bin \
                --blksize 1428 --windowsize 8 --tsize --verify "$FW/fw16m.bin" --timeout-ms 200 --retries 25 \
                --deadline-s 50 >/dev/null 2>>"$WORK/check.err"; }; then
            UP[$srv]=1
        else
            FAILS+=("$srv ($1): first fetch failed: $(head -c 200 "$WORK/check.err")")
        fi
    done
}
INFO=()

# --- loopback: (a) (b) (c) --------------------------------------------------
start_servers lo 127.0.0.1
check_up lo
echo "loopback: atftpd :${PORT[atftpd]}, in.tftpd :${PORT[in.tftpd]}, provisioner :${PORT[provisioner]:-none}"
ONLY=${ONLY:-a b c d}
A_RUNS=${A_RUNS:-1}
wants() { [[ " $ONLY " == *" $1 "* ]]; }
# median SERVER KEY: the median run of RES/SERVER.KEY.*.json by transfers/s
# (its p99 with it, the run's own), as RES/SERVER.KEY.json.
median() {
    local files=("$RES/$1.$2".*.json)
    [[ -s ${files[0]} ]] || return 0
    jq -s 'sort_by(.transfers_per_s) | .[(length - 1) / 2 | floor] + {runs: length,
           p99_ms_median: (map(.p99_ms) | sort | .[(length - 1) / 2 | floor])}' "${files[@]}" >"$RES/$1.$2.json"
}
if wants a; then
    # (a) the servers taking turns, the order turned round each run, so that
    # other work on the machine hits each alike; each run's load average kept.
    for i in $(seq 1 "$A_RUNS"); do
        order=("${SERVERS[@]}")
        ((i % 2)) || order=(provisioner in.tftpd atftpd)
        for srv in "${order[@]}"; do
            [[ -n ${UP[$srv]} ]] || continue
            echo "  $srv: (a) run $i, load average $(cut -d' ' -f1 /proc/loadavg)"
            for c in 8 32; do
                load "$srv" "a$c.$i" --file cfg4k.bin --blksize 1428 --tsize --verify "$FW/cfg4k.bin" \
                    --concurrency "$c" --seconds "$SECS"
            done
        done
    done
    for srv in "${SERVERS[@]}"; do median "$srv" a8; median "$srv" a32; done
    if ((A_RUNS > 1)); then
        for c in 8 32; do
            for i in $(seq 1 "$A_RUNS"); do
                a=$(jq -r '"\(.transfers_per_s|round) \(.p99_ms)"' "$RES/atftpd.a$c.$i.json" 2>/dev/null || echo "- -")
                p=$(jq -r '"\(.transfers_per_s|round) \(.p99_ms)"' "$RES/provisioner.a$c.$i.json" 2>/dev/null || echo "- -")
                read -r at ap <<<"$a"; read -r pt pp <<<"$p"
                echo "  (a) c$c run $i: atftpd $at/s p99 $ap ms, provisioner $pt/s p99 $pp ms:" \
                    "$(awk -v a="$at" -v p="$pt" -v x="$ap" -v y="$pp" 'BEGIN { if (a > 0 && x > 0) printf "%.2fx transfers/s, p99 %.2fx", p / a, y / x; else print "-" }')"
            done
        done
    fi
fi
# (b) one transfer at a time, the servers taking turns, so that drift in the
# machine's load (lock-step on loopback is all scheduling) hits each alike.
if wants b; then
    echo "  (b) $RUNS rounds"
    for w in 1 8 16; do
        wopt=()
        if ((w > 1)); then wopt=(--windowsize "$w"); fi
        for i in $(seq 1 "$RUNS"); do
            for srv in "${SERVERS[@]}"; do
                load "$srv" "b$w.$i" --file fw16m.bin --blksize 1428 --tsize "${wopt[@]}" --verify "$FW/fw16m.bin" \
                    --concurrency 1 --count 1
            done
        done
        for srv in "${SERVERS[@]}"; do
            files=("$RES/$srv.b$w".*.json)
            [[ -s ${files[0]} ]] || continue
            jq -s '{ok: (map(.ok) | add), failed: (map(.failed) | add), windowsize: (map(.windowsize) | min),
                    p50_ms: (map(.p50_ms) | sort | .[(length - 1) / 2 | floor])}' "${files[@]}" >"$RES/$srv.b$w.json"
        done
    done
fi
if wants c; then
    for srv in "${SERVERS[@]}"; do
        [[ -n ${UP[$srv]} ]] || continue
        echo "  $srv: (c)"
        load "$srv" c1 --file cfg4k.bin --blksize 1428 --tsize --verify "$FW/cfg4k.bin" \
            --concurrency 1000 --count 1000 --timeout-ms 500 --retries 10 --sources 1000
        load "$srv" c2 --file cfg4k.bin --blksize 1428 --tsize --verify "$FW/cfg4k.bin" \
            --concurrency 1000 --count 1000 --timeout-ms 500 --retries 10
    done
fi
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
PIDS=()

if wants d; then
    # --- (d) 1% loss between two namespaces ---------------------------------------
    ip netns add "$NS_S"
    ip netns add "$NS_C"
    ip link add "$VS" netns "$NS_S" type veth peer name "$VC" netns "$NS_C"
    ip -n "$NS_S" addr add "$SRV_ADDR/30" dev "$VS"
    ip -n "$NS_C" addr add "$CLI_ADDR/30" dev "$VC"
    for ns in "$NS_S" "$NS_C"; do ip -n "$ns" link set lo up; done
    ip -n "$NS_S" link set "$VS" up
    ip -n "$NS_C" link set "$VC" up
    if ip netns exec "$NS_S" tc qdisc add dev "$VS" root netem loss 1% 2>/dev/null; then
        ip netns exec "$NS_C" tc qdisc add dev "$VC" root netem loss 1%
        LOSS="tc netem loss 1% on both veth ends"
    else
        # Kernels built without sch_netem: drop 1% of UDP at each end's ingress
        # with nftables (silent to the sender, like a lossy link).
        command -v nft >/dev/null || apt_install nftables
        for pair in "$NS_S $VS" "$NS_C $VC"; do
            read -r ns dev <<<"$pair"
            ip netns exec "$ns" nft -f - <<NFT
    table netdev loss {
      chain lossy {
        type filter hook ingress device "$dev" priority 0;
        ip protocol udp numgen random mod 100 < 1 counter drop
      }
    }
NFT
        done
        LOSS="nftables ingress drop 1% of UDP on both veth ends (no sch_netem in this kernel)"
    fi
    start_servers loss "$SRV_ADDR" ip netns exec "$NS_S"
    check_up loss
    echo "loss: $LOSS; servers on $SRV_ADDR in $NS_S, client $CLI_ADDR in $NS_C"
    for srv in "${SERVERS[@]}"; do
        [[ -n ${UP[$srv]} ]] || continue
        echo "  $srv: (d)"
        load "$srv" d4k --file cfg4k.bin --blksize 1428 --tsize --verify "$FW/cfg4k.bin" \
            --concurrency 20 --count 200 --timeout-ms 100 --retries 50
        load "$srv" d16m --file fw16m.bin --blksize 1428 --windowsize 8 --tsize --verify "$FW/fw16m.bin" \
            --concurrency 5 --count 5 --timeout-ms 100 --retries 50
    done
    if [[ $LOSS == nftables* ]]; then
        drop_s=$(ip netns exec "$NS_S" nft list chain netdev loss lossy | grep -o 'packets [0-9]*' | cut -d' ' -f2)
        drop_c=$(ip netns exec "$NS_C" nft list chain netdev loss lossy | grep -o 'packets [0-9]*' | cut -d' ' -f2)
        echo "loss: dropped $drop_s packets towards the servers, $drop_c towards the client"
    fi
fi

# --- table ------------------------------------------------------------------
# val SERVER KEY JQ: a figure, or - when that run has no result
val() {
    local f=$RES/$1.$2.json
    [[ -s $f ]] || { echo -; return; }
    jq -r "$3" "$f" 2>/dev/null || echo -
}
row() {  # row LABEL KEY JQ
    local label=$1 key=$2 expr=$3 v a p r
    printf "%-44s" "$label"
    for srv in "${SERVERS[@]}"; do
        v=$(val "$srv" "$key" "$expr")
        printf " %12s" "$v"
    done
    a=$(val atftpd "$key" "$expr")
    p=$(val provisioner "$key" "$expr")
    r=-
    if [[ $a =~ ^[0-9.]+$ && $p =~ ^[0-9.]+$ ]]; then
        r=$(awk -v a="$a" -v p="$p" 'BEGIN { if (a > 0) printf "%.2f", p / a; else print "-" }')
    fi
    printf " %10s\n" "$r"
}
# windowsize as negotiated, shown after the figure when the server refused it
win() { echo "(if .windowsize < $1 then \"ws\" + (.windowsize|tostring) + \":\" else \"\" end)"; }
echo
printf "%-44s %12s %12s %12s %10s\n" "figure" "atftpd" "in.tftpd" "provisioner" "prov/atftpd"
echo "(a): the median of $A_RUNS run(s) each: transfers/s, and p99 (the median of the runs' p99)"
row "(a) 4 KiB c8: transfers/s" a8 '.transfers_per_s|round'
row "(a) 4 KiB c8: p99 ms" a8 '(.p99_ms_median // .p99_ms)*100|round/100'
row "(a) 4 KiB c32: transfers/s" a32 '.transfers_per_s|round'
row "(a) 4 KiB c32: p99 ms" a32 '(.p99_ms_median // .p99_ms)*100|round/100'
row "(b) 16 MiB ws1: median ms ($RUNS runs)" b1 '.p50_ms|round'
row "(b) 16 MiB ws8: median ms" b8 "$(win 8) + (.p50_ms|round|tostring)"
row "(b) 16 MiB ws16: median ms" b16 "$(win 16) + (.p50_ms|round|tostring)"
row "(c) 1000 concurrent, 1000 sources: ok" c1 '.ok'
row "(c) 1000 concurrent, 1000 sources: failed" c1 '.failed'
row "(c) 1000 concurrent, 1000 sources: wall s" c1 '.seconds*100|round/100'
row "(c) 1000 concurrent, 1000 sources: p99 ms" c1 '.p99_ms|round'
row "(c) same from one address (info): failed" c2 '.failed'
row "(c) same from one address (info): p99 ms" c2 '.p99_ms|round'
row "(d) 1% loss, 200 x 4 KiB c20: ok" d4k '.ok'
row "(d) 1% loss, 200 x 4 KiB c20: failed" d4k '.failed'
row "(d) 1% loss, 200 x 4 KiB c20: p99 ms" d4k '.p99_ms|round'
row "(d) 1% loss, 5 x 16 MiB ws8 c5: ok" d16m '.ok'
row "(d) 1% loss, 5 x 16 MiB ws8 c5: failed" d16m '.failed'
row "(d) 1% loss, 5 x 16 MiB ws8 c5: median s" d16m "$(win 8) + (.p50_ms/10|round/100|tostring)"
row "(d) 1% loss, 5 x 16 MiB: client resends" d16m '.timeouts'
echo "ratio: provisioner/atftpd (transfers/s: higher is better; ms, s: lower is better)."
echo "wsN: the server answered with windowsize N (in.tftpd has no RFC 7440) and ran lock-step."
echo "(d): client resends after 100 ms without progress; in.tftpd runs there with -T 100000 (100 ms"
echo "     retransmit instead of 1 s), atftpd and the provisioner with their defaults."
for i in "${INFO[@]}"; do echo "info: $i"; done
if ((${#FAILS[@]})); then
    for f in "${FAILS[@]}"; do echo "FAILED: $f"; done
    exit 1
fi
echo "every required transfer completed and matched the files byte for byte"

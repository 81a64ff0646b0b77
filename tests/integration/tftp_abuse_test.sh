#!/usr/bin/env bash
# TFTP under abuse (UDP needs no handshake, so every request's source may be
# forged; on Linux all of 127.0.0.0/8 is local, so python3 binds its sockets
# to 127.0.x.y to play many sources). With the default configuration:
#   (a) memory: 300 netascii requests for a 3 MB file from 38 addresses,
#       never ACKed, and 64 netascii transfers from one address that ACK
#       block 1 and stall: the server's RSS stays bounded (each transfer used
#       to hold a converted copy of the whole file) and its loop free (a
#       phone on another address is served at once); a 65th transfer under
#       way from that address is refused "busy" (tftp.max_per_source);
#   (b) slots: 4,096 requests with timeout=255 from 8 addresses, never
#       ACKed: another phone is served, each address holds at most
#       tftp.max_unverified_per_source (8) slots, and they are free again
#       after tftp.unverified_seconds (3), not after 255 s and retries;
#   (c) amplification: a source that never ACKs gets exactly one packet per
#       request (DATA 1, or the OACK when it sent options), never again;
#   (d) the memory budget (tftp.max_memory_bytes) refuses "busy", with an
#       ERROR packet, what would pass it.
# Figures (RSS, hold time, amplification, legit fetch latency) go to stderr.
#
# Needs python3 and jq. Traffic goes to 127.0.0.0/8 only; every wait is bounded.
source "$(dirname "$0")/lib.sh"

for tool in python3 jq timeout; do
    command -v "$tool" >/dev/null || { echo "tftp_abuse_test needs $tool" >&2; exit 1; }
done
PYTHON=$(python3 -c 'import sys; print(sys.executable)')
HOLD=3  # tftp.unverified_seconds, the default

# ---------------------------------------------------------------------------
#   abuse.py PORT PID memory FILE CFG      (a)
#   abuse.py PORT PID slots FILE CFG       (b)
#   abuse.py PORT PID amplify FILE         (c)
#   abuse.py PORT PID budget CFG           (d)
# Each prints one JSON document.
cat >"$WORK/abuse.py" <<'PY'
import json, select, socket, struct, sys, threading, time

PORT, PID, HOLD = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
SERVER = ("127.0.0.1", PORT)


def proc_kb(field):
    with open("/proc/%d/status" % PID) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def udp(addr, blocking=False):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((addr, 0))
    s.setblocking(blocking)
    return s


def rrq(name, mode, opts=()):
    b = struct.pack("!H", 1) + name.encode() + b"\0" + mode.encode() + b"\0"
    for o in opts:
        b += o.encode() + b"\0"
    return b


def ack(block):
    return struct.pack("!HH", 4, block & 0xFFFF)


def error(msg):
    return struct.pack("!HH", 5, 0) + msg + b"\0"


def op(pkt):
    return struct.unpack("!H", pkt[:2])[0] if len(pkt) >= 2 else -1


def get(name, src, timeout=10.0):
    """A phone: lock-step, no options; resends its last packet after 1 s."""
    t0 = time.time()
    s = udp(src, blocking=True)
    s.settimeout(1.0)
    req = rrq(name, "octet")
    s.sendto(req, SERVER)
    peer, data, expected, resends = None, bytearray(), 1, 0
    res = {"ok": False}
    while time.time() - t0 < timeout:
        try:
            pkt, addr = s.recvfrom(70000)
        except socket.timeout:
            resends += 1
            s.sendto(req if peer is None else ack(expected - 1), SERVER if peer is None else peer)
            continue
        if peer is None:
            if op(pkt) == 5:
                res["error"] = pkt[4:].split(b"\0")[0].decode("latin-1")
                break
            peer = addr
        if addr != peer or op(pkt) != 3:
            continue
        block = struct.unpack("!H", pkt[2:4])[0]
        if block == expected & 0xFFFF:
            data += pkt[4:]
            expected += 1
        s.sendto(ack(block), peer)
        if len(pkt) - 4 < 512 and block == (expected - 1) & 0xFFFF:
            res["ok"] = True
            break
    res.update(seconds=round(time.time() - t0, 3), bytes=len(data), resends=resends)
    s.close()
    return res


def in_thread(fn, *args):
    box = {}
    t = threading.Thread(target=lambda: box.update(fn(*args)))
    t.start()
    return t, box


class Counter:
    """Every datagram that comes back to a set of sockets, per (socket, server port)."""

    def __init__(self, socks):
        self.socks = socks
        self.by_fd = {s.fileno(): i for i, s in enumerate(socks)}
        self.ports = {}   # (socket index, server port) -> datagrams
        self.ops = {}     # opcode -> datagrams
        self.bytes = 0
        self.bytes_to = [0] * len(socks)  # per socket
        self.first = {}   # socket index -> time of its first OACK or DATA
        self.accepted = [0] * len(socks)

    def pump(self, seconds):
        end = time.time() + seconds
        while True:
            left = end - time.time()
            if left <= 0:
                return
            ready, _, _ = select.select(self.socks, [], [], min(left, 0.02))
            for s in ready:
                i = self.by_fd[s.fileno()]
                while True:
                    try:
                        pkt, addr = s.recvfrom(70000)
                    except BlockingIOError:
                        break
                    o = op(pkt)
                    self.ops[o] = self.ops.get(o, 0) + 1
                    self.bytes += len(pkt)
                    self.bytes_to[i] += len(pkt)
                    key = (i, addr[1])
                    self.ports[key] = self.ports.get(key, 0) + 1
                    if o in (3, 6):
                        self.accepted[i] += 1
                        self.first.setdefault(i, time.time())
            if not ready and self.sample:
                self.sample()

    sample = None


def memory(name, cfg):
    out = {"rss_before_kb": proc_kb("VmRSS"), "hwm_before_kb": proc_kb("VmHWM")}
    # 300 requests, 8 per address (tftp.max_unverified_per_source): all accepted.
    socks = [udp("127.0.1.%d" % i) for i in range(1, 39)]
    c = Counter(socks)
    peak = [0]
    c.sample = lambda: peak.__setitem__(0, max(peak[0], proc_kb("VmRSS")))
    for n in range(300):
        socks[n // 8].sendto(rrq(name, "netascii"), SERVER)
        if n % 8 == 7:
            time.sleep(0.002)  # a burst per address, not one the kernel must queue whole
    t, legit = in_thread(get, cfg, "127.0.0.1")
    c.pump(0.5)
    t.join()
    c.pump(HOLD + 1.5)  # past the hold: the server would have retransmitted by now
    out["flood"] = {"sent": 300, "data": c.ops.get(3, 0), "errors": c.ops.get(5, 0),
                    "max_per_transfer": max(c.ports.values() or [0]), "transfers": len(c.ports),
                    "rss_peak_kb": peak[0], "legit": legit}
    for s in socks:
        s.close()
    # 70 transfers from one address that ACK block 1 and go silent: 64 are
    # under way at once (tftp.max_per_source), each stopped mid-file.
    held, refused = [], []
    for _ in range(70):
        s = udp("127.0.1.100", blocking=True)
        s.settimeout(2.0)
        s.sendto(rrq(name, "netascii"), SERVER)
        try:
            pkt, addr = s.recvfrom(70000)
        except socket.timeout:
            refused.append({"op": None})
            continue
        if op(pkt) != 3:
            refused.append({"op": op(pkt), "code": struct.unpack("!H", pkt[2:4])[0], "from_listen": addr[1] == PORT})
            s.close()
            continue
        s.sendto(ack(1), addr)
        try:
            pkt2, _ = s.recvfrom(70000)
            block2 = op(pkt2) == 3 and struct.unpack("!H", pkt2[2:4])[0] == 2
        except socket.timeout:
            block2 = False
        held.append((s, addr, block2))
    t, legit = in_thread(get, cfg, "127.0.0.1")
    t.join()
    out["stalled"] = {"held": len(held), "got_block_2": sum(1 for h in held if h[2]), "refused": refused,
                      "rss_kb": proc_kb("VmRSS"), "legit": legit}
    for s, addr, _ in held:
        s.sendto(error(b"done"), addr)
        s.close()
    time.sleep(0.3)
    out["rss_after_kb"] = proc_kb("VmRSS")
    out["hwm_after_kb"] = proc_kb("VmHWM")
    return out


def slots(name, cfg):
    out = {"rss_before_kb": proc_kb("VmRSS")}
    addrs = ["127.0.2.%d" % i for i in range(1, 9)]
    socks = [udp(a) for a in addrs]
    c = Counter(socks)
    req = rrq(name, "octet", ["timeout", "255"])
    t0 = time.time()
    for n in range(512):
        for s in socks:
            s.sendto(req, SERVER)
        if n % 8 == 7:
            c.pump(0.005)  # paced (about 10,000 a second), so that the kernel drops few of them
    out["send_seconds"] = round(time.time() - t0, 3)
    t, legit = in_thread(get, cfg, "127.0.0.1")
    c.pump(0.3)
    t.join()
    out["legit"] = legit
    c.pump(0.3)
    out["accepted_per_address"] = c.accepted
    out["replies"] = {"oack": c.ops.get(6, 0), "data": c.ops.get(3, 0), "error": c.ops.get(5, 0)}
    out["max_per_transfer"] = max([n for (i, p), n in c.ports.items() if p != PORT] or [0])
    # The first address asks again every 50 ms: when is one of its slots free?
    first = c.first.get(0, t0)
    probe = udp(addrs[0], blocking=True)
    probe.settimeout(0.05)
    freed = None
    while time.time() - first < HOLD + 5:
        probe.sendto(rrq(name, "octet", ["timeout", "255"]), SERVER)
        try:
            pkt, addr = probe.recvfrom(70000)
        except socket.timeout:
            continue
        if op(pkt) == 6:
            freed = round(time.time() - first, 3)
            probe.sendto(error(b"done"), addr)
            break
        time.sleep(0.05)
    out["slot_held_seconds"] = freed
    c.pump(0.2)
    out["flood_bytes_in"] = 4096 * len(req)
    out["flood_bytes_out"] = c.bytes
    out["rss_after_kb"] = proc_kb("VmRSS")
    for s in socks:
        s.close()
    return out


def amplify(name):
    """Each case twice, from its own address: what comes back to it."""
    cases = [("octet", []), ("octet", ["blksize", "65464", "windowsize", "64", "tsize", "0", "timeout", "255"]),
             ("netascii", [])]
    socks = [udp("127.0.3.%d" % (i + 1)) for i in range(len(cases))]
    reqs = [rrq(name, mode, opts) for mode, opts in cases]
    c = Counter(socks)
    for _ in range(2):
        for s, r in zip(socks, reqs):
            s.sendto(r, SERVER)
        c.pump(0.2)
    c.pump(HOLD + 1.5)
    res = []
    for i, (mode, opts) in enumerate(cases):
        pkts = sum(n for (j, _), n in c.ports.items() if j == i)
        per_request = c.bytes_to[i] / 2
        res.append({"mode": mode, "options": " ".join(opts), "request_bytes": len(reqs[i]),
                    "requests": 2, "packets": pkts, "transfers": sum(1 for (j, _) in c.ports if j == i),
                    "max_per_transfer": max(n for (j, _), n in c.ports.items() if j == i),
                    "bytes_back_per_request": per_request,
                    "factor": round(per_request / len(reqs[i]), 1),
                    # with the IPv4 and UDP headers (28 bytes a datagram) on both sides
                    "factor_on_wire": round((per_request + 28 * pkts / 2) / (len(reqs[i]) + 28), 1)})
    return {"cases": res}


def budget(cfg):
    """200 requests for a rendered file from 25 addresses, never ACKed."""
    socks = [udp("127.0.4.%d" % i) for i in range(1, 26)]
    c = Counter(socks)
    for n in range(200):
        socks[n // 8].sendto(rrq(cfg, "octet"), SERVER)
    c.pump(0.5)
    out = {"accepted": sum(c.accepted), "errors": c.ops.get(5, 0)}
    probe = get(cfg, "127.0.0.1", timeout=1.5)
    out["during"] = probe
    c.pump(HOLD + 0.5)
    out["after"] = get(cfg, "127.0.0.1")
    return out


cmd = sys.argv[4]
if cmd == "memory":
    print(json.dumps(memory(sys.argv[5], sys.argv[6])))
elif cmd == "slots":
    print(json.dumps(slots(sys.argv[5], sys.argv[6])))
elif cmd == "budget":
    print(json.dumps(budget(sys.argv[5])))
elif cmd == "amplify":
    print(json.dumps(amplify(sys.argv[5])))
PY

abuse() { timeout 100 "$PYTHON" "$WORK/abuse.py" "$TFTP_PORT" "$SERVER_PID" "$HOLD" "$@"; }

jqc() {  # jqc JSON EXPR EXPECTED MESSAGE
    local got
    got=$(jq -c "$2" <<<"$1" 2>/dev/null)
    if [[ "$got" == "$3" ]]; then ok; else BODY="$1"; bad "$4: $2 should be $3, got $got"; fi
}
T0=$SECONDS
section() { echo "[$((SECONDS - T0)) s] $1" >&2; }

# A 3 MB text file (a line break every 64 bytes: netascii makes it longer).
FW="$WORK/fw"
mkdir -p "$FW"
"$PYTHON" -c 'import sys
line = b"firmware-text-" + b"x" * 49 + b"\n"
open(sys.argv[1], "wb").write(line * (3 * 1000 * 1000 // len(line)))' "$FW/fw3m.txt"

start_server -D firmware.dir="$FW"
TFTP_PORT=$(jq -r .tftp "$DATA/ports.json")
golden_settings
add_phone yealink 00:15:65:4a:a9:37 Yealink T46U 10
CFG=0015654aa937.cfg

# ---------------------------------------------------------------------------
section "(a) netascii memory"
R=$(abuse memory fw3m.txt "$CFG")
echo "$R" | jq -c . >&2
jqc "$R" '[.flood.data, .flood.transfers, .flood.max_per_transfer, .flood.errors]' '[300,300,1,0]' \
    "300 never-ACKed netascii requests from 38 addresses: one DATA each, none sent again"
jqc "$R" '.flood.legit.ok' 'true' "a phone on another address is served during the netascii flood"
jqc "$R" '.flood.legit.seconds < 1.5' 'true' "... promptly"
jqc "$R" '(.flood.rss_peak_kb - .rss_before_kb) < 40960' 'true' "RSS grows by less than 40 MiB under 300 netascii requests"
jqc "$R" '[.stalled.held, .stalled.got_block_2]' '[64,64]' "64 netascii transfers under way from one address"
jqc "$R" '[.stalled.refused[] | [.op, .code, .from_listen]] | unique' '[[5,0,true]]' "past tftp.max_per_source: refused busy"
jqc "$R" '.stalled.refused | length' '6' "6 of 70 refused"
jqc "$R" '(.stalled.rss_kb - .rss_before_kb) < 40960' 'true' "RSS grows by less than 40 MiB with 64 stalled netascii transfers"
jqc "$R" '.stalled.legit.ok' 'true' "a phone is served while 64 transfers stall"
jqc "$R" '(.hwm_after_kb - .hwm_before_kb) < 40960' 'true' "peak RSS (VmHWM) grows by less than 40 MiB"
echo "figures (a): RSS $(jq -r .rss_before_kb <<<"$R") kB before, $(jq -r .flood.rss_peak_kb <<<"$R") kB peak under 300 netascii requests," \
    "$(jq -r .stalled.rss_kb <<<"$R") kB with 64 stalled transfers, $(jq -r .rss_after_kb <<<"$R") kB after" \
    "(VmHWM $(jq -r .hwm_before_kb <<<"$R") -> $(jq -r .hwm_after_kb <<<"$R") kB);" \
    "legit fetch $(jq -r .flood.legit.seconds <<<"$R") s under the flood, $(jq -r .stalled.legit.seconds <<<"$R") s with the stalled ones" >&2

# ---------------------------------------------------------------------------
section "(b) slots"
R=$(abuse slots fw3m.txt "$CFG")
echo "$R" | jq -c . >&2
jqc "$R" '.legit.ok' 'true' "a phone on another address is served during 4096 requests with timeout=255"
jqc "$R" '.legit.seconds < 1.5' 'true' "... promptly"
jqc "$R" '.accepted_per_address' '[8,8,8,8,8,8,8,8]' "each flooding address holds tftp.max_unverified_per_source slots"
jqc "$R" '[.replies.oack, .replies.data, .max_per_transfer]' '[64,0,1]' "one OACK per accepted request, nothing else"
jqc "$R" ".slot_held_seconds != null and .slot_held_seconds >= $HOLD - 0.5 and .slot_held_seconds <= $HOLD + 1" 'true' \
    "a forged slot is free again after tftp.unverified_seconds"
echo "figures (b): a forged slot held $(jq -r .slot_held_seconds <<<"$R") s (timeout=255 asked); legit fetch" \
    "$(jq -r .legit.seconds <<<"$R") s during the flood; flood bytes back / in: $(jq -r .flood_bytes_out <<<"$R") /" \
    "$(jq -r .flood_bytes_in <<<"$R")" >&2

# ---------------------------------------------------------------------------
section "(c) amplification"
R=$(abuse amplify fw3m.txt)
echo "$R" | jq -c . >&2
jqc "$R" '[.cases[] | [.transfers, .packets, .max_per_transfer]]' '[[2,2,1],[2,2,1],[2,2,1]]' \
    "a never-ACKing source gets one packet per request, never sent again"
jqc "$R" '[.cases[] | .bytes_back_per_request <= 516] | all' 'true' "... no bigger than DATA 1 of 512 bytes"
jqc "$R" '.cases[1].bytes_back_per_request < .cases[1].request_bytes' 'true' "with options: an OACK smaller than the request"
for i in 0 1 2; do
    echo "figures (c): $(jq -r ".cases[$i] | \"\(.mode) \(.options): \(.packets / .requests) packet and \(.bytes_back_per_request) bytes back per request of \(.request_bytes) bytes (x\(.factor); x\(.factor_on_wire) with IP/UDP headers)\"" <<<"$R")" >&2
done

kill -0 "$SERVER_PID" 2>/dev/null && ok || bad "the server died"

# ---------------------------------------------------------------------------
# (d) The memory budget: with tftp.max_memory_bytes at its least (1 MiB),
# transfers of a rendered file (its bytes plus 4 KiB each) fill it, and the
# next request is refused "busy" with an ERROR packet until they end.
section "(d) memory budget"
stop_server
start_server -D firmware.dir="$FW" -D tftp.max_memory_bytes=1048576
TFTP_PORT=$(jq -r .tftp "$DATA/ports.json")
R=$(abuse budget "$CFG")
echo "$R" | jq -c . >&2
BODY_BYTES=$(jq -r .after.bytes <<<"$R")
jqc "$R" ".accepted == (1048576 / (4096 + $BODY_BYTES) | floor)" 'true' "the budget holds (1 MiB / (4 KiB + $BODY_BYTES)) transfers"
jqc "$R" '.errors == 200 - .accepted' 'true' "the rest are refused with an ERROR"
jqc "$R" '[.during.ok, .during.error]' '[false,"Server busy, try again"]' "a phone asking while the budget is spent is told busy"
jqc "$R" '.after.ok' 'true' "once the held transfers end, the phone is served"
kill -0 "$SERVER_PID" 2>/dev/null && ok || bad "the server died"
section "done"
finish

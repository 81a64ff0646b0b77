#!/usr/bin/env bash
# Phone proofs against the real binary, with loopback NOT an allowed network:
# SIP passwords reach only the phone they belong to.
#  1. Without a proof every vendor's secret-bearing file is a Digest challenge,
#     the same for a known and an unknown MAC (HTTP), the same error (TFTP);
#     secret-free device files are served alike; uploads refused alike.
#  2. First contact: staging windows (API as admin and installer, CLI), one
#     device each, HTTP only, max_devices, early close, the installer's limits;
#     an allowed network. (The client-certificate path is https_client_cert_test.sh.)
#  3. Digest with each device's own credentials, read from the API and found
#     in the vendor's keys of the config it got: SHA-256 (curl), MD5 (python),
#     wrong or another device's pair refused; Snom's Basic over HTTPS only.
#  4. Rotation: the old pair works until the new one is used; roles.
#  5. Installer binding rules.
#  6. The MAC-sweep guard: a sweeping source is blocked within sweep.budget
#     MACs (but a proof still gets through), other sources are not; 500 honest
#     phones behind one address never are. Figures on lines "FIGURE: ...".
#
# Needs curl, jq, python3. Traffic goes to 127.0.0.0/8 only; every loop is bounded.
source "$(dirname "$0")/lib.sh"

for tool in curl jq python3 sqlite3; do
    command -v "$tool" >/dev/null || { echo "phone_proofs_test needs $tool" >&2; exit 1; }
done
PYTHON=$(python3 -c 'import sys; print(sys.executable)')
T0=$(date +%s)

# ---------------------------------------------------------------------------
# A phone in python, for what curl cannot do: Digest with MD5 (curl takes the
# first challenge, SHA-256), Digest sent from a source that gets no challenge
# (a blocked one), keep-alive runs of thousands of fetches, a raw TFTP RRQ.
#   pp.py digest PORT PATH USER PASS ALG CHALLENGE_SRC REQUEST_SRC [UA]   -> status
#   pp.py tftp PORT NAME                                                 -> "error CODE MSG" | "data"
#   pp.py sweep PORT SRC MAX_MACS SECONDS                                -> JSON
#   pp.py nat PORT SRC MACFILE UNKNOWN SECONDS                           -> JSON
cat >"$WORK/pp.py" <<'PY'
import hashlib, http.client, json, os, re, socket, struct, sys, time

HOST = "127.0.0.1"


class Client:
    """GETs over one keep-alive connection from a given source address."""

    def __init__(self, port, src):
        self.port, self.src, self.c, self.requests = port, src, None, 0

    def get(self, path, headers=None):
        for attempt in range(2):
            if self.c is None:
                self.c = http.client.HTTPConnection(HOST, self.port, timeout=5, source_address=(self.src, 0))
            try:
                self.c.request("GET", path, headers=headers or {})
                r = self.c.getresponse()
                body = r.read()
                self.requests += 1
                if (r.getheader("Connection") or "").lower() == "close":
                    self.c.close()
                    self.c = None
                return r.status, r.getheaders(), body
            except (http.client.HTTPException, OSError):
                self.c.close()
                self.c = None
                if attempt:
                    raise


def challenge(headers, alg):
    for k, v in headers:
        if k.lower() != "www-authenticate" or not v.startswith("Digest "):
            continue
        params = {m[0].lower(): (m[1] if m[1] else m[2])
                  for m in re.findall(r'(\w+)=(?:"([^"]*)"|([^\s,]+))', v)}
        if params.get("algorithm", "MD5").upper() == alg.upper():
            return params
    return None


def authorization(ch, alg, user, password, method, uri):
    h = (lambda s: hashlib.md5(s.encode()).hexdigest()) if alg.upper() == "MD5" else \
        (lambda s: hashlib.sha256(s.encode()).hexdigest())
    cnonce, nc = os.urandom(8).hex(), "00000001"
    ha1 = h(f"{user}:{ch['realm']}:{password}")
    ha2 = h(f"{method}:{uri}")
    resp = h(f"{ha1}:{ch['nonce']}:{nc}:{cnonce}:auth:{ha2}")
    a = (f'Digest username="{user}", realm="{ch["realm"]}", nonce="{ch["nonce"]}", uri="{uri}", '
         f'algorithm={alg}, qop=auth, nc={nc}, cnonce="{cnonce}", response="{resp}"')
    if "opaque" in ch:
        a += f', opaque="{ch["opaque"]}"'
    return a


def digest(port, path, user, password, alg, challenge_src, request_src, ua=None):
    base = {"User-Agent": ua} if ua else {}
    status, headers, _ = Client(port, challenge_src).get(path, base)
    ch = challenge(headers, alg)
    if status != 401 or ch is None:
        print(f"nochallenge{status}")
        return
    status, _, _ = Client(port, request_src).get(
        path, dict(base, Authorization=authorization(ch, alg, user, password, "GET", path)))
    print(status)


def tftp(port, name):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((HOST, 0))
    s.settimeout(3)
    s.sendto(struct.pack("!H", 1) + name.encode() + b"\0octet\0", (HOST, port))
    try:
        pkt, addr = s.recvfrom(65536)
    except socket.timeout:
        print("timeout")
        return
    op = struct.unpack("!H", pkt[:2])[0]
    if op == 5:
        code = struct.unpack("!H", pkt[2:4])[0]
        msg = pkt[4:].rstrip(b"\0").decode(errors="replace")
        print(f"error {code} {msg}")
    else:
        s.sendto(struct.pack("!HH", 5, 0) + b"stop\0", addr)  # do not leave a transfer behind
        print("data" if op == 3 else f"op{op}")


def sweep(port, src, max_macs, seconds):
    """Made-up MACs booting one after another (no User-Agent): each its .boot
    then its .cfg, then the common file; stops at the first 404 on it."""
    c, deadline, tries, first = Client(port, src), time.time() + seconds, 0, {}
    for i in range(1, max_macs + 1):
        if time.time() > deadline:
            break
        mac = "001565f%05x" % i
        s_boot = c.get(f"/{mac}.boot")[0]
        s_cfg = c.get(f"/{mac}.cfg")[0]
        first.setdefault("boot", s_boot)
        first.setdefault("cfg", s_cfg)
        tries = i
        if c.get("/y000000000000.boot")[0] in (401, 404):  # blocked: a challenge for everything
            print(json.dumps({"blocked": True, "tries": tries, "requests": c.requests, "first": first}))
            return
    print(json.dumps({"blocked": False, "tries": tries, "requests": c.requests, "first": first}))


def nat(port, src, macfile, unknown, seconds):
    """Every known phone's boot from one address (an office NAT), with
    `unknown` phones the store does not know booting among them."""
    macs = [l.strip() for l in open(macfile) if l.strip()]
    c, start = Client(port, src), time.time()
    statuses, common_404, unknown_done, seen = {}, 0, 0, 0
    every = max(1, len(macs) // max(1, unknown))

    def boot(mac):
        nonlocal common_404
        colons = ":".join(mac[i:i + 2] for i in range(0, 12, 2))
        ua = {"User-Agent": f"Yealink SIP-T46U 108.86.0.90 {colons}"}
        for kind, f in (("common", "y000000000000.boot"), ("boot", f"{mac}.boot"),
                        ("common", "y000000000108.cfg"), ("cfg", f"{mac}.cfg")):
            s = c.get("/" + f, ua)[0]
            key = f"{kind}:{s}"
            statuses[key] = statuses.get(key, 0) + 1
            if kind == "common" and s in (401, 404):
                common_404 += 1

    for i, mac in enumerate(macs):
        if time.time() - start > seconds:
            break
        boot(mac)
        seen += 1
        if (i + 1) % every == 0 and unknown_done < unknown:
            unknown_done += 1
            boot("0015652%05x" % unknown_done)
    final = c.get("/y000000000000.boot")[0]
    print(json.dumps({"phones": seen, "unknown": unknown_done, "requests": c.requests, "common_404": common_404,
                      "statuses": statuses, "final_common": final,
                      "seconds": round(time.time() - start, 2)}))


cmd, port = sys.argv[1], int(sys.argv[2])
if cmd == "digest":
    digest(port, *sys.argv[3:9], *(sys.argv[9:10] or [None]))
elif cmd == "tftp":
    tftp(port, sys.argv[3])
elif cmd == "sweep":
    sweep(port, sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
elif cmd == "nat":
    nat(port, sys.argv[3], sys.argv[4], int(sys.argv[5]), float(sys.argv[6]))
PY
pp() { timeout 60 "$PYTHON" "$WORK/pp.py" "$@"; }

# ---------------------------------------------------------------------------
# The six golden phones: MAC, the secret-bearing files, a User-Agent.
YEALINK=0015654aa937 POLYCOM=0004f2aabb01 CISCO=00562b043615
GRANDSTREAM=000b828aa872 SNOM=000413922d24 FANVIL=0c383e557eb1
colons() { sed 's/../&:/g; s/:$//' <<<"$1"; }
upper() { tr 'a-f' 'A-F' <<<"$1"; }
# ua VENDOR MAC: the vendor's User-Agent for a phone with that MAC.
ua() {
    case $1 in
        yealink) echo "Yealink SIP-T46U 108.86.0.90 $(colons "$2")" ;;
        polycom) echo "FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 Type/Application" ;;
        cisco) echo "Cisco-CP-8841-3PCC/12.0.1 ($2)" ;;
        grandstream) echo "Grandstream Model HW GXP2135 SW 1.0.7.97 DevId $2" ;;
        snom) echo "Mozilla/4.0 (compatible; snomD785-SIP 10.1.33.33 2010.12-00004-g9ba52f5 $(upper "$2") SXM:0 UXM:0)" ;;
        fanvil) echo "Fanvil X5U-V2 2.12.16.17 $2" ;;
    esac
}
# secret_files VENDOR MAC: its secret-bearing device files.
secret_files() {
    case $1 in
        yealink | fanvil) echo "$2.cfg" ;;
        polycom) echo "$2-settings.cfg $2-directory.xml" ;;
        cisco) echo "$2.xml" ;;
        grandstream) echo "cfg$2.xml" ;;
        snom) echo "snomD785-$(upper "$2").htm" ;;
    esac
}
VENDORS="yealink polycom cisco grandstream snom fanvil"
declare -A KNOWN=([yealink]=$YEALINK [polycom]=$POLYCOM [cisco]=$CISCO [grandstream]=$GRANDSTREAM
                  [snom]=$SNOM [fanvil]=$FANVIL)
# A MAC of the same vendor the store does not know.
declare -A UNKNOWN=([yealink]=001565000001 [polycom]=0004f2000001 [cisco]=00562b000001
                    [grandstream]=000b82000001 [snom]=000413000001 [fanvil]=0c383e000001)

# fetch VENDOR MAC FILE [curl args]: GET from the phone port with the vendor's
# User-Agent for MAC; sets STATUS, BODY; the body in $WORK/got, headers in $WORK/headers.
fetch() {
    local vendor=$1 mac=$2 file=$3; shift 3
    : >"$WORK/got"
    : >"$WORK/headers"
    STATUS=$(curl -s --max-time 10 -o "$WORK/got" -D "$WORK/headers" -w '%{http_code}' -A "$(ua "$vendor" "$mac")" \
        "$@" "http://127.0.0.1:$HTTP_PORT/$file")
    BODY=$(head -c 300 "$WORK/got" | tr -d '\0')
}
# The headers of the last fetch with what changes every time (Date, the nonce) taken out.
stable_headers() { tr -d '\r' <"$WORK/headers" | grep -v '^Date:' | sed 's/nonce="[^"]*"/nonce=N/g'; }
challenges() { tr -d '\r' <"$WORK/headers" | grep -i '^WWW-Authenticate:'; }

# wait_event MAC PATH OUTCOME AUTH [PROTOCOL]: an event of MAC's fetch of
# PATH with that outcome and auth is recorded (polled, events are written in
# the background, at most 5 s).
wait_event() {
    local mac=$1 path=$2 outcome=$3 auth=$4 proto=${5:-http} q
    q="any(.items[]; .path == \"$path\" and .outcome == \"$outcome\" and .auth == \"$auth\" and .protocol == \"$proto\")"
    for _ in $(seq 1 50); do
        api GET "/events?mac=$mac&limit=100"
        [[ $(jq -r "$q" <<<"$BODY" 2>/dev/null) == true ]] && { ok; return; }
        sleep 0.1
    done
    bad "event: $proto $path of $mac should be recorded $outcome with auth '$auth'; have: $(jq -c \
        "[.items[] | select(.path == \"$path\") | [.protocol, .outcome, .auth]]" <<<"$BODY" 2>/dev/null)"
}

# shellcheck disable=SC2046  # store_args is meant to split into -D options
cli() { timeout 20 "$PROVISIONER_BIN" "$@" $(store_args "$DATA"); }

# serve ALLOW: the server with ALLOW as provisioning.allow_networks.
serve() {
    start_server -D provisioning.allow_networks="$1" -D staging.window_grace=10 -D sweep.budget=64 \
        -D certs.dir="$DATA/certs" -D tls.server_names=127.0.0.1 -D uploads.dir="$WORK/uploads"
    HTTPS_PORT=$(jq -r .https "$DATA/ports.json")
    TFTP_PORT=$(jq -r .tftp "$DATA/ports.json")
}

UNTRUSTED=10.0.0.0/8
serve "$UNTRUSTED"
golden_store
ADMIN=$TOKEN
INSTALLER=$(cli token create --role installer --name floor)
VIEWER=$(cli token create --role viewer)
[[ "$INSTALLER" =~ ^prov_ && "$VIEWER" =~ ^prov_ ]] && ok || bad "tokens from the CLI: '$INSTALLER' '$VIEWER'"

# ---------------------------------------------------------------------------
# 1. No proof: a challenge, the same for a known and an unknown MAC.
for v in $VENDORS; do
    known=${KNOWN[$v]} unknown=${UNKNOWN[$v]}
    for f in $(secret_files "$v" "$known"); do
        fetch "$v" "$known" "$f"
        expect_status 401 "$v $f without a proof"
        challenges >"$WORK/ch"
        [[ $(wc -l <"$WORK/ch") == 2 ]] && grep -q '^WWW-Authenticate: Digest .*algorithm=MD5' <(sed -n 1p "$WORK/ch") &&
            grep -q '^WWW-Authenticate: Digest .*algorithm=SHA-256' <(sed -n 2p "$WORK/ch") && ok ||
            bad "$v $f: two Digest challenges, MD5 then SHA-256; got: $(cat "$WORK/ch")"
        grep -q 'Secret' "$WORK/got" && bad "$v $f: a refusal carries a SIP secret" || ok
        cp "$WORK/got" "$WORK/known.body"
        stable_headers >"$WORK/known.headers"
        uf=${f//$known/$unknown}
        uf=${uf//$(upper "$known")/$(upper "$unknown")}
        fetch "$v" "$unknown" "$uf"
        expect_status 401 "$v $uf (unknown MAC) without a proof"
        cmp -s "$WORK/got" "$WORK/known.body" && ok || bad "$v: the body for $uf differs from $f's"
        stable_headers >"$WORK/unknown.headers"
        cmp -s "$WORK/known.headers" "$WORK/unknown.headers" && ok ||
            bad "$v: the headers for $uf differ from $f's: $(diff "$WORK/known.headers" "$WORK/unknown.headers" | tr '\n' ' ')"
        wait_event "$known" "$f" denied none
        wait_event "$unknown" "$uf" denied none
    done
done

# Secret-free device files: served to a known and an unknown MAC alike, the MAC
# the only difference.
for pair in "yealink $YEALINK.boot" "polycom $POLYCOM.cfg"; do
    read -r v f <<<"$pair"
    known=${KNOWN[$v]} unknown=${UNKNOWN[$v]}
    fetch "$v" "$known" "$f"
    expect_status 200 "$v $f (no secrets) to a known MAC"
    cp "$WORK/got" "$WORK/known.body"
    fetch "$v" "$unknown" "${f//$known/$unknown}"
    expect_status 200 "$v ${f//$known/$unknown} (no secrets) to an unknown MAC"
    sed -i "s/$unknown/$known/g; s/$(upper "$unknown")/$(upper "$known")/g" "$WORK/got"
    sed -i "s/$(colons "$unknown")/$(colons "$known")/g" "$WORK/got"
    cmp -s "$WORK/got" "$WORK/known.body" && ok ||
        bad "$v $f: known and unknown differ beyond the MAC: $(diff "$WORK/known.body" "$WORK/got" | head -5 | tr '\n' ' ')"
    grep -q 'Secret\|Adm1nPw' "$WORK/known.body" && bad "$v $f carries a secret" || ok
done

# Uploads: refused alike for a known and an unknown MAC.
put_upload() {
    : >"$WORK/got"
    STATUS=$(curl -s --max-time 10 -o "$WORK/got" -D "$WORK/headers" -w '%{http_code}' -A "$(ua polycom x)" \
        -X PUT --data-binary 'log line' "http://127.0.0.1:$HTTP_PORT/$1")
    BODY=$(head -c 300 "$WORK/got")
}
put_upload "$POLYCOM-app.log"
expect_status 401 "an upload without a proof is refused with a challenge"
cp "$WORK/got" "$WORK/known.body"
stable_headers >"$WORK/known.headers"
put_upload 0004f2000001-app.log
expect_status 401 "an upload for an unknown MAC: the same status as a known one"
[[ -z $(ls -A "$WORK/uploads" 2>/dev/null) ]] && ok || bad "a refused upload stored something: $(ls -R "$WORK/uploads")"
cmp -s "$WORK/got" "$WORK/known.body" && ok || bad "upload refusals: bodies differ"
stable_headers >"$WORK/unknown.headers"
cmp -s "$WORK/known.headers" "$WORK/unknown.headers" && ok ||
    bad "upload refusals: headers differ: $(diff "$WORK/known.headers" "$WORK/unknown.headers" | tr '\n' ' ')"

# TFTP: the secret files are refused with one error for known and unknown
# MACs; the Yealink config (sealed with the device's own key once it has one)
# is 32 KiB no key opens, for a known and an unknown MAC alike.
tftp_get_file() {  # tftp_get_file FILE OUT: curl's TFTP client; 0 on success
    curl -s --max-time 10 -o "$2" "tftp://127.0.0.1:$TFTP_PORT/$1"
}
tftp_get_file "$YEALINK.cfg" "$WORK/sealed.known" && ok || bad "TFTP $YEALINK.cfg without a proof: not served"
tftp_get_file "${UNKNOWN[yealink]}.cfg" "$WORK/sealed.unknown" && ok || bad "TFTP unknown Yealink .cfg: not served"
[[ $(stat -c %s "$WORK/sealed.known") == 32768 && $(stat -c %s "$WORK/sealed.unknown") == 32768 ]] && ok ||
    bad "TFTP Yealink .cfg without a proof: not 32768 bytes for known and unknown"
grep -qa 'Secret\|account\.' "$WORK/sealed.known" && bad "TFTP Yealink .cfg without a proof carries the config" || ok
wait_event "$YEALINK" "$YEALINK.cfg" denied none tftp
TFTP_ERROR=""
for v in $VENDORS; do
    [[ $v == yealink ]] && continue
    known=${KNOWN[$v]} unknown=${UNKNOWN[$v]}
    f=$(secret_files "$v" "$known" | cut -d' ' -f1)
    uf=${f//$known/$unknown}
    uf=${uf//$(upper "$known")/$(upper "$unknown")}
    got_known=$(pp tftp "$TFTP_PORT" "$f")
    got_unknown=$(pp tftp "$TFTP_PORT" "$uf")
    [[ $got_known == error* ]] && ok || bad "TFTP $f without a proof: expected an error, got '$got_known'"
    [[ "$got_known" == "$got_unknown" ]] && ok || bad "TFTP $f and $uf answered differently: '$got_known' / '$got_unknown'"
    [[ -z $TFTP_ERROR || $TFTP_ERROR == "$got_known" ]] && ok || bad "TFTP $f: '$got_known', not '$TFTP_ERROR' as the others"
    TFTP_ERROR=$got_known
    wait_event "$known" "$f" denied none tftp
done
echo "TFTP refusal: $TFTP_ERROR"

# ---------------------------------------------------------------------------
# 2. First contact (a): staging windows.
declare -A FIRST=()  # vendor -> the config the device got at first contact
keep_first() { cp "$WORK/got" "$WORK/first.$1"; FIRST[$1]="$WORK/first.$1"; }

api POST /staging/windows '{"macs":["00:15:65:4a:a9:37","00:56:2b:04:36:15"],"minutes":10,"max_devices":1}' "$ADMIN"
expect_status 201 "an admin opens a window for two devices, room for one"
W1=$(jq -r .id <<<"$BODY")
expect_json .max_devices 1
got=$(pp tftp "$TFTP_PORT" "$CISCO.xml")
[[ "$got" == "$TFTP_ERROR" ]] && ok || bad "a window does not count over TFTP: got '$got'"
fetch yealink "$YEALINK" "$YEALINK.cfg"
expect_status 200 "the window lets the Yealink fetch its config"
grep -q 'Secret1001' "$WORK/got" && ok || bad "the Yealink's config carries its SIP secret"
keep_first yealink
wait_event "$YEALINK" "$YEALINK.cfg" served staging_window
fetch cisco "$CISCO" "$CISCO.xml"
expect_status 401 "max_devices: the second device of a full window"
fetch fanvil "$FANVIL" "$FANVIL.cfg"
expect_status 401 "a device outside every window"
api GET "/staging/windows/$W1"
expect_json .used 1 "the window counts the one device"

# An installer's window covers devices an admin added...
api POST /staging/windows '{"macs":["00:0b:82:8a:a8:72"],"minutes":5}' "$INSTALLER"
expect_status 201 "an installer opens a window for an admin's device"
got=$(pp tftp "$TFTP_PORT" "cfg$GRANDSTREAM.xml")
[[ "$got" == "$TFTP_ERROR" ]] && ok || bad "an installer's window does not count over TFTP: got '$got'"
fetch grandstream "$GRANDSTREAM" "cfg$GRANDSTREAM.xml"
expect_status 200 "the installer's window lets the Grandstream in"
keep_first grandstream
wait_event "$GRANDSTREAM" "cfg$GRANDSTREAM.xml" served staging_window
# ...and not one an installer added; nor does it close an admin's window.
api POST /devices '{"mac":"00:15:65:00:00:aa","make":"Yealink","model":"T46U"}' "$INSTALLER"
expect_status 201 "an installer adds a device"
api POST /staging/windows '{"macs":["00:15:65:00:00:aa"],"minutes":5}' "$INSTALLER"
expect_status 403 "an installer's window for a device an installer added"
api DELETE "/staging/windows/$W1" "" "$INSTALLER"
expect_status 403 "an installer closing an admin's window"
api POST /staging/windows '{"macs":["00:15:65:4a:a9:37"],"minutes":5}' "$VIEWER"
expect_status 403 "a viewer opening a window"

# The CLI opens one in the same store while the server runs.
# shellcheck disable=SC2046
run window open --macs 00:04:f2:aa:bb:01 --minutes 5 $(store_args "$DATA")
expect_rc 0 "provisioner window open"
[[ "$OUT" =~ ^staging\ window\ [0-9]+\ open\ until ]] && ok || bad "window open prints the window: '$OUT'"
W3=$(sed -n 's/^staging window \([0-9]*\) open.*/\1/p' <<<"$OUT")
fetch polycom "$POLYCOM" "$POLYCOM-settings.cfg"
expect_status 200 "the CLI's window lets the Polycom in"
keep_first polycom
# The other file of the same boot, within staging.window_grace.
fetch polycom "$POLYCOM" "$POLYCOM-directory.xml"
expect_status 200 "the Polycom's second file of the same boot"
LAST_WINDOW_USE=$(date +%s)
wait_event "$POLYCOM" "$POLYCOM-settings.cfg" served staging_window
wait_event "$POLYCOM" "$POLYCOM-directory.xml" served staging_window
# shellcheck disable=SC2046
run window list $(store_args "$DATA")
expect_rc 0 "provisioner window list"
grep -Eq "^$W3 +open +1/1 .*00:04:f2:aa:bb:01" <<<"$OUT" && ok || bad "window list shows window $W3 open, 1/1 used: '$OUT'"

# Closed early, a window lets nobody in.
api POST /staging/windows '{"macs":["00:04:13:92:2d:24"],"minutes":5}' "$ADMIN"
expect_status 201
W4=$(jq -r .id <<<"$BODY")
api DELETE "/staging/windows/$W4" "" "$ADMIN"
expect_status 200 "DELETE closes a window"
[[ $(jq -r .closed_at <<<"$BODY") != 0 && $(jq -r .closed_at <<<"$BODY") != null ]] && ok || bad "closed_at is set"
fetch snom "$SNOM" "snomD785-$(upper "$SNOM").htm"
expect_status 401 "a closed window lets nobody in"
api GET "/staging/windows?open=true"
[[ $(jq -r "[.items[].id] | index($W4)" <<<"$BODY") == null ]] && ok || bad "a closed window is not listed as open"
stop_server

# First contact (b): an allowed network.
serve 127.0.0.0/8
for v in cisco snom fanvil; do
    f=$(secret_files "$v" "${KNOWN[$v]}")
    fetch "$v" "${KNOWN[$v]}" "$f"
    expect_status 200 "$v $f from an allowed network"
    keep_first "$v"
    wait_event "${KNOWN[$v]}" "$f" served network
done
stop_server
# First contact (c), a client certificate naming the MAC: https_client_cert_test.sh.

# ---------------------------------------------------------------------------
# 3. Digest with each device's own credentials.
serve "$UNTRUSTED"
# A device keeps a window it used for staging.window_grace (10 s here), for
# the other files of its boot; after that the window is used up for it, and
# the config fetches below must prove themselves.
left=$((LAST_WINDOW_USE + 12 - $(date +%s)))
[[ $left -gt 0 ]] && sleep "$left"
fetch yealink "$YEALINK" "$YEALINK.cfg"
expect_status 401 "the Yealink's window is used up after staging.window_grace"
fetch polycom "$POLYCOM" "$POLYCOM-settings.cfg"
expect_status 401 "the Polycom's window is used up after staging.window_grace"
fetch grandstream "$GRANDSTREAM" "cfg$GRANDSTREAM.xml"
expect_status 401 "the Grandstream's window is used up after staging.window_grace"
declare -A USER=() PASS=() KEY=()
for v in $VENDORS; do
    api GET "/devices/${KNOWN[$v]}/credentials" "" "$ADMIN"
    expect_status 200 "$v credentials"
    USER[$v]=$(jq -r .user <<<"$BODY")
    PASS[$v]=$(jq -r .password <<<"$BODY")
    KEY[$v]=$(jq -r .aes_key <<<"$BODY")
    [[ ${#USER[$v]} -ge 8 && ${#PASS[$v]} -ge 16 ]] && ok || bad "$v: a user and a long password"
done
# unseal FILE KEY: a Yealink config sealed with the device's own key, opened
# with openssl as a phone would (AES-128-ECB, the 16 characters as the key).
unseal() {
    openssl enc -d -aes-128-ecb -nopad -K "$(printf %s "$2" | od -An -tx1 | tr -d ' \n')" -in "$1"
}
# In the vendor's own keys of the config the device got first.
has() { grep -qF -- "$2" "${FIRST[$1]}" && ok || bad "$1's first config lacks '$2'"; }
has yealink "static.auto_provision.server.username = ${USER[yealink]}"
has yealink "static.auto_provision.server.password = ${PASS[yealink]}"
has polycom "device.prov.user=\"${USER[polycom]}\""
has polycom "device.prov.password=\"${PASS[polycom]}\""
has cisco "<Profile_Rule>[--uid ${USER[cisco]} --pwd ${PASS[cisco]}]"
has grandstream "<item name=\"provisioning.config.username\">${USER[grandstream]}</item>"
has grandstream "<item name=\"provisioning.config.password\">${PASS[grandstream]}</item>"
has snom "<http_client_user perm=\"R\">${USER[snom]}</http_client_user>"
has snom "<http_client_pass perm=\"R\">${PASS[snom]}</http_client_pass>"
has fanvil "<DefaultUsername>${USER[fanvil]}</DefaultUsername>"
has fanvil "<DefaultPassword>${PASS[fanvil]}</DefaultPassword>"

NEXT=(polycom cisco grandstream snom fanvil yealink)
i=0
for v in $VENDORS; do
    other=${NEXT[$i]}
    i=$((i + 1))
    for f in $(secret_files "$v" "${KNOWN[$v]}"); do
        fetch "$v" "${KNOWN[$v]}" "$f" --digest -u "${USER[$v]}:${PASS[$v]}"
        expect_status 200 "$v $f with its Digest credentials (SHA-256)"
        if [[ $v == yealink ]]; then
            # The phone fetched with its credentials: its config is sealed now.
            grep -qa "Secret" "$WORK/got" && bad "$v $f went out in the clear over HTTP" || ok
            unseal "$WORK/got" "${KEY[$v]}" >"$WORK/opened" && ok || bad "$v $f: openssl cannot open it"
            grep -q "Secret1001" "$WORK/opened" && ok || bad "$v $f: openssl with the device's key does not give the config"
            n=$(stat -c %s "${FIRST[$v]}")
            cmp -s <(head -c "$n" "$WORK/opened") "${FIRST[$v]}" &&
                [[ -z $(tail -c +$((n + 1)) "$WORK/opened" | grep -v '^#[0-9a-f]*$' | grep -v '^$') ]] &&
                [[ $(( $(stat -c %s "$WORK/opened") % 32768 )) == 0 ]] && ok ||
                bad "$v $f: the sealed config is not the one the device got at first contact, padded with comment lines to 32 KiB"
        elif [[ $f == *directory.xml ]]; then grep -q "<directory>" "$WORK/got" && ok || bad "$v $f: the directory"
        else grep -q "Secret" "$WORK/got" && ok || bad "$v $f with Digest carries the SIP secrets"; fi
        wait_event "${KNOWN[$v]}" "$f" served digest
        fetch "$v" "${KNOWN[$v]}" "$f" --digest -u "${USER[$v]}:${PASS[$v]}x"
        expect_status 401 "$v $f with a wrong password"
        fetch "$v" "${KNOWN[$v]}" "$f" --digest -u "${USER[$other]}:${PASS[$other]}"
        expect_status 401 "$v $f with the $other's credentials"
        STATUS=$(pp digest "$HTTP_PORT" "/$f" "${USER[$v]}" "${PASS[$v]}" MD5 127.0.0.1 127.0.0.1 "$(ua "$v" "${KNOWN[$v]}")")
        expect_status 200 "$v $f with Digest MD5"
        STATUS=$(pp digest "$HTTP_PORT" "/$f" "${USER[$v]}" "${PASS[$v]}x" MD5 127.0.0.1 127.0.0.1 "$(ua "$v" "${KNOWN[$v]}")")
        expect_status 401 "$v $f with Digest MD5 and a wrong password"
    done
done
# Basic only over HTTPS (Snom sends it).
SNOM_FILE="snomD785-$(upper "$SNOM").htm"
fetch snom "$SNOM" "$SNOM_FILE" --basic -u "${USER[snom]}:${PASS[snom]}"
expect_status 401 "Snom: Basic over plain HTTP is refused"
STATUS=$(curl -s -k --max-time 10 -o "$WORK/got" -w '%{http_code}' -A "$(ua snom "$SNOM")" --basic \
    -u "${USER[snom]}:${PASS[snom]}" "https://127.0.0.1:$HTTPS_PORT/$SNOM_FILE")
expect_status 200 "Snom: Basic over HTTPS"
wait_event "$SNOM" "$SNOM_FILE" served digest https
STATUS=$(curl -s -k --max-time 10 -o /dev/null -w '%{http_code}' -A "$(ua snom "$SNOM")" --basic \
    -u "${USER[snom]}:${PASS[snom]}x" "https://127.0.0.1:$HTTPS_PORT/$SNOM_FILE")
expect_status 401 "Snom: Basic over HTTPS with a wrong password"

# ---------------------------------------------------------------------------
# 4. Rotation: a new pair; the old one works until the new one is used.
OLD_USER=${USER[yealink]} OLD_PASS=${PASS[yealink]}
api POST "/devices/$YEALINK/credentials" "" "$ADMIN"
expect_status 201 "rotate the Yealink's credentials"
NEW_USER=$(jq -r .user <<<"$BODY")
NEW_PASS=$(jq -r .password <<<"$BODY")
expect_json .previous_user_valid true
[[ -n "$NEW_USER" && "$NEW_USER" != "$OLD_USER" && "$NEW_PASS" != "$OLD_PASS" ]] && ok || bad "rotation gives a new pair"
fetch yealink "$YEALINK" "$YEALINK.cfg" --digest -u "$OLD_USER:$OLD_PASS"
expect_status 200 "the old pair still works after rotation"
unseal "$WORK/got" "${KEY[yealink]}" >"$WORK/opened" && cp "$WORK/opened" "$WORK/got"
grep -qF "static.auto_provision.server.username = $NEW_USER" "$WORK/got" &&
    grep -qF "static.auto_provision.server.password = $NEW_PASS" "$WORK/got" && ok ||
    bad "the config fetched with the old pair carries the new pair: $(grep auto_provision.server "$WORK/got" | tr '\n' ' ')"
fetch yealink "$YEALINK" "$YEALINK.cfg" --digest -u "$NEW_USER:$NEW_PASS"
expect_status 200 "the new pair works"
fetch yealink "$YEALINK" "$YEALINK.cfg" --digest -u "$OLD_USER:$OLD_PASS"
expect_status 401 "the old pair is refused once the new one was used"
api GET "/devices/$YEALINK/credentials" "" "$ADMIN"
expect_json .previous_user_valid false
expect_json .user "$NEW_USER"
for who in VIEWER INSTALLER; do
    api GET "/devices/$YEALINK/credentials" "" "${!who}"
    expect_status 403 "$who reading credentials"
    [[ "$BODY" != *"$NEW_PASS"* ]] && ok || bad "$who's refusal shows the password"
    api POST "/devices/$YEALINK/credentials" "" "${!who}"
    expect_status 403 "$who rotating credentials"
    api GET "/devices/$YEALINK/preview/$YEALINK.cfg" "" "${!who}"
    expect_status 403 "$who previewing a config with secrets"
done
api GET "/devices/$YEALINK/credentials" "" "$ADMIN"
expect_json .user "$NEW_USER" "a refused rotation changed nothing"

# ---------------------------------------------------------------------------
# 5. Installer binding rules.
api PATCH /extensions/1001 "{\"mac\":\"$(colons "$CISCO")\"}" "$INSTALLER"
expect_status 403 "an installer moves an extension from one phone to another"
expect_json '.error.fields | has("mac")' true "the refusal names mac"
api GET /extensions/1001 "" "$ADMIN"
expect_json .mac "$(colons "$YEALINK")" "the refused move changed nothing"
api POST /extensions '{"extension":"7001","callerid_name":"Spare 1"}' "$ADMIN"
expect_status 201
api POST /extensions '{"extension":"7002","callerid_name":"Spare 2"}' "$ADMIN"
expect_status 201
api POST /extensions '{"extension":"7003","callerid_name":"Spare 3"}' "$ADMIN"
expect_status 201
api POST /devices '{"mac":"00:15:65:00:00:bb","make":"Yealink","model":"T46U"}' "$ADMIN"
expect_status 201
expect_json .state new
api PATCH /extensions/7001 '{"mac":"00:15:65:00:00:bb"}' "$INSTALLER"
expect_status 200 "an installer binds to a new device"
# The unknown Yealink of section 1 was recorded as unassigned.
api GET "/devices/$(colons "${UNKNOWN[yealink]}")" "" "$ADMIN"
expect_json .state unassigned
api PATCH /extensions/7002 "{\"mac\":\"$(colons "${UNKNOWN[yealink]}")\"}" "$INSTALLER"
expect_status 200 "an installer binds to an unassigned device"
api PATCH /extensions/7003 '{"mac":"00:15:65:00:00:cc","phone_make":"Yealink","phone_model":"T46U"}' "$INSTALLER"
expect_status 200 "an installer binds to a MAC not in the store"
api PATCH /extensions/7003 "{\"mac\":\"$(colons "$FANVIL")\"}" "$INSTALLER"
expect_status 403 "an installer moves an extension it just bound"

# ---------------------------------------------------------------------------
# 6. The MAC-sweep guard (sweep.budget=64).
SWEEP=$(pp sweep "$HTTP_PORT" 127.0.0.2 200 30)
echo "sweep from 127.0.0.2: $SWEEP"
TRIES=$(jq -r .tries <<<"$SWEEP")
echo "FIGURE: sweep.budget=64: 127.0.0.2 blocked after $TRIES made-up MACs ($(jq -r .requests <<<"$SWEEP") requests); blocked=$(jq -r .blocked <<<"$SWEEP")"
[[ $(jq -r .blocked <<<"$SWEEP") == true && $TRIES -le 64 ]] && ok || bad "a sweep is blocked within 64 MACs: $SWEEP"
[[ $(jq -r .first.boot <<<"$SWEEP") == 200 && $(jq -r .first.cfg <<<"$SWEEP") == 401 ]] && ok ||
    bad "before the block a made-up MAC's .boot is 200 and .cfg 401: $SWEEP"
grep -q "security: event=sweep_block src=127.0.0.2 seconds=[0-9]* unknown_macs=[0-9]* block=1$" "$DATA/stderr" && ok ||
    bad "the block is logged: $(grep sweep_block "$DATA/stderr")"
# The sweeper fetched TRIES made-up MACs and common files (which name no MAC):
# the guard counts the MACs only.
grep -q "security: event=sweep_block src=127.0.0.2 seconds=[0-9]* unknown_macs=$TRIES block=1$" "$DATA/stderr" && ok ||
    bad "the block counts the $TRIES made-up MACs and no common file: $(grep 'sweep_block src=127.0.0.2' "$DATA/stderr")"
STATUS=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' --interface 127.0.0.2 "http://127.0.0.1:$HTTP_PORT/y000000000000.boot")
expect_status 401 "the blocked source gets a challenge for a common file (no store read)"
fetch yealink "$YEALINK" "$YEALINK.cfg" --interface 127.0.0.2
expect_status 401 "the blocked source without credentials: the same challenge"
# A phone that proves itself still gets through (a nonce from an earlier challenge).
STATUS=$(pp digest "$HTTP_PORT" "/$YEALINK.cfg" "$NEW_USER" "$NEW_PASS" SHA-256 127.0.0.1 127.0.0.2 "$(ua yealink "$YEALINK")")
expect_status 200 "the blocked source with the right Digest credentials"
STATUS=$(pp digest "$HTTP_PORT" "/$YEALINK.cfg" "$NEW_USER" "${NEW_PASS}x" SHA-256 127.0.0.1 127.0.0.2 "$(ua yealink "$YEALINK")")
expect_status 401 "the blocked source with wrong Digest credentials"
STATUS=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' --interface 127.0.0.3 "http://127.0.0.1:$HTTP_PORT/y000000000000.boot")
expect_status 200 "another source is not blocked"

# An honest office NAT: 500 known phones and 20 unknown ones boot from 127.0.0.4.
{
    echo "mac,make,model,label"
    for n in $(seq 1 500); do printf '00:15:65:10:%02x:%02x,Yealink,T46U,NAT\n' $((n / 256)) $((n % 256)); done
} >"$WORK/nat.csv"
# shellcheck disable=SC2034  # STATUS and BODY are read by expect_status and expect_json
STATUS=$(curl -s --max-time 30 -o "$WORK/body" -w '%{http_code}' -H "Authorization: Bearer $ADMIN" \
    -H 'Content-Type: text/csv' --data-binary @"$WORK/nat.csv" "http://127.0.0.1:$ADMIN_PORT/api/v1/imports")
BODY=$(cat "$WORK/body")
expect_status 200 "import 500 devices"
expect_json .devices.created 500
for n in $(seq 1 500); do printf '00156510%02x%02x\n' $((n / 256)) $((n % 256)); done >"$WORK/nat.macs"
NAT=$(pp nat "$HTTP_PORT" 127.0.0.4 "$WORK/nat.macs" 20 40)
echo "honest NAT from 127.0.0.4: $NAT"
NAT_BLOCKED=no
grep -q "event=sweep_block src=127.0.0.4 " "$DATA/stderr" && NAT_BLOCKED=yes
echo "FIGURE: honest NAT 127.0.0.4: $(jq -r .phones <<<"$NAT") known + $(jq -r .unknown <<<"$NAT") unknown phones, $(jq -r .requests <<<"$NAT") requests in $(jq -r .seconds <<<"$NAT") s, 404s on common files: $(jq -r .common_404 <<<"$NAT"), blocked: $NAT_BLOCKED"
[[ $(jq -r .phones <<<"$NAT") == 500 && $(jq -r .unknown <<<"$NAT") == 20 ]] && ok || bad "every phone of the NAT booted: $NAT"
[[ $(jq -r .common_404 <<<"$NAT") == 0 && $(jq -r .final_common <<<"$NAT") == 200 ]] && ok || bad "the NAT is never blocked: $NAT"
[[ $NAT_BLOCKED == no ]] && ok || bad "the server logged a block of the NAT: $(grep 'sweep_block src=127.0.0.4 ' "$DATA/stderr")"
[[ $(jq -r '.statuses["boot:200"]' <<<"$NAT") == 520 && $(jq -r '.statuses["cfg:401"]' <<<"$NAT") == 520 ]] && ok ||
    bad "each NAT phone's .boot is 200 and its .cfg a challenge: $(jq -c .statuses <<<"$NAT")"
stop_server

echo "runtime: $(( $(date +%s) - T0 )) s"
finish

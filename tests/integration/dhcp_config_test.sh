#!/usr/bin/env bash
# The DHCP configurations of deploy/dhcp (ISC dhcpd, Kea, dnsmasq):
#  1. each passes its server's own configuration test (dhcpd -t -cf,
#     kea-dhcp4 -t, dnsmasq --test), and that test refuses a broken copy, so
#     a pass means the file was read;
#  2. each server, run on the file (its interface name aside), offers a
#     Yealink, a Polycom, a Cisco and any other phone on the one VLAN what
#     the README says: 66 the URL for Yealink; 160 and 66 the URL for
#     Polycom; 150 and 66 the address for Cisco; 66 the address for others.
# Part 2 runs the servers and a client (tests/integration/dhcp_client.py) in
# two network namespaces of their own joined by a veth pair: no packet
# leaves them. It needs root and network namespaces; without them it says
# so, and only part 1 runs.

source "$(dirname "$0")/lib.sh"

SRC="${SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
DHCP="$SRC/deploy/dhcp"
CLIENT="$SRC/tests/integration/dhcp_client.py"
for tool in dhcpd kea-dhcp4 dnsmasq python3 ip; do
    command -v "$tool" >/dev/null || { echo "dhcp_config_test needs $tool (deploy/install-deps.sh --test)" >&2; exit 1; }
done

# check NAME EXPECTED_RC COMMAND...: the command's exit status is EXPECTED_RC
# (0 or "non-zero").
check() {
    local name=$1 expected=$2 rc=0
    shift 2
    "$@" >"$WORK/check.out" 2>&1 || rc=$?
    if [[ $expected == 0 && $rc -eq 0 ]] || [[ $expected != 0 && $rc -ne 0 ]]; then
        ok
    else
        bad "$name: exit $rc, expected $expected: $(tail -3 "$WORK/check.out")"
    fi
}

echo "== 1. each server's own configuration test"
check "dhcpd -t deploy/dhcp/dhcpd.conf" 0 dhcpd -t -cf "$DHCP/dhcpd.conf"
check "kea-dhcp4 -t deploy/dhcp/kea-dhcp4.conf" 0 kea-dhcp4 -t "$DHCP/kea-dhcp4.conf"
check "dnsmasq --test deploy/dhcp/dnsmasq.conf" 0 dnsmasq --test --conf-file="$DHCP/dnsmasq.conf"
# The same files with one option misspelt: refused.
sed 's/option tftp-server-name "192.0.2.10";/option tftp-server-nam "192.0.2.10";/' "$DHCP/dhcpd.conf" >"$WORK/bad-dhcpd.conf"
sed 's/"name": "tftp-server-name", "data": "192.0.2.10"/"name": "tftp-server-nam", "data": "192.0.2.10"/' \
    "$DHCP/kea-dhcp4.conf" >"$WORK/bad-kea.conf"
sed 's/^dhcp-vendorclass=set:cisco,Cisco$/dhcp-vendorclas=set:cisco,Cisco/' "$DHCP/dnsmasq.conf" >"$WORK/bad-dnsmasq.conf"
cmp -s "$WORK/bad-dhcpd.conf" "$DHCP/dhcpd.conf" && bad "test bug: bad-dhcpd.conf is not broken"
cmp -s "$WORK/bad-kea.conf" "$DHCP/kea-dhcp4.conf" && bad "test bug: bad-kea.conf is not broken"
cmp -s "$WORK/bad-dnsmasq.conf" "$DHCP/dnsmasq.conf" && bad "test bug: bad-dnsmasq.conf is not broken"
check "dhcpd -t, a misspelt option" non-zero dhcpd -t -cf "$WORK/bad-dhcpd.conf"
check "kea-dhcp4 -t, a misspelt option" non-zero kea-dhcp4 -t "$WORK/bad-kea.conf"
check "dnsmasq --test, a misspelt option" non-zero dnsmasq --test --conf-file="$WORK/bad-dnsmasq.conf"

echo "== 2. what each server offers each vendor's phone"
NS_SRV="prov-dhcp-s$$"
NS_CLI="prov-dhcp-c$$"
IF_SRV="pvs$$"
IF_CLI="pvc$$"
netns_cleanup() {
    local pid
    for pid in $(ip netns pids "$NS_SRV" 2>/dev/null); do kill "$pid" 2>/dev/null; done
    ip netns del "$NS_SRV" 2>/dev/null
    ip netns del "$NS_CLI" 2>/dev/null
    cleanup
}
trap netns_cleanup EXIT

if [[ $(id -u) -ne 0 ]] || ! ip netns add "$NS_SRV" 2>/dev/null; then
    echo "dhcp_config_test: no network namespaces here (needs root): only the configuration tests ran"
    finish
fi
ip netns add "$NS_CLI"
ip link add "$IF_SRV" type veth peer name "$IF_CLI"
ip link set "$IF_SRV" netns "$NS_SRV"
ip link set "$IF_CLI" netns "$NS_CLI"
ip -n "$NS_SRV" addr add 192.0.2.1/24 dev "$IF_SRV"
ip -n "$NS_SRV" link set lo up
ip -n "$NS_SRV" link set "$IF_SRV" up
ip -n "$NS_CLI" link set "$IF_CLI" up
echo "network namespaces $NS_SRV and $NS_CLI, joined by $IF_SRV/$IF_CLI"

# The vendor classes phones send (option 60), as hex. Polycom's is RFC 3925's
# form: its enterprise number 13885, then sub-options (1 "Polycom", 2 the
# model, 3 the part number, 5 the application version).
POLYCOM_VCI=$(python3 -c '
subs = [(1, b"Polycom"), (2, b"VVX-VVX_410"), (3, b"3111-46162-001,7"), (5, b"SIP/6.4.3.5018")]
data = b"".join(bytes([c, len(v)]) + v for c, v in subs)
print((bytes.fromhex("0000363d") + bytes([len(data)]) + data).hex())')
hex() { printf '%s' "$1" | python3 -c 'import sys; print(sys.stdin.buffer.read().hex())'; }
PHONES=(
    "yealink|$(hex yealink)|{\"66\": \"http://192.0.2.10/\"}"
    "polycom|$POLYCOM_VCI|{\"160\": \"http://192.0.2.10/\", \"66\": \"http://192.0.2.10/\"}"
    "cisco|$(hex 'Cisco Systems, Inc. IP Phone CP-8841')|{\"150\": [\"192.0.2.10\"], \"66\": \"192.0.2.10\"}"
    "cisco-mpp|$(hex 'Cisco-CP-8841-3PCC')|{\"150\": [\"192.0.2.10\"], \"66\": \"192.0.2.10\"}"
    "grandstream|$(hex 'Grandstream GXP2170 dslforum.org')|{\"66\": \"192.0.2.10\"}"
    "no vendor class||{\"66\": \"192.0.2.10\"}"
)

# offers SERVER: each phone's DISCOVER against the server running in NS_SRV.
offers() {
    local server=$1 phone name vci want got
    for phone in "${PHONES[@]}"; do
        IFS='|' read -r name vci want <<<"$phone"
        got=$(ip netns exec "$NS_CLI" python3 "$CLIENT" "$IF_CLI" "$vci" 00:15:65:00:00:01 2>&1)
        if [[ "$got" == "$want" ]]; then ok; else bad "$server, $name: offered $got, expected $want"; fi
    done
}

# wait_listening SERVER LOG: until the server's log says it listens (5 s at most).
wait_listening() {
    local server=$1 log=$2 pattern=$3
    for _ in $(seq 1 50); do
        grep -q "$pattern" "$log" 2>/dev/null && return 0
        sleep 0.1
    done
    bad "$server did not start: $(tail -5 "$log")"
    return 1
}

stop_servers() {
    local pid
    for pid in $(ip netns pids "$NS_SRV"); do kill "$pid" 2>/dev/null; done
    for _ in $(seq 1 50); do
        [[ -z "$(ip netns pids "$NS_SRV")" ]] && return
        sleep 0.1
    done
}

# ISC dhcpd: the file as it is, the interface on the command line.
: >"$WORK/dhcpd.leases"
ip netns exec "$NS_SRV" dhcpd -f -4 -cf "$DHCP/dhcpd.conf" -lf "$WORK/dhcpd.leases" -pf "$WORK/dhcpd.pid" \
    "$IF_SRV" >"$WORK/dhcpd.log" 2>&1 &
wait_listening dhcpd "$WORK/dhcpd.log" "Listening on LPF/$IF_SRV" && offers dhcpd
stop_servers

# Kea: the file with this interface, leases kept in memory, its pid and
# lock files here.
sed -e "s/\"eth0\"/\"$IF_SRV\"/" -e 's/"type": "memfile", "lfc-interval": 3600/"type": "memfile", "persist": false/' \
    "$DHCP/kea-dhcp4.conf" >"$WORK/kea-dhcp4.conf"
KEA_PIDFILE_DIR=$WORK KEA_LOCKFILE_DIR=$WORK ip netns exec "$NS_SRV" kea-dhcp4 -c "$WORK/kea-dhcp4.conf" \
    >"$WORK/kea.log" 2>&1 &
wait_listening kea-dhcp4 "$WORK/kea.log" "DHCP4_STARTED" && offers kea-dhcp4
stop_servers

# dnsmasq: the file with this interface, its lease file here.
sed "s/^interface=eth0$/interface=$IF_SRV/" "$DHCP/dnsmasq.conf" >"$WORK/dnsmasq.conf"
ip netns exec "$NS_SRV" dnsmasq --no-daemon --log-dhcp --conf-file="$WORK/dnsmasq.conf" \
    --dhcp-leasefile="$WORK/dnsmasq.leases" --pid-file="$WORK/dnsmasq.pid" >"$WORK/dnsmasq.log" 2>&1 &
wait_listening dnsmasq "$WORK/dnsmasq.log" "DHCP, IP range" && offers dnsmasq
stop_servers

finish

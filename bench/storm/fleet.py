#!/usr/bin/env python3
"""A fleet of simulated phones for bench/storm (see storm.cpp for the phones file).

  fleet.py make N DIR [--new-share 0.1]
      DIR/inventory.csv   for `provisioner import`: one extension per phone
      DIR/fleet.tsv       mac, vendor, protocol, source, new, User-Agent, files
      DIR/dryrun.tsv      a phones file: every provisioned HTTP(S) phone once from
                          127.9.0.0/16 (the installers' bench network, allowed),
                          so that each gets its first config and credentials
  fleet.py arm DIR ADMIN_PORT TOKEN
      sets the settings, opens a staging window for each site of new phones and
      writes DIR/phones.tsv with each provisioned phone's Digest credentials
      (GET /devices/MAC/credentials, over one keep-alive connection).

Six vendors in turn, each with the boot sequence of
tests/integration/provisioning_http_test.sh and a User-Agent of
tests/data/user_agents.tsv; 70% HTTP, 20% HTTPS, 10% TFTP, evenly over each
vendor's phones.
Each phone has its own source address: HTTP phones in 127.1.0.0/16, HTTPS in
127.2.0.0/16, TFTP in 127.3.0.0/16 (an allowed network: TFTP carries no
Digest). A share of the HTTP(S) phones is new: in the store under a site
"storm-new-K" (at most 1000 a site, a window's limit), never fetched.
"""
import http.client
import json
import sys


def colons(mac):
    return ":".join(mac[i:i + 2] for i in range(0, 12, 2))


# vendor: OUI, make, model, User-Agent, files ({mac} lower case, {MAC} upper).
VENDORS = [
    ("yealink", "001565", "Yealink", "T46U", "Yealink SIP-T46U 108.86.0.90 {colons}",
     ["{mac}.boot", "y000000000108.cfg", "{mac}.cfg"]),
    ("polycom", "0004f2", "Polycom", "VVX_400", "FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 Type/Application",
     ["000000000000.cfg", "{mac}.cfg", "{mac}-settings.cfg", "{mac}-directory.xml"]),
    ("cisco", "00562b", "Cisco", "8841", "Cisco-CP-8841-3PCC/12.0.1 ({mac})",
     ["8841.xml", "8841-3PCC.xml", "{mac}.xml"]),
    ("grandstream", "000b82", "Grandstream", "GXP2135", "Grandstream Model HW GXP2135 SW 1.0.7.97 DevId {mac}",
     ["cfg{mac}.xml", "cfggxp2135.xml", "cfg.xml"]),
    ("snom", "000413", "Snom", "D785",
     "Mozilla/4.0 (compatible; snomD785-SIP 10.1.33.33 2010.12-00004-g9ba52f5 {MAC} SXM:0 UXM:0)",
     ["snomD785.htm", "snomD785-{MAC}.htm"]),
    ("fanvil", "0c383e", "Fanvil", "X5U-V2", "Fanvil X5U-V2 2.12.16.17 {mac}",
     ["F0V5UV200000.cfg", "{mac}.cfg"]),
]
PROTOCOL_NET = {"http": 1, "https": 2, "tftp": 3}
WINDOW_MAX = 1000


def address(net, k):
    return f"127.{net}.{k // 254}.{k % 254 + 1}"


def make(n, out, new_share):
    if not 1 <= n <= 72000:
        sys.exit("fleet.py: N is 1 to 72000 (each protocol's phones, and the dry run's, get addresses in one /16)")
    if not 0 <= new_share <= 1:
        sys.exit("fleet.py: --new-share is 0 to 1")
    web = 0  # HTTP(S) phones so far
    used = {p: 0 for p in PROTOCOL_NET}
    new_count = 0
    dry_k = 0
    with open(f"{out}/inventory.csv", "w") as inv, open(f"{out}/fleet.tsv", "w") as fleet, \
            open(f"{out}/dryrun.tsv", "w") as dry:
        inv.write("mac,make,model,label,extension,callerid_name\r\n")
        for i in range(n):
            vendor, oui, make_, model, ua, files = VENDORS[i % len(VENDORS)]
            mac = f"{oui}{0x100000 + i // len(VENDORS):06x}"
            # Exact shares, spread evenly over each vendor's phones.
            slot = (i // len(VENDORS) + 3 * (i % len(VENDORS))) % 10
            proto = "http" if slot < 7 else "https" if slot < 9 else "tftp"
            new = proto != "tftp" and int((web + 1) * new_share) > int(web * new_share)
            web += proto != "tftp"
            label = f"storm-new-{new_count // WINDOW_MAX}" if new else "storm"
            new_count += new
            src = address(PROTOCOL_NET[proto], used[proto])
            used[proto] += 1
            fmt = {"mac": mac, "MAC": mac.upper(), "colons": colons(mac)}
            names = " ".join(f.format(**fmt) for f in files)
            agent = ua.format(**fmt)
            inv.write(f"{colons(mac)},{make_},{model},{label},{200000 + i},Phone {i}\r\n")
            fleet.write(f"{mac}\t{vendor}\t{proto}\t{src}\t{int(new)}\t{agent}\t{names}\n")
            if proto != "tftp" and not new:
                dry.write(f"http\t{address(9, dry_k)}\t{agent}\t-\t-\t{names}\n")
                dry_k += 1
    print(f"fleet: {n} phones ({used['http']} HTTP, {used['https']} HTTPS, {used['tftp']} TFTP), {new_count} new")


def arm(out, port, token):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    head = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(method, path, body=None):
        conn.request(method, "/api/v1" + path, body=json.dumps(body) if body is not None else None, headers=head)
        r = conn.getresponse()
        data = r.read()
        if r.status >= 300:
            sys.exit(f"fleet.py: {method} {path}: {r.status} {data[:300]!r}")
        return json.loads(data) if data else None

    rows = [line.rstrip("\n").split("\t") for line in open(f"{out}/fleet.tsv")]
    call("PUT", "/settings", {"sip_server": "pbx.example.net", "provisioning_url": "http://prov.example.net/"})
    # make() gave the new phones sites of WINDOW_MAX in file order: one window each.
    sites = {}
    new_macs = [r for r in rows if r[4] == "1"]
    for k in range(0, len(new_macs), WINDOW_MAX):
        label = f"storm-new-{k // WINDOW_MAX}"
        sites[label] = len(new_macs[k:k + WINDOW_MAX])
    for label, count in sites.items():
        call("POST", "/staging/windows", {"label": label, "minutes": 60, "max_devices": count})
    with open(f"{out}/phones.tsv", "w") as phones:
        for mac, vendor, proto, src, new, agent, names in rows:
            user = password = "-"
            if proto != "tftp" and new == "0":
                c = call("GET", f"/devices/{mac}/credentials")
                user, password = c["user"], c["password"]
            phones.write(f"{proto}\t{src}\t{agent}\t{user}\t{password}\t{names}\n")
    print(f"armed: {len(sites)} staging window(s) for {len(new_macs)} new phones, "
          f"credentials of {sum(1 for r in rows if r[2] != 'tftp' and r[4] == '0')} provisioned HTTP(S) phones")


def main():
    a = sys.argv[1:]
    if len(a) >= 3 and a[0] == "make":
        opts = dict(zip(a[3::2], a[4::2]))
        make(int(a[1]), a[2], float(opts.get("--new-share", 0.1)))
    elif len(a) == 4 and a[0] == "arm":
        arm(a[1], int(a[2]), a[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""One DHCPDISCOVER as a phone sends it, and the options of the first OFFER.

    dhcp_client.py IFACE VENDOR_CLASS_HEX MAC

Broadcast from port 68 on IFACE (which has no address), with option 60 =
the bytes of VENDOR_CLASS_HEX (empty: none), asking (option 55) for 66, 150
and 160 among the usual ones. Prints the OFFER's options as JSON
{"66": "text", "150": ["a.b.c.d", ...], "160": "text", ...} (only those
three, absent when not offered); exit 1 with a line when no OFFER comes
within 5 s.
"""
import json
import os
import random
import socket
import struct
import sys
import time

SO_BINDTODEVICE = 25


def discover(xid, mac, vendor_class):
    head = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, xid, 0, 0x8000,
                       bytes(4), bytes(4), bytes(4), bytes(4), mac.ljust(16, b"\0"), bytes(64), bytes(128))
    opts = bytes([53, 1, 1])
    opts += bytes([55, 7, 1, 3, 6, 42, 66, 150, 160])
    if vendor_class:
        opts += bytes([60, len(vendor_class)]) + vendor_class
    opts += bytes([255])
    return head + b"\x63\x82\x53\x63" + opts


def options(packet):
    out = {}
    i = 240
    while i < len(packet):
        code = packet[i]
        if code == 255:
            break
        if code == 0:
            i += 1
            continue
        length = packet[i + 1]
        out[code] = packet[i + 2:i + 2 + length]
        i += 2 + length
    return out


def main():
    iface, vendor_hex, mac_text = sys.argv[1], sys.argv[2], sys.argv[3]
    mac = bytes.fromhex(mac_text.replace(":", ""))
    xid = random.getrandbits(32)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, iface.encode())
    s.bind(("0.0.0.0", 68))
    deadline = time.monotonic() + 5
    packet = discover(xid, mac, bytes.fromhex(vendor_hex))
    next_send = 0.0
    while time.monotonic() < deadline:  # bounded: 5 s, a DISCOVER a second
        now = time.monotonic()
        if now >= next_send:
            s.sendto(packet, ("255.255.255.255", 67))
            next_send = now + 1
        s.settimeout(max(0.05, min(next_send, deadline) - time.monotonic()))
        try:
            reply = s.recv(4096)
        except socket.timeout:
            continue
        if len(reply) < 240 or reply[0] != 2 or struct.unpack("!I", reply[4:8])[0] != xid:
            continue
        got = options(reply)
        if got.get(53) != b"\x02":
            continue
        result = {}
        for code in (66, 160):
            if code in got:
                result[str(code)] = got[code].rstrip(b"\0").decode()
        if 150 in got:
            raw = got[150]
            result["150"] = [socket.inet_ntoa(raw[j:j + 4]) for j in range(0, len(raw), 4)]
        print(json.dumps(result, sort_keys=True))
        return 0
    print("no DHCPOFFER within 5 s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())

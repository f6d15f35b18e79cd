# Checks frames with scapy, an independent parser: stdin has one frame a
# line (hex); for each, every length and checksum field scapy knows (IPv4
# total length and checksum, IPv6 payload length, UDP length and checksum
# unless 0, TCP checksum, GRE checksum when present) is deleted and the
# frame rebuilt: it must come out byte for byte the same. Prints "ok" or
# what differs, one line per frame.
import sys
import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import Ether, IP, IPv6, UDP, TCP, GRE, NoPayload, VXLAN, bind_layers

bind_layers(UDP, VXLAN, dport=4789)

for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    raw = bytes.fromhex(line)
    q = Ether(raw)
    names = []
    l = q
    while not isinstance(l, NoPayload):
        names.append(l.name)
        if isinstance(l, IP):
            del l.chksum
            del l.len
        elif isinstance(l, IPv6):
            del l.plen
        elif isinstance(l, UDP):
            del l.len
            if l.chksum != 0:
                del l.chksum
        elif isinstance(l, TCP):
            del l.chksum
        elif isinstance(l, GRE) and l.chksum_present:
            del l.chksum
        l = l.payload
    out = bytes(Ether(bytes(q)))
    if out == raw:
        print("ok " + "/".join(names))
    else:
        at = next((i for i in range(min(len(out), len(raw))) if out[i] != raw[i]), min(len(out), len(raw)))
        print("differs at byte %d (%s): %s" % (at, "/".join(names), out[max(0, at - 4):at + 8].hex()))

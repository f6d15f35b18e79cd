# Reassembly and fragmentation by scapy, the peer of ipfrag's tests. One
# run serves a whole test (scapy takes a second or two to start).
#
#   defrag: stdin holds groups of fragments, one a line as "4 HEX" or
#   "6 HEX" (from the IP header), groups ended by an empty line; for each
#   group print the datagram scapy reassembles (hex), or "none".
#   frag FAM:SIZE:FRAGSIZE...: for each spec print the whole UDP datagram
#   scapy builds, then the fragments it cuts it into, all hex, one a line,
#   and an empty line.
import sys
import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import IP, IPv6, UDP, Raw, IPv6ExtHdrFragment, defragment, defragment6, fragment, fragment6


def payload(n):
    return bytes((i * 7 + (i >> 8)) & 0xff for i in range(n))


def defrag(group):
    if group[0][0] == "4":
        whole = [p for p in defragment([IP(bytes.fromhex(h)) for _, h in group]) if not (p.flags.MF or p.frag)]
        return bytes(whole[0]).hex() if len(whole) == 1 else "none"
    p = defragment6([IPv6(bytes.fromhex(h)) for _, h in group])
    return bytes(p).hex() if p is not None else "none"


def main():
    if sys.argv[1] == "defrag":
        group = []
        for line in sys.stdin:
            line = line.strip()
            if line:
                group.append(line.split())
            elif group:
                print(defrag(group))
                group = []
        if group:
            print(defrag(group))
        return
    for spec in sys.argv[2:]:
        fam, size, fs = (int(x) for x in spec.split(":"))
        if fam == 4:
            p = IP(bytes(IP(src="192.0.2.7", dst="192.0.2.8", id=4242) / UDP(sport=5, dport=6) / Raw(payload(size))))
            frags = fragment(p, fragsize=fs)
        else:
            p = IPv6(bytes(IPv6(src="2001:db8::7", dst="2001:db8::8") / UDP(sport=5, dport=6) / Raw(payload(size))))
            f = IPv6(src="2001:db8::7", dst="2001:db8::8") / IPv6ExtHdrFragment(id=77) / UDP(sport=5, dport=6) / Raw(payload(size))
            frags = fragment6(f, fs)
        print(bytes(p).hex())
        for f in frags:
            print(bytes(f).hex())
        print()


main()

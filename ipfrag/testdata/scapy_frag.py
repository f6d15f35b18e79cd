# Reassembly and fragmentation by scapy, the peer of ipfrag's tests.
#
#   defrag4 / defrag6: stdin has one fragment a line (hex, starting at the
#   IP header); print the datagrams scapy reassembles from them, hex, one a
#   line.
#   frag4 SIZE FRAGSIZE / frag6 SIZE FRAGSIZE: print the whole UDP datagram
#   scapy builds (first line) and the fragments it cuts it into (one a
#   line), all hex, from the IP header.
import sys
import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import IP, IPv6, UDP, Raw, IPv6ExtHdrFragment, defragment, defragment6, fragment, fragment6


def payload(n):
    return bytes((i * 7 + (i >> 8)) & 0xff for i in range(n))


def main():
    cmd = sys.argv[1]
    if cmd == "defrag4":
        frags = [IP(bytes.fromhex(l.strip())) for l in sys.stdin if l.strip()]
        for p in defragment(frags):
            if p.flags.MF or p.frag:
                continue
            print(bytes(p).hex())
    elif cmd == "defrag6":
        frags = [IPv6(bytes.fromhex(l.strip())) for l in sys.stdin if l.strip()]
        p = defragment6(frags)
        print(bytes(p).hex())
    elif cmd == "frag4":
        size, fs = int(sys.argv[2]), int(sys.argv[3])
        p = IP(src="192.0.2.7", dst="192.0.2.8", id=4242) / UDP(sport=5, dport=6) / Raw(payload(size))
        p = IP(bytes(p))
        print(bytes(p).hex())
        for f in fragment(p, fragsize=fs):
            print(bytes(f).hex())
    elif cmd == "frag6":
        size, fs = int(sys.argv[2]), int(sys.argv[3])
        p = IPv6(src="2001:db8::7", dst="2001:db8::8") / IPv6ExtHdrFragment(id=77) / UDP(sport=5, dport=6) / Raw(payload(size))
        whole = IPv6(src="2001:db8::7", dst="2001:db8::8") / UDP(sport=5, dport=6) / Raw(payload(size))
        print(bytes(IPv6(bytes(whole))).hex())
        for f in fragment6(p, fs):
            print(bytes(f).hex())


main()

#!/usr/bin/python3
"""Packets built by scapy, with what scapy dissects in them.

Usage: scapy_cases.py            JSON list of {name, hex, ptype, lens, fields, csum}
       scapy_cases.py FILE.pcap  JSON list of describe() of each packet in FILE

Used by proto's TestScapyParse (dpkit must parse every packet here to the
same packet type, lengths, fields and checksum verdicts) and
TestBuiltPacketsScapy (scapy must see dpkit-built packets as dpkit meant).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scapy_lib import *  # noqa: E402,F401,F403
from scapy.all import (IPOption_RR, IPOption_Router_Alert, RouterAlert, PadN,  # noqa: E402
                       fragment, rdpcap, ICMPv6EchoRequest)
from scapy.layers.sctp import SCTPChunkData, SCTPChunkInit  # noqa: E402

M1, M2 = "02:00:00:00:00:01", "02:00:00:00:00:02"
A4, B4 = "192.0.2.1", "198.51.100.7"
A6, B6 = "2001:db8::1", "2001:db8:ffff::2"


def eth(vlans=0):
    e = Ether(src=M1, dst=M2)
    if vlans == 1:
        e = e / Dot1Q(vlan=100, prio=5)
    elif vlans == 2:
        e = e / Dot1AD(vlan=10) / Dot1Q(vlan=20)
    return e


def l3(v6, **kw):
    if v6:
        return IPv6(src=A6, dst=B6, hlim=kw.get("ttl", 61), fl=0x12345, tc=0x28)
    return IP(src=A4, dst=B4, ttl=kw.get("ttl", 61), id=kw.get("id", 4242), tos=0x10)


def l4(kind, v6):
    pl = Raw(b"dpkit-scapy" * 3)
    if kind == "tcp":
        return TCP(sport=40000, dport=443, seq=0x01020304, ack=0x0a0b0c0d, flags="PA", window=1234,
                   options=[("MSS", 1460), ("NOP", None), ("WScale", 7), ("SAckOK", b""),
                            ("Timestamp", (1, 2))]) / pl
    if kind == "udp":
        return UDP(sport=5353, dport=9999) / pl
    if kind == "sctp":
        return SCTP(sport=2905, dport=2906, tag=0xdeadbeef) / SCTPChunkData(data=b"hello sctp")
    if kind == "icmp":
        if v6:
            return ICMPv6EchoRequest(id=77, seq=3, data=b"ping6")
        return ICMP(type=8, id=77, seq=3) / Raw(b"ping")
    raise ValueError(kind)


def cases():
    c = []

    def add(name, p):
        c.append((name, bytes(p)))

    # The matrix: outer L2 x outer L3 x tunnel x inner L3 x inner L4.
    tunnels = ["none", "ipip", "gre", "nvgre", "vxlan", "gpe", "geneve", "geneve-eth"]
    for vl in (0, 1, 2):
        for v6 in (False, True):
            for tun in tunnels:
                for iv6 in (False, True):
                    for k in ("tcp", "udp", "sctp", "icmp"):
                        if tun == "none" and iv6:
                            continue
                        name = "vlan%d-%s-%s-%s-%s" % (vl, "v6" if v6 else "v4", tun,
                                                       "v6" if iv6 else "v4", k)
                        if tun == "none":
                            add(name, eth(vl) / l3(v6) / l4(k, v6))
                            continue
                        inner = l3(iv6, ttl=9, id=77) / l4(k, iv6)
                        ie = Ether(src="02:aa:00:00:00:01", dst="02:aa:00:00:00:02")
                        if tun == "ipip":
                            t = inner
                        elif tun == "gre":
                            t = GRE(proto=0x86dd if iv6 else 0x0800) / inner
                        elif tun == "nvgre":
                            t = GRE(key_present=1, key=(0x123456 << 8) | 0x9a, proto=0x6558) / ie / inner
                        elif tun == "vxlan":
                            t = UDP(sport=49152, dport=4789) / VXLAN(vni=0xabcdef) / ie / inner
                        elif tun == "gpe":
                            t = UDP(sport=49152, dport=4790) / VXLAN(flags=0x0c, NextProtocol=2 if iv6 else 1, vni=31) / inner
                        elif tun == "geneve":
                            t = UDP(sport=49152, dport=6081) / GENEVE(vni=4097, proto=0x86dd if iv6 else 0x0800) / inner
                        else:
                            t = UDP(sport=49152, dport=6081) / GENEVE(vni=4098, proto=0x6558, optionlen=2,
                                                                    options=b"\x01\x02\x03\x01abcd") / ie / inner
                        add(name, eth(vl) / l3(v6) / t)

    # IPv4 options, ARP, MPLS, ESP.
    add("ipv4-options-udp", eth() / IP(src=A4, dst=B4, options=[IPOption_RR(routers=["10.0.0.1"]), IPOption_Router_Alert()]) / l4("udp", False))
    add("ipv4-df-tcp", eth() / IP(src=A4, dst=B4, flags="DF") / l4("tcp", False))
    add("arp-request", eth() / ARP(op=1, hwsrc=M1, psrc=A4, pdst=B4))
    add("arp-reply", Ether(src=M2, dst=M1) / ARP(op=2, hwsrc=M2, psrc=B4, hwdst=M1, pdst=A4))
    add("mpls2-ipv4", eth() / MPLS(label=100, s=0, ttl=5) / MPLS(label=200, s=1, ttl=6) / l3(False) / l4("udp", False))
    add("esp-v4", eth() / l3(False) / ESP(spi=0x1001, seq=7, data=b"\x00" * 24))
    add("esp-v6", eth() / l3(True) / ESP(spi=0x1002, seq=8, data=b"\x00" * 24))
    add("gre-key-seq-csum", eth() / l3(False) / GRE(chksum_present=1, key_present=1, seqnum_present=1, key=5, sequence_number=9, proto=0x0800) / l3(False, ttl=3) / l4("udp", False))
    add("gre-csum-bad", eth() / l3(False) / GRE(chksum_present=1, chksum=0x4321, proto=0x0800) / l3(False, ttl=3) / l4("udp", False))
    add("gpe-ethernet", eth() / l3(False) / UDP(sport=1, dport=4790) / VXLAN(flags=0x0c, NextProtocol=3, vni=9) / Ether(src=M1, dst=M2) / l3(True) / l4("udp", True))
    add("gpe-ethernet-v6", eth(1) / l3(True) / UDP(sport=1, dport=4790) / VXLAN(flags=0x0c, NextProtocol=3, vni=9) / Ether(src=M1, dst=M2) / Dot1Q(vlan=3) / l3(False) / l4("sctp", False))
    add("vxlan-inner-vlan", eth() / l3(False) / UDP(sport=1, dport=4789) / VXLAN(vni=1) / Ether(src=M1, dst=M2) / Dot1Q(vlan=7) / l3(False) / l4("tcp", False))
    add("vxlan-inner-qinq", eth() / l3(True) / UDP(sport=1, dport=4789) / VXLAN(vni=1) / Ether(src=M1, dst=M2) / Dot1AD(vlan=7) / Dot1Q(vlan=8) / l3(True) / l4("udp", True))

    # IPv6 extension headers, ICMPv6 neighbour discovery.
    ra = IPv6ExtHdrHopByHop(options=[RouterAlert(value=0), PadN(optdata=b"")])
    add("ipv6-hbh-udp", eth() / IPv6(src=A6, dst=B6) / ra / l4("udp", True))
    add("ipv6-hbh-dst-rt-tcp", eth() / IPv6(src=A6, dst=B6) / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() / IPv6ExtHdrRouting(addresses=["2001:db8::9", "2001:db8::a"]) / l4("tcp", True))
    add("ipv6-dstopts-sctp", eth() / IPv6(src=A6, dst=B6) / IPv6ExtHdrDestOpt() / l4("sctp", True))
    add("ipv6-atomic-frag-udp", eth() / IPv6(src=A6, dst=B6) / IPv6ExtHdrFragment(id=0x1234, offset=0, m=0) / l4("udp", True))
    add("ipv6-frag-first", eth() / IPv6(src=A6, dst=B6) / IPv6ExtHdrFragment(id=0x5678, offset=0, m=1, nh=17) / Raw(b"\x11" * 48))
    add("ipv6-frag-later", eth() / IPv6(src=A6, dst=B6) / IPv6ExtHdrHopByHop() / IPv6ExtHdrFragment(id=0x5678, offset=6, m=0, nh=17) / Raw(b"\x22" * 16))
    add("icmpv6-ns", eth() / IPv6(src=A6, dst="ff02::1:ff00:2", hlim=255) / ICMPv6ND_NS(tgt=B6) / ICMPv6NDOptSrcLLAddr(lladdr=M1))
    add("icmpv6-na", eth() / IPv6(src=B6, dst=A6, hlim=255) / ICMPv6ND_NA(tgt=B6, R=0, S=1, O=1) / ICMPv6NDOptDstLLAddr(lladdr=M2))
    add("icmpv6-echo-reply", eth() / IPv6(src=B6, dst=A6) / ICMPv6EchoReply(id=1, seq=2, data=b"pong"))

    # IPv4 fragments (scapy's fragment()), in and outside a tunnel.
    big = IP(src=A4, dst=B4, id=999) / UDP(sport=7, dport=7) / Raw(b"F" * 100)
    for k, fr in enumerate(fragment(big, fragsize=48)):
        add("ipv4-frag-%d" % k, eth() / fr)
    for k, fr in enumerate(fragment(big, fragsize=48)[:2]):
        add("vxlan-inner-frag-%d" % k, eth() / l3(False) / UDP(sport=1, dport=4789) / VXLAN(vni=3) / Ether(src=M1, dst=M2) / fr)

    # Bad checksums, outer and inner.
    add("bad-ip-tcp", eth() / IP(src=A4, dst=B4, chksum=0x1234) / TCP(sport=1, dport=2, chksum=0xbeef))
    add("bad-udp4", eth() / l3(False) / UDP(sport=1, dport=2, chksum=0x0101) / Raw(b"x"))
    add("nocsum-udp4", eth() / l3(False) / UDP(sport=1, dport=2, chksum=0) / Raw(b"x"))
    add("bad-udp6", eth() / l3(True) / UDP(sport=1, dport=2, chksum=0x0101) / Raw(b"xyz"))
    add("bad-tcp6", eth() / l3(True) / TCP(sport=1, dport=2, chksum=0x0101) / Raw(b"xyz"))
    add("bad-sctp", eth() / l3(False) / SCTP(sport=1, dport=2, chksum=1) / SCTPChunkInit())
    add("bad-icmp", eth() / l3(False) / ICMP(chksum=7))
    add("bad-icmp6", eth() / l3(True) / ICMPv6EchoRequest(cksum=7))
    add("bad-inner-tcp-vxlan", eth() / l3(False) / UDP(sport=1, dport=4789) / VXLAN(vni=3) / Ether(src=M1, dst=M2) / IP(src=A4, dst=B4, chksum=1) / TCP(chksum=2))
    # Odd lengths (a checksum over an odd number of bytes).
    for n in (1, 2, 3, 7, 63, 64, 65, 1001):
        add("odd-udp4-%d" % n, eth() / l3(False) / UDP(sport=3, dport=4) / Raw((bytes(range(256)) * 4)[:n]))
        add("odd-tcp6-%d" % n, eth() / l3(True) / TCP(sport=3, dport=4) / Raw((b"\xfe\x01" * 600)[:n]))
    return c


def main():
    out = []
    if len(sys.argv) > 1:
        for p in rdpcap(sys.argv[1]):
            out.append(describe(bytes(p)))
    else:
        for name, raw in cases():
            d = describe(raw)
            d["name"] = name
            d["hex"] = raw.hex()
            out.append(d)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()

"""What scapy sees in a packet, in the shape dpkit's proto tests compare.

describe(raw) dissects raw bytes with scapy (Ether first) and returns a
dict with
  ptype:  the DPDK packet type name (rte_get_ptype_name style) derived from
          the layers scapy found, following the rules of proto.GetPtype;
  lens:   [l2, l3, l4, tunnel, inner_l2, inner_l3, inner_l4] header
          lengths computed from scapy's dissected length fields;
  fields: "layer.field" -> string, from scapy's dissection (inner-packet
          keys are prefixed "in.");
  csum:   "layer" -> bool, whether the checksum scapy finds equals the one
          scapy computes when the field is deleted and the packet rebuilt.
"""
from scapy.all import (Ether, Dot1Q, Dot1AD, ARP, IP, IPv6, TCP, UDP, ICMP, GRE,
                       IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, IPv6ExtHdrFragment,
                       IPv6ExtHdrDestOpt, ICMPv6EchoRequest, ICMPv6EchoReply,
                       ICMPv6ND_NS, ICMPv6ND_NA, ICMPv6NDOptSrcLLAddr,
                       ICMPv6NDOptDstLLAddr, Padding, Raw, NoPayload, bind_layers,
                       conf)
from scapy.layers.vxlan import VXLAN
from scapy.layers.sctp import SCTP
from scapy.layers.ipsec import ESP
from scapy.contrib.geneve import GENEVE
from scapy.contrib.mpls import MPLS

conf.verb = 0
bind_layers(UDP, GENEVE, dport=6081)

ICMP6_TYPES = (ICMPv6EchoRequest, ICMPv6EchoReply, ICMPv6ND_NS, ICMPv6ND_NA)
V6EXT = (IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, IPv6ExtHdrDestOpt)


def layers(pkt):
    out = []
    l = pkt
    while l is not None and not isinstance(l, NoPayload):
        if isinstance(l, (Raw, Padding)):
            break
        out.append(l)
        l = l.payload
    return out


def hdrlen(l):
    if isinstance(l, Ether):
        return 14
    if isinstance(l, (Dot1Q, Dot1AD)):
        return 4
    if isinstance(l, IP):
        return l.ihl * 4
    if isinstance(l, IPv6):
        return 40
    if isinstance(l, V6EXT):
        return (l.len + 1) * 8
    if isinstance(l, IPv6ExtHdrFragment):
        return 8
    if isinstance(l, TCP):
        return l.dataofs * 4
    if isinstance(l, UDP):
        return 8
    if isinstance(l, SCTP):
        return 12
    if isinstance(l, (VXLAN,)):
        return 8
    if isinstance(l, GENEVE):
        return 8 + l.optionlen * 4
    if isinstance(l, GRE):
        n = 4
        if l.chksum_present or l.routing_present:
            n += 4
        if l.key_present:
            n += 4
        if l.seqnum_present:
            n += 4
        return n
    if isinstance(l, MPLS):
        return 4
    if isinstance(l, ESP):
        return 8
    return 0


def is_frag4(ip):
    return ip.frag != 0 or (int(ip.flags) & 1) != 0  # MF is bit 0 of scapy's flags


def describe(raw):
    pkt = Ether(raw)
    ls = layers(pkt)
    f = {}
    cs = {}
    lens = [0] * 7
    names = []
    i = 0
    n = len(ls)
    pre = ""

    def put(k, v):
        f[pre + k] = str(v)

    def csum(k, idx, field):
        cs[pre + k] = csum_ok(raw, idx, field)

    # L2
    l2 = "L2_ETHER"
    eth = ls[0]
    put("eth.dst", eth.dst)
    put("eth.src", eth.src)
    put("eth.type", eth.type)
    lens[0] = 14
    i = 1
    tags = []
    while i < n and isinstance(ls[i], (Dot1Q, Dot1AD)):
        tags.append(ls[i].vlan)
        lens[0] += 4
        i += 1
    if tags:
        put("vlan.ids", ",".join(str(t) for t in tags))
        l2 = "L2_ETHER_VLAN" if len(tags) == 1 else "L2_ETHER_QINQ"
    ptype = [l2]
    if i < n and isinstance(ls[i], MPLS):
        labels = []
        while i < n and isinstance(ls[i], MPLS):
            labels.append(ls[i].label)
            lens[0] += 4
            i += 1
        put("mpls.labels", ",".join(str(x) for x in labels))
        return dict(ptype="L2_ETHER_MPLS", lens=lens, fields=f, csum=cs)
    if i < n and isinstance(ls[i], ARP) and not tags:
        a = ls[i]
        put("arp.op", a.op)
        put("arp.hwsrc", a.hwsrc)
        put("arp.psrc", a.psrc)
        put("arp.hwdst", a.hwdst)
        put("arp.pdst", a.pdst)
        return dict(ptype="L2_ETHER_ARP", lens=lens, fields=f, csum=cs)

    inner = False
    while i < n:
        P = "INNER_" if inner else ""
        base = 4 if inner else 0
        l = ls[i]
        if isinstance(l, Ether):  # inner Ethernet (VXLAN, GENEVE, NVGRE)
            put("eth.dst", l.dst)
            put("eth.src", l.src)
            lens[4] = 14
            i += 1
            tags = []
            while i < n and isinstance(ls[i], (Dot1Q, Dot1AD)):
                tags.append(ls[i].vlan)
                lens[4] += 4
                i += 1
            if tags:
                put("vlan.ids", ",".join(str(t) for t in tags))
            ptype.append(["INNER_L2_ETHER", "INNER_L2_ETHER_VLAN", "INNER_L2_ETHER_QINQ"][min(len(tags), 2)])
            continue
        l3i = 1 if not inner else 5
        l4i = 2 if not inner else 6
        if isinstance(l, IP):
            put("ip.src", l.src)
            put("ip.dst", l.dst)
            put("ip.ttl", l.ttl)
            put("ip.id", l.id)
            put("ip.proto", l.proto)
            put("ip.len", l.len)
            put("ip.tos", l.tos)
            put("ip.frag", l.frag * 8)
            put("ip.mf", (int(l.flags) & 1) != 0)
            put("ip.df", (int(l.flags) & 2) != 0)
            csum("ip", i, "chksum")
            lens[l3i] = hdrlen(l)
            ptype.append(P + ("L3_IPV4" if l.ihl == 5 else "L3_IPV4_EXT"))
            if is_frag4(l):
                ptype.append(P + "L4_FRAG")
                break
            i += 1
        elif isinstance(l, IPv6):
            put("ip6.src", l.src)
            put("ip6.dst", l.dst)
            put("ip6.hlim", l.hlim)
            put("ip6.nh", l.nh)
            put("ip6.plen", l.plen)
            put("ip6.fl", l.fl)
            put("ip6.tc", l.tc)
            lens[l3i] = 40
            i += 1
            ext = False
            frag = False
            while i < n and isinstance(ls[i], V6EXT + (IPv6ExtHdrFragment,)):
                e = ls[i]
                ext = True
                lens[l3i] += hdrlen(e)
                if isinstance(e, IPv6ExtHdrFragment):
                    put("frag6.off", e.offset * 8)
                    put("frag6.m", e.m == 1)
                    put("frag6.id", e.id)
                    frag = True
                    i += 1
                    break
                i += 1
            if i < n and isinstance(ls[i], ESP):
                ext = True  # ESP is an IPv6 extension header (RFC 8200 section 4), as DPDK says
            ptype.append(P + ("L3_IPV6_EXT" if ext else "L3_IPV6"))
            if frag:
                ptype.append(P + "L4_FRAG")
                break
        else:
            break
        if i >= n:
            break
        l = ls[i]
        tunnel = None
        if isinstance(l, TCP):
            put("tcp.sport", l.sport)
            put("tcp.dport", l.dport)
            put("tcp.seq", l.seq)
            put("tcp.ack", l.ack)
            put("tcp.flags", int(l.flags))
            put("tcp.win", l.window)
            for o in l.options:
                if o[0] == "MSS":
                    put("tcp.mss", o[1])
                if o[0] == "WScale":
                    put("tcp.wscale", o[1])
            csum("tcp", i, "chksum")
            lens[l4i] = hdrlen(l)
            ptype.append(P + "L4_TCP")
        elif isinstance(l, UDP):
            put("udp.sport", l.sport)
            put("udp.dport", l.dport)
            put("udp.len", l.len)
            csum("udp", i, "chksum")
            lens[l4i] = 8
            ptype.append(P + "L4_UDP")
            if not inner and i + 1 < n and isinstance(ls[i + 1], (VXLAN, GENEVE)):
                tunnel = ls[i + 1]
        elif isinstance(l, SCTP):
            put("sctp.sport", l.sport)
            put("sctp.dport", l.dport)
            put("sctp.tag", l.tag)
            csum("sctp", i, "chksum")
            lens[l4i] = 12
            ptype.append(P + "L4_SCTP")
        elif isinstance(l, ICMP):
            put("icmp.type", l.type)
            put("icmp.code", l.code)
            if l.type in (0, 8):
                put("icmp.id", l.id)
                put("icmp.seq", l.seq)
            csum("icmp", i, "chksum")
            ptype.append(P + "L4_ICMP")
        elif isinstance(l, ICMP6_TYPES):
            put("icmp6.type", l.type)
            put("icmp6.code", l.code)
            if isinstance(l, (ICMPv6EchoRequest, ICMPv6EchoReply)):
                put("icmp6.id", l.id)
                put("icmp6.seq", l.seq)
            if isinstance(l, (ICMPv6ND_NS, ICMPv6ND_NA)):
                put("icmp6.tgt", l.tgt)
                o = l.payload
                if isinstance(o, (ICMPv6NDOptSrcLLAddr, ICMPv6NDOptDstLLAddr)):
                    put("nd.lladdr", o.lladdr)
            csum("icmp6", i, "cksum")
            ptype.append(P + "L4_ICMP")
        elif not inner and isinstance(l, (IP, IPv6)):
            ptype.append("TUNNEL_IP")
            inner = True
            pre = "in."
            continue
        elif not inner and isinstance(l, GRE):
            put("gre.proto", l.proto)
            if l.key_present:
                put("gre.key", l.key)
            if l.chksum_present:
                csum("gre", i, "chksum")
            lens[3] = hdrlen(l)
            ptype.append("TUNNEL_NVGRE" if l.proto == 0x6558 else "TUNNEL_GRE")
            inner = True
            pre = "in."
            i += 1
            continue
        elif not inner and isinstance(l, ESP):
            put("esp.spi", l.spi)
            put("esp.seq", l.seq)
            lens[3] = 8
            ptype.append("TUNNEL_ESP")
            break
        else:
            break
        if tunnel is None:
            break
        i += 1
        t = tunnel
        if isinstance(t, VXLAN):
            put("vxlan.vni", t.vni)
            if l.dport == 4790:
                put("gpe.np", t.NextProtocol)
                ptype.append("TUNNEL_VXLAN_GPE")
            else:
                ptype.append("TUNNEL_VXLAN")
        else:
            put("geneve.vni", t.vni)
            put("geneve.proto", t.proto)
            ptype.append("TUNNEL_GENEVE")
        lens[3] = hdrlen(t)
        inner = True
        pre = "in."
        i += 1
    order = ["L2_", "L3_", "L4_", "TUNNEL_", "INNER_L2_", "INNER_L3_", "INNER_L4_"]
    ptype.sort(key=lambda s: next(k for k, p in enumerate(order) if s.startswith(p)))
    return dict(ptype=" ".join(ptype), lens=lens, fields=f, csum=cs)


def csum_ok(raw, idx, field):
    """Whether the checksum of layer idx equals scapy's own computation."""
    pkt = Ether(raw)
    l = layers(pkt)[idx]
    have = getattr(l, field)
    if isinstance(l, UDP) and have == 0:
        return True  # no checksum (IPv4)
    setattr(l, field, None)
    again = layers(Ether(bytes(pkt)))[idx]
    return getattr(again, field) == have

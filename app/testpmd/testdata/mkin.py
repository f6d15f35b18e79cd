from scapy.all import *
src="02:00:00:00:00:aa"; dst="02:00:00:00:00:bb"
pk=[
 Ether(src=src,dst="ff:ff:ff:ff:ff:ff")/ARP(op=1,hwsrc=src,psrc="10.0.0.1",pdst="10.0.0.2"),
 Ether(src=src,dst=dst)/IP(src="10.0.0.1",dst="10.0.0.2",id=7,ttl=33)/ICMP(type=8,id=0x1234,seq=5)/Raw(b"hello-icmp-payload!"),
 Ether(src=src,dst=dst)/IP(src="10.0.0.1",dst="10.0.0.2")/UDP(sport=1000,dport=2000)/Raw(b"x"*30),
 Ether(src=src,dst=dst)/IP(src="10.0.0.1",dst="10.0.0.2")/TCP(sport=1001,dport=2001,seq=1,ack=2,flags="PA")/Raw(b"y"*20),
 Ether(src=src,dst=dst)/IPv6(src="2001:db8::1",dst="2001:db8::2")/UDP(sport=3000,dport=4000)/Raw(b"z"*16),
 Ether(src=src,dst=dst)/IPv6(src="2001:db8::1",dst="2001:db8::2")/TCP(sport=3001,dport=4001)/Raw(b"w"*16),
 Ether(src=src,dst=dst)/Dot1Q(vlan=5)/IP(src="10.0.0.1",dst="10.0.0.2")/UDP(sport=5,dport=6)/Raw(b"v"*10),
 Ether(src=src,dst=dst)/IP(src="10.0.0.1",dst="10.0.0.2",chksum=0x1234)/UDP(sport=1000,dport=2000,chksum=0x4321)/Raw(b"q"*30),
]
wrpcap("td/in.pcap", pk)

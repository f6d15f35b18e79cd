import sys, json
from decimal import Decimal
from scapy.all import Ether, Raw, wrpcap, PcapWriter, PcapNgWriter
out = sys.argv[1]
pkts, exp = [], []
for i in range(20):
    payload = bytes((i * 7 + j) & 0xff for j in range(40 + i * 61))
    p = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02", type=0x88b5) / Raw(payload)
    sec, usec = 1700000000 + i * 13, (i * 123457) % 1000000
    p.time = Decimal(sec) + Decimal(usec) / Decimal(1000000)
    pkts.append(p)
    exp.append({"hex": bytes(p).hex(), "ns": sec * 10**9 + usec * 1000})
wrpcap(out + "/scapy.pcap", pkts)
w = PcapWriter(out + "/scapy-be-nano.pcap", endianness=">", nano=True)
w.write(pkts); w.close()
w = PcapNgWriter(out + "/scapy.pcapng")
w.write(pkts); w.close()
json.dump(exp, open(out + "/expected.json", "w"))

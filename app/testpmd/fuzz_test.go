package testpmd

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// FuzzEngines runs every receiving engine on one arbitrary frame: no
// panic, no out-of-range access, and what csum sends has right checksums.
func FuzzEngines(f *testing.F) {
	for _, fr := range readPcap(f, "testdata/in.pcap") {
		f.Add(fr)
	}
	f.Add([]byte{})
	f.Add(make([]byte, 13))
	f.Fuzz(func(t *testing.T, frame []byte) {
		if len(frame) > 2000 {
			return
		}
		pool := newTestPool(t, 64)
		for _, name := range []string{"io", "mac", "macswap", "5tswap", "icmpecho", "csum", "rxonly"} {
			e, _ := LookupEngine(name)
			s, _, tx := testStream(t, e, pool, [][]byte{frame})
			e.Fwd(s)
			if name != "csum" || len(tx.Frames) != 1 {
				continue
			}
			p := tx.Frames[0]
			etype, l2, ok := l2Info(p)
			if !ok {
				continue
			}
			l3len, proto, l4len, ok := l3Info(p, l2, etype)
			if !ok {
				continue
			}
			if etype == etherTypeIPv4 && cksumFold(cksumAdd(0, p[l2:l2+l3len])) != 0xffff {
				t.Fatalf("csum sent a bad IPv4 header checksum: % x", p)
			}
			if (proto == protoUDP && l4len >= udpHdrLen) || (proto == protoTCP && l4len >= tcpMinLen) {
				l4 := p[l2+l3len : l2+l3len+l4len]
				if cksumFold(cksumAdd(pseudoSum(p, l2, etype, proto, l4len), l4)) != 0xffff {
					t.Fatalf("csum sent a bad L4 checksum: % x", p)
				}
			}
		}
	})
}

// FuzzEchoReply: an answer is only ever made of a request, and an ICMP
// answer keeps a right checksum right.
func FuzzEchoReply(f *testing.F) {
	in := readPcap(f, "testdata/in.pcap")
	f.Add(in[0])
	f.Add(in[1])
	f.Fuzz(func(t *testing.T, frame []byte) {
		s := &Stream{RxMAC: MAC{2, 0, 0, 0, 0, 1}}
		p := bytes.Clone(frame)
		if !s.echoReply(p) {
			if !bytes.Equal(p, frame) {
				t.Fatalf("packet changed but not answered")
			}
			return
		}
		etype, l2, _ := l2Info(p)
		if etype == etherTypeIPv4 {
			l3len, _, l4len, _ := l3Info(p, l2, etype)
			icmp := p[l2+l3len : l2+l3len+l4len]
			inIcmp := frame[l2+l3len : l2+l3len+l4len]
			if cksumFold(cksumAdd(0, inIcmp)) == 0xffff && cksumFold(cksumAdd(0, icmp)) != 0xffff {
				t.Fatalf("reply broke the ICMP checksum")
			}
			if icmp[0] != 0 {
				t.Fatalf("reply type %d", icmp[0])
			}
		} else if binary.BigEndian.Uint16(p[l2+6:]) != arpOpReply {
			t.Fatalf("ARP answer is not a reply")
		}
	})
}

// FuzzParseOptions: any command line gets options or an error, and an
// error names what is wrong.
func FuzzParseOptions(f *testing.F) {
	f.Add("-i\x00--rxq=2\x00--txpkts=64,32\x00--eth-peer=1,02:00:00:00:00:01")
	f.Add("--burst\x00999")
	f.Add("--forward-mode=macswap\x00--stats-period\x001")
	f.Fuzz(func(t *testing.T, s string) {
		o, err := ParseOptions(strings.Split(s, "\x00"))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "testpmd: ") && err != ErrHelp {
				t.Fatalf("error %q", err)
			}
			return
		}
		if o.Burst < 1 || o.Burst > MaxBurst || o.RxQ < 1 || o.TxQ < 1 || len(o.TxPkts) == 0 {
			t.Fatalf("accepted out-of-range options %+v", o)
		}
		if _, ok := LookupEngine(o.ForwardMode); !ok {
			t.Fatalf("accepted mode %q", o.ForwardMode)
		}
	})
}

// FuzzShell: any command line typed at the prompt prints something
// sensible and never panics (an App without ports or lcores).
func FuzzShell(f *testing.F) {
	for _, c := range commands {
		f.Add(strings.Join(c.words, " ") + " " + c.args)
	}
	f.Add("set txpkts 10,20")
	f.Add("csum set ip hw 0")
	f.Fuzz(func(t *testing.T, line string) {
		a := &App{opts: DefaultOptions(), engine: &ioEngine, burst: 32, nbCores: 1}
		var out bytes.Buffer
		a.exec(&out, line)
		_ = a.completions(line)
	})
}

func FuzzParseMAC(f *testing.F) {
	f.Add("02:00:00:00:00:01")
	f.Add("0:0:0:0:0:0")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMAC(s)
		if err == nil && !strings.EqualFold(m.String(), strings.ReplaceAll(s, "-", ":")) {
			t.Fatalf("%q parsed as %s", s, m)
		}
	})
}

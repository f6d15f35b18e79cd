package tap

import "testing"

func TestVnetHdrRoundTrip(t *testing.T) {
	h := VnetHdr{Flags: VnetHdrFNeedsCsum, GSOType: VnetHdrGSOTCPv4, HdrLen: 54, GSOSize: 1448, CsumStart: 34, CsumOffset: 16}
	var b [VnetHdrLen]byte
	h.Encode(b[:])
	want := [VnetHdrLen]byte{1, 1, 54, 0, 0xa8, 0x05, 34, 0, 16, 0}
	if b != want {
		t.Fatalf("Encode = % x, want % x", b, want)
	}
	var g VnetHdr
	if err := g.Decode(b[:]); err != nil || g != h {
		t.Fatalf("Decode = %+v, %v", g, err)
	}
	if err := g.Check(1514); err != nil {
		t.Errorf("Check: %v", err)
	}
	for _, bad := range []VnetHdr{
		{Flags: 4},
		{Flags: VnetHdrFNeedsCsum, CsumStart: 1500, CsumOffset: 16},
		{GSOType: 9, GSOSize: 100},
		{GSOType: VnetHdrGSOTCPv4},
		{GSOType: VnetHdrGSOECN},
		{GSOType: VnetHdrGSOTCPv6, GSOSize: 100, HdrLen: 2000},
	} {
		if err := bad.Check(1514); err == nil {
			t.Errorf("Check(%+v) accepted", bad)
		}
	}
	if err := g.Decode(b[:9]); err == nil {
		t.Error("Decode of 9 bytes accepted")
	}
}

func FuzzVnetHdr(f *testing.F) {
	f.Add([]byte{1, 1, 54, 0, 0xa8, 0x05, 34, 0, 16, 0}, 1514)
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 60)
	f.Fuzz(func(t *testing.T, b []byte, frameLen int) {
		var h VnetHdr
		if h.Decode(b) != nil {
			return
		}
		if h.Check(frameLen) == nil && h.Flags&VnetHdrFNeedsCsum != 0 && int(h.CsumStart)+int(h.CsumOffset)+2 > frameLen {
			t.Fatal("Check accepted a checksum past the frame")
		}
		var out [VnetHdrLen]byte
		h.Encode(out[:])
		if string(out[:]) != string(b[:VnetHdrLen]) {
			t.Fatal("Encode(Decode(b)) != b")
		}
	})
}

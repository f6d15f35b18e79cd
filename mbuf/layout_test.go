package mbuf

import (
	"testing"
	"unsafe"
)

func TestLayout(t *testing.T) {
	var m Mbuf
	if s := unsafe.Sizeof(m); s != HeaderSize {
		t.Fatalf("Sizeof(Mbuf) = %d, want %d", s, HeaderSize)
	}
	if a := unsafe.Alignof(m); a != 8 {
		t.Errorf("Alignof(Mbuf) = %d, want 8", a)
	}
	for _, f := range []struct {
		name string
		off  uintptr
		want uintptr
	}{
		// cache line 0: what a receive path writes
		{"buf", unsafe.Offsetof(m.buf), 0},
		{"refcnt", unsafe.Offsetof(m.refcnt), 8},
		{"dataOff", unsafe.Offsetof(m.dataOff), 12},
		{"nbSegs", unsafe.Offsetof(m.nbSegs), 14},
		{"olFlags", unsafe.Offsetof(m.olFlags), 16},
		{"packetType", unsafe.Offsetof(m.packetType), 24},
		{"pktLen", unsafe.Offsetof(m.pktLen), 28},
		{"dataLen", unsafe.Offsetof(m.dataLen), 32},
		{"vlanTCI", unsafe.Offsetof(m.vlanTCI), 34},
		{"rss", unsafe.Offsetof(m.rss), 36},
		{"fdirID", unsafe.Offsetof(m.fdirID), 40},
		{"vlanTCIOuter", unsafe.Offsetof(m.vlanTCIOuter), 44},
		{"bufLen", unsafe.Offsetof(m.bufLen), 46},
		{"port", unsafe.Offsetof(m.port), 48},
		{"pool", unsafe.Offsetof(m.pool), 50},
		{"timesync", unsafe.Offsetof(m.timesync), 52},
		{"timestamp", unsafe.Offsetof(m.timestamp), 56},
		// cache line 1: transmit and free paths, application
		{"next", unsafe.Offsetof(m.next), 64},
		{"txOffload", unsafe.Offsetof(m.txOffload), 72},
		{"extHandle", unsafe.Offsetof(m.extHandle), 80},
		{"privSize", unsafe.Offsetof(m.privSize), 84},
		{"bufPriv", unsafe.Offsetof(m.bufPriv), 86},
		{"userData", unsafe.Offsetof(m.userData), 88},
		{"dynfield", unsafe.Offsetof(m.dynfield), 96},
	} {
		if f.off != f.want {
			t.Errorf("Offsetof(%s) = %d, want %d", f.name, f.off, f.want)
		}
	}
	if unsafe.Offsetof(m.refcnt)%4 != 0 {
		t.Error("refcnt must be 4-byte aligned for sync/atomic")
	}
}

func TestObjectLayout(t *testing.T) {
	p := newPool(t, PoolConfig{PrivSize: 13, N: 8})
	m := alloc(t, p)
	defer m.Free(lc)
	base := uintptr(unsafe.Pointer(m))
	if base%64 != 0 {
		t.Errorf("mbuf %#x not cache-line aligned", base)
	}
	if got, want := uintptr(unsafe.Pointer(unsafe.SliceData(m.Priv()))), base+HeaderSize; got != want {
		t.Errorf("Priv at %#x, want %#x", got, want)
	}
	if got, want := uintptr(m.BufAddr()), base+HeaderSize+16; got != want {
		t.Errorf("buffer at %#x, want %#x (header + priv 13 rounded to 16)", got, want)
	}
	if got, want := uintptr(m.DataAddr()), uintptr(m.BufAddr())+Headroom; got != want {
		t.Errorf("data at %#x, want %#x", got, want)
	}
	if p.Mempool().ObjSize() != HeaderSize+16+DefaultBufSize {
		t.Errorf("ObjSize %d", p.Mempool().ObjSize())
	}
}

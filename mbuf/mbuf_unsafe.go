package mbuf

import (
	"sync/atomic"
	"unsafe"

	"github.com/dpkit/dpkit/mempool"
)

// Mbuf is a packet buffer header, the Go view of rte_mbuf. It is laid over
// the first HeaderSize bytes of a mempool object in arena memory; an Mbuf is
// never created by the Go allocator (the zero Mbuf is not usable), so the
// garbage collector never scans it and it never holds a pointer into the Go
// heap: its buffer is arena memory (or an external buffer kept alive by the
// ExtBuf table), other mbufs are *Mbuf into arenas, and its pool is an id.
//
// The first cache line holds what a receive path writes, the second what a
// transmit path and the free path read, as in DPDK (offsets are tested):
//
//	line 0                               line 1
//	 0 buf        buffer address         64 next       next segment
//	 8 refcnt     (atomic; u16 values)   72 txOffload  l2/l3/l4/tso/outer lens
//	12 dataOff    data start in buf      80 extHandle  ExtBuf table index
//	14 nbSegs     segments (head only)   84 privSize   own private area size
//	16 olFlags    offload flags          86 bufPriv    priv size of buf's owner
//	24 packetType ptype bits             88 userData   application word
//	28 pktLen     packet length (head)   96 dynfield   32 application bytes
//	32 dataLen    this segment's length
//	34 vlanTCI    36 rss   40 fdirID
//	44 vlanTCIOuter  46 bufLen  48 port  50 pool
//	52 timesync   56 timestamp
type Mbuf struct {
	// cache line 0: receive fast path
	buf          unsafe.Pointer
	refcnt       uint32 // DPDK's is 16 bits; 32 here so that sync/atomic can touch it alone
	dataOff      uint16
	nbSegs       uint16
	olFlags      uint64
	packetType   uint32
	pktLen       uint32
	dataLen      uint16
	vlanTCI      uint16
	rss          uint32
	fdirID       uint32
	vlanTCIOuter uint16
	bufLen       uint16
	port         uint16
	pool         uint16
	timesync     uint16
	_            uint16
	timestamp    uint64

	// cache line 1: transmit, free path, application
	next      *Mbuf
	txOffload uint64
	extHandle uint32
	privSize  uint16
	bufPriv   uint16
	userData  uint64
	dynfield  [DynfieldSize]byte
}

// Data returns this segment's data: Len bytes starting Headroom bytes into
// the buffer. The slice aliases the buffer (no copy) and its capacity ends
// with the data, so appending to it reallocates instead of overwriting the
// tailroom.
func (m *Mbuf) Data() []byte {
	return unsafe.Slice((*byte)(unsafe.Add(m.buf, m.dataOff)), m.dataLen)
}

// bytesAt returns n bytes of the buffer from offset off (no bounds check).
func (m *Mbuf) bytesAt(off, n int) []byte {
	return unsafe.Slice((*byte)(unsafe.Add(m.buf, off)), n)
}

// Buf returns the whole buffer (BufLen bytes: headroom, data, tailroom).
func (m *Mbuf) Buf() []byte { return unsafe.Slice((*byte)(m.buf), m.bufLen) }

// BufAddr returns the address of the buffer (rte_mbuf's buf_addr). Drivers
// that share memory with another process translate it with the arena base.
func (m *Mbuf) BufAddr() unsafe.Pointer { return m.buf }

// DataAddr returns the address of the first data byte (rte_pktmbuf_mtod).
func (m *Mbuf) DataAddr() unsafe.Pointer { return unsafe.Add(m.buf, m.dataOff) }

// Priv returns the application private area that follows the header
// (rte_mbuf_to_priv): PrivSize bytes, zero when the pool was created.
func (m *Mbuf) Priv() []byte {
	return unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(m), HeaderSize)), m.privSize)
}

// Dynfield returns the application scratch area of the header (like DPDK's
// dynfield1). Alloc does not clear it; Clone and Attach copy it.
func (m *Mbuf) Dynfield() *[DynfieldSize]byte { return &m.dynfield }

// Direct returns the mbuf that owns the buffer m points to: m itself when m
// is direct, the mbuf whose buffer m is attached to when m is indirect
// (rte_mbuf_from_indirect). It is nil for an external buffer.
func (m *Mbuf) Direct() *Mbuf {
	if m.olFlags&IndirectMbuf == 0 {
		if m.olFlags&ExtBufMbuf != 0 {
			return nil
		}
		return m
	}
	return m.fromIndirect()
}

func (m *Mbuf) fromIndirect() *Mbuf {
	return (*Mbuf)(unsafe.Add(m.buf, -(HeaderSize + int(m.bufPriv))))
}

// ownBuf is the address a direct mbuf's buffer starts at.
func (m *Mbuf) ownBuf() unsafe.Pointer {
	return unsafe.Add(unsafe.Pointer(m), HeaderSize+int(m.privSize))
}

// Refcnt returns the reference count (rte_mbuf_refcnt_read).
func (m *Mbuf) Refcnt() uint16 { return uint16(atomic.LoadUint32(&m.refcnt)) }

// SetRefcnt sets the reference count (rte_mbuf_refcnt_set). Only the sole
// owner may call it: it is a plain store.
func (m *Mbuf) SetRefcnt(v uint16) { m.refcnt = uint32(v) }

// RefcntUpdate adds delta to the reference count and returns the new value
// (rte_mbuf_refcnt_update). When the count is 1 the caller is the only
// owner and no atomic operation is needed; otherwise it is an atomic add.
func (m *Mbuf) RefcntUpdate(delta int) uint16 {
	if atomic.LoadUint32(&m.refcnt) == 1 {
		v := uint32(1 + delta)
		if debug {
			debugRefcnt(m, v)
		}
		m.refcnt = v
		return uint16(v)
	}
	v := atomic.AddUint32(&m.refcnt, uint32(delta))
	if debug {
		debugRefcnt(m, v)
	}
	return uint16(v)
}

// decref is the atomic decrement of the free path; it returns the new count
// (as a 32-bit value, so that underflow shows as 0xffffffff).
func (m *Mbuf) decref() uint32 { return atomic.AddUint32(&m.refcnt, ^uint32(0)) }

// objs reinterprets a slice of mbufs as the object pointers of mempool
// calls (an *Mbuf is the address of its object).
func objs(ms []*Mbuf) []unsafe.Pointer {
	return unsafe.Slice((*unsafe.Pointer)(unsafe.Pointer(unsafe.SliceData(ms))), len(ms))
}

func (m *Mbuf) obj() unsafe.Pointer { return unsafe.Pointer(m) }

func fromObj(o unsafe.Pointer) *Mbuf { return (*Mbuf)(o) }

// initObj sets the constant fields of a fresh pool object (rte_pktmbuf_init).
func initObj(o unsafe.Pointer, poolID uint16, privSize, dataRoom int) {
	m := (*Mbuf)(o)
	*m = Mbuf{}
	m.privSize = uint16(privSize)
	m.bufPriv = uint16(privSize)
	m.buf = m.ownBuf()
	m.bufLen = uint16(dataRoom)
	m.dataOff = uint16(min(Headroom, dataRoom))
	m.pool = poolID
	m.nbSegs = 1
	m.port = PortInvalid
	m.refcnt = inPoolRefcnt
	clear(m.Priv())
}

// bufIsOwn reports whether m's buffer is the one in its own object.
func (m *Mbuf) bufIsOwn() bool { return m.buf == m.ownBuf() }

// objInit returns the mempool ObjInit of a pool; it records the pool id it
// saw in *id.
func objInit(priv, room int, id *uint16) func(*mempool.Pool, int, unsafe.Pointer) {
	return func(mp *mempool.Pool, _ int, o unsafe.Pointer) {
		*id = mp.ID()
		initObj(o, *id, priv, room)
	}
}

// setPoolID writes the pool id into every object of mp.
func setPoolID(mp *mempool.Pool, id uint16) {
	mp.Walk(func(_ int, o unsafe.Pointer) { (*Mbuf)(o).pool = id })
}

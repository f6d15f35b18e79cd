package mbuf

import (
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"
)

// ExtBuf is an external buffer that mbufs can be attached to
// (rte_mbuf_ext_shared_info): memory that is not part of a pool, with a
// reference count shared by every mbuf attached to it and a callback that
// runs exactly once, when the last reference is dropped.
//
// An mbuf lives in arena memory the garbage collector does not scan, so it
// cannot point at an ExtBuf (a Go object: it holds the callback). It holds
// a 32-bit handle instead, an index in a global table that also keeps the
// ExtBuf, and the Go slice it may wrap, alive until the callback has run.
type ExtBuf struct {
	refcnt atomic.Uint32
	handle uint32
	addr   unsafe.Pointer
	size   int
	free   func(buf unsafe.Pointer, opaque any)
	opaque any
	keep   []byte // the Go memory behind addr, if any
}

// NewExtBuf registers buf as an external buffer. free (which may be nil)
// is called with the buffer address of the last mbuf released and opaque,
// on the goroutine that releases it; it must not block.
//
// The ExtBuf starts with one reference, which the first AttachExtBuf takes
// over (as with rte_pktmbuf_ext_shinfo_init_helper). To attach the same
// buffer to more mbufs, Clone or Attach one that has it, or call
// RefcntUpdate(1) before each further AttachExtBuf. An ExtBuf that is never
// attached is dropped with Release.
func NewExtBuf(buf []byte, free func(buf unsafe.Pointer, opaque any), opaque any) (*ExtBuf, error) {
	e, err := NewExtBufAt(unsafe.Pointer(unsafe.SliceData(buf)), len(buf), free, opaque)
	if err == nil {
		e.keep = buf
	}
	return e, err
}

// NewExtBufAt is NewExtBuf for memory outside the Go heap (another arena,
// a mapping of another process's memory): the caller keeps it valid until
// free runs.
func NewExtBufAt(addr unsafe.Pointer, size int, free func(buf unsafe.Pointer, opaque any), opaque any) (*ExtBuf, error) {
	if addr == nil || size <= 0 || size > MaxBufSize {
		return nil, fmt.Errorf("mbuf: external buffer of %d bytes at %p (1..%d): %w", size, addr, MaxBufSize, ErrInvalid)
	}
	e := &ExtBuf{addr: addr, size: size, free: free, opaque: opaque}
	e.refcnt.Store(1)
	if err := extRegister(e); err != nil {
		return nil, err
	}
	return e, nil
}

// Addr returns the address of the buffer.
func (e *ExtBuf) Addr() unsafe.Pointer { return e.addr }

// Len returns the size of the buffer.
func (e *ExtBuf) Len() int { return e.size }

// Refcnt returns the reference count (rte_mbuf_ext_refcnt_read).
func (e *ExtBuf) Refcnt() uint16 { return uint16(e.refcnt.Load()) }

// RefcntUpdate adds delta to the reference count and returns the new
// value (rte_mbuf_ext_refcnt_update). It never runs the callback.
func (e *ExtBuf) RefcntUpdate(delta int) uint16 {
	return uint16(e.refcnt.Add(uint32(delta)))
}

// Release drops one reference, running the callback if it was the last.
func (e *ExtBuf) Release() { e.release(e.addr) }

func (e *ExtBuf) release(buf unsafe.Pointer) {
	switch v := e.refcnt.Load(); {
	case v == 1:
		e.refcnt.Store(0)
	case debug && v == 0:
		panicf("mbuf: external buffer %p released once too often", e.addr)
	default:
		if e.refcnt.Add(^uint32(0)) != 0 {
			return
		}
	}
	if e.free != nil {
		e.free(buf, e.opaque)
	}
	extUnregister(e)
}

// AttachExtBuf makes m use n bytes at buf, inside e, as its buffer
// (rte_pktmbuf_attach_extbuf): m is left empty with no headroom and
// ExtBufMbuf set; when m (or the last mbuf attached to e through it) is
// freed, the reference is dropped. It does not add a reference: see
// NewExtBuf. m must be direct, one segment, with reference count 1.
func AttachExtBuf(m *Mbuf, buf unsafe.Pointer, n int, e *ExtBuf) error {
	switch {
	case !m.IsDirect() || m.Refcnt() != 1 || m.next != nil:
		return fmt.Errorf("mbuf: AttachExtBuf: %p must be a direct single-segment mbuf with reference count 1: %w", m, ErrInvalid)
	case !e.covers(buf, n):
		return fmt.Errorf("mbuf: AttachExtBuf: %d bytes at %p are not inside the external buffer (%d bytes at %p): %w",
			n, buf, e.size, e.addr, ErrInvalid)
	case e.refcnt.Load() == 0 || extLookup(e.handle) != e:
		return fmt.Errorf("mbuf: AttachExtBuf: external buffer %p already released: %w", e.addr, ErrInvalid)
	}
	m.buf = buf
	m.bufLen = uint16(n)
	m.dataOff = 0
	m.dataLen = 0
	m.pktLen = 0
	m.olFlags |= ExtBufMbuf
	m.extHandle = e.handle
	return nil
}

// ExtBuf returns the external buffer m is attached to, nil if none.
func (m *Mbuf) ExtBuf() *ExtBuf {
	if m.olFlags&ExtBufMbuf == 0 {
		return nil
	}
	return extLookup(m.extHandle)
}

// covers reports whether [buf, buf+n) lies inside e's memory.
func (e *ExtBuf) covers(buf unsafe.Pointer, n int) bool {
	b, a := uintptr(buf), uintptr(e.addr)
	return b >= a && n >= 0 && b-a <= uintptr(e.size) && uintptr(n) <= uintptr(e.size)-(b-a) && n <= MaxBufSize
}

// The handle table: chunks of atomic pointers, published once, read
// without locks. Handle 0 is never used.
const (
	extChunkBits = 10
	extChunk     = 1 << extChunkBits
	extMaxChunks = 1 << 12
	// MaxExtBufs is how many ExtBufs may be registered at once.
	MaxExtBufs = extChunk*extMaxChunks - 1
)

type extChunkT [extChunk]atomic.Pointer[ExtBuf]

var (
	extTab  [extMaxChunks]atomic.Pointer[extChunkT]
	extMu   sync.Mutex
	extFree []uint32 // released handles
	extNext uint32   // next never-used handle
	extLive atomic.Int64
)

func extRegister(e *ExtBuf) error {
	extMu.Lock()
	defer extMu.Unlock()
	var h uint32
	if n := len(extFree); n > 0 {
		h = extFree[n-1]
		extFree = extFree[:n-1]
	} else {
		if extNext == 0 {
			extNext = 1
		}
		if extNext > MaxExtBufs {
			return fmt.Errorf("mbuf: more than %d external buffers: %w", MaxExtBufs, ErrInvalid)
		}
		h = extNext
		extNext++
		if extTab[h>>extChunkBits].Load() == nil {
			extTab[h>>extChunkBits].Store(new(extChunkT))
		}
	}
	e.handle = h
	extTab[h>>extChunkBits].Load()[h&(extChunk-1)].Store(e)
	extLive.Add(1)
	return nil
}

func extUnregister(e *ExtBuf) {
	extMu.Lock()
	defer extMu.Unlock()
	extTab[e.handle>>extChunkBits].Load()[e.handle&(extChunk-1)].Store(nil)
	extFree = append(extFree, e.handle)
	extLive.Add(-1)
}

// extLookup returns the ExtBuf of a handle, nil if none.
func extLookup(h uint32) *ExtBuf {
	c := extTab[(h>>extChunkBits)&(extMaxChunks-1)].Load()
	if c == nil {
		return nil
	}
	return c[h&(extChunk-1)].Load()
}

// ExtBufsLive returns how many ExtBufs are registered (for leak checks).
func ExtBufsLive() int { return int(extLive.Load()) }

package mbuf

import (
	"fmt"
	"sync/atomic"

	"github.com/dpkit/dpkit/eal"
	"github.com/dpkit/dpkit/mempool"
)

// PoolConfig describes a pool of mbufs (the arguments of
// rte_pktmbuf_pool_create). It is a plain value.
type PoolConfig struct {
	Name      string
	N         int // number of mbufs
	CacheSize int // per-lcore cache, see mempool.Config.CacheSize
	// PrivSize is the application private area after each header (Priv),
	// rounded up to PrivAlign.
	PrivSize int
	// DataRoomSize is the buffer size, headroom included; 0 means
	// DefaultBufSize (2048 + 128). At most MaxBufSize.
	DataRoomSize int
	// Shared backs the pool with a memfd arena another process can map
	// (memif, vhost-user).
	Shared bool
	Huge   eal.HugeMode
	// Arena, if set, is where the objects are carved from instead of an
	// arena of the pool's own.
	Arena *eal.Arena
	// Flags are passed to the mempool (SingleProducer, SingleConsumer).
	Flags mempool.Flags
}

// Pool is a mempool of mbufs (a "pktmbuf pool"). Every object is
//
//	[Mbuf header, 128 B][private area, PrivSize][buffer, DataRoomSize]
//
// Pools are registered by id: an mbuf names its pool by PoolID and the free
// path finds it with PoolByID, without locks.
type Pool struct {
	mp       *mempool.Pool
	id       uint16
	privSize uint16
	dataRoom uint16
	name     string
}

// pools is the lock-free id -> Pool table of the free path.
var pools [1 << 16]atomic.Pointer[Pool]

// PoolByID returns the live pool with the given id, nil if there is none.
func PoolByID(id uint16) *Pool { return pools[id].Load() }

// NewPool creates a pool of cfg.N mbufs (rte_pktmbuf_pool_create).
func NewPool(cfg PoolConfig) (*Pool, error) {
	if cfg.PrivSize < 0 || cfg.PrivSize > MaxBufSize {
		return nil, fmt.Errorf("mbuf: pool %q: PrivSize %d: %w", cfg.Name, cfg.PrivSize, ErrInvalid)
	}
	room := cfg.DataRoomSize
	if room == 0 {
		room = DefaultBufSize
	}
	if room < 0 || room > MaxBufSize {
		return nil, fmt.Errorf("mbuf: pool %q: DataRoomSize %d must be 0..%d: %w", cfg.Name, room, MaxBufSize, ErrInvalid)
	}
	priv := (cfg.PrivSize + PrivAlign - 1) &^ (PrivAlign - 1)
	if priv > MaxBufSize-HeaderSize {
		return nil, fmt.Errorf("mbuf: pool %q: PrivSize %d: %w", cfg.Name, cfg.PrivSize, ErrInvalid)
	}
	idAtInit := uint16(0)
	mp, err := mempool.New(mempool.Config{
		Name:      cfg.Name,
		N:         cfg.N,
		ObjSize:   HeaderSize + priv + room,
		CacheSize: cfg.CacheSize,
		Flags:     cfg.Flags,
		Arena:     cfg.Arena,
		Huge:      cfg.Huge,
		Shared:    cfg.Shared,
		ObjInit:   objInit(priv, room, &idAtInit),
	})
	if err != nil {
		return nil, fmt.Errorf("mbuf: pool %q: %w", cfg.Name, err)
	}
	p := &Pool{mp: mp, id: mp.ID(), privSize: uint16(priv), dataRoom: uint16(room), name: cfg.Name}
	if idAtInit != p.id {
		// The mempool had no id yet while it initialised its objects.
		setPoolID(mp, p.id)
	}
	pools[p.id].Store(p)
	addLive(p)
	return p, nil
}

// Close unregisters the pool and releases its memory. Every mbuf of the
// pool must have been freed: afterwards their memory is gone.
func (p *Pool) Close() error {
	pools[p.id].CompareAndSwap(p, nil)
	removeLive(p)
	return p.mp.Close()
}

// Name returns the pool's name.
func (p *Pool) Name() string { return p.name }

// ID returns the pool's id (its mempool's id).
func (p *Pool) ID() uint16 { return p.id }

// Mempool returns the underlying mempool.
func (p *Pool) Mempool() *mempool.Pool { return p.mp }

// DataRoomSize returns the buffer size of the pool's mbufs, headroom
// included (rte_pktmbuf_data_room_size).
func (p *Pool) DataRoomSize() int { return int(p.dataRoom) }

// PrivSize returns the size of the private area (rte_pktmbuf_priv_size).
func (p *Pool) PrivSize() int { return int(p.privSize) }

// Size returns the number of mbufs of the pool.
func (p *Pool) Size() int { return p.mp.Size() }

// Avail returns the number of free mbufs (in the ring and the caches).
func (p *Pool) Avail() int { return p.mp.Avail() }

// InUse returns the number of allocated mbufs.
func (p *Pool) InUse() int { return p.mp.InUse() }

// Alloc takes one mbuf from the pool, reset (one empty segment, default
// headroom, reference count 1), or returns nil if the pool is empty
// (rte_pktmbuf_alloc). lcore is the caller's lcore id, or mempool.LcoreAny.
func (p *Pool) Alloc(lcore uint) *Mbuf {
	o, ok := p.mp.Get(lcore)
	if !ok {
		return nil
	}
	m := fromObj(o)
	if debug {
		debugAlloc(m, p)
	}
	m.allocReset()
	return m
}

// AllocBulk fills ms with reset mbufs and reports true, or reports false
// and leaves ms untouched if the pool has fewer than len(ms) free
// (rte_pktmbuf_alloc_bulk).
func (p *Pool) AllocBulk(lcore uint, ms []*Mbuf) bool {
	if !p.mp.GetBulk(lcore, objs(ms)) {
		return false
	}
	for _, m := range ms {
		if debug {
			debugAlloc(m, p)
		}
		m.allocReset()
	}
	return true
}

// Free gives every segment of the packet back to its pool
// (rte_pktmbuf_free), on lcore. A segment whose buffer is shared (reference
// count above 1) is only released; an indirect or external segment is
// detached first. Free of a nil mbuf does nothing.
func (m *Mbuf) Free(lcore uint) {
	if debug && m != nil {
		debugFree(m)
	}
	for m != nil {
		next := m.next
		m.freeSeg(lcore)
		m = next
	}
}

// FreeSeg gives one segment back to its pool, ignoring any next segment
// (rte_pktmbuf_free_seg).
func (m *Mbuf) FreeSeg(lcore uint) {
	if debug {
		debugFreeSeg(m)
	}
	m.freeSeg(lcore)
}

func (m *Mbuf) freeSeg(lcore uint) {
	if m = m.prefreeSeg(lcore); m != nil {
		m.rawFree(lcore)
	}
}

// prefreeSeg drops one reference to m and returns m if it must go back to
// its pool (with next nil and one segment), nil if it is still in use
// (rte_pktmbuf_prefree_seg).
func (m *Mbuf) prefreeSeg(lcore uint) *Mbuf {
	if m.Refcnt() != 1 {
		if debug && m.Refcnt() == 0 {
			panicf("mbuf: double free of %p (reference count 0)", m)
		}
		if m.decref() != 0 {
			return nil
		}
		m.refcnt = 1
	}
	if m.olFlags&attachFlags != 0 {
		m.detach(lcore)
	}
	// Only write what changed: the second cache line stays clean for a
	// one-segment packet.
	if m.next != nil {
		m.next = nil
	}
	if m.nbSegs != 1 {
		m.nbSegs = 1
	}
	return m
}

// allocReset is Reset plus refcnt 1 for an mbuf just taken from its pool,
// where next is nil already (prefreeSeg and initObj see to it).
func (m *Mbuf) allocReset() {
	m.refcnt = 1
	m.resetFields()
}

// rawFree puts a segment ready for reuse back into its pool.
func (m *Mbuf) rawFree(lcore uint) {
	p := pools[m.pool].Load()
	if debug {
		debugRawFree(m, p)
	}
	p.mp.Put(lcore, m.obj())
}

// freePending is the size of the stack array FreeBulk batches puts in
// (RTE_PKTMBUF_FREE_PENDING_SZ).
const freePending = 64

// FreeBulk frees every packet of ms (nil entries are skipped), like Free on
// each, but gives consecutive segments of the same pool back with one put
// (rte_pktmbuf_free_bulk). It does not allocate.
func FreeBulk(lcore uint, ms []*Mbuf) {
	var pending [freePending]*Mbuf
	n := 0
	for _, m := range ms {
		if m == nil {
			continue
		}
		if debug {
			debugFree(m)
		}
		for m != nil {
			next := m.next
			if s := m.prefreeSeg(lcore); s != nil {
				if n == freePending || n > 0 && s.pool != pending[0].pool {
					putBulk(lcore, pending[:n])
					n = 0
				}
				pending[n] = s
				n++
			}
			m = next
		}
	}
	if n > 0 {
		putBulk(lcore, pending[:n])
	}
}

// putBulk puts segments of one pool back.
func putBulk(lcore uint, ms []*Mbuf) {
	p := pools[ms[0].pool].Load()
	if debug {
		for _, m := range ms {
			debugRawFree(m, p)
		}
	}
	p.mp.PutBulk(lcore, objs(ms))
}

func panicf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

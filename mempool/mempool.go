package mempool

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/dpkit/dpkit/eal"
	"github.com/dpkit/dpkit/ring"
)

// MaxCacheSize is the largest per-lcore cache (RTE_MEMPOOL_CACHE_MAX_SIZE).
const MaxCacheSize = 512

// LcoreAny is "no lcore": Get and Put go straight to the common ring (like
// LCORE_ID_ANY). Any lcore id >= eal.MaxLcore does the same.
const LcoreAny = ^uint(0)

// ObjAlign is the alignment of every object: a cache line.
const ObjAlign = 64

// MaxPools is the number of registry slots; IDs run from 1 to MaxPools-1.
const MaxPools = 1 << 16

// Flags choose the common ring's synchronisation at creation.
type Flags uint32

const (
	// SingleProducer: the common ring is single-producer on put
	// (RTE_MEMPOOL_F_SP_PUT): only one goroutine at a time may put to it.
	SingleProducer Flags = 1 << iota
	// SingleConsumer: the common ring is single-consumer on get
	// (RTE_MEMPOOL_F_SC_GET): only one goroutine at a time may get from it.
	SingleConsumer
)

// Sentinel errors; test with errors.Is.
var (
	// ErrInvalid: a Config field is out of range (the message names it).
	ErrInvalid = errors.New("mempool: invalid config")
	// ErrNoMemory: the objects do not fit in the arena or memory limit, or
	// the registry is full.
	ErrNoMemory = errors.New("mempool: out of memory")
	// ErrEmpty: the pool has too few free objects for the request.
	ErrEmpty = errors.New("mempool: not enough free objects")
)

// ErrClosed is returned by Audit on a closed pool.
var ErrClosed = errors.New("mempool: closed")

// Config describes a pool; it is a plain value.
type Config struct {
	Name string
	// N is the number of objects (> 0).
	N int
	// ObjSize is the size of an object in bytes (> 0). Objects start on
	// 64-byte boundaries: the stride (EltSize) is ObjSize rounded up to 64.
	ObjSize int
	// CacheSize is the per-lcore cache size, 0..MaxCacheSize (0: no cache).
	// As in DPDK, CacheSize*3/2 (the flush threshold) must not exceed N.
	CacheSize int
	Flags     Flags
	// Arena, if not nil, is where the objects are carved from (Arena.Alloc);
	// the pool does not close it. nil: the pool maps an arena of its own
	// (Huge, Shared) and unmaps it on Close.
	Arena  *eal.Arena
	Huge   eal.HugeMode
	Shared bool
	// ObjInit, if not nil, is called once per object, in address order,
	// before New returns (rte_mempool_obj_iter with an obj_init). The pool
	// already has its ID; it must not Get from or Put to the pool.
	ObjInit func(p *Pool, idx int, obj unsafe.Pointer)
}

// Pool is a pool of fixed-size objects. Create it with New; the zero Pool
// is not usable.
type Pool struct {
	_ [cacheLine]byte
	// Read-only after New; what the fast path reads, on one cache line.
	ring        *ring.Ring[unsafe.Pointer]
	caches      unsafe.Pointer // [eal.MaxLcore]lcoreCache off the Go heap; nil without a cache
	cacheLcores uint           // eal.MaxLcore with a cache, else 0: lcore < cacheLcores has a cache
	cacheSize   uint32
	flushThresh uint32
	base        uintptr // address of object 0
	elt         uintptr // stride
	n           int
	_           [cacheLine - 56]byte

	name      string
	id        uint16
	objSize   int
	flags     Flags
	arena     *eal.Arena
	ownArena  bool
	objs      []byte // the object area, in arena
	cacheMem  []byte // mapping behind caches
	closed    atomic.Bool
	lastAvail int // Avail at Close
}

const cacheLine = 64

// The registry: lock-free lookup by ID, changes under regMu.
var (
	registry [MaxPools]atomic.Pointer[Pool]
	regMu    sync.Mutex
	live     []*Pool // in creation order; guarded by regMu
)

// ByID returns the live pool with this ID, or nil. It takes no lock and
// does not allocate: it is meant for the mbuf free path.
func ByID(id uint16) *Pool { return registry[id].Load() }

// Pools returns the live pools in creation order.
func Pools() []*Pool {
	regMu.Lock()
	defer regMu.Unlock()
	return append([]*Pool(nil), live...)
}

// register gives p the lowest free ID.
func register(p *Pool) error {
	regMu.Lock()
	defer regMu.Unlock()
	for id := 1; id < MaxPools; id++ {
		if registry[id].Load() == nil {
			p.id = uint16(id)
			registry[id].Store(p)
			live = append(live, p)
			return nil
		}
	}
	return fmt.Errorf("%w: all %d pool ids in use", ErrNoMemory, MaxPools-1)
}

func unregister(p *Pool) {
	regMu.Lock()
	defer regMu.Unlock()
	if p.id != 0 && registry[p.id].Load() == p {
		registry[p.id].Store(nil)
	}
	for i, q := range live {
		if q == p {
			live = append(live[:i], live[i+1:]...)
			break
		}
	}
}

// flushThreshold is DPDK's CALC_CACHE_FLUSHTHRESH: size*1.5, rounded down.
func flushThreshold(size int) int { return size * 3 / 2 }

func (cfg *Config) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %q: "+format, append([]any{ErrInvalid, cfg.Name}, args...)...)
	}
	switch {
	case cfg.N <= 0:
		return bad("N %d must be > 0", cfg.N)
	case cfg.N > ring.MaxSize-1:
		return bad("N %d exceeds %d", cfg.N, ring.MaxSize-1)
	case cfg.ObjSize <= 0:
		return bad("ObjSize %d must be > 0", cfg.ObjSize)
	case cfg.ObjSize > 1<<30:
		return bad("ObjSize %d exceeds 1 GiB", cfg.ObjSize)
	case cfg.CacheSize < 0 || cfg.CacheSize > MaxCacheSize:
		return bad("CacheSize %d out of range [0, %d]", cfg.CacheSize, MaxCacheSize)
	case flushThreshold(cfg.CacheSize) > cfg.N:
		return bad("CacheSize %d too large for N %d (CacheSize*1.5 must not exceed N)", cfg.CacheSize, cfg.N)
	case cfg.Flags&^(SingleProducer|SingleConsumer) != 0:
		return bad("Flags %#x: unknown bits", uint32(cfg.Flags))
	}
	if int64(cfg.N)*int64(eltSize(cfg.ObjSize)) > 1<<46 {
		return fmt.Errorf("%w: %q: %d objects of %d bytes", ErrNoMemory, cfg.Name, cfg.N, eltSize(cfg.ObjSize))
	}
	return nil
}

func eltSize(objSize int) int { return (objSize + ObjAlign - 1) &^ (ObjAlign - 1) }

// New creates a pool as cfg describes: it maps (or carves) the objects,
// calls ObjInit on each and puts them all in the common ring, so the pool
// starts full. Errors wrap ErrInvalid (naming the bad field) or ErrNoMemory.
func New(cfg Config) (*Pool, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	elt := eltSize(cfg.ObjSize)
	var err error
	p := &Pool{
		name:      cfg.Name,
		objSize:   cfg.ObjSize,
		flags:     cfg.Flags,
		n:         cfg.N,
		elt:       uintptr(elt),
		cacheSize: uint32(cfg.CacheSize),
	}
	// Undo everything if a later step fails or ObjInit panics.
	ok := false
	defer func() {
		if !ok {
			p.release()
		}
	}()

	// The ring holds only pointers into arenas: OffHeap moves them as raw words.
	rflags := ring.ExactSize | ring.OffHeap
	if cfg.Flags&SingleProducer != 0 {
		rflags |= ring.SingleProducer
	}
	if cfg.Flags&SingleConsumer != 0 {
		rflags |= ring.SingleConsumer
	}
	if p.ring, err = ring.New[unsafe.Pointer]("mempool:"+cfg.Name, cfg.N, rflags); err != nil {
		return nil, fmt.Errorf("mempool %q: creating ring: %w", cfg.Name, err)
	}

	size := cfg.N * elt
	p.arena = cfg.Arena
	if p.arena == nil {
		p.arena, err = eal.NewArena(eal.ArenaConfig{Name: "mempool:" + cfg.Name, Size: size, Shared: cfg.Shared, Huge: cfg.Huge})
		if err != nil {
			return nil, fmt.Errorf("mempool %q: %w: %w", cfg.Name, ErrNoMemory, err)
		}
		p.ownArena = true
	}
	if p.objs, err = p.arena.Alloc(size, ObjAlign); err != nil {
		return nil, fmt.Errorf("mempool %q: %w: %w", cfg.Name, ErrNoMemory, err)
	}
	p.base = sliceAddr(p.objs)

	if cfg.CacheSize > 0 {
		if err := p.mapCaches(); err != nil {
			return nil, fmt.Errorf("mempool %q: %w: caches: %w", cfg.Name, ErrNoMemory, err)
		}
		p.flushThresh = uint32(flushThreshold(cfg.CacheSize))
		p.cacheLcores = eal.MaxLcore
	}

	if err := register(p); err != nil {
		return nil, fmt.Errorf("mempool %q: %w", cfg.Name, err)
	}
	if p.name == "" {
		p.name = fmt.Sprintf("mempool%d", p.id)
	}
	if cfg.ObjInit != nil {
		for i := 0; i < p.n; i++ {
			cfg.ObjInit(p, i, p.ObjAt(i))
		}
	}
	p.fill()
	ok = true
	return p, nil
}

// release undoes New (or Close): registry, caches, own arena.
func (p *Pool) release() error {
	unregister(p)
	err := p.unmapCaches()
	if p.ownArena && p.arena != nil {
		err = errors.Join(err, p.arena.Close())
	}
	return err
}

// Close unregisters the pool (its ID may be reused), unmaps its caches and
// closes its own arena (not one given in Config.Arena). Objects and the
// pool's fast path must not be used afterwards. Close is idempotent.
// Accounting calls keep answering: Avail and InUse report the counts at
// Close, so a leak check after Close still sees the leak.
func (p *Pool) Close() error {
	regMu.Lock()
	if p.closed.Load() {
		regMu.Unlock()
		return nil
	}
	p.lastAvail = p.avail()
	p.closed.Store(true)
	regMu.Unlock()
	if err := p.release(); err != nil {
		return fmt.Errorf("mempool %q: close: %w", p.name, err)
	}
	return nil
}

// Closed reports whether Close was called.
func (p *Pool) Closed() bool { return p.closed.Load() }

// Name returns the pool's name ("mempool<ID>" when Config.Name was empty).
func (p *Pool) Name() string { return p.name }

// ID returns the pool's index in the registry, >= 1.
func (p *Pool) ID() uint16 { return p.id }

// Size returns N, the number of objects.
func (p *Pool) Size() int { return p.n }

// ObjSize returns Config.ObjSize.
func (p *Pool) ObjSize() int { return p.objSize }

// EltSize returns the distance between consecutive objects (ObjSize
// rounded up to 64).
func (p *Pool) EltSize() int { return int(p.elt) }

// Arena returns the arena that holds the objects.
func (p *Pool) Arena() *eal.Arena { return p.arena }

// CacheSize returns the per-lcore cache size (0: no cache).
func (p *Pool) CacheSize() int { return int(p.cacheSize) }

// FlushThreshold returns the cache length past which a put flushes the
// cache to the ring (CacheSize*3/2; 0 without a cache).
func (p *Pool) FlushThreshold() int { return int(p.flushThresh) }

// Flags returns Config.Flags.
func (p *Pool) Flags() Flags { return p.flags }

// RingCount returns the number of free objects in the common ring (not in
// the caches).
func (p *Pool) RingCount() int {
	if p.closed.Load() {
		return 0
	}
	return p.ring.Count()
}

// CacheCount returns the number of objects in lcore's cache (0 for an
// lcore without one). Reading another lcore's cache while it runs gives a
// value that was true at some recent instant.
func (p *Pool) CacheCount(lcore uint) int {
	if lcore >= p.cacheLcores || p.closed.Load() {
		return 0
	}
	return int(atomic.LoadUint32(&p.cacheOf(lcore).len))
}

// Avail returns the number of free objects: in the ring plus in every
// lcore's cache (rte_mempool_avail_count). After Close, the number at
// Close.
func (p *Pool) Avail() int {
	if p.closed.Load() {
		return p.lastAvail
	}
	return p.avail()
}

func (p *Pool) avail() int {
	n := p.ring.Count()
	for l := uint(0); l < p.cacheLcores; l++ {
		n += int(atomic.LoadUint32(&p.cacheOf(l).len))
	}
	return min(n, p.n)
}

// InUse returns Size() - Avail(): objects handed out and not yet put back
// (rte_mempool_in_use_count).
func (p *Pool) InUse() int { return p.n - p.Avail() }

// Full reports whether every object is free.
func (p *Pool) Full() bool { return p.Avail() == p.n }

// Empty reports whether no object is free.
func (p *Pool) Empty() bool { return p.Avail() == 0 }

// String describes the pool for logs.
func (p *Pool) String() string {
	return fmt.Sprintf("mempool %q id=%d n=%d elt=%d cache=%d avail=%d", p.name, p.id, p.n, p.elt, p.cacheSize, p.Avail())
}

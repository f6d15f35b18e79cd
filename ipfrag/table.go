package ipfrag

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"math/rand/v2"

	"github.com/dpkit/dpkit/mbuf"
)

// Config sizes a reassembly Table (the arguments of
// rte_ip_frag_table_create). It is a plain value.
type Config struct {
	// Buckets is the number of hash buckets, rounded up to a power of two.
	Buckets int
	// BucketEntries is the number of flows a bucket holds (1..16).
	BucketEntries int
	// MaxEntries bounds the flows in use at once; 0 means
	// Buckets*BucketEntries.
	MaxEntries int
	// MaxFragments is the most fragments one datagram may have (1..1024);
	// 0 means DefaultMaxFragments, DPDK's RTE_LIBRTE_IP_FRAG_MAX_FRAG.
	MaxFragments int
	// Timeout is how long, in TSC cycles (eal.TSCHz() per second), a
	// datagram may take to arrive whole, counted from its first fragment.
	Timeout uint64
}

// DefaultMaxFragments is MaxFragments when the Config leaves it 0.
const DefaultMaxFragments = 8

// Stats counts what a Table did (rte_ip_frag_tbl_stat, plus the reasons
// of the drops). Fragments counts every fragment given to the table, and
// each of them is either held, or part of a Completed datagram, or
// counted in exactly one of the Drop fields or among the fragments of an
// Expired or killed flow (FlowFragsDropped).
type Stats struct {
	Fragments uint64 // fragments received
	Completed uint64 // datagrams reassembled
	Flows     uint64 // flows created
	Expired   uint64 // flows that timed out

	DropMalformed uint64 // bad header or length
	DropDuplicate uint64 // exact duplicates
	DropOverlap   uint64 // overlapping fragments (the flow is killed)
	DropOversize  uint64 // datagram past 65535 bytes (the flow is killed)
	DropTiny      uint64 // TCP fragment at offset 8 (the flow is killed)
	DropTooMany   uint64 // more than MaxFragments (the flow is killed)
	DropBadLast   uint64 // conflicting end of datagram (the flow is killed)
	DropNoSpace   uint64 // no free flow slot
	DropShared    uint64 // first fragment in a shared buffer (its header cannot be rewritten)

	FlowsKilled      uint64 // flows dropped by a hostile fragment
	FlowFragsDropped uint64 // fragments dropped with expired or killed flows
}

// key identifies a datagram: IPv4 (src, dst, id, protocol) or IPv6 (src,
// dst, id); v6 keeps the families apart.
type key struct {
	src, dst [16]byte
	id       uint32
	proto    uint8
	v6       bool
}

type frag struct {
	m    *mbuf.Mbuf
	off  int32 // of the payload in the datagram
	len  int32 // payload bytes
	hlen int32 // bytes before the payload in m (L2 and IP headers)
}

// flow is one datagram in reassembly.
type flow struct {
	key   key
	start uint64 // TSC of its first fragment
	total int32  // payload length, -1 until the last fragment came
	have  int32  // payload bytes held
	n     int32  // fragments held
	nhPos int32  // IPv6: position of the first fragment's next header byte before its fragment header
	used  bool
	older int32 // in the age list: toward the oldest, -1 at the end
	newer int32
	frags []frag // MaxFragments slots, in the table's array
}

// Table holds datagrams being reassembled (rte_ip_frag_tbl). Its memory is
// allocated by NewTable only.
type Table struct {
	flows   []flow
	frags   []frag
	mask    uint32
	assoc   int
	max     int
	maxFrag int
	timeout uint64
	seed    uint64
	used    int
	oldest  int32 // age list (first fragment time): oldest end
	newest  int32
	stats   Stats
}

// NewTable allocates a reassembly table.
func NewTable(cfg Config) (*Table, error) {
	if cfg.Buckets < 1 || cfg.Buckets > 1<<24 {
		return nil, fmt.Errorf("%w: Buckets %d must be 1..%d", ErrConfig, cfg.Buckets, 1<<24)
	}
	if cfg.BucketEntries < 1 || cfg.BucketEntries > 16 {
		return nil, fmt.Errorf("%w: BucketEntries %d must be 1..16", ErrConfig, cfg.BucketEntries)
	}
	nb := 1 << bits.Len(uint(cfg.Buckets-1))
	slots := nb * cfg.BucketEntries
	if cfg.MaxEntries == 0 {
		cfg.MaxEntries = slots
	}
	if cfg.MaxEntries < 1 || cfg.MaxEntries > slots {
		return nil, fmt.Errorf("%w: MaxEntries %d must be 1..%d (buckets x entries)", ErrConfig, cfg.MaxEntries, slots)
	}
	if cfg.MaxFragments == 0 {
		cfg.MaxFragments = DefaultMaxFragments
	}
	if cfg.MaxFragments < 1 || cfg.MaxFragments > 1024 {
		return nil, fmt.Errorf("%w: MaxFragments %d must be 1..1024", ErrConfig, cfg.MaxFragments)
	}
	if cfg.Timeout == 0 {
		return nil, fmt.Errorf("%w: Timeout must be set (TSC cycles)", ErrConfig)
	}
	t := &Table{
		flows:   make([]flow, slots),
		frags:   make([]frag, slots*cfg.MaxFragments),
		mask:    uint32(nb - 1),
		assoc:   cfg.BucketEntries,
		max:     cfg.MaxEntries,
		maxFrag: cfg.MaxFragments,
		timeout: cfg.Timeout,
		seed:    rand.Uint64() | 1,
		oldest:  -1,
		newest:  -1,
	}
	for i := range t.flows {
		t.flows[i].frags = t.frags[i*cfg.MaxFragments : (i+1)*cfg.MaxFragments : (i+1)*cfg.MaxFragments]
	}
	return t, nil
}

// Stats returns the counters.
func (t *Table) Stats() Stats { return t.stats }

// Flows returns the number of flows in reassembly.
func (t *Table) Flows() int { return t.used }

// Held returns the number of fragments (packets) the table holds.
func (t *Table) Held() int {
	n := 0
	for i := range t.flows {
		n += int(t.flows[i].n)
	}
	return n
}

// MaxHeld is the most packets the table can ever hold.
func (t *Table) MaxHeld() int { return t.max * t.maxFrag }

// Expire drops every flow older than the timeout at now into dr
// (rte_ip_frag_table_del_expired_entries), and returns how many.
func (t *Table) Expire(dr *DeathRow, now uint64) int {
	n := 0
	for t.oldest >= 0 && t.expired(&t.flows[t.oldest], now) {
		t.kill(t.oldest, dr)
		t.stats.Expired++
		n++
	}
	return n
}

// Flush drops every flow into dr, expired or not.
func (t *Table) Flush(dr *DeathRow) {
	for t.oldest >= 0 {
		t.kill(t.oldest, dr)
	}
}

func (t *Table) expired(f *flow, now uint64) bool { return now-f.start >= t.timeout }

func (t *Table) hash(k *key) uint32 {
	h := t.seed
	h = mix(h ^ binary.LittleEndian.Uint64(k.src[0:8]))
	h = mix(h ^ binary.LittleEndian.Uint64(k.src[8:16]))
	h = mix(h ^ binary.LittleEndian.Uint64(k.dst[0:8]))
	h = mix(h ^ binary.LittleEndian.Uint64(k.dst[8:16]))
	h = mix(h ^ uint64(k.id)<<8 ^ uint64(k.proto))
	return uint32(h >> 32)
}

func mix(h uint64) uint64 {
	hi, lo := bits.Mul64(h, 0x9e3779b97f4a7c15)
	return hi ^ lo
}

// lookup returns the index of k's flow, creating it at now if there is
// none; -1 when there is no room. Expired flows met on the way are
// dropped into dr.
func (t *Table) lookup(k *key, now uint64, dr *DeathRow) int32 {
	// At most two of the oldest flows are expired per call: the work per
	// fragment stays bounded, and Expire does the rest.
	for range 2 {
		if t.oldest < 0 || !t.expired(&t.flows[t.oldest], now) {
			break
		}
		t.kill(t.oldest, dr)
		t.stats.Expired++
	}
	b := int(t.hash(k)&t.mask) * t.assoc
	free := int32(-1)
	for i := b; i < b+t.assoc; i++ {
		f := &t.flows[i]
		if f.used && t.expired(f, now) {
			t.kill(int32(i), dr)
			t.stats.Expired++
		}
		if !f.used {
			if free < 0 {
				free = int32(i)
			}
			continue
		}
		if f.key == *k {
			return int32(i)
		}
	}
	if free < 0 || t.used >= t.max {
		return -1
	}
	f := &t.flows[free]
	f.key = *k
	f.start = now
	f.total = -1
	f.have = 0
	f.n = 0
	f.used = true
	f.newer = -1
	f.older = t.newest
	if t.newest >= 0 {
		t.flows[t.newest].newer = free
	} else {
		t.oldest = free
	}
	t.newest = free
	t.used++
	t.stats.Flows++
	return free
}

// release frees flow i's slot without touching its fragments.
func (t *Table) release(i int32) {
	f := &t.flows[i]
	if f.older >= 0 {
		t.flows[f.older].newer = f.newer
	} else {
		t.oldest = f.newer
	}
	if f.newer >= 0 {
		t.flows[f.newer].older = f.older
	} else {
		t.newest = f.older
	}
	for j := range f.n {
		f.frags[j].m = nil
	}
	f.used = false
	f.n = 0
	t.used--
}

// kill drops flow i and its fragments into dr.
func (t *Table) kill(i int32, dr *DeathRow) {
	f := &t.flows[i]
	for j := range f.n {
		dr.add(f.frags[j].m)
	}
	t.stats.FlowFragsDropped += uint64(f.n)
	t.release(i)
}

// DeathRow collects the packets a Table dropped, for the caller to free
// on its lcore (rte_ip_frag_death_row). When it fills up it frees what it
// holds itself, on the lcore it was made for, so nothing is ever lost.
type DeathRow struct {
	ms    []*mbuf.Mbuf
	lcore uint
}

// NewDeathRow makes a death row for n packets, freed on lcore.
func NewDeathRow(n int, lcore uint) *DeathRow {
	return &DeathRow{ms: make([]*mbuf.Mbuf, 0, max(n, 1)), lcore: lcore}
}

func (d *DeathRow) add(m *mbuf.Mbuf) {
	if len(d.ms) == cap(d.ms) {
		d.FreeAll()
	}
	d.ms = append(d.ms, m)
}

// Len returns the number of packets waiting.
func (d *DeathRow) Len() int { return len(d.ms) }

// FreeAll frees every packet waiting (rte_ip_frag_free_death_row).
func (d *DeathRow) FreeAll() {
	mbuf.FreeBulk(d.lcore, d.ms)
	clear(d.ms)
	d.ms = d.ms[:0]
}

package ethdev

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"

	"github.com/dpkit/dpkit/internal/toeplitz"
	"github.com/dpkit/dpkit/mbuf"
)

// RSSHash is a set of RSS hash types; the bits are DPDK's RTE_ETH_RSS_*.
type RSSHash uint64

const (
	RSSIPv4           RSSHash = 1 << 2
	RSSFragIPv4       RSSHash = 1 << 3
	RSSNonfragIPv4TCP RSSHash = 1 << 4
	RSSNonfragIPv4UDP RSSHash = 1 << 5
	RSSNonfragIPv4Oth RSSHash = 1 << 7
	RSSIPv6           RSSHash = 1 << 8
	RSSFragIPv6       RSSHash = 1 << 9
	RSSNonfragIPv6TCP RSSHash = 1 << 10
	RSSNonfragIPv6UDP RSSHash = 1 << 11
	RSSNonfragIPv6Oth RSSHash = 1 << 13
	RSSIP                     = RSSIPv4 | RSSFragIPv4 | RSSNonfragIPv4Oth | RSSIPv6 | RSSFragIPv6 | RSSNonfragIPv6Oth
	RSSTCP                    = RSSNonfragIPv4TCP | RSSNonfragIPv6TCP
	RSSUDP                    = RSSNonfragIPv4UDP | RSSNonfragIPv6UDP
	SoftRSSOffloads           = RSSIP | RSSTCP | RSSUDP
	RSSKeySize                = 40  // bytes of a Toeplitz key
	SoftRETASize              = 128 // entries of the software RETA
	rssTupleMax               = 36  // IPv6 addresses + ports
	rssDefaultTypes   RSSHash = RSSIP | RSSTCP | RSSUDP
)

// RSSConf is the RSS hash configuration (rte_eth_rss_conf).
type RSSConf struct {
	// Key is the Toeplitz key, RSSKeySize bytes; nil means the default
	// key (Microsoft's, as testpmd).
	Key []byte
	// Types are the hash types; 0 with MQRSS means IP|TCP|UDP.
	Types RSSHash
}

// RSS is a port's software receive side scaling: the Toeplitz hash of each
// packet's 5-tuple (or addresses) under the port's key, and a redirection
// table (RETA) from the hash's low bits to an rx queue. Drivers without
// RSS hardware get it through SoftRSSUser; the control calls replace its
// state atomically, so Queue may run on any goroutine at any time.
type RSS struct {
	st     atomic.Pointer[rssState]
	queues int
}

type rssState struct {
	table *toeplitz.Table
	key   []byte
	types RSSHash
	reta  [SoftRETASize]uint16
}

// newRSS builds the engine for cfg (p.mu held).
func (p *Port) newRSS(cfg Config) (*RSS, error) {
	st, err := p.rssState(nil, cfg.RSS)
	if err != nil {
		return nil, err
	}
	for i := range st.reta {
		st.reta[i] = uint16(i % cfg.RxQueues)
	}
	r := &RSS{queues: cfg.RxQueues}
	r.st.Store(st)
	return r, nil
}

// rssState validates conf and makes a state from it, keeping old's RETA.
func (p *Port) rssState(old *rssState, conf RSSConf) (*rssState, error) {
	key := conf.Key
	if key == nil {
		key = toeplitz.DefaultKey[:]
	}
	if len(key) != RSSKeySize {
		return nil, p.errf(ErrInvalid, "RSS key of %d bytes (want %d)", len(key), RSSKeySize)
	}
	types := conf.Types
	if types == 0 {
		types = rssDefaultTypes
	}
	if bad := types &^ p.info.RSSOffloads; bad != 0 {
		return nil, p.errf(ErrNotSupported, "RSS hash types %#x (port offers %#x)", uint64(bad), uint64(p.info.RSSOffloads))
	}
	st := &rssState{table: toeplitz.New(key), key: append([]byte(nil), key...), types: types}
	if old != nil {
		st.reta = old.reta
	}
	return st, nil
}

// Queue computes m's RSS hash, stores it in the mbuf (RSSHash and the
// RxRSSHash flag) and returns the rx queue the RETA gives; a packet with
// nothing to hash (not IP, or a type not enabled) goes to queue 0 without
// a hash. It does not allocate.
func (r *RSS) Queue(m *mbuf.Mbuf) uint16 {
	st := r.st.Load()
	h, ok := st.hash(m.Data())
	if !ok {
		return 0
	}
	m.SetRSSHash(h)
	m.AddOlFlags(mbuf.RxRSSHash)
	return st.reta[h%SoftRETASize]
}

// Hash returns the RSS hash of a frame under the engine's key and types,
// and false if the frame has nothing to hash.
func (r *RSS) Hash(frame []byte) (uint32, bool) { return r.st.Load().hash(frame) }

func (st *rssState) hash(frame []byte) (uint32, bool) {
	var buf [rssTupleMax]byte
	n := rssTuple(frame, st.types, &buf)
	if n == 0 {
		return 0, false
	}
	return st.table.Hash(buf[:n]), true
}

// rssTuple writes the hash input of frame for types into buf (source and
// destination address, then source and destination port, in network
// order) and returns its length, 0 if there is none. It reads only within
// frame: a truncated header gives 0.
func rssTuple(frame []byte, types RSSHash, buf *[rssTupleMax]byte) int {
	if len(frame) < 14 {
		return 0
	}
	et := binary.BigEndian.Uint16(frame[12:])
	off := 14
	for i := 0; i < 2 && (et == 0x8100 || et == 0x88a8); i++ {
		if len(frame) < off+4 {
			return 0
		}
		et = binary.BigEndian.Uint16(frame[off+2:])
		off += 4
	}
	l3 := frame[off:]
	switch et {
	case 0x0800:
		if len(l3) < 20 || l3[0]>>4 != 4 {
			return 0
		}
		ihl := int(l3[0]&0xf) * 4
		if ihl < 20 || len(l3) < ihl {
			return 0
		}
		copy(buf[:8], l3[12:20])
		frag := binary.BigEndian.Uint16(l3[6:])&0x3fff != 0
		proto := l3[9]
		if !frag && len(l3) >= ihl+4 {
			if proto == 6 && types&RSSNonfragIPv4TCP != 0 || proto == 17 && types&RSSNonfragIPv4UDP != 0 {
				copy(buf[8:12], l3[ihl:ihl+4])
				return 12
			}
		}
		if types&(RSSIPv4|RSSFragIPv4|RSSNonfragIPv4Oth) != 0 {
			return 8
		}
	case 0x86dd:
		if len(l3) < 40 || l3[0]>>4 != 6 {
			return 0
		}
		copy(buf[:32], l3[8:40])
		nh := l3[6]
		if len(l3) >= 44 {
			if nh == 6 && types&RSSNonfragIPv6TCP != 0 || nh == 17 && types&RSSNonfragIPv6UDP != 0 {
				copy(buf[32:36], l3[40:44])
				return 36
			}
		}
		if types&(RSSIPv6|RSSFragIPv6|RSSNonfragIPv6Oth) != 0 {
			return 32
		}
	}
	return 0
}

// RSSHashConf returns the port's RSS key and hash types
// (rte_eth_dev_rss_hash_conf_get).
func (p *Port) RSSHashConf() (RSSConf, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rss == nil {
		return RSSConf{}, p.errf(ErrState, "RSS is not configured (Config.RxMQMode MQRSS)")
	}
	st := p.rss.st.Load()
	return RSSConf{Key: append([]byte(nil), st.key...), Types: st.types}, nil
}

// RSSHashUpdate sets the RSS key and hash types
// (rte_eth_dev_rss_hash_update); the RETA is kept.
func (p *Port) RSSHashUpdate(conf RSSConf) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rss == nil {
		return p.errf(ErrState, "RSS is not configured (Config.RxMQMode MQRSS)")
	}
	st, err := p.rssState(p.rss.st.Load(), conf)
	if err != nil {
		return err
	}
	p.rss.st.Store(st)
	p.cfg.RSS = RSSConf{Key: st.key, Types: st.types}
	return nil
}

// RETAEntry is one redirection table update: entry Index sends to Queue.
type RETAEntry struct {
	Index int
	Queue uint16
}

// RETAUpdate changes RETA entries (rte_eth_dev_rss_reta_update); every
// entry is checked before any is applied.
func (p *Port) RETAUpdate(entries []RETAEntry) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rss == nil {
		return p.errf(ErrState, "RSS is not configured (Config.RxMQMode MQRSS)")
	}
	old := p.rss.st.Load()
	st := *old
	for _, e := range entries {
		if e.Index < 0 || e.Index >= SoftRETASize {
			return p.errf(ErrInvalid, "RETA index %d (size %d)", e.Index, SoftRETASize)
		}
		if int(e.Queue) >= p.rss.queues {
			return p.errf(ErrInvalid, "RETA entry %d: queue %d (have %d rx queues)", e.Index, e.Queue, p.rss.queues)
		}
		st.reta[e.Index] = e.Queue
	}
	p.rss.st.Store(&st)
	return nil
}

// RETA returns the redirection table (rte_eth_dev_rss_reta_query).
func (p *Port) RETA() ([]uint16, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rss == nil {
		return nil, p.errf(ErrState, "RSS is not configured (Config.RxMQMode MQRSS)")
	}
	st := p.rss.st.Load()
	return append([]uint16(nil), st.reta[:]...), nil
}

// String describes the engine.
func (r *RSS) String() string {
	st := r.st.Load()
	return fmt.Sprintf("RSS{types %#x, %d queues, RETA %d}", uint64(st.types), r.queues, len(st.reta))
}

// Package null is the net_null driver (DPDK's drivers/net/null): a port
// whose receive queues make packets out of nothing and whose transmit
// queues free what they are given. It measures the cost of the port layer
// and of an application's loop, with no device behind it.
//
// Devargs, as DPDK 22.11's net_null:
//
//	net_null0,size=64,copy=0,no-rx=0
//
//	size   length of every received packet (default 64)
//	copy   1: rx copies a template packet into each mbuf and tx copies each
//	       packet out to a scratch buffer (touching the data, as a real
//	       device's DMA would); 0: neither touches packet data
//	no-rx  1: rx receives nothing (tx still frees)
package null

import (
	"fmt"
	"sync/atomic"

	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/mbuf"
)

// maxQueues is the number of rx and tx queues a port offers.
const maxQueues = 64

func init() {
	ethdev.Register(ethdev.Driver{
		Name:    "net_null",
		Aliases: []string{"eth_null"},
		Params: []ethdev.Param{
			{Key: "size", Type: ethdev.Int, Default: "64", Min: 1, Max: mbuf.MaxBufSize, Help: "length of every received packet"},
			{Key: "copy", Type: ethdev.Bool, Default: "0", Help: "copy packet data on rx and tx"},
			{Key: "no-rx", Type: ethdev.Bool, Default: "0", Help: "receive nothing"},
		},
		Probe: probe,
	})
}

type device struct {
	size int
	copy bool
	noRx bool
	rxqs []*rxQueue
}

var _ ethdev.Device = (*device)(nil)
var _ ethdev.StatsReporter = (*device)(nil)

func probe(args *ethdev.Devargs) (ethdev.Device, error) {
	return &device{size: int(args.Int("size")), copy: args.Bool("copy"), noRx: args.Bool("no-rx")}, nil
}

func (d *device) Info(di *ethdev.DevInfo) {
	di.MaxRxQueues = maxQueues
	di.MaxTxQueues = maxQueues
	di.Speed = 10000 // DPDK's net_null reports 10 Gbps
	di.TxOffloadCapa = ethdev.TxOffloadMultiSegs | ethdev.TxOffloadMTLockfree
}

func (d *device) Configure(cfg *ethdev.Config) error {
	d.rxqs = make([]*rxQueue, cfg.RxQueues)
	return nil
}

func (d *device) RxQueueSetup(q uint16, conf *ethdev.RxQueueConf) (ethdev.RxQueue, error) {
	if room := conf.Pool.DataRoomSize() - mbuf.Headroom; d.size > room {
		return nil, fmt.Errorf("size=%d does not fit in the pool's %d-byte buffers (after %d bytes of headroom): %w",
			d.size, conf.Pool.DataRoomSize(), mbuf.Headroom, ethdev.ErrInvalid)
	}
	rq := &rxQueue{pool: conf.Pool, lcore: conf.Lcore, size: d.size, noRx: d.noRx}
	if d.copy {
		rq.template = make([]byte, d.size)
		for i := range rq.template {
			rq.template[i] = byte(i)
		}
	}
	d.rxqs[q] = rq
	return rq, nil
}

func (d *device) TxQueueSetup(q uint16, conf *ethdev.TxQueueConf) (ethdev.TxQueue, error) {
	tq := &txQueue{lcore: conf.Lcore}
	if d.copy {
		tq.scratch = make([]byte, d.size)
	}
	return tq, nil
}

func (d *device) Start() error { return nil }
func (d *device) Stop() error  { return nil }
func (d *device) Close() error { return nil } // it holds no mbufs

func (d *device) Stats(s *ethdev.Stats) {
	for i, q := range d.rxqs {
		if q != nil {
			n := q.nombuf.Load()
			s.RxNoMbuf += n
			s.QErrors[i] += n
		}
	}
}

func (d *device) ResetStats() {
	for _, q := range d.rxqs {
		if q != nil {
			q.nombuf.Store(0)
		}
	}
}

type rxQueue struct {
	pool     *mbuf.Pool
	lcore    uint
	size     int
	noRx     bool
	template []byte // copy=1: the bytes of every packet
	nombuf   atomic.Uint64
}

// RxBurst allocates len(pkts) mbufs of size bytes (all or nothing, as
// DPDK's null does with rte_pktmbuf_alloc_bulk).
func (q *rxQueue) RxBurst(pkts []*mbuf.Mbuf) int {
	if q.noRx || len(pkts) == 0 {
		return 0
	}
	if !q.pool.AllocBulk(q.lcore, pkts) {
		q.nombuf.Add(uint64(len(pkts)))
		return 0
	}
	for _, m := range pkts {
		if q.template != nil {
			copy(m.Append(q.size), q.template)
		} else {
			m.SetLen(q.size)
			m.SetPktLen(q.size)
		}
	}
	return len(pkts)
}

type txQueue struct {
	lcore   uint
	scratch []byte // copy=1: where packet data is copied to
}

// TxBurst takes every packet and frees it (after copying its first bytes
// out with copy=1).
func (q *txQueue) TxBurst(pkts []*mbuf.Mbuf) int {
	if q.scratch != nil {
		for _, m := range pkts {
			m.CopyTo(q.scratch)
		}
	}
	mbuf.FreeBulk(q.lcore, pkts)
	return len(pkts)
}

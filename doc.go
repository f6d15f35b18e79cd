// Package dpkit is a Data Plane Development Kit written in Go: the ideas of
// DPDK (poll-mode drivers, lockless rings, per-core mempools, burst-oriented
// processing) re-implemented natively, with no cgo in the data path, as a
// library plus the tools its users run (testpmd, l3fwd, pktgen, vswitch,
// dumpcap, telemetry) behind one binary, cmd/dpkit.
//
// This package holds no code; it documents the architecture.
//
// # The path of a packet
//
//	port (PMD) --RxBurst--> []*mbuf.Mbuf --> classify / lookup / act --> TxBurst --> port
//	     ^                        |
//	     '---- mempool <----------'  (every mbuf comes from a mempool and goes back to it)
//
// Everything is burst-oriented: a burst of 32..256 packets moves through
// each stage. A call through an interface per burst is fine; one per packet
// in a hot path is a defect.
//
// # Layers
//
// Bottom up. A package imports only packages from layers below its own.
//
//	layer                package(s)                                   DPDK counterpart
//	-------------------  -------------------------------------------  ------------------------------
//	environment          eal (lcores, memory arenas, cycles, args)     EAL
//	containers           ring, mempool, mbuf                           rte_ring, rte_mempool, rte_mbuf
//	ports                ethdev, ethdev/porttest                       rte_ethdev
//	drivers              driver/net/<name>: null, ring, pcap, tap,     drivers/net/*
//	                     afpacket, afxdp, memif, vhost, virtio
//	virtio               virtio, vhost                                 lib/vhost, drivers/net/virtio
//	protocol mechanisms  internal/memifproto, internal/afpacket,       -
//	                     internal/tap, internal/pcapfile,
//	                     internal/xsk, internal/vhostproto
//	protocols            proto, ipfrag, gro, gso, offload              lib/net, ip_frag, gro, gso
//	lookups              hash, lpm, acl, flow                          rte_hash, rte_lpm, rte_acl, rte_flow
//	processing models    distributor, graph, pipeline, meter, sched   rte_distributor, rte_graph, ...
//	observability        telemetry, pcapng, capture                    telemetry, pdump, dumpcap
//	applications         app/<name> (logic), cmd/dpkit (wiring)        app/test-pmd, examples/l3fwd
//	examples             examples/<name>                               examples/helloworld, skeleton
//
// One registration crosses the layers upward on purpose: ethdev does the
// offloads a device lacks (checksums, VLAN, TSO, rx checksum flags, packet
// type) through a hook that package offload, above proto, fills in its
// init; programs import offload for that side effect, and a port asked
// for such an offload without it fails Configure naming the offload.
//
// cmd/dpkit is thin: it parses flags and wires things together; the logic
// lives in app/* so that it can be tested. Applications never import a
// driver: they open ports by DPDK-style devargs through ethdev, and the
// binary imports driver/net/all for its side effect.
//
// # Memory rules
//
//  1. Packet memory is off the Go heap: arenas are mmap'd (MAP_HUGETLB
//     where hugepages are available, 4 KiB pages with MADV_HUGEPAGE
//     otherwise) and, where another process must see them (memif,
//     vhost-user, capture), backed by a memfd whose descriptor can be
//     passed over a Unix socket.
//  2. An Mbuf header is a Go struct laid over that memory. It never holds a
//     pointer into the Go heap, so the garbage collector need not scan it:
//     it names its pool by index and other mbufs by *Mbuf into the arena.
//  3. The hot path allocates nothing: testing.AllocsPerRun of a burst
//     through every stage is 0, and every benchmark reports allocs/op.
//  4. Shared counters and ring indices live on their own 64-byte cache
//     lines.
//  5. Nothing is lost: every test checks that all mbufs went back to their
//     pool.
//
// # The lcore model
//
// An lcore is a goroutine locked to its OS thread (runtime.LockOSThread)
// and pinned to one CPU (sched_setaffinity). It busy-polls its queues; when
// a queue stays empty it may sleep on the port's event fd (rx interrupt
// mode: the hybrid poll/interrupt model). One queue is polled by exactly
// one lcore, and everything that crosses lcores goes through a ring.
//
// A busy lcore holds its Go scheduler P for good, so the runtime is given
// one P more than the number of polling lcores (GOMAXPROCS); otherwise the
// garbage collector, timers and control goroutines starve. A test proves
// that a GC cycle completes while every lcore polls.
//
// # Fast path and control path
//
// Control calls (Configure, Start, QueueSetup ...) return errors. Burst
// calls (RxBurst, TxBurst, ring Enqueue/Dequeue bursts, mempool Get/Put
// bulks) return a count, never an error, and never allocate; the caller
// frees whatever TX did not take.
//
// # Measuring
//
// Every hot component has a Go benchmark and a side-by-side comparison
// against its DPDK 22.11 counterpart, run on the same machine in the same
// run and reported as a ratio: run "go run ./cmd/dpkit bench ring" for the
// dpkit figures alone, "make vs-dpdk" for the comparison.
package dpkit

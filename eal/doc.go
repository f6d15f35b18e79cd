// Package eal is dpkit's Environment Abstraction Layer: what DPDK's EAL
// does for a C program — cores, memory, time and the command line — done
// natively for Go, with no cgo.
//
// # Lcores
//
// An lcore is a goroutine locked to its OS thread (runtime.LockOSThread)
// and pinned to a CPU (sched_setaffinity). Init starts one worker per lcore
// other than the main one; the main lcore is the caller. RemoteLaunch,
// Wait, WaitAll and LaunchOnAll hand functions to workers like
// rte_eal_remote_launch and friends; a function receives its lcore id,
// which per-lcore state is indexed by (MaxLcore bounds it). A panic in an
// lcore function is recovered and returned by Wait as a *PanicError.
// Busy-polling lcores keep their scheduler P, so Init raises GOMAXPROCS
// to LcoreCount()+1 to leave one for the garbage collector and timers.
// PinCurrent pins other code (a benchmark) to an lcore's CPU.
//
// # Memory
//
// Packet memory lives off the Go heap, in Arenas: mmap'd regions on 2 MiB
// (or 1 GiB) hugepages when available, else on ordinary pages advised
// MADV_HUGEPAGE, prefaulted at creation. A Shared arena is backed by a
// memfd whose fd can be passed to another process (memif, vhost-user). An
// arena has a bump allocator; SetMemoryLimit (-m) caps the total.
// Memzones are named reservations like rte_memzone; each has an arena of
// its own, so Free returns its memory to the system.
//
// # Cycles
//
// Rdtsc and RdtscP read the time-stamp counter, TSCHz gives its rate,
// Pause is the spin-loop hint and Nanotime a cheap monotonic clock; none
// of them allocates.
//
// # Arguments
//
// ParseArgs understands DPDK's EAL options (-l, -c, --lcores, -m,
// --no-huge, --vdev, ...) up to "--"; InitArgs parses and calls Init.
package eal

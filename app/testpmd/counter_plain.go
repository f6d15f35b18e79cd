//go:build !race

package testpmd

// add adds n to a counter that one goroutine (the polling lcore) writes and
// others read with atomic loads: a plain add, no locked instruction (an
// aligned 8-byte store is atomic on the machines Go supports). Race builds
// use counter_race.go, so the race detector sees the protocol as sound.
func add(c *uint64, n int) { *c += uint64(n) }

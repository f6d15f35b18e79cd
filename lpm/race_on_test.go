//go:build race

package lpm

// raceEnabled shortens the single-goroutine differential tests under the
// race detector, which finds nothing in them and slows them tenfold.
const raceEnabled = true

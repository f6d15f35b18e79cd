//go:build race

package testpmd

import "sync/atomic"

// add is counter_plain.go's add for race builds: atomic, so that the
// detector accepts the single-writer counters.
func add(c *uint64, n int) { atomic.AddUint64(c, uint64(n)) }

//go:build !amd64 || race

package ethdev

import "sync/atomic"

// addCounter adds v to a counter that only the calling goroutine writes.
func addCounter(p *uint64, v uint64) { atomic.AddUint64(p, v) }

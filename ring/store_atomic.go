//go:build !amd64 || race

package ring

import "sync/atomic"

// storeRelease publishes v at p with (at least) release ordering.
func storeRelease(p *uint32, v uint32) { atomic.StoreUint32(p, v) }

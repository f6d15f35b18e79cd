//go:build race

package hash

import "sync/atomic"

// storeSigs: see store_norace.go.
func storeSigs(w *uint64, v uint64) { atomic.StoreUint64(w, v) }

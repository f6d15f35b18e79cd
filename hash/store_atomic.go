//go:build race || !amd64

package hash

import "sync/atomic"

// See store_amd64.go.

func storeSigs(w *uint64, v uint64) { atomic.StoreUint64(w, v) }

func storeIdx(p *uint32, v uint32) { atomic.StoreUint32(p, v) }

//go:build !race

package hash

// The writer publishes entries with plain stores on amd64: an aligned
// 32- or 64-bit store is single-copy atomic there, x86 keeps stores in
// program order (a store is a release), and Go's compiler never reorders
// stores (each takes and returns the memory state). Readers load these
// words with sync/atomic. This saves a locked XCHG per store, which would
// also wait for the key and data stores before it to drain. Race builds
// and other architectures use sync/atomic stores (store_atomic.go).

func storeSigs(w *uint64, v uint64) { *w = v }

func storeIdx(p *uint32, v uint32) { *p = v }

//go:build !race

package hash

// storeSigs stores a bucket's signature word. Readers load it atomically;
// the single writer stores it with a plain store: on amd64 and arm64 an
// aligned 64-bit store is single-copy atomic, and the atomic store of the
// entry's index that follows it (which publishes the entry) keeps the
// compiler and the CPU from moving it later. This saves a locked
// instruction per insert; race builds use atomic.StoreUint64 instead so
// that the race detector sees the synchronisation.
func storeSigs(w *uint64, v uint64) { *w = v }

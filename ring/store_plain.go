//go:build amd64 && !race

package ring

// storeRelease publishes v at p with release ordering. On amd64 every store
// is a release store (TSO) and the Go compiler neither reorders stores nor
// moves them across the copy that precedes them, so a plain store suffices.
func storeRelease(p *uint32, v uint32) { *p = v }

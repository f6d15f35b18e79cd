//go:build !amd64

package acl

// useAVX512 is false: there is no assembly filter on this architecture.
var useAVX512 = false

// filter sets the mask of every fl entry: bit j for the list entry
// start+j, j < cnt, whose first-field range (lo, span) holds f0.
func filter(fl []filt, lo, span []uint32) { filterBlockGo(fl, lo, span) }

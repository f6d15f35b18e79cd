//go:build !amd64

package acl

// useAVX512 is false: there is no assembly filter on this architecture.
var useAVX512 = false

// filter sets the masks of every fl entry: bit j for the list entry
// start+j, j < cnt, whose ranges of the first nfilt fields (fr, stride
// words apart) hold the key's.
func filter(fl []filt, fr []uint32, nfilt, stride int) { filterBlockGo(fl, fr, nfilt, stride) }

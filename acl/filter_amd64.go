package acl

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// useAVX512 selects filterAVX512; tests turn it off to compare the two.
var useAVX512 = cpu.X86.HasAVX512F

// filter sets the masks of every fl entry: bit j for the list entry
// start+j, j < cnt rounded up to 16, whose ranges of the first nfilt
// fields (fr, stride words apart) hold the key's. Bits at or past cnt are
// garbage.
func filter(fl []filt, fr []uint32, nfilt, stride int) {
	if len(fl) == 0 {
		return
	}
	if useAVX512 {
		filterAVX512(unsafe.SliceData(fl), len(fl), unsafe.SliceData(fr), nfilt, 4*stride)
		return
	}
	filterBlockGo(fl, fr, nfilt, stride)
}

// filterAVX512 is the filter 16 entries a compare. Each of fr's arrays
// must hold filterPad entries past the last start+cnt.
//
//go:noescape
func filterAVX512(fl *filt, n int, fr *uint32, nfilt, strideBytes int)

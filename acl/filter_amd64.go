package acl

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// useAVX512 selects filterAVX512; tests turn it off to compare the two.
var useAVX512 = cpu.X86.HasAVX512F

// filter sets the mask of every fl entry: bit j for the list entry
// start+j, j < cnt rounded up to 16, whose first-field range (lo, span)
// holds f0. Bits at or past cnt are garbage.
func filter(fl []filt, lo, span []uint32) {
	if len(fl) == 0 {
		return
	}
	if useAVX512 {
		filterAVX512(unsafe.SliceData(fl), len(fl), unsafe.SliceData(lo), unsafe.SliceData(span))
		return
	}
	filterBlockGo(fl, lo, span)
}

// filterAVX512 is the filter 16 entries a compare. lo and span must hold
// filterPad entries past the last start+cnt.
//
//go:noescape
func filterAVX512(fl *filt, n int, lo, span *uint32)

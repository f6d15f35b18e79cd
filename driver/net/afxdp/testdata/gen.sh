#!/bin/sh
# gen.sh: builds the test XDP objects from their LLVM IR (opaque pointers:
# LLVM 14's llc needs -opaque-pointers, LLVM 17 on has no such flag).
# Run by `go generate ./driver/net/afxdp` (from the package directory).
set -e
for p in xdp_udp xdp_nomap; do
	llc -opaque-pointers -march=bpf -filetype=obj -o testdata/$p.o testdata/$p.ll 2>/dev/null ||
		llc -march=bpf -filetype=obj -o testdata/$p.o testdata/$p.ll
done

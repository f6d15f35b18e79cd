module github.com/dpkit/dpkit

go 1.26.0

require golang.org/x/sys v0.50.0

require (
	github.com/gaissmai/bart v0.30.0
	github.com/google/gopacket v1.1.19
)

require github.com/cilium/ebpf v0.20.0

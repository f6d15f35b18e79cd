// Package all registers every dpkit network driver. Import it for its side
// effect in programs that open ports by devargs:
//
//	import _ "github.com/dpkit/dpkit/driver/net/all"
package all

import (
	_ "github.com/dpkit/dpkit/driver/net/afpacket" // net_af_packet
	_ "github.com/dpkit/dpkit/driver/net/afxdp"    // net_af_xdp
	_ "github.com/dpkit/dpkit/driver/net/memif"    // net_memif
	_ "github.com/dpkit/dpkit/driver/net/null"     // net_null
	_ "github.com/dpkit/dpkit/driver/net/pcap"     // net_pcap
	_ "github.com/dpkit/dpkit/driver/net/ring"     // net_ring
	_ "github.com/dpkit/dpkit/driver/net/tap"      // net_tap
)

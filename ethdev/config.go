package ethdev

import (
	"fmt"
	"math/bits"
	"strings"
)

// Config is a port's configuration (rte_eth_conf plus the queue counts of
// rte_eth_dev_configure). It is a plain value.
type Config struct {
	RxQueues, TxQueues int
	// RxOffloads and TxOffloads are port-wide offloads; each must be in
	// DevInfo's capabilities.
	RxOffloads RxOffload
	TxOffloads TxOffload
	// MTU in bytes (L3 payload of an Ethernet frame); 0 means 1500.
	MTU int
	// RxMQMode spreads received packets over the rx queues (MQRSS).
	RxMQMode MQMode
	// RSS is the hash configuration for MQRSS.
	RSS RSSConf
	// RxIntr enables rx interrupt mode on the queues (intr_conf.rxq):
	// RxIntrEnable / RxIntrWait need it.
	RxIntr bool
	// LinkIntr asks for link-change events (intr_conf.lsc).
	LinkIntr bool
}

// MQMode is the rx multi-queue mode (rte_eth_rx_mq_mode).
type MQMode uint8

const (
	MQNone MQMode = iota
	MQRSS
)

// DefaultMTU is the MTU of a port whose Config.MTU is 0.
const DefaultMTU = 1500

// RxOffload is a set of rx offloads; the bits are DPDK's
// RTE_ETH_RX_OFFLOAD_* values.
type RxOffload uint64

const (
	RxOffloadVLANStrip      RxOffload = 1 << 0
	RxOffloadIPv4Cksum      RxOffload = 1 << 1
	RxOffloadUDPCksum       RxOffload = 1 << 2
	RxOffloadTCPCksum       RxOffload = 1 << 3
	RxOffloadTCPLRO         RxOffload = 1 << 4
	RxOffloadQinQStrip      RxOffload = 1 << 5
	RxOffloadOuterIPv4Cksum RxOffload = 1 << 6
	RxOffloadVLANFilter     RxOffload = 1 << 9
	RxOffloadVLANExtend     RxOffload = 1 << 10
	RxOffloadScatter        RxOffload = 1 << 13
	RxOffloadTimestamp      RxOffload = 1 << 14
	RxOffloadKeepCRC        RxOffload = 1 << 16
	RxOffloadSCTPCksum      RxOffload = 1 << 17
	RxOffloadOuterUDPCksum  RxOffload = 1 << 18
	RxOffloadRSSHash        RxOffload = 1 << 19

	RxOffloadChecksum = RxOffloadIPv4Cksum | RxOffloadUDPCksum | RxOffloadTCPCksum
)

var rxOffloadNames = map[uint64]string{
	0: "vlan_strip", 1: "ipv4_cksum", 2: "udp_cksum", 3: "tcp_cksum", 4: "tcp_lro",
	5: "qinq_strip", 6: "outer_ipv4_cksum", 9: "vlan_filter", 10: "vlan_extend",
	13: "scatter", 14: "timestamp", 16: "keep_crc", 17: "sctp_cksum",
	18: "outer_udp_cksum", 19: "rss_hash",
}

// String names the offloads as testpmd does ("vlan_strip|ipv4_cksum").
func (o RxOffload) String() string { return flagNames(uint64(o), rxOffloadNames) }

// TxOffload is a set of tx offloads; the bits are DPDK's
// RTE_ETH_TX_OFFLOAD_* values.
type TxOffload uint64

const (
	TxOffloadVLANInsert     TxOffload = 1 << 0
	TxOffloadIPv4Cksum      TxOffload = 1 << 1
	TxOffloadUDPCksum       TxOffload = 1 << 2
	TxOffloadTCPCksum       TxOffload = 1 << 3
	TxOffloadSCTPCksum      TxOffload = 1 << 4
	TxOffloadTCPTSO         TxOffload = 1 << 5
	TxOffloadUDPTSO         TxOffload = 1 << 6
	TxOffloadOuterIPv4Cksum TxOffload = 1 << 7
	TxOffloadQinQInsert     TxOffload = 1 << 8
	TxOffloadMTLockfree     TxOffload = 1 << 14
	TxOffloadMultiSegs      TxOffload = 1 << 15
	TxOffloadMbufFastFree   TxOffload = 1 << 16
	TxOffloadOuterUDPCksum  TxOffload = 1 << 20
)

var txOffloadNames = map[uint64]string{
	0: "vlan_insert", 1: "ipv4_cksum", 2: "udp_cksum", 3: "tcp_cksum", 4: "sctp_cksum",
	5: "tcp_tso", 6: "udp_tso", 7: "outer_ipv4_cksum", 8: "qinq_insert",
	14: "mt_lockfree", 15: "multi_segs", 16: "mbuf_fast_free", 20: "outer_udp_cksum",
}

// String names the offloads as testpmd does.
func (o TxOffload) String() string { return flagNames(uint64(o), txOffloadNames) }

func flagNames(v uint64, names map[uint64]string) string {
	if v == 0 {
		return "none"
	}
	var parts []string
	for v != 0 {
		b := uint64(bits.TrailingZeros64(v))
		v &^= 1 << b
		if n, ok := names[b]; ok {
			parts = append(parts, n)
		} else {
			parts = append(parts, fmt.Sprintf("bit%d", b))
		}
	}
	return strings.Join(parts, "|")
}

// DescLim is a descriptor count limit (rte_eth_desc_lim).
type DescLim struct {
	Min, Max, Align int
	// Default is the count used when a queue setup asks for 0.
	Default int
}

// DevInfo describes a port (rte_eth_dev_info).
type DevInfo struct {
	// Driver is the driver name ("net_null").
	Driver string
	// IfIndex is the kernel interface behind the port, 0 if none.
	IfIndex                  int
	MaxRxQueues, MaxTxQueues int
	MinMTU, MaxMTU           int
	// MaxRxPktLen is the largest frame the device receives.
	MaxRxPktLen   int
	RxOffloadCapa RxOffload
	TxOffloadCapa TxOffload
	// RSSOffloads are the hash types the port can spread on
	// (flow_type_rss_offloads); 0: no RSS.
	RSSOffloads RSSHash
	HashKeySize int
	RETASize    int
	RxDesc      DescLim
	TxDesc      DescLim
	Speed       uint32 // Mbps, the speed Link reports by default
	SoftRSS     bool   // RSS is ethdev's software Toeplitz hash
	// SoftRSSSpread: the device cannot steer packets itself; with
	// RxMQMode MQRSS ethdev spreads its one rx queue over up to
	// max(MaxRxQueues, SoftRSSMaxQueues) queues (see fanout.go).
	SoftRSSSpread bool
	RxIntr        bool // the device supports rx interrupt mode
	LinkIntr      bool // the device reports link changes
	MACAddresses  int  // how many MAC addresses it filters on
}

// fillDefaults completes what a driver left at zero.
func (di *DevInfo) fillDefaults() {
	if di.MaxRxQueues == 0 {
		di.MaxRxQueues = 1
	}
	if di.MaxTxQueues == 0 {
		di.MaxTxQueues = 1
	}
	if di.MinMTU == 0 {
		di.MinMTU = 68
	}
	if di.MaxMTU == 0 {
		di.MaxMTU = 9000
	}
	if di.MaxRxPktLen == 0 {
		di.MaxRxPktLen = di.MaxMTU + 18
	}
	for _, d := range []*DescLim{&di.RxDesc, &di.TxDesc} {
		if d.Max == 0 {
			d.Max = 1 << 15
		}
		if d.Min == 0 {
			d.Min = 1
		}
		if d.Align == 0 {
			d.Align = 1
		}
		if d.Default == 0 {
			d.Default = min(1024, d.Max)
		}
	}
	if di.MACAddresses == 0 {
		di.MACAddresses = 1
	}
}

// Link is a port's link state (rte_eth_link).
type Link struct {
	Up bool
	// Speed in Mbps; 0 is unknown.
	Speed  uint32
	Duplex Duplex
	// Autoneg reports auto-negotiation.
	Autoneg bool
}

// Duplex is half or full duplex.
type Duplex uint8

const (
	FullDuplex Duplex = iota
	HalfDuplex
)

func (l Link) String() string {
	if !l.Up {
		return "down"
	}
	d := "full-duplex"
	if l.Duplex == HalfDuplex {
		d = "half-duplex"
	}
	if l.Speed == 0 {
		return "up, speed unknown, " + d
	}
	return fmt.Sprintf("up, %d Mbps, %s", l.Speed, d)
}

// MAC is an Ethernet address.
type MAC [6]byte

func (m MAC) String() string {
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5])
}

// IsZero reports the all-zero address.
func (m MAC) IsZero() bool { return m == MAC{} }

// IsMulticast reports a group address (broadcast included).
func (m MAC) IsMulticast() bool { return m[0]&1 != 0 }

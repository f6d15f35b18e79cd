package afxdp

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// ethtoolChannels is struct ethtool_channels.
type ethtoolChannels struct {
	cmd                                         uint32
	maxRx, maxTx, maxOther, maxCombined         uint32
	rxCount, txCount, otherCount, combinedCount uint32
}

// ifreqData is struct ifreq with ifr_data.
type ifreqData struct {
	name [unix.IFNAMSIZ]byte
	data unsafe.Pointer
	_    [24 - unsafe.Sizeof(uintptr(0))]byte
}

const ethtoolGChannels = 0x3c // ETHTOOL_GCHANNELS

// queueCount is the number of queues of the interface AF_XDP sockets can
// bind to (the larger of its rx and combined channels, as DPDK's
// net_af_xdp reads it), or 0 when the driver does not say (no
// ETHTOOL_GCHANNELS).
func queueCount(fd int, iface string) int {
	var ch ethtoolChannels
	ch.cmd = ethtoolGChannels
	var ifr ifreqData
	copy(ifr.name[:], iface)
	ifr.data = unsafe.Pointer(&ch)
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(&ifr))); e != 0 {
		return 0
	}
	return int(max(ch.rxCount, ch.combinedCount))
}

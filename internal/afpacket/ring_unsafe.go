package afpacket

import (
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// loadStatus reads the 32-bit status word at b[off:] with acquire order:
// the kernel writes the rest of the block or frame before its status.
func loadStatus(b []byte, off int) uint32 {
	_ = b[off+3]
	return atomic.LoadUint32((*uint32)(unsafe.Pointer(&b[off])))
}

// storeStatus writes the 32-bit status word at b[off:] with release order,
// after everything we wrote to the block or frame.
func storeStatus(b []byte, off int, v uint32) {
	_ = b[off+3]
	atomic.StoreUint32((*uint32)(unsafe.Pointer(&b[off])), v)
}

// kick is sendto(fd, NULL, 0, MSG_DONTWAIT, NULL, 0): it makes the kernel
// send the tx ring's frames marked TP_STATUS_SEND_REQUEST, without waiting
// for them to leave. unix.Sendto would allocate. It is a raw call (no
// entersyscall/exitsyscall), as internal/xsk's Kick: it never blocks, but
// it sends the whole batch in the kernel, long enough that with a plain
// call Go's sysmon keeps taking the P back and waking every 20 us on the
// lcore's own CPU (measured on a veth: 21k context switches a second and
// 0.36 Mpps, against 460 and 0.49 Mpps raw).
func kick(fd int) unix.Errno {
	_, _, e := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(fd), 0, 0, unix.MSG_DONTWAIT, 0, 0)
	return e
}

// ifreqHW is struct ifreq with ifr_hwaddr (struct sockaddr).
type ifreqHW struct {
	name   [unix.IFNAMSIZ]byte
	family uint16
	data   [14]byte
	_      [8]byte
}

// HardwareAddr returns the MAC address of the interface name, asked
// through fd (any socket in the interface's network namespace).
func HardwareAddr(fd int, name string) ([6]byte, error) {
	var r ifreqHW
	var mac [6]byte
	copy(r.name[:unix.IFNAMSIZ-1], name)
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCGIFHWADDR, uintptr(unsafe.Pointer(&r))); e != 0 {
		return mac, e
	}
	copy(mac[:], r.data[:6])
	return mac, nil
}

// SetHardwareAddr sets the MAC address of the Ethernet interface name
// through fd (any socket in the interface's network namespace).
func SetHardwareAddr(fd int, name string, mac [6]byte) error {
	r := ifreqHW{family: unix.ARPHRD_ETHER}
	copy(r.name[:unix.IFNAMSIZ-1], name)
	copy(r.data[:], mac[:])
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCSIFHWADDR, uintptr(unsafe.Pointer(&r))); e != 0 {
		return e
	}
	return nil
}

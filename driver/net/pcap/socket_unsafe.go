//go:build linux

package pcap

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// recv reads one packet into b with recvfrom(2), without the allocation
// of unix.Recvfrom: it returns the packet's length (MSG_TRUNC: larger
// than len(b) when cut) and whether the kernel saw it leave the host.
func (s *socket) recv(b []byte) (n int, outgoing bool, err error) {
	var sa unix.RawSockaddrLinklayer
	salen := uint32(unsafe.Sizeof(sa))
	r, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(s.fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)),
		unix.MSG_TRUNC, uintptr(unsafe.Pointer(&sa)), uintptr(unsafe.Pointer(&salen)))
	if e != 0 {
		return 0, false, e
	}
	return int(r), sa.Pkttype == unix.PACKET_OUTGOING, nil
}

// send writes one frame on the bound interface.
func (s *socket) send(b []byte) error {
	if len(b) == 0 {
		return unix.EINVAL
	}
	_, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(s.fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), 0, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

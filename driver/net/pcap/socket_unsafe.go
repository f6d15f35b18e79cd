//go:build linux

package pcap

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// recvState is what recvmsg(2) fills, kept with the socket so that a
// receive allocates nothing.
type recvState struct {
	sa   unix.RawSockaddrLinklayer
	iov  unix.Iovec
	msg  unix.Msghdr
	ctrl [64]byte
}

// recv reads one packet into b with recvmsg(2), without the allocations
// of unix.Recvmsg: it returns the packet's length (MSG_TRUNC: larger than
// len(b) when cut), whether the kernel saw it leave the host, and its
// kernel receive time (SO_TIMESTAMPNS) in nanoseconds since the epoch, 0
// if none came.
func (s *socket) recv(b []byte) (n int, outgoing bool, ts int64, err error) {
	st := &s.rs
	st.iov.Base = &b[0]
	st.iov.SetLen(len(b))
	st.msg = unix.Msghdr{
		Name:    (*byte)(unsafe.Pointer(&st.sa)),
		Namelen: uint32(unsafe.Sizeof(st.sa)),
		Iov:     &st.iov,
		Iovlen:  1,
		Control: &st.ctrl[0],
	}
	st.msg.SetControllen(len(st.ctrl))
	r, _, e := unix.Syscall(unix.SYS_RECVMSG, uintptr(s.fd), uintptr(unsafe.Pointer(&st.msg)), unix.MSG_TRUNC)
	if e != 0 {
		return 0, false, 0, e
	}
	return int(r), st.sa.Pkttype == unix.PACKET_OUTGOING, st.timestamp(), nil
}

// timestamp finds SCM_TIMESTAMPNS in the control messages of the last
// recvmsg.
func (st *recvState) timestamp() int64 {
	ctrl := st.ctrl[:min(int(st.msg.Controllen), len(st.ctrl))]
	for len(ctrl) >= unix.SizeofCmsghdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&ctrl[0]))
		l := int(h.Len)
		if l < unix.SizeofCmsghdr || l > len(ctrl) {
			return 0
		}
		if h.Level == unix.SOL_SOCKET && h.Type == unix.SCM_TIMESTAMPNS && l >= unix.CmsgLen(int(unsafe.Sizeof(unix.Timespec{}))) {
			t := (*unix.Timespec)(unsafe.Pointer(&ctrl[unix.CmsgLen(0)]))
			return t.Nano()
		}
		ctrl = ctrl[min(unix.CmsgSpace(l-unix.SizeofCmsghdr), len(ctrl)):]
	}
	return 0
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

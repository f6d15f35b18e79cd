package afpacket

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"

	"github.com/dpkit/dpkit/internal/netns"
	"golang.org/x/sys/unix"
)

// WatchLink calls notify, from a goroutine of its own, whenever the kernel
// announces a change of the interface ifindex on rtnetlink (RTM_NEWLINK or
// RTM_DELLINK in the RTMGRP_LINK group: up, down, carrier, MTU, address),
// in the calling thread's network namespace. stop ends the watch and waits
// for the goroutine to finish. internal/tap uses it too.
func WatchLink(ifindex int, notify func()) (stop func(), err error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("afpacket: rtnetlink socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: unix.RTMGRP_LINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("afpacket: rtnetlink bind: %w", err)
	}
	// A nonblocking fd in an os.File waits in the runtime's poller, and
	// Close wakes the reader.
	f := os.NewFile(uintptr(fd), "rtnetlink")
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1<<16)
		for {
			n, err := f.Read(buf)
			switch {
			case errors.Is(err, unix.ENOBUFS):
				notify() // messages were lost: one of them may have been ours
				continue
			case err != nil:
				return // closed
			}
			if LinkEvent(buf[:n], ifindex) {
				notify()
			}
		}
	}()
	return func() {
		f.Close()
		<-done
	}, nil
}

// LinkEvent reports whether the rtnetlink messages in b announce a change
// of the interface ifindex. Malformed messages are skipped.
func LinkEvent(b []byte, ifindex int) bool {
	for len(b) >= unix.SizeofNlMsghdr {
		l := int(binary.NativeEndian.Uint32(b[0:4]))
		typ := binary.NativeEndian.Uint16(b[4:6])
		if l < unix.SizeofNlMsghdr || l > len(b) {
			return false
		}
		data := b[unix.SizeofNlMsghdr:l]
		if (typ == unix.RTM_NEWLINK || typ == unix.RTM_DELLINK) && len(data) >= unix.SizeofIfInfomsg &&
			int(int32(binary.NativeEndian.Uint32(data[4:8]))) == ifindex {
			return true
		}
		next := (l + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1)
		if next >= len(b) {
			break
		}
		b = b[next:]
	}
	return false
}

// LinkWatch is the WatchLink a port driver runs while it is started: it
// keeps ethdev's link-change hook and the running watch's stop. The zero
// value watches nothing.
type LinkWatch struct {
	notify func()
	stop   func()
}

// SetNotify keeps the hook (ethdev.LinkWatcher's WatchLink).
func (w *LinkWatch) SetNotify(notify func()) { w.notify = notify }

// Wanted reports whether there is a hook and no watch running yet.
func (w *LinkWatch) Wanted() bool { return w.notify != nil && w.stop == nil }

// Start watches interface ifindex of namespace ns, if Wanted. A watch that
// cannot start leaves the link to be polled.
func (w *LinkWatch) Start(ns *netns.Handle, ifindex int) {
	if !w.Wanted() {
		return
	}
	ns.Do(func() error {
		stop, err := WatchLink(ifindex, w.notify)
		w.stop = stop
		return err
	})
}

// Stop ends the watch, if one runs, and waits for it.
func (w *LinkWatch) Stop() {
	if w.stop != nil {
		w.stop()
		w.stop = nil
	}
}

package xsk

import (
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/dpkit/dpkit/internal/netns/netnstest"
)

// TestNoCapabilities opens a socket from a thread that has dropped every
// capability: the error must wrap ErrNotSupported and name what is
// missing, and nothing may hang.
func TestNoCapabilities(t *testing.T) {
	if os.Geteuid() != 0 {
		// Unprivileged, the process already lacks the capabilities.
		_, err := Open(Config{Iface: "lo", FrameCount: 16})
		if !errors.Is(err, ErrNotSupported) {
			t.Fatalf("unprivileged Open: %v, want ErrNotSupported", err)
		}
		return
	}
	errc := make(chan error)
	go func() {
		// Capabilities are per thread: drop them on a locked thread
		// that never unlocks, so it dies with this goroutine.
		runtime.LockOSThread()
		hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
		var data [2]unix.CapUserData
		if err := unix.Capset(&hdr, &data[0]); err != nil {
			errc <- err
			return
		}
		s, err := Open(Config{Iface: "lo", FrameCount: 16})
		if err == nil {
			s.Close()
			err = errors.New("Open succeeded without capabilities")
		}
		errc <- err
	}()
	err := <-errc
	if !errors.Is(err, ErrNotSupported) || !strings.Contains(err.Error(), "CAP_") {
		t.Fatalf("Open without capabilities: %v, want ErrNotSupported naming a capability", err)
	}
	t.Logf("as expected: %v", err)
}

// TestNoBPFCapability keeps what an AF_XDP socket needs (CAP_NET_RAW,
// CAP_IPC_LOCK) but not what loading the XDP program needs: Open must
// say so with ErrNotSupported.
func TestNoBPFCapability(t *testing.T) {
	netnstest.Require(t)
	a, b := netnstest.New(t), netnstest.New(t)
	va, _ := netnstest.NewVeth(t, a, b)
	errc := make(chan error)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with us
		var openErr error
		err := a.Do(func() error {
			hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
			var data [2]unix.CapUserData
			keep := uint32(1<<unix.CAP_NET_RAW | 1<<unix.CAP_IPC_LOCK)
			data[0].Effective, data[0].Permitted = keep, keep
			if err := unix.Capset(&hdr, &data[0]); err != nil {
				return err
			}
			s, err := Open(Config{Iface: va, FrameCount: 16})
			if err == nil {
				s.Close()
				err = errors.New("Open succeeded without CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN")
			}
			openErr = err
			return nil
		})
		if openErr == nil {
			openErr = err
		}
		errc <- openErr
	}()
	err := <-errc
	if !errors.Is(err, ErrNotSupported) || !strings.Contains(err.Error(), "CAP_BPF") {
		t.Fatalf("Open without CAP_BPF: %v, want ErrNotSupported naming CAP_BPF", err)
	}
	t.Logf("as expected: %v", err)
}

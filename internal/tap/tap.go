package tap

import (
	"errors"
	"fmt"

	"github.com/dpkit/dpkit/internal/afpacket"
	"golang.org/x/sys/unix"
)

// Offloads the TAP may hand us undone (TUNSETOFFLOAD), <linux/if_tun.h>.
const (
	OffloadCsum = unix.TUN_F_CSUM // checksums left to compute (NEEDS_CSUM)
	OffloadTSO4 = unix.TUN_F_TSO4 // TCP/IPv4 GSO frames
	OffloadTSO6 = unix.TUN_F_TSO6 // TCP/IPv6 GSO frames
	OffloadUSO4 = unix.TUN_F_USO4 // UDP/IPv4 GSO frames (Linux 6.2; with USO6 only)
	OffloadUSO6 = unix.TUN_F_USO6 // UDP/IPv6 GSO frames (Linux 6.2; with USO4 only)
)

// MaxSegments is the most buffers one Writev takes.
const MaxSegments = 32

// Config describes a Tap.
type Config struct {
	// Name of the interface: an existing persistent TAP to attach to, or
	// a new one; "" lets the kernel pick (tap0, tap1, ...).
	Name string
	// Queues is the number of queues (fds); more than one sets
	// IFF_MULTI_QUEUE. 0 means 1.
	Queues int
	// MultiQueue sets IFF_MULTI_QUEUE even with one queue, so that
	// SetQueues may add more later.
	MultiQueue bool
	// VnetHdr precedes every frame with a virtio-net header.
	VnetHdr bool
	// Offloads (Offload*, needs VnetHdr) are what we accept undone in
	// frames the kernel sends us.
	Offloads int
	// Persist keeps the interface after Close (TUNSETPERSIST).
	Persist bool
	// MAC, unless zero, is set as the interface's address.
	MAC [6]byte
	// Up brings the interface up.
	Up bool
}

// Tap is an open TAP interface. Read on queue q is for one goroutine, and
// Write/Writev on q for one; the rest is control path.
type Tap struct {
	name    string
	fds     []int
	ctl     int // socket for interface ioctls, in the TAP's namespace
	vnetHdr bool
	flags   uint16 // of TUNSETIFF
	iov     [][MaxSegments]unix.Iovec
}

// ErrConfig is wrapped by configuration errors.
var ErrConfig = errors.New("tap: bad configuration")

// Open creates (or attaches to) the TAP interface in the calling thread's
// network namespace and opens its queues, nonblocking.
func Open(cfg Config) (*Tap, error) {
	if cfg.Queues == 0 {
		cfg.Queues = 1
	}
	if cfg.Queues < 0 || cfg.Queues > 256 {
		return nil, fmt.Errorf("%w: %d queues", ErrConfig, cfg.Queues)
	}
	if len(cfg.Name) >= unix.IFNAMSIZ {
		return nil, fmt.Errorf("%w: interface name %q too long", ErrConfig, cfg.Name)
	}
	if cfg.Offloads != 0 && !cfg.VnetHdr {
		return nil, fmt.Errorf("%w: offloads need the virtio-net header", ErrConfig)
	}
	t := &Tap{name: cfg.Name, ctl: -1, vnetHdr: cfg.VnetHdr}
	if err := t.open(&cfg); err != nil {
		t.Close()
		return nil, fmt.Errorf("tap %s: %w", cfg.Name, err)
	}
	return t, nil
}

func (t *Tap) open(cfg *Config) error {
	t.flags = uint16(unix.IFF_TAP | unix.IFF_NO_PI)
	if cfg.Queues > 1 || cfg.MultiQueue {
		t.flags |= unix.IFF_MULTI_QUEUE
	}
	if cfg.VnetHdr {
		t.flags |= unix.IFF_VNET_HDR
	}
	if err := t.SetQueues(cfg.Queues); err != nil {
		return err
	}
	fd := t.fds[0]
	if cfg.VnetHdr {
		if err := unix.IoctlSetPointerInt(fd, unix.TUNSETVNETHDRSZ, VnetHdrLen); err != nil {
			return fmt.Errorf("TUNSETVNETHDRSZ: %w", err)
		}
		if err := t.SetOffloads(cfg.Offloads); err != nil {
			return err
		}
	}
	if cfg.Persist {
		if err := unix.IoctlSetInt(fd, unix.TUNSETPERSIST, 1); err != nil {
			return fmt.Errorf("TUNSETPERSIST: %w", err)
		}
	}
	ctl, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	t.ctl = ctl
	if cfg.MAC != ([6]byte{}) {
		if err := t.SetMAC(cfg.MAC); err != nil {
			return err
		}
	}
	if cfg.Up {
		if err := t.SetUp(true); err != nil {
			return err
		}
	}
	return nil
}

// SetQueues attaches or detaches queues so that the TAP has n; the new
// ones are opened in the calling thread's network namespace, which must be
// the TAP's. More than one needs IFF_MULTI_QUEUE (Config.Queues > 1 or
// Config.MultiQueue).
func (t *Tap) SetQueues(n int) error {
	if n < 1 || n > 1 && t.flags&unix.IFF_MULTI_QUEUE == 0 {
		return fmt.Errorf("%w: %d queues on a single-queue TAP", ErrConfig, n)
	}
	for len(t.fds) > n {
		last := len(t.fds) - 1
		unix.Close(t.fds[last])
		t.fds = t.fds[:last]
	}
	for len(t.fds) < n {
		fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open /dev/net/tun: %w", err)
		}
		ifr, err := unix.NewIfreq(t.name)
		if err != nil {
			unix.Close(fd)
			return err
		}
		ifr.SetUint16(t.flags)
		if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
			unix.Close(fd)
			if err == unix.EINVAL && len(t.fds) == 0 && t.name != "" {
				return fmt.Errorf("TUNSETIFF: %w (is %s an existing interface that is not a TAP, or a TAP created with other queue flags?)", err, t.name)
			}
			return fmt.Errorf("TUNSETIFF queue %d: %w", len(t.fds), err)
		}
		t.name = ifr.Name()
		t.fds = append(t.fds, fd)
	}
	if cap(t.iov) < n {
		t.iov = make([][MaxSegments]unix.Iovec, n)
	}
	t.iov = t.iov[:n]
	return nil
}

// SetOffloads sets the offloads (Offload*) we accept undone in frames the
// kernel sends us (TUNSETOFFLOAD; needs VnetHdr).
func (t *Tap) SetOffloads(offloads int) error {
	if err := unix.IoctlSetInt(t.fds[0], unix.TUNSETOFFLOAD, offloads); err != nil {
		return fmt.Errorf("tap %s: TUNSETOFFLOAD %#x: %w", t.name, offloads, err)
	}
	return nil
}

// SetFlag sets or clears an IFF_* interface flag (IFF_PROMISC,
// IFF_ALLMULTI).
func (t *Tap) SetFlag(flag uint16, on bool) error {
	f, err := afpacket.LinkFlags(t.ctl, t.name)
	if err != nil {
		return err
	}
	if on {
		f |= flag
	} else {
		f &^= flag
	}
	ifr, err := unix.NewIfreq(t.name)
	if err != nil {
		return err
	}
	ifr.SetUint16(f)
	if err := unix.IoctlIfreq(t.ctl, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("tap %s: SIOCSIFFLAGS: %w", t.name, err)
	}
	return nil
}

// Flags returns the interface's IFF_* flags.
func (t *Tap) Flags() (uint16, error) { return afpacket.LinkFlags(t.ctl, t.name) }

// Close closes the queues; the interface goes away with them unless it is
// persistent.
func (t *Tap) Close() error {
	var err error
	for _, fd := range t.fds {
		if e := unix.Close(fd); e != nil && err == nil {
			err = e
		}
	}
	t.fds = nil
	if t.ctl >= 0 {
		unix.Close(t.ctl)
		t.ctl = -1
	}
	return err
}

// Delete clears the persistent flag and closes the Tap: the interface goes
// away.
func (t *Tap) Delete() error {
	if len(t.fds) > 0 {
		if err := unix.IoctlSetInt(t.fds[0], unix.TUNSETPERSIST, 0); err != nil {
			return fmt.Errorf("tap %s: TUNSETPERSIST 0: %w", t.name, err)
		}
	}
	return t.Close()
}

// Name is the interface's name.
func (t *Tap) Name() string { return t.name }

// Queues is the number of queues.
func (t *Tap) Queues() int { return len(t.fds) }

// Fd is queue q's file descriptor; it polls readable when a frame waits.
func (t *Tap) Fd(q int) int { return t.fds[q] }

// VnetHdr reports whether frames carry a virtio-net header.
func (t *Tap) VnetHdr() bool { return t.vnetHdr }

// Read reads one frame (after its virtio-net header, if any) from queue q
// into b; it returns 0 and no error when none is waiting. A frame longer
// than b is truncated.
func (t *Tap) Read(q int, b []byte) (int, error) {
	n, err := unix.Read(t.fds[q], b)
	if err == unix.EAGAIN {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return n, nil
}

// Write writes one frame (with its virtio-net header, if any) on queue q.
func (t *Tap) Write(q int, b []byte) (int, error) {
	return unix.Write(t.fds[q], b)
}

// Writev writes the concatenation of bufs (at most MaxSegments non-empty
// ones) as one frame on queue q.
func (t *Tap) Writev(q int, bufs [][]byte) (int, error) {
	n, e := writev(t.fds[q], t.iov[q][:], bufs)
	if e != 0 {
		return n, e
	}
	return n, nil
}

// SetMAC sets the interface's MAC address.
func (t *Tap) SetMAC(mac [6]byte) error {
	if err := afpacket.SetHardwareAddr(t.ctl, t.name, mac); err != nil {
		return fmt.Errorf("tap %s: set MAC: %w", t.name, err)
	}
	return nil
}

// MAC returns the interface's MAC address.
func (t *Tap) MAC() ([6]byte, error) { return afpacket.HardwareAddr(t.ctl, t.name) }

// SetUp brings the interface up or down.
func (t *Tap) SetUp(up bool) error { return afpacket.SetLinkUp(t.ctl, t.name, up) }

// LinkUp reports whether the interface is up and running (a TAP runs
// while a queue is attached and it is up).
func (t *Tap) LinkUp() (bool, error) {
	f, err := afpacket.LinkFlags(t.ctl, t.name)
	return f&(unix.IFF_UP|unix.IFF_RUNNING) == unix.IFF_UP|unix.IFF_RUNNING, err
}

// MTU returns the interface's MTU.
func (t *Tap) MTU() (int, error) { return afpacket.MTU(t.ctl, t.name) }

// SetMTU sets the interface's MTU.
func (t *Tap) SetMTU(mtu int) error { return afpacket.SetMTU(t.ctl, t.name, mtu) }

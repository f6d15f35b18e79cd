package afpacket

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Interface control through a socket's fd: the ioctls act in the socket's
// network namespace, wherever the calling thread is. internal/tap uses
// these too.

// LinkFlags returns the IFF_* flags of the interface name.
func LinkFlags(fd int, name string) (uint16, error) {
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return 0, fmt.Errorf("%s: SIOCGIFFLAGS: %w", name, err)
	}
	return ifr.Uint16(), nil
}

// SetLinkUp sets or clears IFF_UP on the interface name.
func SetLinkUp(fd int, name string, up bool) error {
	flags, err := LinkFlags(fd, name)
	if err != nil {
		return err
	}
	if up {
		flags |= unix.IFF_UP
	} else {
		flags &^= unix.IFF_UP
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	ifr.SetUint16(flags)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("%s: SIOCSIFFLAGS: %w", name, err)
	}
	return nil
}

// MTU returns the MTU of the interface name.
func MTU(fd int, name string) (int, error) {
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFMTU, ifr); err != nil {
		return 0, fmt.Errorf("%s: SIOCGIFMTU: %w", name, err)
	}
	return int(ifr.Uint32()), nil
}

// SetMTU sets the MTU of the interface name.
func SetMTU(fd int, name string, mtu int) error {
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	ifr.SetUint32(uint32(mtu))
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFMTU, ifr); err != nil {
		return fmt.Errorf("%s: SIOCSIFMTU %d: %w", name, mtu, err)
	}
	return nil
}

// LinkUp reports whether the socket's interface is up with carrier
// (IFF_UP and IFF_RUNNING).
func (s *Socket) LinkUp() (bool, error) {
	f, err := LinkFlags(s.fd, s.iface)
	return f&(unix.IFF_UP|unix.IFF_RUNNING) == unix.IFF_UP|unix.IFF_RUNNING, err
}

// MAC returns the MAC address of the socket's interface.
func (s *Socket) MAC() ([6]byte, error) { return HardwareAddr(s.fd, s.iface) }

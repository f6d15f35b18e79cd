package memifproto

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// SocketAddr names a control socket: a filesystem path, or a name in the
// abstract namespace (DPDK's socket-abstract=yes, its default).
type SocketAddr struct {
	Path     string
	Abstract bool
}

func (a SocketAddr) unixAddr() *net.UnixAddr {
	name := a.Path
	if a.Abstract {
		name = "@" + name // Go's spelling of a leading NUL
	}
	return &net.UnixAddr{Name: name, Net: "unixpacket"}
}

func (a SocketAddr) String() string {
	if a.Abstract {
		return "@" + a.Path
	}
	return a.Path
}

// Listener accepts control connections (the server's socket).
type Listener struct {
	l    *net.UnixListener
	addr SocketAddr
}

// Listen creates the server's SOCK_SEQPACKET socket. A stale filesystem
// socket left by a dead process is replaced.
func Listen(addr SocketAddr) (*Listener, error) {
	if addr.Path == "" {
		return nil, errors.New("memif: empty socket path")
	}
	if !addr.Abstract {
		if fi, err := os.Lstat(addr.Path); err == nil && fi.Mode()&os.ModeSocket != 0 {
			// Only a socket nobody listens on is stale.
			if c, err := net.DialTimeout("unixpacket", addr.Path, 100*time.Millisecond); err == nil {
				c.Close()
				return nil, fmt.Errorf("memif: socket %s is in use by another server", addr.Path)
			}
			os.Remove(addr.Path)
		}
	}
	l, err := net.ListenUnix("unixpacket", addr.unixAddr())
	if err != nil {
		return nil, fmt.Errorf("memif: listen on %s: %w", addr, err)
	}
	l.SetUnlinkOnClose(!addr.Abstract)
	return &Listener{l: l, addr: addr}, nil
}

// Accept waits for a client.
func (l *Listener) Accept() (*Conn, error) {
	c, err := l.l.AcceptUnix()
	if err != nil {
		return nil, err
	}
	return &Conn{c: c}, nil
}

// Close stops listening (and removes a filesystem socket).
func (l *Listener) Close() error { return l.l.Close() }

// Addr is the socket's address.
func (l *Listener) Addr() SocketAddr { return l.addr }

// Conn is one control connection.
type Conn struct {
	c   *net.UnixConn
	buf [MsgSize]byte
	oob []byte
}

// Dial connects to a server's socket.
func Dial(addr SocketAddr) (*Conn, error) {
	c, err := net.DialUnix("unixpacket", nil, addr.unixAddr())
	if err != nil {
		return nil, fmt.Errorf("memif: connect to %s: %w", addr, err)
	}
	return &Conn{c: c}, nil
}

// Send sends m, with fd (if >= 0) as SCM_RIGHTS.
func (c *Conn) Send(m *Msg, fd int) error {
	if err := m.Encode(&c.buf); err != nil {
		return err
	}
	var oob []byte
	if fd >= 0 {
		oob = unix.UnixRights(fd)
	}
	n, oobn, err := c.c.WriteMsgUnix(c.buf[:], oob, nil)
	if err != nil {
		return fmt.Errorf("memif: send %v: %w", m.Type, err)
	}
	if n != MsgSize || oobn != len(oob) {
		return fmt.Errorf("memif: send %v: short write", m.Type)
	}
	return nil
}

// Recv reads one message and the fd that came with it (-1 if none; the
// caller owns it). Extra fds are closed; a message that is not exactly
// MsgSize bytes, or whose control data was cut, is an error.
func (c *Conn) Recv(deadline time.Time) (Msg, int, error) {
	if c.oob == nil {
		c.oob = make([]byte, unix.CmsgSpace(4*4))
	}
	c.c.SetReadDeadline(deadline)
	var b [MsgSize + 1]byte
	n, oobn, flags, _, err := c.c.ReadMsgUnix(b[:], c.oob)
	if err != nil {
		return Msg{}, -1, err
	}
	fd, ferr := takeFds(c.oob[:oobn])
	switch {
	case ferr != nil:
		return Msg{}, -1, ferr
	case n == 0:
		closeFd(fd)
		return Msg{}, -1, fmt.Errorf("memif: peer closed the connection: %w", errClosed)
	case flags&(unix.MSG_TRUNC|unix.MSG_CTRUNC) != 0 || n != MsgSize:
		closeFd(fd)
		return Msg{}, -1, fmt.Errorf("memif: control message of %d bytes (flags %#x), want %d", n, flags, MsgSize)
	}
	m, err := Decode(b[:n])
	if err != nil {
		closeFd(fd)
		return Msg{}, -1, err
	}
	return m, fd, nil
}

var errClosed = errors.New("closed")

// takeFds returns the first fd passed in oob and closes any others.
func takeFds(oob []byte) (int, error) {
	if len(oob) == 0 {
		return -1, nil
	}
	cmsgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return -1, fmt.Errorf("memif: bad control data: %w", err)
	}
	fd := -1
	for _, cm := range cmsgs {
		fds, err := unix.ParseUnixRights(&cm)
		if err != nil {
			continue
		}
		for _, f := range fds {
			if fd < 0 {
				fd = f
			} else {
				unix.Close(f)
			}
		}
	}
	return fd, nil
}

func closeFd(fd int) {
	if fd >= 0 {
		unix.Close(fd)
	}
}

// Close closes the connection.
func (c *Conn) Close() error { return c.c.Close() }

// CloseWithReason sends DISCONNECT with the reason (best effort) and closes.
func (c *Conn) CloseWithReason(reason string) error {
	m := Msg{Type: MsgDisconnect, Disconnect: Disconnect{Code: 1, Reason: reason}}
	c.c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	c.Send(&m, -1)
	return c.c.Close()
}

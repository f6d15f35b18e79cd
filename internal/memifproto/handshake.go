package memifproto

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// RingInfo is one ring of a connected session.
type RingInfo struct {
	Ring    Ring
	Region  uint16
	Offset  uint32
	Eventfd int // the ring's interrupt: the producer writes, the consumer reads
}

// Session is a connected memif interface: the regions, the rings and the
// control connection, which stays open (a DISCONNECT or a close ends it).
type Session struct {
	Conn       *Conn
	Regions    []*Region
	C2S, S2C   []RingInfo
	ID         uint32
	PeerName   string // the peer application (HELLO or INIT name)
	PeerIfName string // the peer interface (CONNECT or CONNECTED)
	// Layout is the client's region 0 layout (zero on the server).
	Layout    Layout
	ZeroCopy  bool
	mem       Regions
	closeOnce sync.Once
}

// Mem returns the mapped regions by index, for Regions.Buf.
func (s *Session) Mem() Regions { return s.mem }

// Close unmaps the regions, closes the eventfds and the connection. It
// may be called more than once, and concurrently with Wait (which then
// returns); the rings must no longer be in use.
func (s *Session) Close() error {
	var err error
	s.closeOnce.Do(func() { err = s.close("") })
	return err
}

// Disconnect sends DISCONNECT with reason and closes the session.
func (s *Session) Disconnect(reason string) error {
	var err error
	s.closeOnce.Do(func() { err = s.close(reason) })
	return err
}

func (s *Session) close(reason string) error {
	var err error
	if s.Conn != nil {
		if reason != "" {
			err = s.Conn.CloseWithReason(reason)
		} else {
			err = s.Conn.Close()
		}
	}
	for _, rs := range [][]RingInfo{s.C2S, s.S2C} {
		for i := range rs {
			closeFd(rs[i].Eventfd)
			rs[i].Eventfd = -1
		}
	}
	for _, r := range s.Regions {
		if cerr := r.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// Wait blocks until the peer disconnects or the connection fails (or is
// closed by Close), and returns why. Messages after the handshake other
// than DISCONNECT are a protocol error.
func (s *Session) Wait() error {
	for {
		m, fd, err := s.Conn.Recv(time.Time{})
		closeFd(fd)
		if err != nil {
			return err
		}
		switch m.Type {
		case MsgDisconnect:
			return fmt.Errorf("%w: %s (code %d)", ErrPeerDisconnect, m.Disconnect.Reason, m.Disconnect.Code)
		case MsgAck:
			// DPDK acks nothing after CONNECTED; tolerate a stray ACK.
		default:
			return fmt.Errorf("%w: %v after the connection was established", ErrProtocol, m.Type)
		}
	}
}

// Errors of the handshake.
var (
	ErrProtocol       = errors.New("memif: protocol error")
	ErrPeerDisconnect = errors.New("memif: peer disconnected")
	ErrRefused        = errors.New("memif: connection refused")
)

// ServerConfig is the server's side of the handshake.
type ServerConfig struct {
	Name            string // application name sent in HELLO
	MaxRegion       uint16 // the highest region index accepted
	MaxC2SRing      uint16 // the highest ring index accepted per direction
	MaxS2CRing      uint16
	MaxLog2RingSize uint8
	// Accept is called with the client's INIT. It returns the name of the
	// interface (for CONNECTED), or an error that refuses the client (no
	// such id, wrong secret, interface already connected); the error text
	// goes to the client.
	Accept func(in Init) (ifName string, err error)
	// Timeout bounds the whole handshake; 0 means 5 s.
	Timeout time.Duration
}

// ServerHandshake runs the server's side on a freshly accepted connection.
// The client is not trusted: every index, size and offset it sends is
// checked, and anything out of order or out of bounds refuses it (the
// connection is closed with a DISCONNECT naming the reason). On success
// the session owns the connection.
func ServerHandshake(c *Conn, cfg ServerConfig) (*Session, error) {
	s := &Session{Conn: c}
	err := serverHandshake(s, cfg)
	if err != nil {
		s.Conn = nil
		s.Close()
		c.CloseWithReason(err.Error())
		return nil, err
	}
	return s, nil
}

func deadline(d time.Duration) time.Time {
	if d == 0 {
		d = 5 * time.Second
	}
	return time.Now().Add(d)
}

func serverHandshake(s *Session, cfg ServerConfig) error {
	dl := deadline(cfg.Timeout)
	hello := Msg{Type: MsgHello, Hello: Hello{
		Name: cfg.Name, MinVersion: Version, MaxVersion: Version,
		MaxRegion: cfg.MaxRegion, MaxC2SRing: cfg.MaxC2SRing, MaxS2CRing: cfg.MaxS2CRing,
		MaxLog2RingSize: min(cfg.MaxLog2RingSize, MaxLog2RingSize),
	}}
	if err := s.Conn.Send(&hello, -1); err != nil {
		return err
	}
	ack := Msg{Type: MsgAck}
	var ifName string
	for state := MsgInit; ; {
		m, fd, err := s.Conn.Recv(dl)
		if err != nil {
			return err
		}
		if m.Type == MsgDisconnect {
			closeFd(fd)
			return fmt.Errorf("%w: %s", ErrPeerDisconnect, m.Disconnect.Reason)
		}
		// INIT first, then regions, then rings, then CONNECT.
		switch {
		case state == MsgInit && m.Type == MsgInit:
			closeFd(fd)
			in := m.Init
			if in.Version != Version {
				return fmt.Errorf("%w: version %#x, want %#x", ErrRefused, in.Version, Version)
			}
			if in.Mode != ModeEthernet {
				return fmt.Errorf("%w: interface mode %d is not supported (ethernet only)", ErrRefused, in.Mode)
			}
			if cfg.Accept == nil {
				return fmt.Errorf("%w: no interface %d", ErrRefused, in.ID)
			}
			if ifName, err = cfg.Accept(in); err != nil {
				return fmt.Errorf("%w: %v", ErrRefused, err)
			}
			s.ID, s.PeerName = in.ID, in.Name
			state = MsgAddRegion
		case state == MsgAddRegion && m.Type == MsgAddRegion:
			if err := s.addRegion(m.AddRegion, fd, cfg.MaxRegion); err != nil {
				return err
			}
		case (state == MsgAddRegion || state == MsgAddRing) && m.Type == MsgAddRing && len(s.Regions) > 0:
			state = MsgAddRing
			if err := s.addRing(m.AddRing, fd, cfg); err != nil {
				return err
			}
		case state == MsgAddRing && m.Type == MsgConnect:
			closeFd(fd)
			if err := s.checkRings(); err != nil {
				return err
			}
			s.PeerIfName = m.Connect.IfName
			done := Msg{Type: MsgConnected, Connect: Connect{IfName: ifName}}
			return s.Conn.Send(&done, -1)
		default:
			closeFd(fd)
			return fmt.Errorf("%w: %v while expecting %v", ErrProtocol, m.Type, state)
		}
		if err := s.Conn.Send(&ack, -1); err != nil {
			return err
		}
	}
}

func (s *Session) addRegion(ar AddRegion, fd int, max uint16) error {
	if fd < 0 {
		return fmt.Errorf("%w: ADD_REGION %d without a file descriptor", ErrProtocol, ar.Index)
	}
	if int(ar.Index) != len(s.Regions) || ar.Index > max {
		closeFd(fd)
		return fmt.Errorf("%w: ADD_REGION index %d, expected %d (max %d)", ErrProtocol, ar.Index, len(s.Regions), max)
	}
	r, err := MapRegion(fd, ar.Size)
	if err != nil {
		return err
	}
	s.Regions = append(s.Regions, r)
	s.mem = append(s.mem, r.Mem)
	return nil
}

func (s *Session) addRing(ar AddRing, fd int, cfg ServerConfig) error {
	if fd < 0 {
		return fmt.Errorf("%w: ADD_RING without an interrupt eventfd", ErrProtocol)
	}
	if err := checkEventfd(fd); err != nil {
		closeFd(fd)
		return err
	}
	rings, max := &s.S2C, cfg.MaxS2CRing
	if ar.C2S() {
		rings, max = &s.C2S, cfg.MaxC2SRing
	}
	bad := func(format string, args ...any) error {
		closeFd(fd)
		return fmt.Errorf("%w: ADD_RING: "+format, append([]any{ErrProtocol}, args...)...)
	}
	switch {
	case ar.Flags&^AddRingFlagC2S != 0:
		return bad("unknown flags %#x", ar.Flags)
	case int(ar.Index) != len(*rings) || ar.Index > max:
		return bad("ring index %d, expected %d (max %d)", ar.Index, len(*rings), max)
	case int(ar.Region) >= len(s.Regions):
		return bad("region %d not added", ar.Region)
	case ar.Log2RingSize > min(cfg.MaxLog2RingSize, MaxLog2RingSize):
		return bad("ring size 2^%d over the limit 2^%d", ar.Log2RingSize, cfg.MaxLog2RingSize)
	case ar.PrivateHdrSize != 0:
		return bad("private header of %d bytes is not supported", ar.PrivateHdrSize)
	}
	r, err := RingAt(s.Regions[ar.Region].Mem, ar.Offset, ar.Log2RingSize)
	if err != nil {
		closeFd(fd)
		return err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		closeFd(fd)
		return fmt.Errorf("memif: eventfd: %w", err)
	}
	*rings = append(*rings, RingInfo{Ring: r, Region: ar.Region, Offset: ar.Offset, Eventfd: fd})
	return nil
}

// checkEventfd refuses an "interrupt" fd that is not an eventfd: writing
// to it would feed whatever the peer passed (a pipe, a socket).
func checkEventfd(fd int) error {
	link, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil {
		return fmt.Errorf("memif: interrupt fd: %w", err)
	}
	if link != "anon_inode:[eventfd]" {
		return fmt.Errorf("%w: interrupt fd is %q, not an eventfd", ErrProtocol, link)
	}
	return nil
}

// checkRings runs at CONNECT: both directions present, every ring
// initialised by the client (cookie).
func (s *Session) checkRings() error {
	if len(s.C2S) == 0 || len(s.S2C) == 0 {
		return fmt.Errorf("%w: CONNECT with %d C2S and %d S2C rings; need at least one each", ErrProtocol, len(s.C2S), len(s.S2C))
	}
	for _, rs := range [][]RingInfo{s.C2S, s.S2C} {
		for i, r := range rs {
			if c := r.Ring.Cookie(); c != Cookie {
				return fmt.Errorf("%w: ring %d has cookie %#x, want %#x", ErrProtocol, i, c, Cookie)
			}
		}
	}
	return nil
}

// ClientConfig is the client's side of the handshake.
type ClientConfig struct {
	ID     uint32
	Secret string
	Name   string // application name (INIT)
	IfName string // interface name (CONNECT)
	// The wanted queues and sizes; the server's HELLO may lower them.
	NumC2S, NumS2C int
	Log2RingSize   uint8
	BufSize        uint32
	// RegionName names the memfd (visible in /proc/PID/fd).
	RegionName string
	// ZeroCopy: region 0 holds the rings only (BufSize is ignored) and
	// Extra are announced as regions 1.. for the descriptors to point
	// into (the client's mbuf arenas). The client's queues then carry no
	// buffers of their own: the caller fills every descriptor (Queue.Put,
	// Queue.Offer).
	ZeroCopy bool
	Extra    []*Region
	Timeout  time.Duration
}

// ClientHandshake runs the client's side on a connection to a server: it
// lays out region 0 (copy mode: rings and buffers, Layout), initialises
// the rings and their descriptors, and announces them. On success the
// session owns the connection; on failure it is closed.
func ClientHandshake(c *Conn, cfg ClientConfig) (*Session, error) {
	s := &Session{Conn: c}
	if err := clientHandshake(s, cfg); err != nil {
		s.Conn = nil
		s.Close()
		c.CloseWithReason(err.Error())
		return nil, err
	}
	return s, nil
}

func clientHandshake(s *Session, cfg ClientConfig) error {
	dl := deadline(cfg.Timeout)
	m, fd, err := s.Conn.Recv(dl)
	closeFd(fd)
	if err != nil {
		return err
	}
	if m.Type != MsgHello {
		return fmt.Errorf("%w: %v instead of HELLO", ErrProtocol, m.Type)
	}
	h := m.Hello
	if h.MinVersion > Version || h.MaxVersion < Version {
		return fmt.Errorf("%w: server speaks versions %#x..%#x, we %#x", ErrRefused, h.MinVersion, h.MaxVersion, Version)
	}
	s.PeerName = h.Name
	l := Layout{
		NumC2S:       min(max(cfg.NumC2S, 1), int(h.MaxC2SRing)+1),
		NumS2C:       min(max(cfg.NumS2C, 1), int(h.MaxS2CRing)+1),
		Log2RingSize: min(cfg.Log2RingSize, h.MaxLog2RingSize, MaxLog2RingSize),
		BufSize:      cfg.BufSize,
	}
	s.ZeroCopy = cfg.ZeroCopy
	if cfg.ZeroCopy {
		l.BufSize = 0
		if len(cfg.Extra) == 0 || len(cfg.Extra) > int(h.MaxRegion) {
			return fmt.Errorf("%w: zero-copy with %d extra regions; the server takes %d in all", ErrRefused, len(cfg.Extra), int(h.MaxRegion)+1)
		}
	}
	size, err := l.RegionSize()
	if err != nil {
		return err
	}
	name := cfg.RegionName
	if name == "" {
		name = "memif-region-0"
	}
	reg, err := CreateRegion(name, size)
	if err != nil {
		return err
	}
	s.Regions, s.mem, s.Layout, s.ID = []*Region{reg}, Regions{reg.Mem}, l, cfg.ID
	for _, r := range cfg.Extra {
		s.Regions = append(s.Regions, r)
		s.mem = append(s.mem, r.Mem)
	}
	for _, c2s := range []bool{true, false} {
		n, rings := l.NumS2C, &s.S2C
		if c2s {
			n, rings = l.NumC2S, &s.C2S
		}
		for i := range n {
			off := l.RingOffset(c2s, i)
			r, err := RingAt(reg.Mem, off, l.Log2RingSize)
			if err != nil {
				return err
			}
			r.Init()
			if !cfg.ZeroCopy {
				for slot := range uint16(r.Size()) {
					r.SetDesc(slot, Desc{Offset: l.BufOffset(c2s, i, slot), Length: l.BufSize})
				}
			}
			efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
			if err != nil {
				return fmt.Errorf("memif: eventfd: %w", err)
			}
			*rings = append(*rings, RingInfo{Ring: r, Offset: off, Eventfd: efd})
		}
	}

	exchange := func(m *Msg, fd int) error {
		if err := s.Conn.Send(m, fd); err != nil {
			return err
		}
		r, rfd, err := s.Conn.Recv(dl)
		closeFd(rfd)
		switch {
		case err != nil:
			return err
		case r.Type == MsgDisconnect:
			return fmt.Errorf("%w: %s", ErrRefused, r.Disconnect.Reason)
		case m.Type == MsgConnect && r.Type == MsgConnected:
			s.PeerIfName = r.Connect.IfName
		case m.Type != MsgConnect && r.Type == MsgAck:
		default:
			return fmt.Errorf("%w: %v in answer to %v", ErrProtocol, r.Type, m.Type)
		}
		return nil
	}
	initMsg := Msg{Type: MsgInit, Init: Init{Version: Version, ID: cfg.ID, Mode: ModeEthernet, Secret: cfg.Secret, Name: cfg.Name}}
	if err := exchange(&initMsg, -1); err != nil {
		return err
	}
	for i, r := range s.Regions {
		region := Msg{Type: MsgAddRegion, AddRegion: AddRegion{Index: uint16(i), Size: uint64(len(r.Mem))}}
		if err := exchange(&region, r.Fd); err != nil {
			return err
		}
	}
	for _, c2s := range []bool{true, false} {
		rings, flags := s.S2C, uint16(0)
		if c2s {
			rings, flags = s.C2S, AddRingFlagC2S
		}
		for i, r := range rings {
			ring := Msg{Type: MsgAddRing, AddRing: AddRing{Flags: flags, Index: uint16(i), Region: 0, Offset: r.Offset, Log2RingSize: l.Log2RingSize}}
			if err := exchange(&ring, r.Eventfd); err != nil {
				return err
			}
		}
	}
	conn := Msg{Type: MsgConnect, Connect: Connect{IfName: cfg.IfName}}
	return exchange(&conn, -1)
}

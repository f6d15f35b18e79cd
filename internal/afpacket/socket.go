package afpacket

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Defaults of the ring geometry: DPDK 22.11 net_af_packet's blocksz,
// framesz and framecnt.
const (
	DefaultBlockSize  = 4096
	DefaultFrameSize  = 2048
	DefaultFrameCount = 512
	// DefaultRetireTimeout is the rx block retire timeout in ms: a block
	// that is not full is handed over at the latest this long after its
	// first packet.
	DefaultRetireTimeout = 1
)

// Ring versions (Config.Version).
const (
	TPacketV2 = unix.TPACKET_V2
	TPacketV3 = unix.TPACKET_V3
)

// FanoutHash is PACKET_FANOUT_HASH: a flow goes to one socket of the group.
const FanoutHash = unix.PACKET_FANOUT_HASH

// Config describes a Socket. The zero value of every field but Iface
// means its default.
type Config struct {
	Iface      string // interface to bind to (in the caller's network namespace)
	BlockSize  int    // ring block size in bytes, a multiple of the page size
	FrameSize  int    // tx frame size (and the rx frame accounting unit)
	FrameCount int    // frames per ring; BlockSize/FrameSize frames per block
	// RetireTimeout is the rx block retire timeout in ms.
	RetireTimeout int
	// QdiscBypass sends without the interface's queueing discipline
	// (PACKET_QDISC_BYPASS).
	QdiscBypass bool
	// Promisc puts the interface in promiscuous mode while the socket
	// is open (PACKET_ADD_MEMBERSHIP, PACKET_MR_PROMISC).
	Promisc bool
	// Fanout, when not nil, joins the socket to a fanout group.
	Fanout *Fanout
	// Version is TPacketV3 (the default: rx packets come in blocks handed
	// over when full or after RetireTimeout) or TPacketV2 (each rx frame
	// handed over at once, as DPDK's PMD uses; no rx hash).
	Version int
	// TxOnly binds the socket without a protocol: it receives nothing
	// (a transmit queue without a receive queue).
	TxOnly bool
}

// Fanout is a fanout group membership (PACKET_FANOUT).
type Fanout struct {
	// Group is the group id, shared by the group's sockets in one network
	// namespace. With UniqueID the kernel picks a free id for the first
	// socket (read it back with Socket.FanoutGroup) and Group is ignored.
	Group    uint16
	UniqueID bool
	Mode     int // FanoutHash, or another PACKET_FANOUT_* mode
}

// Stats are the kernel's counters of the socket (PACKET_STATISTICS),
// summed since Open.
type Stats struct {
	Packets uint64 // packets that reached the socket, dropped ones included
	Drops   uint64 // dropped because the rx ring had no room
	FreezeQ uint64 // times the rx ring was full (tp_freeze_q_cnt)
}

// Errors.
var (
	ErrConfig = errors.New("afpacket: bad configuration")
)

// Socket is an AF_PACKET socket bound to one interface with rx and tx
// rings. Next is for one goroutine, TxFrame/TxCommit/Flush for one
// (possibly another); the rest is control path.
type Socket struct {
	fd       int
	ifindex  int
	iface    string
	mem      []byte
	rx       rxRing
	rx2      rxRingV2
	v2       bool
	tx       txRing
	pending  bool // committed frames not yet kicked (or a kick failed)
	stats    Stats
	promisc  bool
	allmulti bool
}

// TxHeaderLen is the part of a tx frame before the packet (TPACKET_V3; V2's
// is 32): a frame holds a packet of up to FrameSize-TxHeaderLen bytes.
const TxHeaderLen = tpacket3HdrLen

// MaxFrameLen is the longest frame a socket of configuration c both sends
// and receives whole: a tx frame holds FrameSize less its header; a V2 rx
// frame puts the packet 66 bytes in (TPACKET2_HDRLEN and sockaddr_ll,
// aligned so that the network header is 16-byte aligned), a V3 rx block
// 82 bytes past each packet's start after its 48-byte descriptor.
func MaxFrameLen(c Config) int {
	if c.Check() != nil {
		return 0
	}
	if c.Version == TPacketV2 {
		return c.FrameSize - 66
	}
	return min(c.FrameSize-tpacket3HdrLen, c.BlockSize-blkDescLen-82)
}

// Check fills the defaults of c and validates it.
func (c *Config) Check() error { return c.setDefaults() }

func (c *Config) setDefaults() error {
	if c.Iface == "" || len(c.Iface) >= unix.IFNAMSIZ {
		return fmt.Errorf("%w: interface name %q", ErrConfig, c.Iface)
	}
	if c.BlockSize == 0 {
		c.BlockSize = DefaultBlockSize
	}
	if c.FrameSize == 0 {
		c.FrameSize = DefaultFrameSize
	}
	if c.FrameCount == 0 {
		c.FrameCount = DefaultFrameCount
	}
	if c.Version == 0 {
		c.Version = TPacketV3
	}
	if c.Version != TPacketV2 && c.Version != TPacketV3 {
		return fmt.Errorf("%w: TPACKET version %d (want TPacketV2 or TPacketV3)", ErrConfig, c.Version)
	}
	if c.RetireTimeout == 0 {
		c.RetireTimeout = DefaultRetireTimeout
	}
	page := os.Getpagesize()
	switch {
	case c.BlockSize <= 0 || c.BlockSize%page != 0:
		return fmt.Errorf("%w: blocksz %d is not a multiple of the page size %d", ErrConfig, c.BlockSize, page)
	case c.FrameSize < 128 || c.FrameSize%unix.TPACKET_ALIGNMENT != 0 || c.FrameSize > c.BlockSize:
		return fmt.Errorf("%w: framesz %d must be a multiple of %d in [128, blocksz %d]", ErrConfig, c.FrameSize, unix.TPACKET_ALIGNMENT, c.BlockSize)
	case c.FrameCount <= 0 || c.FrameCount%(c.BlockSize/c.FrameSize) != 0:
		return fmt.Errorf("%w: framecnt %d is not a positive multiple of blocksz/framesz = %d", ErrConfig, c.FrameCount, c.BlockSize/c.FrameSize)
	case c.RetireTimeout < 0:
		return fmt.Errorf("%w: retire timeout %d ms", ErrConfig, c.RetireTimeout)
	case int64(c.FrameCount)*int64(c.FrameSize) > 1<<31:
		return fmt.Errorf("%w: ring of %d x %d bytes is too large", ErrConfig, c.FrameCount, c.FrameSize)
	}
	return nil
}

// Open creates a socket bound to cfg.Iface, in the calling thread's
// network namespace, with its rings mapped.
func Open(cfg Config) (*Socket, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	// Protocol 0: the socket receives nothing until bind names the
	// interface, so no other interface's packets get into the ring.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("afpacket: socket: %w", err)
	}
	s := &Socket{fd: fd, iface: cfg.Iface}
	if err := s.setup(&cfg); err != nil {
		s.Close()
		return nil, fmt.Errorf("afpacket %s: %w", cfg.Iface, err)
	}
	return s, nil
}

func (s *Socket) setup(cfg *Config) error {
	ifr, err := unix.NewIfreq(cfg.Iface)
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(s.fd, unix.SIOCGIFINDEX, ifr); err != nil {
		return fmt.Errorf("interface index: %w", err)
	}
	s.ifindex = int(ifr.Uint32())
	opts := []struct {
		name string
		opt  int
		val  int
	}{
		{"PACKET_VERSION", unix.PACKET_VERSION, cfg.Version},
		{"PACKET_LOSS", unix.PACKET_LOSS, 1}, // skip malformed tx frames
		{"PACKET_IGNORE_OUTGOING", unix.PACKET_IGNORE_OUTGOING, 1},
	}
	if cfg.QdiscBypass {
		opts = append(opts, struct {
			name string
			opt  int
			val  int
		}{"PACKET_QDISC_BYPASS", unix.PACKET_QDISC_BYPASS, 1})
	}
	for _, o := range opts {
		if err := unix.SetsockoptInt(s.fd, unix.SOL_PACKET, o.opt, o.val); err != nil {
			return fmt.Errorf("%s: %w", o.name, err)
		}
	}
	fpb := cfg.BlockSize / cfg.FrameSize
	nblocks := cfg.FrameCount / fpb
	if cfg.Version == TPacketV2 {
		req := unix.TpacketReq{Block_size: uint32(cfg.BlockSize), Block_nr: uint32(nblocks),
			Frame_size: uint32(cfg.FrameSize), Frame_nr: uint32(cfg.FrameCount)}
		for _, ring := range []int{unix.PACKET_RX_RING, unix.PACKET_TX_RING} {
			if err := unix.SetsockoptTpacketReq(s.fd, unix.SOL_PACKET, ring, &req); err != nil {
				return fmt.Errorf("ring option %d: %w", ring, err)
			}
		}
	} else {
		rxReq := unix.TpacketReq3{
			Block_size:       uint32(cfg.BlockSize),
			Block_nr:         uint32(nblocks),
			Frame_size:       uint32(cfg.FrameSize),
			Frame_nr:         uint32(cfg.FrameCount),
			Retire_blk_tov:   uint32(cfg.RetireTimeout),
			Feature_req_word: tpFtReqFillRxhash,
		}
		if err := unix.SetsockoptTpacketReq3(s.fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &rxReq); err != nil {
			return fmt.Errorf("PACKET_RX_RING: %w", err)
		}
		txReq := unix.TpacketReq3{
			Block_size: uint32(cfg.BlockSize),
			Block_nr:   uint32(nblocks),
			Frame_size: uint32(cfg.FrameSize),
			Frame_nr:   uint32(cfg.FrameCount),
		}
		if err := unix.SetsockoptTpacketReq3(s.fd, unix.SOL_PACKET, unix.PACKET_TX_RING, &txReq); err != nil {
			return fmt.Errorf("PACKET_TX_RING: %w", err)
		}
	}
	ringLen := cfg.BlockSize * nblocks
	mem, err := unix.Mmap(s.fd, 0, 2*ringLen, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return fmt.Errorf("mmap rings: %w", err)
	}
	s.mem = mem
	s.rx = rxRing{mem: mem[:ringLen:ringLen], blockSize: cfg.BlockSize, nblocks: nblocks}
	s.v2 = cfg.Version == TPacketV2
	s.rx2 = rxRingV2{mem: mem[:ringLen:ringLen], blockSize: cfg.BlockSize, frameSize: cfg.FrameSize, framesPerBlock: fpb, nframes: cfg.FrameCount}
	s.tx = txRing{mem: mem[ringLen:], blockSize: cfg.BlockSize, frameSize: cfg.FrameSize, framesPerBlock: fpb, nframes: cfg.FrameCount, v2: s.v2}
	sa := unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: s.ifindex}
	if cfg.TxOnly {
		sa.Protocol = 0
	}
	if err := unix.Bind(s.fd, &sa); err != nil {
		return fmt.Errorf("bind: %w", err)
	}
	if cfg.Promisc {
		if err := s.SetPromisc(true); err != nil {
			return err
		}
	}
	if f := cfg.Fanout; f != nil && !cfg.TxOnly {
		v := int(f.Group) | f.Mode<<16
		if f.UniqueID {
			v = f.Mode<<16 | unix.PACKET_FANOUT_FLAG_UNIQUEID
		}
		if err := unix.SetsockoptInt(s.fd, unix.SOL_PACKET, unix.PACKET_FANOUT, v); err != nil {
			return fmt.Errorf("PACKET_FANOUT group %d mode %d: %w", f.Group, f.Mode, err)
		}
	}
	return nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// Close unmaps the rings and closes the socket (leaving promiscuous mode
// and the fanout group).
func (s *Socket) Close() error {
	var err error
	if s.mem != nil {
		err = unix.Munmap(s.mem)
		s.mem = nil
	}
	if s.fd >= 0 {
		if e := unix.Close(s.fd); err == nil {
			err = e
		}
		s.fd = -1
	}
	return err
}

// Fd is the socket's file descriptor: it polls readable when an rx block
// is ready (for rx interrupt mode) and answers interface ioctls in the
// interface's network namespace.
func (s *Socket) Fd() int { return s.fd }

// Iface is the name of the interface the socket is bound to.
func (s *Socket) Iface() string { return s.iface }

// Ifindex is the index of the interface the socket is bound to.
func (s *Socket) Ifindex() int { return s.ifindex }

// Next returns the next received packet in p, or false when there is none
// now. p.Data is valid until the next call of Next.
func (s *Socket) Next(p *Packet) bool {
	if s.v2 {
		return s.rx2.next(p)
	}
	return s.rx.next(p)
}

// RxErrors counts packets dropped because their header in the ring was
// malformed (never, unless the ring is corrupted).
func (s *Socket) RxErrors() uint64 { return s.rx.bad + s.rx2.bad }

// TxFrame returns the buffer of the next tx frame (FrameSize-48 bytes) to
// write a packet into, or nil if the tx ring is full.
func (s *Socket) TxFrame() []byte { return s.tx.frame() }

// TxCommit queues the frame TxFrame returned, holding n bytes, for sending;
// Flush sends the queued frames.
func (s *Socket) TxCommit(n int) {
	s.tx.commit(n)
	s.pending = true
}

// Flush asks the kernel to send the committed frames; it does not wait for
// them to leave. EAGAIN and ENOBUFS are not errors: the frames stay queued
// and the next Flush retries.
func (s *Socket) Flush() error {
	if !s.pending {
		return nil
	}
	switch e := kick(s.fd); e {
	case 0:
		s.pending = false
		return nil
	case unix.EAGAIN, unix.ENOBUFS, unix.EINTR:
		return nil
	default:
		return e
	}
}

// TxInFlight counts the frames committed but not yet sent by the kernel
// (a walk of the whole ring: for tests and draining, not the fast path).
func (s *Socket) TxInFlight() int { return s.tx.inFlight() }

// Stats reads and sums the kernel's counters (the kernel resets them on
// every read).
func (s *Socket) Stats() (Stats, error) {
	st, err := unix.GetsockoptTpacketStatsV3(s.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
	if err != nil {
		return s.stats, fmt.Errorf("afpacket %s: PACKET_STATISTICS: %w", s.iface, err)
	}
	s.stats.Packets += uint64(st.Packets)
	s.stats.Drops += uint64(st.Drops)
	s.stats.FreezeQ += uint64(st.Freeze_q_cnt)
	return s.stats, nil
}

// SetPromisc adds or drops the socket's promiscuous-mode membership of the
// interface; the interface is promiscuous while any member holds one.
func (s *Socket) SetPromisc(on bool) error {
	return s.membership(&s.promisc, unix.PACKET_MR_PROMISC, on)
}

// SetAllMulticast adds or drops the socket's all-multicast membership.
func (s *Socket) SetAllMulticast(on bool) error {
	return s.membership(&s.allmulti, unix.PACKET_MR_ALLMULTI, on)
}

func (s *Socket) membership(state *bool, typ uint16, on bool) error {
	if on == *state {
		return nil
	}
	opt := unix.PACKET_DROP_MEMBERSHIP
	if on {
		opt = unix.PACKET_ADD_MEMBERSHIP
	}
	mr := unix.PacketMreq{Ifindex: int32(s.ifindex), Type: typ}
	if err := unix.SetsockoptPacketMreq(s.fd, unix.SOL_PACKET, opt, &mr); err != nil {
		return fmt.Errorf("afpacket %s: membership %d %v: %w", s.iface, typ, on, err)
	}
	*state = on
	return nil
}

// Promisc reports whether this socket holds a promiscuous membership.
func (s *Socket) Promisc() bool { return s.promisc }

// FanoutGroup reads back the socket's fanout group id (the one the kernel
// picked with Fanout.UniqueID).
func (s *Socket) FanoutGroup() (uint16, error) {
	v, err := unix.GetsockoptInt(s.fd, unix.SOL_PACKET, unix.PACKET_FANOUT)
	if err != nil {
		return 0, fmt.Errorf("afpacket %s: PACKET_FANOUT: %w", s.iface, err)
	}
	return uint16(v), nil
}

// MaxTxLen is the largest packet a tx frame holds.
func (s *Socket) MaxTxLen() int { return s.tx.frameSize - s.tx.dataOff() }

// tpFtReqFillRxhash is TP_FT_REQ_FILL_RXHASH (<linux/if_packet.h>).
const tpFtReqFillRxhash = 0x1

package xsk

import (
	"errors"
	"fmt"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/dpkit/dpkit/eal"
)

// Defaults: those of libxdp (XSK_UMEM__DEFAULT_FRAME_SIZE,
// XSK_RING_{PROD,CONS}__DEFAULT_NUM_DESCS), which DPDK's net_af_xdp uses.
const (
	DefaultFrameSize  = 4096
	DefaultFrameCount = 4096
	DefaultRingSize   = 2048
)

// BindMode chooses between zero-copy and copy (Config.Bind).
type BindMode int

// Bind modes.
const (
	// BindAuto tries zero-copy and falls back to copy.
	BindAuto BindMode = iota
	BindCopy
	BindZeroCopy
)

func (m BindMode) String() string {
	switch m {
	case BindAuto:
		return "auto"
	case BindCopy:
		return "copy"
	case BindZeroCopy:
		return "zero-copy"
	}
	return fmt.Sprintf("BindMode(%d)", int(m))
}

// XDPMode chooses where the XDP program runs (Config.XDP).
type XDPMode int

// XDP attach modes.
const (
	// XDPAuto tries the driver (native) mode and falls back to generic.
	XDPAuto XDPMode = iota
	XDPDriver
	XDPGeneric
	// XDPNone attaches no program: the caller redirects to the socket
	// with a Program shared by the interface's queues (Program.Register),
	// or a program of its own (Socket.Fd into its XSKMAP).
	XDPNone
)

func (m XDPMode) String() string {
	switch m {
	case XDPAuto:
		return "auto"
	case XDPDriver:
		return "driver"
	case XDPGeneric:
		return "generic"
	case XDPNone:
		return "none"
	}
	return fmt.Sprintf("XDPMode(%d)", int(m))
}

// Config describes a Socket. The zero value of every field but Iface means
// its default.
type Config struct {
	Iface   string // interface, in the calling thread's network namespace
	QueueID int    // the interface's rx/tx queue the socket is bound to
	// FrameSize is the UMEM chunk size: 2048 or 4096 (the kernel wants a
	// power of two in [2048, page size]), or with Unaligned any size in
	// that range.
	// Unaligned chunks: Unaligned registers the UMEM with
	// XDP_UMEM_UNALIGNED_CHUNK_FLAG: frames of any size, placed anywhere
	// (e.g. the data rooms of a pool's mbufs), and rx addresses carrying
	// the packet's offset in their top 16 bits (Addr, FrameOf decode it).
	Unaligned bool
	// power of two in [2048, page size] for aligned chunks).
	FrameSize  int
	FrameCount int // UMEM frames
	// Headroom is left free before each received packet in its frame
	// (XDPUmemReg.Headroom).
	Headroom int
	// RxSize, TxSize, FillSize, CompSize are ring sizes, powers of two.
	RxSize, TxSize, FillSize, CompSize int
	Bind                               BindMode
	XDP                                XDPMode
	// Arena, if not nil, is the UMEM (all of it, from its base; the
	// caller keeps it and closes it after the socket). Otherwise the
	// socket maps one of FrameSize*FrameCount bytes.
	Arena *eal.Arena
	// Mem, if not nil, is the UMEM: memory the caller keeps (and keeps
	// mapped until the socket is closed), starting on a page boundary,
	// e.g. the objects of an mbuf pool with Unaligned chunks at their
	// starts. FrameCount is len(Mem)/FrameSize. Not with Arena.
	Mem []byte
	// Share, if not nil, makes the socket use Share's UMEM
	// (XDP_SHARED_UMEM) instead of registering one: frames of that
	// UMEM, and its bind mode. On another queue or interface the socket
	// gets its own fill and completion rings; on Share's own queue it
	// has none and Share's serve both. FrameSize, FrameCount, Unaligned,
	// Headroom, Bind and Arena are Share's. Close the sharing sockets
	// before Share.
	Share *Socket
	// BusyBudget, when > 0, turns on preferred busy polling
	// (SO_PREFER_BUSY_POLL, SO_BUSY_POLL 20 us, SO_BUSY_POLL_BUDGET):
	// the kernel runs the driver's NAPI in our syscalls, up to BusyBudget
	// packets each, instead of from interrupts (DPDK's busy_budget).
	BusyBudget int
}

// Errors.
var (
	ErrConfig = errors.New("xsk: bad configuration")
	// ErrNotSupported is wrapped by errors saying what the kernel, the
	// interface or our privileges lack.
	ErrNotSupported = errors.New("xsk: not supported")
)

// Check fills the defaults of c and validates it.
func (c *Config) Check() error {
	if c.Iface == "" || len(c.Iface) >= unix.IFNAMSIZ {
		return fmt.Errorf("%w: interface name %q", ErrConfig, c.Iface)
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.FrameSize, DefaultFrameSize)
	def(&c.FrameCount, DefaultFrameCount)
	def(&c.RxSize, DefaultRingSize)
	def(&c.TxSize, DefaultRingSize)
	def(&c.FillSize, DefaultRingSize)
	def(&c.CompSize, DefaultRingSize)
	pow2 := func(v int) bool { return v > 0 && v&(v-1) == 0 }
	switch {
	case c.QueueID < 0:
		return fmt.Errorf("%w: queue %d", ErrConfig, c.QueueID)
	case c.FrameSize < 2048 || c.FrameSize > os.Getpagesize() || (!c.Unaligned && !pow2(c.FrameSize)):
		return fmt.Errorf("%w: frame size %d must be in [2048, %d] and, unless unaligned, a power of two", ErrConfig, c.FrameSize, os.Getpagesize())
	case c.FrameCount <= 0 || int64(c.FrameCount)*int64(c.FrameSize) > 1<<40:
		return fmt.Errorf("%w: frame count %d", ErrConfig, c.FrameCount)
	case c.Headroom < 0 || c.Headroom > c.FrameSize-unix.XDP_PACKET_HEADROOM-128:
		return fmt.Errorf("%w: headroom %d leaves no room in a %d-byte frame", ErrConfig, c.Headroom, c.FrameSize)
	case !pow2(c.RxSize) || !pow2(c.TxSize) || !pow2(c.FillSize) || !pow2(c.CompSize):
		return fmt.Errorf("%w: ring sizes rx %d tx %d fill %d comp %d must be powers of two", ErrConfig, c.RxSize, c.TxSize, c.FillSize, c.CompSize)
	case c.Bind < BindAuto || c.Bind > BindZeroCopy:
		return fmt.Errorf("%w: bind mode %d", ErrConfig, c.Bind)
	case c.BusyBudget < 0 || c.BusyBudget > 1<<16-1:
		return fmt.Errorf("%w: busy poll budget %d", ErrConfig, c.BusyBudget)
	case c.XDP < XDPAuto || c.XDP > XDPNone:
		return fmt.Errorf("%w: XDP mode %d", ErrConfig, c.XDP)
	}
	if c.Share != nil {
		if c.Share.fd < 0 {
			return fmt.Errorf("%w: sharing the UMEM of a closed socket", ErrConfig)
		}
		c.FrameSize, c.FrameCount, c.Unaligned, c.Arena, c.Mem = c.Share.frameSize, c.Share.nframes, c.Share.unaligned, nil, nil
		return nil
	}
	if c.Mem != nil {
		switch {
		case c.Arena != nil:
			return fmt.Errorf("%w: both Mem and Arena given", ErrConfig)
		case len(c.Mem) < c.FrameSize:
			return fmt.Errorf("%w: UMEM of %d bytes holds no %d-byte frame", ErrConfig, len(c.Mem), c.FrameSize)
		case uintptr(unsafe.Pointer(unsafe.SliceData(c.Mem)))%uintptr(os.Getpagesize()) != 0:
			return fmt.Errorf("%w: UMEM at %p does not start on a page boundary", ErrConfig, unsafe.SliceData(c.Mem))
		}
		c.FrameCount = len(c.Mem) / c.FrameSize
		return nil
	}
	if c.Arena != nil {
		if c.Arena.Len() < c.FrameSize {
			return fmt.Errorf("%w: arena %q of %d bytes holds no %d-byte frame", ErrConfig, c.Arena.Name(), c.Arena.Len(), c.FrameSize)
		}
		c.FrameCount = c.Arena.Len() / c.FrameSize
	}
	return nil
}

// Stats are the kernel's counters of the socket (XDP_STATISTICS), since
// it was opened.
type Stats struct {
	RxDropped       uint64 // received packets dropped (no fill frame, too long...)
	RxInvalidDescs  uint64 // invalid fill ring descriptors
	TxInvalidDescs  uint64 // invalid tx ring descriptors (skipped)
	RxRingFull      uint64 // packets dropped because the rx ring was full
	RxFillRingEmpty uint64 // times the kernel found the fill ring empty
	TxRingEmpty     uint64 // times the kernel found the tx ring empty
}

// Socket is an AF_XDP socket bound to one queue of one interface, with its
// UMEM and four rings. Rx and Fill are for one goroutine, Tx and Comp for
// one (possibly another); the rest is control path.
type Socket struct {
	fd        int
	ifindex   int
	netns     uint64 // inode of the network namespace of ifindex
	iface     string
	queue     int
	frameSize int
	nframes   int
	umem      []byte
	arena     *eal.Arena
	ownArena  bool
	zeroCopy  bool
	unaligned bool
	prog      *program

	Fill AddrRing // frames given to the kernel to receive into
	Comp AddrRing // frames the kernel has finished sending
	Rx   DescRing // received packets
	Tx   DescRing // packets to send
}

// Open creates a socket bound to cfg.Iface's queue cfg.QueueID, in the
// calling thread's network namespace, with its UMEM registered and its
// rings mapped, and (unless cfg.XDP is XDPNone) an XDP program attached
// to the interface that redirects the queue's packets to it.
func Open(cfg Config) (*Socket, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	ifi, err := ifIndex(cfg.Iface)
	if err != nil {
		return nil, fmt.Errorf("xsk %s: %w", cfg.Iface, err)
	}
	s := &Socket{ifindex: ifi, netns: netnsIno(), iface: cfg.Iface, queue: cfg.QueueID, frameSize: cfg.FrameSize,
		nframes: cfg.FrameCount, unaligned: cfg.Unaligned, fd: -1}
	switch {
	case cfg.Share != nil:
		s.umem = cfg.Share.umem
	case cfg.Mem != nil:
		s.umem = cfg.Mem
	case cfg.Arena != nil:
		s.arena = cfg.Arena
	default:
		s.arena, err = eal.NewArena(eal.ArenaConfig{Name: "xsk-" + cfg.Iface, Size: cfg.FrameSize * cfg.FrameCount})
		if err != nil {
			return nil, fmt.Errorf("xsk %s: umem: %w", cfg.Iface, err)
		}
		s.ownArena = true
	}
	if s.arena != nil {
		s.umem = s.arena.Bytes()[:cfg.FrameSize*cfg.FrameCount]
	}

	flags := []uint16{unix.XDP_ZEROCOPY, unix.XDP_COPY}
	switch {
	case cfg.Share != nil:
		flags = []uint16{unix.XDP_SHARED_UMEM} // the owner's mode
	case cfg.Bind == BindCopy:
		flags = flags[1:]
	case cfg.Bind == BindZeroCopy:
		flags = flags[:1]
	}
	for i, f := range flags {
		err = s.setup(&cfg, f)
		if err == nil {
			s.zeroCopy = f == unix.XDP_ZEROCOPY || (cfg.Share != nil && cfg.Share.zeroCopy)
			break
		}
		s.closeSocket()
		if i < len(flags)-1 && errors.Is(err, errBindMode) {
			continue // zero-copy refused: try copy on a fresh socket
		}
		s.Close()
		return nil, fmt.Errorf("xsk %s queue %d: %w", cfg.Iface, cfg.QueueID, err)
	}
	if cfg.XDP != XDPNone {
		s.prog, err = attach(s.ifindex, cfg.QueueID+1, cfg.XDP)
		if err == nil {
			if e := s.prog.xsks.Put(uint32(cfg.QueueID), uint32(s.fd)); e != nil {
				err = fmt.Errorf("XSKMAP update: %w", e)
			}
		}
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("xsk %s queue %d: %w", cfg.Iface, cfg.QueueID, err)
		}
	}
	return s, nil
}

var errBindMode = errors.New("bind mode refused")

// bindBusyWait bounds how long Open waits for a queue another socket is
// giving up (EBUSY).
const bindBusyWait = time.Second

func ifIndex(name string) (int, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr); err != nil {
		return 0, fmt.Errorf("interface index: %w", err)
	}
	return int(ifr.Uint32()), nil
}

// netnsIno identifies the calling thread's network namespace (interface
// indexes are per namespace), 0 if unknown.
func netnsIno() uint64 {
	var st unix.Stat_t
	if unix.Stat("/proc/thread-self/ns/net", &st) != nil {
		return 0
	}
	return st.Ino
}

func setsockopt(fd, opt int, p unsafe.Pointer, n uintptr) error {
	_, _, e := unix.Syscall6(unix.SYS_SETSOCKOPT, uintptr(fd), unix.SOL_XDP, uintptr(opt), uintptr(p), n, 0)
	if e != 0 {
		return e
	}
	return nil
}

func getsockopt(fd, opt int, p unsafe.Pointer, n uintptr) error {
	l := uint32(n)
	_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), unix.SOL_XDP, uintptr(opt), uintptr(p), uintptr(unsafe.Pointer(&l)), 0)
	if e != 0 {
		return e
	}
	return nil
}

func (s *Socket) setup(cfg *Config, bindFlag uint16) error {
	fd, err := unix.Socket(unix.AF_XDP, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	switch {
	case errors.Is(err, unix.EAFNOSUPPORT):
		return fmt.Errorf("%w: AF_XDP sockets (kernel without CONFIG_XDP_SOCKETS): %v", ErrNotSupported, err)
	case errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES):
		return fmt.Errorf("%w: AF_XDP socket needs CAP_NET_RAW: %v", ErrNotSupported, err)
	case err != nil:
		return fmt.Errorf("socket(AF_XDP): %w", err)
	}
	s.fd = fd
	if cfg.Share != nil {
		return s.setupShared(cfg)
	}
	reg := unix.XDPUmemReg{
		Addr:     uint64(uintptr(unsafe.Pointer(&s.umem[0]))),
		Len:      uint64(len(s.umem)),
		Size:     uint32(cfg.FrameSize),
		Headroom: uint32(cfg.Headroom),
	}
	if cfg.Unaligned {
		reg.Flags = unix.XDP_UMEM_UNALIGNED_CHUNK_FLAG
	}
	if err := setsockopt(fd, unix.XDP_UMEM_REG, unsafe.Pointer(&reg), unsafe.Sizeof(reg)); err != nil {
		if errors.Is(err, unix.ENOBUFS) || errors.Is(err, unix.EPERM) {
			return fmt.Errorf("%w: UMEM registration of %d bytes (locked memory: RLIMIT_MEMLOCK or CAP_IPC_LOCK): %v", ErrNotSupported, len(s.umem), err)
		}
		return fmt.Errorf("XDP_UMEM_REG: %w", err)
	}
	if err := s.setupRings(cfg, true); err != nil {
		return err
	}
	return s.bind(cfg, &unix.SockaddrXDP{
		Flags:   unix.XDP_USE_NEED_WAKEUP | bindFlag,
		Ifindex: uint32(s.ifindex),
		QueueID: uint32(cfg.QueueID),
	}, bindFlag)
}

// setupShared sets up a socket on cfg.Share's UMEM: fill and completion
// rings of its own unless on the owner's queue, and no bind flags (the
// kernel takes the owner's).
func (s *Socket) setupShared(cfg *Config) error {
	o := cfg.Share
	if err := s.setupRings(cfg, o.ifindex != s.ifindex || o.netns != s.netns || o.queue != cfg.QueueID); err != nil {
		return err
	}
	return s.bind(cfg, &unix.SockaddrXDP{
		Flags:        unix.XDP_SHARED_UMEM,
		Ifindex:      uint32(s.ifindex),
		QueueID:      uint32(cfg.QueueID),
		SharedUmemFD: uint32(o.fd),
	}, unix.XDP_SHARED_UMEM)
}

// setupRings sizes and maps the rx and tx rings, and the fill and
// completion rings when umemRings.
func (s *Socket) setupRings(cfg *Config, umemRings bool) error {
	fd := s.fd
	type ringOpt struct {
		name string
		opt  int
		size int
	}
	opts := []ringOpt{
		{"XDP_RX_RING", unix.XDP_RX_RING, cfg.RxSize},
		{"XDP_TX_RING", unix.XDP_TX_RING, cfg.TxSize},
	}
	if umemRings {
		opts = append(opts,
			ringOpt{"XDP_UMEM_FILL_RING", unix.XDP_UMEM_FILL_RING, cfg.FillSize},
			ringOpt{"XDP_UMEM_COMPLETION_RING", unix.XDP_UMEM_COMPLETION_RING, cfg.CompSize})
	}
	for _, r := range opts {
		n := uint32(r.size)
		if err := setsockopt(fd, r.opt, unsafe.Pointer(&n), 4); err != nil {
			return fmt.Errorf("%s %d: %w", r.name, r.size, err)
		}
	}
	var off unix.XDPMmapOffsets
	if err := getsockopt(fd, unix.XDP_MMAP_OFFSETS, unsafe.Pointer(&off), unsafe.Sizeof(off)); err != nil {
		return fmt.Errorf("XDP_MMAP_OFFSETS: %w", err)
	}
	type ringMap struct {
		name     string
		pgoff    int64
		off      *unix.XDPRingOffset
		size     int
		descSize int
		init     func([]byte, *unix.XDPRingOffset, uint32)
	}
	maps := []ringMap{
		{"rx", unix.XDP_PGOFF_RX_RING, &off.Rx, cfg.RxSize, int(unsafe.Sizeof(unix.XDPDesc{})), s.Rx.init},
		{"tx", unix.XDP_PGOFF_TX_RING, &off.Tx, cfg.TxSize, int(unsafe.Sizeof(unix.XDPDesc{})), s.Tx.init},
	}
	if umemRings {
		maps = append(maps,
			ringMap{"fill", unix.XDP_UMEM_PGOFF_FILL_RING, &off.Fr, cfg.FillSize, 8, s.Fill.init},
			ringMap{"completion", unix.XDP_UMEM_PGOFF_COMPLETION_RING, &off.Cr, cfg.CompSize, 8, s.Comp.init})
	}
	for _, m := range maps {
		mem, err := unix.Mmap(fd, m.pgoff, int(m.off.Desc)+m.size*m.descSize,
			unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
		if err != nil {
			return fmt.Errorf("mmap %s ring: %w", m.name, err)
		}
		m.init(mem, m.off, uint32(m.size))
	}
	return nil
}

func (s *Socket) bind(cfg *Config, sa *unix.SockaddrXDP, bindFlag uint16) error {
	fd := s.fd
	if cfg.BusyBudget > 0 {
		for _, o := range []struct {
			name     string
			opt, val int
		}{
			{"SO_PREFER_BUSY_POLL", unix.SO_PREFER_BUSY_POLL, 1},
			{"SO_BUSY_POLL", unix.SO_BUSY_POLL, 20},
			{"SO_BUSY_POLL_BUDGET", unix.SO_BUSY_POLL_BUDGET, cfg.BusyBudget},
		} {
			if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, o.opt, o.val); err != nil {
				if errors.Is(err, unix.ENOPROTOOPT) || errors.Is(err, unix.EPERM) {
					return fmt.Errorf("%w: busy polling (%s; CAP_NET_ADMIN for budgets over the sysctl): %v", ErrNotSupported, o.name, err)
				}
				return fmt.Errorf("%s: %w", o.name, err)
			}
		}
	}
	// A socket closed just before on this queue gives it up from a
	// kernel work item (the UMEM's release is deferred): until then bind
	// says EBUSY. Wait a bounded time for it.
	err := unix.Bind(fd, sa)
	for deadline := time.Now().Add(bindBusyWait); errors.Is(err, unix.EBUSY) && time.Now().Before(deadline); {
		time.Sleep(2 * time.Millisecond)
		err = unix.Bind(fd, sa)
	}
	if err != nil {
		mode := "copy"
		switch bindFlag {
		case unix.XDP_ZEROCOPY:
			mode = "zero-copy"
		case unix.XDP_SHARED_UMEM:
			mode = "shared UMEM"
		}
		if bindFlag == unix.XDP_ZEROCOPY && !errors.Is(err, unix.EBUSY) {
			// The driver has no zero-copy support (EOPNOTSUPP, or
			// EINVAL from drivers that check late).
			return fmt.Errorf("%w: %w: zero-copy on %s queue %d: %v", ErrNotSupported, errBindMode, cfg.Iface, cfg.QueueID, err)
		}
		if errors.Is(err, unix.EOPNOTSUPP) {
			return fmt.Errorf("%w: %s mode on %s: %v", ErrNotSupported, mode, cfg.Iface, err)
		}
		if errors.Is(err, unix.EBUSY) {
			return fmt.Errorf("bind (%s mode): queue in use by another AF_XDP socket: %w", mode, err)
		}
		return fmt.Errorf("bind (%s mode): %w", mode, err)
	}
	return nil
}

// closeSocket unmaps the rings and closes the socket (the kernel then
// unregisters the UMEM), leaving the UMEM's memory.
func (s *Socket) closeSocket() {
	for _, r := range []*ring{&s.Fill.ring, &s.Comp.ring, &s.Rx.ring, &s.Tx.ring} {
		if r.mem != nil {
			_ = unix.Munmap(r.mem)
		}
		*r = ring{}
	}
	s.Fill.addrs, s.Comp.addrs, s.Rx.descs, s.Tx.descs = nil, nil, nil, nil
	if s.fd >= 0 {
		unix.Close(s.fd)
		s.fd = -1
	}
}

// Close detaches the XDP program, closes the socket and unmaps its rings,
// and unmaps the UMEM unless the caller gave it (Config.Arena).
func (s *Socket) Close() error {
	var err error
	if s.prog != nil {
		err = s.prog.close()
		s.prog = nil
	}
	s.closeSocket()
	if s.ownArena && s.arena != nil {
		if e := s.arena.Close(); err == nil {
			err = e
		}
	}
	s.arena, s.umem = nil, nil
	return err
}

// Fd is the socket's file descriptor (for an XSKMAP, or poll).
func (s *Socket) Fd() int { return s.fd }

// ZeroCopy says whether the socket is bound in zero-copy mode.
func (s *Socket) ZeroCopy() bool { return s.zeroCopy }

// XDPMode is the mode the XDP program got attached in (XDPDriver or
// XDPGeneric), or XDPNone.
func (s *Socket) XDPMode() XDPMode {
	if s.prog == nil {
		return XDPNone
	}
	return s.prog.mode
}

// FrameSize is the UMEM chunk size.
func (s *Socket) FrameSize() int { return s.frameSize }

// FrameCount is the number of UMEM frames; frame i is at address
// i*FrameSize.
func (s *Socket) FrameCount() int { return s.nframes }

// UMEM is the whole UMEM: a descriptor's packet is
// UMEM()[d.Addr : d.Addr+d.Len].
func (s *Socket) UMEM() []byte { return s.umem }

// In unaligned mode an rx descriptor's address is the chunk's address
// (as given to the fill ring) in its low 48 bits plus the packet's offset
// in the chunk in its top 16 bits.
const (
	unalignedShift    = 48
	unalignedAddrMask = 1<<unalignedShift - 1
)

// Addr is the UMEM offset of the first byte of the packet of descriptor
// address a (an rx descriptor's; tx addresses are plain offsets).
func (s *Socket) Addr(a uint64) uint64 {
	return a&unalignedAddrMask + a>>unalignedShift
}

// FrameOf is the address of the frame that holds descriptor address a:
// what to give the fill ring to receive into it again.
func (s *Socket) FrameOf(a uint64) uint64 {
	if s.unaligned {
		return a & unalignedAddrMask
	}
	return a &^ uint64(s.frameSize-1)
}

// Packet is the packet of descriptor d, in the UMEM.
func (s *Socket) Packet(d unix.XDPDesc) []byte {
	a := s.Addr(d.Addr)
	return s.umem[a : a+uint64(d.Len) : a+uint64(d.Len)]
}

// Kick makes the kernel send what the tx ring holds: sendto(2) with
// MSG_DONTWAIT, only when the ring asks for a wakeup (or when force). The
// kernel's transient refusals (EAGAIN, EBUSY, ENOBUFS, ENETDOWN: it sends
// later or the link is down) are not errors.
//
// The call is a raw one (no entersyscall/exitsyscall): it never blocks
// (MSG_DONTWAIT; copy mode sends at most one batch, TX_BATCH_SIZE, per
// call), but in copy mode it runs the whole send, and on a veth the
// peer's receive too, inside the call, for tens of microseconds. Made
// through the scheduler, such calls keep Go's sysmon thread retaking the
// P at its shortest period (20us) when GOMAXPROCS has no idle P (a
// process pinned to one CPU), and each sysmon wakeup preempts the
// sending thread on its core: ~15k context switches a second and 17%
// of the send rate on a veth. A raw call is the poll-mode driver's
// choice: the lcore's thread owns its core, and a stop-the-world waits
// at most one such call.
func (s *Socket) Kick(force bool) error {
	if !force && !s.Tx.needWakeup() {
		return nil
	}
	_, _, e := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(s.fd), 0, 0, unix.MSG_DONTWAIT, 0, 0)
	switch e {
	case 0, unix.EAGAIN, unix.EBUSY, unix.ENOBUFS, unix.ENETDOWN:
		return nil
	}
	return fmt.Errorf("xsk %s: tx kick: %w", s.iface, e)
}

// WakeRx makes the kernel go on filling the rx ring when the fill ring
// asks for a wakeup (recvfrom(2) with MSG_DONTWAIT; a raw call, as in
// Kick: it never blocks).
func (s *Socket) WakeRx() {
	if s.Fill.needWakeup() {
		_, _, _ = unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(s.fd), 0, 0, unix.MSG_DONTWAIT, 0, 0)
	}
}

// Poll waits up to timeoutMs for the rx ring to have packets (POLLIN);
// it says whether it does.
func (s *Socket) Poll(timeoutMs int) (bool, error) {
	fds := []unix.PollFd{{Fd: int32(s.fd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, timeoutMs)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("xsk %s: poll: %w", s.iface, err)
		}
		return n > 0 && fds[0].Revents&unix.POLLIN != 0, nil
	}
}

// Stats reads the kernel's counters (XDP_STATISTICS).
func (s *Socket) Stats() (Stats, error) {
	var st unix.XDPStatistics
	if err := getsockopt(s.fd, unix.XDP_STATISTICS, unsafe.Pointer(&st), unsafe.Sizeof(st)); err != nil {
		return Stats{}, fmt.Errorf("xsk %s: XDP_STATISTICS: %w", s.iface, err)
	}
	return Stats{st.Rx_dropped, st.Rx_invalid_descs, st.Tx_invalid_descs, st.Rx_ring_full,
		st.Rx_fill_ring_empty_descs, st.Tx_ring_empty_descs}, nil
}

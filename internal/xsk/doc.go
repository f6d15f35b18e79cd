// Package xsk is a Linux AF_XDP socket, the kernel mechanism under dpkit's
// net_af_xdp driver (driver/net/afxdp). It knows nothing of ethdev or
// mbufs: it hands out ring slots and UMEM frames.
//
// One Socket is bound to one queue of one interface. Its UMEM is a dpkit
// arena (off the Go heap) cut into frames of FrameSize bytes, registered
// with the kernel (XDP_UMEM_REG); frame i is at UMEM address i*FrameSize.
// Or it is memory the caller gives (Config.Mem, e.g. an mbuf pool's
// objects) with unaligned chunks placed where the caller says.
// Four single-producer single-consumer rings, each mapped from the socket
// (XDP_MMAP_OFFSETS), move frames between us and the kernel:
//
//	Fill: we give the kernel empty frames (addresses) to receive into
//	Rx:   the kernel gives back received packets (addr, len) in them
//	Tx:   we give the kernel packets (addr, len) to send
//	Comp: the kernel gives back the addresses of the frames it has sent
//
// Each ring is a power-of-two array of descriptors with a free-running
// producer and consumer index in the shared mapping. We keep a cached copy
// of the other side's index and read the shared one (an atomic load) only
// when the cache says there is too little room or too few entries, and we
// publish our own index once per burst (Submit, Release): the atomics are
// paid per burst, not per packet. Fill and Tx are written with
// Reserve/Set/Submit, Rx and Comp read with Peek/Desc or Addr/Release.
//
// The socket is bound with XDP_USE_NEED_WAKEUP: the kernel sets a flag in
// a ring when it wants a syscall to go on (Kick: sendto for Tx; WakeRx:
// recvfrom for Fill), so a busy data path makes no syscalls. Open tries
// zero-copy (XDP_ZEROCOPY) and falls back to copy mode (XDP_COPY) when the
// driver has no zero-copy support, unless Config.Bind says otherwise.
//
// Packets reach the socket through an XDP program on the interface that
// redirects each queue's packets to the socket in an XSKMAP at the queue's
// index:
//
//	return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
//
// built in Go with cilium/ebpf's asm package (no C compiler) and attached
// with a bpf_link in driver (native) mode, falling back to generic (SKB)
// mode; Close detaches it, and so does the kernel if the process dies.
// Open attaches one for its own queue; sockets on several queues of one
// interface share one Program instead (Attach, Program.Register, and
// Config.XDP XDPNone). Sockets on several queues may also share one UMEM
// (Config.Share, XDP_SHARED_UMEM), each with its own fill and completion
// rings, so that one pool of frames serves them all.
//
// Instead of ours, the XDP program of an ELF object (ReadObject,
// AttachObject: an XDP program and an XSKMAP named xsks_map, as DPDK wants)
// or a program someone else attached, through its pinned XSKMAP (OpenMap),
// can carry the packets to the sockets.
//
// Missing kernel features or privileges (no AF_XDP, no CAP_BPF, no XDP on
// the interface, no locked memory) give errors wrapping ErrNotSupported
// that name what is missing. No call blocks without a bound.
package xsk

package xsk

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"
)

// program is the XDP program of a socket and its XSKMAP, attached to the
// interface through a bpf_link: closing the link detaches it, and the
// kernel detaches it too if the process dies.
type program struct {
	coll *ebpf.Collection // the program's and its maps, loaded from an ELF object
	xsks *ebpf.Map
	prog *ebpf.Program
	link link.Link
	mode XDPMode
}

// Offset of rx_queue_index in struct xdp_md (data, data_end, data_meta,
// ingress_ifindex, rx_queue_index: five __u32).
const xdpMdRxQueueIndex = 16

// XDP actions.
const xdpPass = 2

// redirectInsns is the program, for an XSKMAP of file descriptor mapFd:
//
//	return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
//
// Packets of a queue with no socket in the map go on to the stack
// (the low bits of the flags are the action when the lookup fails).
func redirectInsns(mapFd int) asm.Instructions {
	return asm.Instructions{
		asm.LoadMem(asm.R2, asm.R1, xdpMdRxQueueIndex, asm.Word),
		asm.LoadMapPtr(asm.R1, mapFd),
		asm.Mov.Imm(asm.R3, xdpPass),
		asm.FnRedirectMap.Call(),
		asm.Return(),
	}
}

// attach loads the program with an XSKMAP of queues entries and attaches
// it to interface ifindex in mode (XDPAuto: driver, else generic).
func attach(ifindex, queues int, mode XDPMode) (*program, error) {
	p, err := load(queues)
	if err != nil {
		return nil, err
	}
	if err := p.attachLink(ifindex, mode); err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

// load loads our program and its XSKMAP of queues entries.
func load(queues int) (*program, error) {
	p := &program{}
	var err error
	p.xsks, err = ebpf.NewMap(&ebpf.MapSpec{
		Name:       "dpkit_xsks",
		Type:       ebpf.XSKMap,
		KeySize:    4,
		ValueSize:  4,
		MaxEntries: uint32(queues),
	})
	if err != nil {
		return nil, bpfErr("XSKMAP creation", err)
	}
	p.prog, err = ebpf.NewProgram(&ebpf.ProgramSpec{
		Name:         "dpkit_xsk",
		Type:         ebpf.XDP,
		License:      "Dual BSD/GPL",
		Instructions: redirectInsns(p.xsks.FD()),
	})
	if err != nil {
		p.close()
		return nil, bpfErr("XDP program load", err)
	}
	return p, nil
}

// attachLink attaches p.prog to interface ifindex through a bpf_link in
// mode (XDPAuto: driver, then generic).
func (p *program) attachLink(ifindex int, mode XDPMode) error {
	var err error
	modes := []XDPMode{XDPDriver, XDPGeneric}
	switch mode {
	case XDPDriver:
		modes = modes[:1]
	case XDPGeneric:
		modes = modes[1:]
	}
	var errs []error
	for _, m := range modes {
		flags := link.XDPDriverMode
		if m == XDPGeneric {
			flags = link.XDPGenericMode
		}
		p.link, err = link.AttachXDP(link.XDPOptions{Program: p.prog, Interface: ifindex, Flags: flags})
		if err == nil {
			p.mode = m
			return nil
		}
		errs = append(errs, fmt.Errorf("%v mode: %w", m, err))
	}
	err = errors.Join(errs...)
	if errors.Is(err, ebpf.ErrNotSupported) || errors.Is(err, unix.EOPNOTSUPP) {
		return fmt.Errorf("%w: XDP attach on interface %d: %v", ErrNotSupported, ifindex, err)
	}
	if errors.Is(err, unix.EPERM) {
		return fmt.Errorf("%w: XDP attach needs CAP_NET_ADMIN: %v", ErrNotSupported, err)
	}
	return fmt.Errorf("XDP attach: %w", err)
}

// bpfErr names a missing privilege or kernel feature as ErrNotSupported.
func bpfErr(what string, err error) error {
	switch {
	case errors.Is(err, unix.EPERM):
		return fmt.Errorf("%w: %s needs CAP_BPF and CAP_NET_ADMIN (or CAP_SYS_ADMIN): %v", ErrNotSupported, what, err)
	case errors.Is(err, ebpf.ErrNotSupported):
		return fmt.Errorf("%w: %s: %v", ErrNotSupported, what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func (p *program) close() error {
	var err error
	if p.link != nil {
		err = p.link.Close()
		p.link = nil
	}
	if p.coll != nil {
		p.coll.Close()
		p.coll, p.prog, p.xsks = nil, nil, nil
	}
	if p.prog != nil {
		p.prog.Close()
		p.prog = nil
	}
	if p.xsks != nil {
		p.xsks.Close()
		p.xsks = nil
	}
	if err != nil {
		return fmt.Errorf("XDP detach: %w", err)
	}
	return nil
}

// Program is an XDP program attached to one interface with an XSKMAP: it
// redirects the packets of each queue that has a socket registered to
// that socket, and lets the others' go on to the kernel's stack. Several
// sockets on several queues of one interface share one Program (open them
// with Config.XDP XDPNone).
type Program struct {
	p     *program
	iface string
	n     int
}

// Attach loads a Program for queues 0..queues-1 and attaches it to iface
// (in the calling thread's network namespace) in mode: XDPAuto tries
// the driver mode, then generic.
func Attach(iface string, queues int, mode XDPMode) (*Program, error) {
	if queues <= 0 || mode < XDPAuto || mode > XDPGeneric {
		return nil, fmt.Errorf("%w: XDP program for %d queues in %v mode", ErrConfig, queues, mode)
	}
	ifi, err := ifIndex(iface)
	if err != nil {
		return nil, fmt.Errorf("xsk %s: %w", iface, err)
	}
	p, err := attach(ifi, queues, mode)
	if err != nil {
		return nil, fmt.Errorf("xsk %s: %w", iface, err)
	}
	return &Program{p: p, iface: iface, n: queues}, nil
}

// Register redirects queue's packets to s from now on.
func (p *Program) Register(queue int, s *Socket) error {
	if queue < 0 || queue >= p.n {
		return fmt.Errorf("%w: queue %d of a program for %d", ErrConfig, queue, p.n)
	}
	if err := p.p.xsks.Put(uint32(queue), uint32(s.fd)); err != nil {
		return fmt.Errorf("xsk %s: XSKMAP update at queue %d: %w", p.iface, queue, err)
	}
	return nil
}

// Unregister sends queue's packets to the stack again.
func (p *Program) Unregister(queue int) error {
	if err := p.p.xsks.Delete(uint32(queue)); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
		return fmt.Errorf("xsk %s: XSKMAP delete at queue %d: %w", p.iface, queue, err)
	}
	return nil
}

// Mode is the mode the program got attached in: XDPDriver or
// XDPGeneric, or XDPNone for a pinned map (OpenMap).
func (p *Program) Mode() XDPMode { return p.p.mode }

// Queues is the number of entries of the XSKMAP: sockets of queues
// 0..Queues()-1 can be registered.
func (p *Program) Queues() int { return p.n }

// Close detaches the program from the interface.
func (p *Program) Close() error {
	if p.p == nil {
		return nil
	}
	err := p.p.close()
	p.p = nil
	return err
}

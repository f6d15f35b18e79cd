package xsk

import (
	"errors"
	"fmt"
	"os"

	"github.com/cilium/ebpf"
)

// XSKMapName is the name the XSKMAP of a user's XDP program must have
// (DPDK's net_af_xdp: xsks_map).
const XSKMapName = "xsks_map"

// Object is an XDP program of an ELF object file, checked but not loaded.
type Object struct {
	path string
	spec *ebpf.CollectionSpec
	prog string // the XDP program's name in spec
}

// ReadObject reads an ELF object (compiled for BPF, e.g. by clang -target
// bpf) and checks that it has one XDP program (or several, and then the
// first in name order is used) and an XSKMAP named xsks_map. Errors wrap
// ErrConfig and say what is wrong.
func ReadObject(path string) (*Object, error) {
	if fi, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("%w: XDP program object: %w", ErrConfig, err)
	} else if !fi.Mode().IsRegular() {
		// A FIFO or a device could block or never end.
		return nil, fmt.Errorf("%w: XDP program object %s: not a regular file", ErrConfig, path)
	}
	spec, err := ebpf.LoadCollectionSpec(path)
	if err != nil {
		return nil, fmt.Errorf("%w: XDP program object %s: %w", ErrConfig, path, err)
	}
	o := &Object{path: path, spec: spec}
	for name, ps := range spec.Programs {
		if ps.Type == ebpf.XDP && (o.prog == "" || name < o.prog) {
			o.prog = name
		}
	}
	if o.prog == "" {
		return nil, fmt.Errorf("%w: XDP program object %s: no XDP program (an ELF section \"xdp\")", ErrConfig, path)
	}
	ms, ok := spec.Maps[XSKMapName]
	switch {
	case !ok:
		return nil, fmt.Errorf("%w: XDP program object %s: no map named %s", ErrConfig, path, XSKMapName)
	case ms.Type != ebpf.XSKMap:
		return nil, fmt.Errorf("%w: XDP program object %s: map %s is a %v, not an XSKMAP", ErrConfig, path, XSKMapName, ms.Type)
	}
	return o, nil
}

// Program is the name of the object's XDP program.
func (o *Object) Program() string { return o.prog }

// AttachObject loads o's program and maps and attaches the program to
// iface (in the calling thread's network namespace) in mode, instead of
// dpkit's: Register puts sockets in its xsks_map, at their queue's index
// (what the program does with the packets is its business: it may redirect
// some to the sockets with bpf_redirect_map(&xsks_map, ...) and pass the
// others to the stack). Close detaches it.
func AttachObject(iface string, o *Object, mode XDPMode) (*Program, error) {
	if mode < XDPAuto || mode > XDPGeneric {
		return nil, fmt.Errorf("%w: XDP program in %v mode", ErrConfig, mode)
	}
	ifi, err := ifIndex(iface)
	if err != nil {
		return nil, fmt.Errorf("xsk %s: %w", iface, err)
	}
	coll, err := ebpf.NewCollection(o.spec)
	if err != nil {
		return nil, fmt.Errorf("xsk %s: %w", iface, bpfErr("loading "+o.path, err))
	}
	p := &program{coll: coll, prog: coll.Programs[o.prog], xsks: coll.Maps[XSKMapName]}
	if err := p.attachLink(ifi, mode); err != nil {
		p.close()
		return nil, fmt.Errorf("xsk %s: %s: %w", iface, o.path, err)
	}
	return &Program{p: p, iface: iface, n: int(p.xsks.MaxEntries())}, nil
}

// OpenMap opens the XSKMAP pinned at path (in a BPF file system) of an
// XDP program someone else attached to iface: Register puts sockets in it;
// nothing is attached, and Close detaches nothing.
func OpenMap(iface, path string) (*Program, error) {
	m, err := ebpf.LoadPinnedMap(path, nil)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: pinned XSKMAP %s: %w", ErrConfig, path, err)
		}
		return nil, fmt.Errorf("xsk %s: %w", iface, bpfErr("opening pinned map "+path, err))
	}
	info, err := m.Info()
	if err != nil {
		m.Close()
		return nil, fmt.Errorf("xsk %s: pinned map %s: %w", iface, path, err)
	}
	if info.Type != ebpf.XSKMap {
		m.Close()
		return nil, fmt.Errorf("%w: pinned map %s is a %v, not an XSKMAP", ErrConfig, path, info.Type)
	}
	return &Program{p: &program{xsks: m, mode: XDPNone}, iface: iface, n: int(info.MaxEntries)}, nil
}

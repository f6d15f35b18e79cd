package ethdev

import "slices"

// Link returns the link state (rte_eth_link_get_nowait).
func (p *Port) Link() Link {
	if lr, ok := p.dev.(LinkReporter); ok {
		return lr.Link()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state != StateStarted {
		return Link{}
	}
	return Link{Up: true, Speed: p.info.Speed, Duplex: FullDuplex}
}

// LinkCallback is told of a port's new link state.
type LinkCallback func(p *Port, l Link)

type linkCallback struct{ fn LinkCallback }

// OnLinkChange registers fn to run whenever the port's link state changes
// (rte_eth_dev_callback_register with RTE_ETH_EVENT_INTR_LSC): on Start
// and Stop, and when the driver reports a change. It runs on the goroutine
// that saw the change, never with the port's lock held. The returned
// function unregisters it.
func (p *Port) OnLinkChange(fn LinkCallback) (remove func()) {
	cb := &linkCallback{fn}
	p.linkMu.Lock()
	p.linkCbs = append(p.linkCbs, cb)
	p.linkMu.Unlock()
	return func() {
		p.linkMu.Lock()
		p.linkCbs = slices.DeleteFunc(p.linkCbs, func(x *linkCallback) bool { return x == cb })
		p.linkMu.Unlock()
	}
}

// linkChanged compares the link with the last one reported and runs the
// callbacks if it differs. Drivers reach it through LinkWatcher's notify.
func (p *Port) linkChanged() {
	l := p.Link()
	p.linkMu.Lock()
	if l == p.lastLink {
		p.linkMu.Unlock()
		return
	}
	p.lastLink = l
	cbs := slices.Clone(p.linkCbs)
	p.linkMu.Unlock()
	for _, cb := range cbs {
		cb.fn(p, l)
	}
}

// MAC returns the port's primary MAC address (rte_eth_macaddr_get).
func (p *Port) MAC() MAC {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mac
}

// SetMAC sets the primary MAC address (rte_eth_dev_default_mac_addr_set);
// it must be a unicast, non-zero address.
func (p *Port) SetMAC(m MAC) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if m.IsZero() || m.IsMulticast() {
		return p.errf(ErrInvalid, "set MAC %v: not a unicast address", m)
	}
	if ma, ok := p.dev.(MACAddresser); ok {
		if err := ma.SetMAC(m); err != nil {
			return p.errf(err, "set MAC %v", m)
		}
	}
	p.mac = m
	return nil
}

// SetPromisc turns promiscuous mode on or off
// (rte_eth_promiscuous_enable/disable).
func (p *Port) SetPromisc(on bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ps, ok := p.dev.(PromiscSetter); ok {
		if err := ps.SetPromisc(on); err != nil {
			return p.errf(err, "set promiscuous %v", on)
		}
	}
	p.promisc = on
	return nil
}

// Promisc reports promiscuous mode (rte_eth_promiscuous_get).
func (p *Port) Promisc() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.promisc
}

// SetAllMulticast turns all-multicast mode on or off
// (rte_eth_allmulticast_enable/disable).
func (p *Port) SetAllMulticast(on bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ps, ok := p.dev.(PromiscSetter); ok {
		if err := ps.SetAllMulticast(on); err != nil {
			return p.errf(err, "set all-multicast %v", on)
		}
	}
	p.allmulti = on
	return nil
}

// AllMulticast reports all-multicast mode (rte_eth_allmulticast_get).
func (p *Port) AllMulticast() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.allmulti
}

// MTU returns the port's MTU (rte_eth_dev_get_mtu).
func (p *Port) MTU() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mtu
}

// SetMTU sets the MTU (rte_eth_dev_set_mtu), within DevInfo's MinMTU and
// MaxMTU.
func (p *Port) SetMTU(mtu int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == StateClosed {
		return p.stateErr("set MTU", "open it again")
	}
	if mtu < p.info.MinMTU || mtu > p.info.MaxMTU {
		return p.errf(ErrInvalid, "set MTU %d (want %d..%d)", mtu, p.info.MinMTU, p.info.MaxMTU)
	}
	if ms, ok := p.dev.(MTUSetter); ok {
		if err := ms.SetMTU(mtu); err != nil {
			return p.errf(err, "set MTU %d", mtu)
		}
	}
	p.mtu = mtu
	p.cfg.MTU = mtu
	return nil
}

package testpmd

// macswapEngine swaps the destination and source Ethernet addresses and
// sends the packet on: a reflector.
var macswapEngine = Engine{Name: "macswap", Fwd: macswapFwd}

func macswapFwd(s *Stream) {
	pkts := s.rx()
	for _, m := range pkts {
		if p := m.Data(); len(p) >= 12 {
			swapMACs(p)
		}
	}
	s.send(pkts)
}

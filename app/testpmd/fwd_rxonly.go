package testpmd

import "github.com/dpkit/dpkit/mbuf"

// rxonlyEngine receives and frees: a sink.
var rxonlyEngine = Engine{Name: "rxonly", Fwd: rxonlyFwd}

func rxonlyFwd(s *Stream) {
	if pkts := s.rx(); len(pkts) > 0 {
		mbuf.FreeBulk(s.Lcore, pkts)
	}
}

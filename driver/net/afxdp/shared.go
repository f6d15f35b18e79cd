package afxdp

import (
	"slices"
	"sync"

	"github.com/dpkit/dpkit/internal/xsk"
	"github.com/dpkit/dpkit/mbuf"
)

// sharedUmems are, per pool, the open sockets of shared_umem=1 ports whose
// UMEM is the pool's memory: a new socket of such a port on that pool
// shares one of theirs (XDP_SHARED_UMEM) instead of registering the
// memory again.
var sharedUmems struct {
	sync.Mutex
	m map[*mbuf.Pool][]*xsk.Socket
}

func shareUmem(p *mbuf.Pool, s *xsk.Socket) {
	sharedUmems.Lock()
	defer sharedUmems.Unlock()
	if sharedUmems.m == nil {
		sharedUmems.m = make(map[*mbuf.Pool][]*xsk.Socket)
	}
	sharedUmems.m[p] = append(sharedUmems.m[p], s)
}

func unshareUmem(p *mbuf.Pool, s *xsk.Socket) {
	sharedUmems.Lock()
	defer sharedUmems.Unlock()
	l := slices.DeleteFunc(sharedUmems.m[p], func(x *xsk.Socket) bool { return x == s })
	if len(l) == 0 {
		delete(sharedUmems.m, p)
		return
	}
	sharedUmems.m[p] = l
}

// sharedSocket is an open socket over p's memory, or nil.
func sharedSocket(p *mbuf.Pool) *xsk.Socket {
	sharedUmems.Lock()
	defer sharedUmems.Unlock()
	if l := sharedUmems.m[p]; len(l) > 0 {
		return l[0]
	}
	return nil
}

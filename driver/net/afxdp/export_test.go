package afxdp

import "github.com/dpkit/dpkit/ethdev"

// QueueMode says how queue pair q of a started port works: mbufs as
// UMEM frames (umem), over another socket's UMEM (shared), bound in
// zero-copy mode, and how many packets its tx queue has copied.
func QueueMode(p *ethdev.Port, q int) (umem, shared, zeroCopy bool, txCopied uint64) {
	d := p.Device().(*device)
	if q >= len(d.socks) || d.socks[q] == nil {
		return
	}
	if q < len(d.txqs) && d.txqs[q] != nil {
		txCopied = d.txqs[q].copied
	}
	return d.umems[q] != nil, d.shares[q], d.socks[q].ZeroCopy(), txCopied
}

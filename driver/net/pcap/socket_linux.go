package pcap

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"

	"github.com/dpkit/dpkit/mbuf"
)

// socketBufLen is the most a packet received on an interface may hold
// (larger ones are cut); it covers the 64 KiB packets of a veth with
// offloads on, beyond DPDK's 16128-byte RTE_ETH_PCAP_SNAPLEN.
const socketBufLen = 65536 + 64

// socket is a non-blocking AF_PACKET SOCK_RAW socket bound to one
// interface in promiscuous mode: an rx source, a tx sink, or both
// (iface=). Linux does not hand a packet socket the frames it sent
// itself, so iface= does not receive its own transmissions.
type socket struct {
	name    string
	fd      int
	ifindex int
	inOnly  bool // rx_iface_in: skip outgoing packets
	rbuf    []byte
	tbuf    []byte
	rs      recvState
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func openSocket(name string, inOnly bool) (*socket, error) {
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return nil, err
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
	if err != nil {
		return nil, fmt.Errorf("AF_PACKET socket: %w", err)
	}
	s := &socket{name: name, fd: fd, ifindex: ifc.Index, inOnly: inOnly}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifc.Index}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("binding to %s: %w", name, err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("SO_TIMESTAMPNS: %w", err)
	}
	mr := unix.PacketMreq{Ifindex: int32(ifc.Index), Type: unix.PACKET_MR_PROMISC}
	if err := unix.SetsockoptPacketMreq(fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("promiscuous mode on %s: %w", name, err)
	}
	s.rbuf = make([]byte, socketBufLen)
	s.tbuf = make([]byte, socketBufLen)
	// Drop what arrived between socket and bind (other interfaces).
	for {
		if n, _, _, err := s.recv(s.rbuf); err != nil || n < 0 {
			break
		}
	}
	return s, nil
}

func (s *socket) start() error { return nil }
func (s *socket) flush() error { return nil }

func (s *socket) close() error {
	if s.fd < 0 {
		return nil
	}
	err := unix.Close(s.fd)
	s.fd = -1
	return err
}

// sockRxQueue receives from the socket until it is empty or the burst
// full.
type sockRxQueue struct {
	s  *socket
	m  mbufFiller
	st *rxStats
}

func (q *sockRxQueue) RxBurst(pkts []*mbuf.Mbuf) int {
	n := 0
	for n < len(pkts) {
		// Take a packet only once its mbuf is there: an empty pool
		// leaves it in the socket.
		m := q.m.pool.Alloc(q.m.lcore)
		if m == nil {
			q.st.nombuf.Add(1)
			break
		}
		k, outgoing, ts, err := q.s.recv(q.s.rbuf)
		if err != nil {
			m.Free(q.m.lcore)
			if err != unix.EAGAIN && err != unix.EINTR {
				q.st.errors.Add(1)
			}
			break
		}
		if outgoing && q.s.inOnly {
			m.Free(q.m.lcore)
			continue
		}
		data := q.s.rbuf[:min(k, len(q.s.rbuf))]
		if len(data) <= m.Tailroom() {
			copy(m.Append(len(data)), data)
		} else if m = q.m.chain(m, data); m == nil {
			q.st.nombuf.Add(1)
			break
		}
		if ts != 0 {
			m.SetTimestamp(uint64(ts))
			m.AddOlFlags(mbuf.RxTimestamp)
		}
		pkts[n] = m
		n++
	}
	return n
}

// sockTxQueue sends each packet with one send call; a full socket buffer
// ends the burst (the caller keeps the rest).
type sockTxQueue struct {
	s     *socket
	lcore uint
	st    *txStats
}

func (q *sockTxQueue) TxBurst(pkts []*mbuf.Mbuf) int {
	for i, m := range pkts {
		data := m.Data()
		if !m.IsContiguous() {
			if m.PktLen() > len(q.s.tbuf) {
				q.st.errors.Add(1)
				m.Free(q.lcore)
				continue
			}
			data = q.s.tbuf[:m.CopyTo(q.s.tbuf)]
		}
		if err := q.s.send(data); err != nil {
			if err == unix.EAGAIN || err == unix.ENOBUFS || err == unix.EINTR {
				return i
			}
			q.st.errors.Add(1) // too big, interface down: dropped
		}
		m.Free(q.lcore)
	}
	return len(pkts)
}

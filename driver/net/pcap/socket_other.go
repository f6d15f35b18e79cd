//go:build !linux

package pcap

import (
	"fmt"

	"github.com/dpkit/dpkit/ethdev"
	"github.com/dpkit/dpkit/mbuf"
)

type socket struct{ ifindex int }

func openSocket(name string, inOnly bool) (*socket, error) {
	return nil, fmt.Errorf("interfaces need Linux AF_PACKET sockets: %w", ethdev.ErrNotSupported)
}

func (s *socket) start() error { return nil }
func (s *socket) flush() error { return nil }
func (s *socket) close() error { return nil }

type sockRxQueue struct {
	s  *socket
	m  mbufFiller
	st *rxStats
}

func (q *sockRxQueue) RxBurst([]*mbuf.Mbuf) int { return 0 }

type sockTxQueue struct {
	s     *socket
	lcore uint
	st    *txStats
}

func (q *sockTxQueue) TxBurst([]*mbuf.Mbuf) int { return 0 }

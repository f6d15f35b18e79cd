package ethdev

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// Rx interrupt mode: the book's hybrid of polling and sleeping. An lcore
// polls its queue; when the queue has stayed empty for a while it arms the
// queue's interrupt and sleeps on the queue's file descriptor until a
// packet comes (or a timeout), then disarms it and polls again:
//
//	for {
//		n := p.RxBurst(q, pkts)
//		if n == 0 && idle++ > 300 {
//			ethdev.RxIntrWait(p, q, 10*time.Millisecond) // arms, sleeps, disarms
//			idle = 0
//			continue
//		}
//		...
//	}
//
// The port must be configured with Config.RxIntr. To sleep on several
// queues at once (of one or many ports), use an Epoll set.

func (p *Port) intr(q uint16) (RxInterrupter, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ri, ok := p.dev.(RxInterrupter)
	if !ok {
		return nil, p.errf(ErrNotSupported, "rx interrupt")
	}
	if !p.cfg.RxIntr || p.state == StateProbed || p.state == StateClosed {
		return nil, p.errf(ErrState, "rx interrupt on queue %d: configure the port with RxIntr", q)
	}
	if int(q) >= len(p.rxSet) {
		return nil, p.errf(ErrInvalid, "rx interrupt: rx queue %d not configured", q)
	}
	return ri, nil
}

// RxIntrEnable arms rx queue q's interrupt (rte_eth_dev_rx_intr_enable):
// its fd becomes readable when the queue has packets (at once if it has
// some already).
func (p *Port) RxIntrEnable(q uint16) error {
	ri, err := p.intr(q)
	if err != nil {
		return err
	}
	return ri.RxIntrEnable(q)
}

// RxIntrDisable disarms rx queue q's interrupt and clears its fd
// (rte_eth_dev_rx_intr_disable).
func (p *Port) RxIntrDisable(q uint16) error {
	ri, err := p.intr(q)
	if err != nil {
		return err
	}
	return ri.RxIntrDisable(q)
}

// RxIntrFd returns the file descriptor of rx queue q's interrupt
// (rte_eth_dev_rx_intr_ctl_q_get_fd), to add to an epoll set of the
// caller's. It belongs to the port.
func (p *Port) RxIntrFd(q uint16) (int, error) {
	ri, err := p.intr(q)
	if err != nil {
		return -1, err
	}
	return ri.RxIntrFd(q)
}

// RxIntrWait arms rx queue q of p, sleeps until the queue has packets or
// timeout passes (negative: no timeout), and disarms it. It returns nil if
// the queue has packets, ErrTimeout if not.
func RxIntrWait(p *Port, q uint16, timeout time.Duration) error {
	fd, err := p.RxIntrFd(q)
	if err != nil {
		return err
	}
	if err := p.RxIntrEnable(q); err != nil {
		return err
	}
	ready, werr := pollIn(fd, timeout)
	if err := p.RxIntrDisable(q); err != nil && werr == nil {
		werr = err
	}
	if werr != nil {
		return fmt.Errorf("%s: rx interrupt wait on queue %d: %w", p.name, q, werr)
	}
	if !ready {
		return ErrTimeout
	}
	return nil
}

// pollIn waits for fd to be readable.
func pollIn(fd int, timeout time.Duration) (bool, error) {
	ms := -1
	if timeout >= 0 {
		ms = int((timeout + time.Millisecond - 1) / time.Millisecond)
	}
	deadline := time.Now().Add(timeout)
	for {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, ms)
		if errors.Is(err, unix.EINTR) {
			if timeout >= 0 {
				ms = int(time.Until(deadline) / time.Millisecond)
				if ms <= 0 {
					return false, nil
				}
			}
			continue
		}
		if err != nil {
			return false, err
		}
		return n > 0 && fds[0].Revents&unix.POLLIN != 0, nil
	}
}

// Epoll is a set of rx queues to sleep on together (rte_epoll /
// rte_eth_dev_rx_intr_ctl): Add queues, then Wait arms them all, sleeps
// until one has packets, disarms them and says which.
type Epoll struct {
	epfd    int
	entries []epollEntry
	events  []unix.EpollEvent
}

type epollEntry struct {
	p *Port
	q uint16
}

// EpollQueue names a ready queue.
type EpollQueue struct {
	Port  *Port
	Queue uint16
}

// NewEpoll creates an empty set. Close it when done.
func NewEpoll() (*Epoll, error) {
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("ethdev: epoll_create: %w", err)
	}
	return &Epoll{epfd: fd}, nil
}

// Add puts rx queue q of p in the set.
func (e *Epoll) Add(p *Port, q uint16) error {
	fd, err := p.RxIntrFd(q)
	if err != nil {
		return err
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(len(e.entries))}
	if err := unix.EpollCtl(e.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return fmt.Errorf("%s: epoll add rx queue %d: %w", p.name, q, err)
	}
	e.entries = append(e.entries, epollEntry{p, q})
	e.events = make([]unix.EpollEvent, len(e.entries))
	return nil
}

// Wait arms every queue of the set, sleeps until one has packets or
// timeout passes (negative: no timeout), disarms them all, and appends the
// ready queues to ready. No ready queue after the timeout is not an error.
func (e *Epoll) Wait(ready []EpollQueue, timeout time.Duration) ([]EpollQueue, error) {
	for _, en := range e.entries {
		if err := en.p.RxIntrEnable(en.q); err != nil {
			return ready, err
		}
	}
	ms := -1
	if timeout >= 0 {
		ms = int((timeout + time.Millisecond - 1) / time.Millisecond)
	}
	var n int
	var werr error
	for {
		n, werr = unix.EpollWait(e.epfd, e.events, ms)
		if !errors.Is(werr, unix.EINTR) {
			break
		}
	}
	for _, en := range e.entries {
		if err := en.p.RxIntrDisable(en.q); err != nil && werr == nil {
			werr = err
		}
	}
	if werr != nil {
		return ready, fmt.Errorf("ethdev: epoll wait: %w", werr)
	}
	for _, ev := range e.events[:n] {
		en := e.entries[ev.Fd]
		ready = append(ready, EpollQueue{en.p, en.q})
	}
	return ready, nil
}

// Close releases the set (not the ports).
func (e *Epoll) Close() error { return unix.Close(e.epfd) }

package memif

import (
	"errors"
	"fmt"
	"log"
	"sync"

	"github.com/dpkit/dpkit/internal/memifproto"
)

// server is one listening socket and the server interfaces on it, by id
// (DPDK's memif socket: several interfaces share it).
type server struct {
	addr   memifproto.SocketAddr
	l      *memifproto.Listener
	ifaces map[uint32]*device
}

var (
	serversMu sync.Mutex
	servers   = map[memifproto.SocketAddr]*server{}
)

// registerServer adds d to its socket's server, listening if it is the
// first interface there.
func registerServer(d *device) error {
	serversMu.Lock()
	defer serversMu.Unlock()
	s := servers[d.addr]
	if s == nil {
		l, err := memifproto.Listen(d.addr)
		if err != nil {
			return fmt.Errorf("net_memif: %w", err)
		}
		s = &server{addr: d.addr, l: l, ifaces: map[uint32]*device{}}
		servers[d.addr] = s
		go s.serve()
	}
	if _, dup := s.ifaces[d.id]; dup {
		if len(s.ifaces) == 0 {
			s.l.Close()
			delete(servers, d.addr)
		}
		return fmt.Errorf("net_memif: id %d is already used on socket %v", d.id, d.addr)
	}
	s.ifaces[d.id] = d
	d.srv = s
	return nil
}

// unregisterServer removes d; the last interface closes the socket.
func unregisterServer(d *device) {
	serversMu.Lock()
	defer serversMu.Unlock()
	s := d.srv
	if s == nil {
		return
	}
	delete(s.ifaces, d.id)
	if len(s.ifaces) == 0 {
		s.l.Close()
		delete(servers, s.addr)
	}
	d.srv = nil
}

func (s *server) lookup(id uint32) *device {
	serversMu.Lock()
	defer serversMu.Unlock()
	return s.ifaces[id]
}

// serve accepts clients until the socket is closed; each handshake runs
// on its own goroutine.
func (s *server) serve() {
	for {
		c, err := s.l.Accept()
		if err != nil {
			return
		}
		go s.handle(c)
	}
}

func (s *server) handle(c *memifproto.Conn) {
	var d *device
	sess, err := memifproto.ServerHandshake(c, memifproto.ServerConfig{
		Name:            "dpkit",
		MaxRegion:       255,
		MaxC2SRing:      MaxQueues - 1,
		MaxS2CRing:      MaxQueues - 1,
		MaxLog2RingSize: memifproto.MaxLog2RingSize,
		Accept: func(in memifproto.Init) (string, error) {
			d = s.lookup(in.ID)
			if d == nil {
				return "", fmt.Errorf("no interface with id %d", in.ID)
			}
			if d.secret != in.Secret {
				return "", errors.New("wrong secret")
			}
			d.mu.Lock()
			defer d.mu.Unlock()
			switch {
			case !d.started:
				return "", errors.New("interface not started")
			case d.sess != nil:
				return "", errors.New("interface already connected")
			}
			return d.name, nil
		},
	})
	if err != nil {
		log.Printf("net_memif: %v: client refused: %v", s.addr, err)
		return
	}
	if !d.attach(sess, nil) {
		sess.Disconnect("interface not available")
		return
	}
	err = sess.Wait()
	d.detach(sess, fmt.Sprint(err))
}

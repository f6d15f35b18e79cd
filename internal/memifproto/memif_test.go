package memifproto

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func TestMsgRoundTrip(t *testing.T) {
	msgs := []Msg{
		{Type: MsgAck},
		{Type: MsgHello, Hello: Hello{Name: "dpkit", MinVersion: Version, MaxVersion: Version, MaxRegion: 255, MaxS2CRing: 3, MaxC2SRing: 7, MaxLog2RingSize: 14}},
		{Type: MsgInit, Init: Init{Version: Version, ID: 0xdeadbeef, Mode: ModeEthernet, Secret: "s3cret", Name: strings.Repeat("n", NameSize)}},
		{Type: MsgAddRegion, AddRegion: AddRegion{Index: 2, Size: 1 << 33}},
		{Type: MsgAddRing, AddRing: AddRing{Flags: AddRingFlagC2S, Index: 1, Region: 2, Offset: 0x12345678, Log2RingSize: 10}},
		{Type: MsgConnect, Connect: Connect{IfName: "memif0"}},
		{Type: MsgConnected, Connect: Connect{IfName: "memif1"}},
		{Type: MsgDisconnect, Disconnect: Disconnect{Code: 7, Reason: "bye"}},
	}
	for _, m := range msgs {
		var b [MsgSize]byte
		if err := m.Encode(&b); err != nil {
			t.Fatalf("%v: %v", m.Type, err)
		}
		got, err := Decode(b[:])
		if err != nil || got != m {
			t.Errorf("%v: decoded %+v, %v; want %+v", m.Type, got, err, m)
		}
	}
}

// TestMsgLayout pins the packed C layout byte by byte (memif.h, v2.0).
func TestMsgLayout(t *testing.T) {
	var b [MsgSize]byte
	m := Msg{Type: MsgAddRing, AddRing: AddRing{Flags: 0x0101, Index: 0x0202, Region: 0x0303, Offset: 0x04040404, Log2RingSize: 5, PrivateHdrSize: 0x0606}}
	if err := m.Encode(&b); err != nil {
		t.Fatal(err)
	}
	want := []byte{5, 0, 1, 1, 2, 2, 3, 3, 4, 4, 4, 4, 5, 6, 6}
	if !bytes.Equal(b[:len(want)], want) {
		t.Errorf("ADD_RING bytes % x, want % x", b[:len(want)], want)
	}
	m = Msg{Type: MsgInit, Init: Init{Version: 0x0200, ID: 0x01020304, Mode: 9, Secret: "S", Name: "N"}}
	m.Encode(&b)
	if b[2] != 0 || b[3] != 2 || b[4] != 4 || b[7] != 1 || b[8] != 9 || b[9] != 'S' || b[33] != 'N' {
		t.Errorf("INIT bytes % x", b[:40])
	}
	m = Msg{Type: MsgHello, Hello: Hello{MaxS2CRing: 0x1111, MaxC2SRing: 0x2222, MaxLog2RingSize: 0x33}}
	m.Encode(&b)
	if b[40] != 0x11 || b[42] != 0x22 || b[44] != 0x33 {
		t.Errorf("HELLO bytes % x", b[34:46])
	}
}

func TestMsgErrors(t *testing.T) {
	if _, err := Decode(make([]byte, 10)); !errors.Is(err, ErrShortMsg) {
		t.Errorf("short: %v", err)
	}
	b := make([]byte, MsgSize)
	b[0] = 99
	if _, err := Decode(b); !errors.Is(err, ErrMsgType) {
		t.Errorf("type 99: %v", err)
	}
	m := Msg{Type: MsgConnect, Connect: Connect{IfName: strings.Repeat("x", NameSize+1)}}
	var e [MsgSize]byte
	if err := m.Encode(&e); !errors.Is(err, ErrNameTooBig) {
		t.Errorf("long name: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	var b [MsgSize]byte
	for _, m := range []Msg{{Type: MsgHello}, {Type: MsgInit, Init: Init{Name: "x"}}, {Type: MsgAddRing}, {Type: MsgDisconnect}} {
		m.Encode(&b)
		f.Add(b[:])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data)
		if err != nil {
			return
		}
		// Whatever decodes encodes back to the same 128 bytes but for
		// what follows a string's NUL and the DISCONNECT reason's tail.
		var out [MsgSize]byte
		if err := m.Encode(&out); err != nil {
			t.Fatalf("decoded %+v does not encode: %v", m, err)
		}
		again, err := Decode(out[:])
		if err != nil || again != m {
			t.Fatalf("re-decode %+v, %v; want %+v", again, err, m)
		}
	})
}

func TestLayout(t *testing.T) {
	l := Layout{NumC2S: 2, NumS2C: 1, Log2RingSize: 4, BufSize: 2048}
	size, err := l.RegionSize()
	if err != nil {
		t.Fatal(err)
	}
	rs := RingSize(4)
	if want := uint64(3*rs + 3*16*2048); size != want {
		t.Errorf("size %d, want %d", size, want)
	}
	if got := l.RingOffset(false, 0); got != uint32(2*rs) {
		t.Errorf("S2C ring 0 at %d", got)
	}
	if got := l.BufOffset(false, 0, 17); got != uint32(3*rs+(32+1)*2048) {
		t.Errorf("S2C buf slot 17 at %d", got)
	}
	for _, bad := range []Layout{{NumC2S: 0, NumS2C: 1, BufSize: 8}, {NumC2S: 1, NumS2C: 1, BufSize: 7}, {NumC2S: 255, NumS2C: 255, Log2RingSize: 14, BufSize: 1 << 16}} {
		if _, err := bad.RegionSize(); !errors.Is(err, ErrLayout) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

func TestRingAtBounds(t *testing.T) {
	region := make([]byte, RingSize(3)+8)
	if _, err := RingAt(region, 8, 3); err != nil {
		t.Errorf("fits: %v", err)
	}
	for _, c := range []struct {
		off  uint32
		log2 uint8
	}{{16, 3}, {4, 3}, {0, 15}, {0xffffffff, 3}} {
		if _, err := RingAt(region, c.off, c.log2); !errors.Is(err, ErrLayout) {
			t.Errorf("off %d log2 %d: %v", c.off, c.log2, err)
		}
	}
}

func TestRegionsBuf(t *testing.T) {
	rs := Regions{make([]byte, 100)}
	if b, ok := rs.Buf(0, 90, 10); !ok || len(b) != 10 || cap(b) != 10 {
		t.Errorf("in bounds: %d %v", len(b), ok)
	}
	for _, c := range [][3]uint32{{0, 91, 10}, {1, 0, 1}, {0, 0xffffffff, 2}, {0, 1, 0xffffffff}} {
		if _, ok := rs.Buf(uint16(c[0]), c[1], c[2]); ok {
			t.Errorf("Buf%v accepted", c)
		}
	}
}

// pair connects a client and a server session in-process over an
// abstract socket.
func pair(t *testing.T, ccfg ClientConfig, scfg ServerConfig) (cs, ss *Session) {
	t.Helper()
	addr := SocketAddr{Path: fmt.Sprintf("dpkit-memif-test-%d-%d", unix.Getpid(), time.Now().UnixNano()), Abstract: true}
	l, err := Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var serr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c, err := l.Accept()
		if err != nil {
			serr = err
			return
		}
		ss, serr = ServerHandshake(c, scfg)
	}()
	c, err := Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	cs, cerr := ClientHandshake(c, ccfg)
	wg.Wait()
	if cerr != nil || serr != nil {
		t.Fatalf("handshake: client %v, server %v", cerr, serr)
	}
	t.Cleanup(func() { cs.Close(); ss.Close() })
	return cs, ss
}

func serverCfg(id uint32) ServerConfig {
	return ServerConfig{Name: "dpkit-server", MaxRegion: 0, MaxC2SRing: 1, MaxS2CRing: 1, MaxLog2RingSize: 10,
		Accept: func(in Init) (string, error) {
			if in.ID != id {
				return "", fmt.Errorf("no interface %d", in.ID)
			}
			if in.Secret != "pw" {
				return "", errors.New("wrong secret")
			}
			return "srv0", nil
		}}
}

func TestHandshakeAndTraffic(t *testing.T) {
	cs, ss := pair(t, ClientConfig{ID: 7, Secret: "pw", Name: "dpkit-client", IfName: "cli0", NumC2S: 4, NumS2C: 2, Log2RingSize: 12, BufSize: 256}, serverCfg(7))
	// The server's HELLO capped the client: 2 rings each way, 2^10.
	if len(cs.C2S) != 2 || len(cs.S2C) != 2 || len(ss.C2S) != 2 || len(ss.S2C) != 2 || cs.Layout.Log2RingSize != 10 {
		t.Fatalf("rings: client %d/%d, server %d/%d, log2 %d", len(cs.C2S), len(cs.S2C), len(ss.C2S), len(ss.S2C), cs.Layout.Log2RingSize)
	}
	if cs.PeerIfName != "srv0" || ss.PeerIfName != "cli0" || ss.PeerName != "dpkit-client" || cs.PeerName != "dpkit-server" || ss.ID != 7 {
		t.Errorf("names: %+v / %+v", cs, ss)
	}
	if !ss.Regions[0].Sealed {
		t.Error("the client's region is not sealed against shrinking")
	}

	// Client -> server over C2S ring 1, 3000 packets through a ring of
	// 1024, with some packets chained over two buffers.
	ctx, srx := cs.ClientTxQueue(1), ss.ServerRxQueue(1)
	srx.SetInterrupt(true)
	sent, got := 0, 0
	var rxPkt []byte
	for got < 3000 {
		free, err := ctx.Ready()
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for ; sent < 3000 && n+2 <= free; sent++ {
			pkt := bytes.Repeat([]byte{byte(sent)}, 60+sent%400) // > 256: two buffers
			for len(pkt) > 0 {
				b, _, _ := ctx.Buf(n)
				k := copy(b, pkt)
				pkt = pkt[k:]
				ctx.Set(n, uint32(k), len(pkt) > 0)
				n++
			}
		}
		ctx.Done(n)
		if n > 0 {
			var c [8]byte
			if _, err := unix.Read(srx.Eventfd(), c[:]); err != nil {
				t.Fatalf("no interrupt after tx: %v", err)
			}
		}
		ready, err := srx.Ready()
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < ready; i++ {
			b, next, ok := srx.Buf(i)
			if !ok {
				t.Fatal("valid descriptor refused")
			}
			rxPkt = append(rxPkt, b...)
			if next {
				continue
			}
			want := bytes.Repeat([]byte{byte(got)}, 60+got%400)
			if !bytes.Equal(rxPkt, want) {
				t.Fatalf("packet %d: %d bytes, want %d", got, len(rxPkt), len(want))
			}
			rxPkt = rxPkt[:0]
			got++
		}
		srx.Done(ready)
	}

	// Server -> client over S2C ring 0: nothing can be sent before the
	// client offers buffers.
	stx, crx := ss.ServerTxQueue(0), cs.ClientRxQueue(0)
	if n, _ := stx.Ready(); n != 0 {
		t.Fatalf("server can send %d before the client refilled", n)
	}
	crx.Refill()
	for round := range 5 {
		n, err := stx.Ready()
		if err != nil || n != 1024 {
			t.Fatalf("round %d: server tx ready %d, %v", round, n, err)
		}
		for i := range 700 {
			b, _, ok := stx.Buf(i)
			if !ok || len(b) != 256 {
				t.Fatalf("tx buf %d: %d %v", i, len(b), ok)
			}
			b[0], b[1] = byte(round), byte(i)
			stx.Set(i, 2+uint32(i%200), false)
		}
		stx.Done(700)
		r, err := crx.Ready()
		if err != nil || r != 700 {
			t.Fatalf("client rx ready %d, %v", r, err)
		}
		for i := range r {
			b, next, ok := crx.Buf(i)
			if !ok || next || len(b) != 2+i%200 || b[0] != byte(round) || b[1] != byte(i) {
				t.Fatalf("client rx %d: % x %v %v", i, b[:min(len(b), 4)], next, ok)
			}
		}
		crx.Done(r)
	}
}

// TestHostileDescriptors: a server never touches memory outside the
// regions whatever the client writes in descriptors and indices, and the
// client never trusts a server-written offset.
func TestHostileDescriptors(t *testing.T) {
	cs, ss := pair(t, ClientConfig{ID: 1, Secret: "pw", NumC2S: 1, NumS2C: 1, Log2RingSize: 4, BufSize: 64}, serverCfg(1))
	ring := cs.C2S[0].Ring
	size := uint64(len(cs.Regions[0].Mem))
	ring.SetDesc(0, Desc{Region: 0, Offset: uint32(size - 10), Length: 11})
	ring.SetDesc(1, Desc{Region: 1, Offset: 0, Length: 1})
	ring.SetDesc(2, Desc{Region: 0, Offset: 0xfffffff0, Length: 0x20})
	ring.SetDesc(3, Desc{Region: 0, Offset: uint32(size - 10), Length: 10})
	ring.SetHead(4)
	srx := ss.ServerRxQueue(0)
	if n, err := srx.Ready(); n != 4 || err != nil {
		t.Fatalf("ready %d %v", n, err)
	}
	for i, want := range []bool{false, false, false, true} {
		if _, _, ok := srx.Buf(i); ok != want {
			t.Errorf("descriptor %d: ok %v", i, ok)
		}
	}
	ring.SetHead(1000) // a jump past the ring
	if _, err := srx.Ready(); !errors.Is(err, ErrRingCorrupt) {
		t.Errorf("jumping head: %v", err)
	}

	// The server writes an offset into an S2C descriptor: the client
	// reads its own buffer, and refuses a length past it.
	crx := cs.ClientRxQueue(0)
	crx.Refill()
	sring := ss.S2C[0].Ring
	sring.SetDesc(0, Desc{Offset: 0, Length: 8})  // points at the ring headers
	sring.SetDesc(1, Desc{Offset: 0, Length: 65}) // longer than a buffer
	sring.SetTail(2)
	b, _, ok := crx.Buf(0)
	if !ok || &b[0] != &cs.Regions[0].Mem[cs.Layout.BufOffset(false, 0, 0)] {
		t.Error("client rx did not use its own buffer")
	}
	if _, _, ok := crx.Buf(1); ok {
		t.Error("client rx accepted a length past its buffer")
	}
	sring.SetTail(500)
	if _, err := crx.Ready(); !errors.Is(err, ErrRingCorrupt) {
		t.Errorf("jumping tail: %v", err)
	}
}

func TestRefused(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  ClientConfig
		want string
	}{
		{"unknown id", ClientConfig{ID: 99, Secret: "pw"}, "no interface 99"},
		{"wrong secret", ClientConfig{ID: 1, Secret: "nope"}, "wrong secret"},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn, done := serveOnce(t, serverCfg(1))
			c.cfg.NumC2S, c.cfg.NumS2C, c.cfg.Log2RingSize, c.cfg.BufSize = 1, 1, 4, 64
			_, cerr := ClientHandshake(conn, c.cfg)
			serr := <-done
			if !errors.Is(cerr, ErrRefused) || !strings.Contains(cerr.Error(), c.want) || !errors.Is(serr, ErrRefused) {
				t.Errorf("client %v, server %v", cerr, serr)
			}
		})
	}
}

// serveOnce listens on a fresh abstract socket, runs one server handshake
// with cfg on what connects (its error comes on done), and returns a
// connection to it.
func serveOnce(t *testing.T, cfg ServerConfig) (*Conn, chan error) {
	t.Helper()
	addr := SocketAddr{Path: fmt.Sprintf("dpkit-memif-once-%d", time.Now().UnixNano()), Abstract: true}
	l, err := Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	done := make(chan error, 1)
	go func() {
		conn, err := l.Accept()
		if err != nil {
			done <- err
			return
		}
		_, err = ServerHandshake(conn, cfg)
		done <- err
	}()
	conn, err := Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	return conn, done
}

// rawClient drives a server with hand-made messages.
type rawClient struct {
	t *testing.T
	c *Conn
}

func (r rawClient) send(m Msg, fd int) {
	if err := r.c.Send(&m, fd); err != nil {
		r.t.Fatal(err)
	}
}

func (r rawClient) recv() Msg {
	m, fd, err := r.c.Recv(time.Now().Add(2 * time.Second))
	closeFd(fd)
	if err != nil {
		r.t.Fatalf("recv: %v", err)
	}
	return m
}

// TestHostileClient: out-of-order messages, bad indices, regions larger
// than their file, rings outside their region, fds that are not eventfds:
// each is refused with a reason, never mapped or used.
func TestHostileClient(t *testing.T) {
	memfd := func(size int64) int {
		fd, err := unix.MemfdCreate("hostile", unix.MFD_CLOEXEC)
		if err != nil {
			t.Fatal(err)
		}
		unix.Ftruncate(fd, size)
		return fd
	}
	efd := func() int {
		fd, _ := unix.Eventfd(0, unix.EFD_CLOEXEC)
		return fd
	}
	initMsg := Msg{Type: MsgInit, Init: Init{Version: Version, ID: 1, Secret: "pw"}}
	region := func(size uint64, fsize int64) func(rawClient) {
		return func(r rawClient) {
			fd := memfd(fsize)
			r.send(Msg{Type: MsgAddRegion, AddRegion: AddRegion{Size: size}}, fd)
			unix.Close(fd)
		}
	}
	okRegion := region(4096, 4096)
	expectAck := func(r rawClient) {
		if m := r.recv(); m.Type != MsgAck {
			r.t.Fatalf("got %v, want ACK", m.Type)
		}
	}
	ring := func(ar AddRing, fd int) func(rawClient) {
		return func(r rawClient) { r.send(Msg{Type: MsgAddRing, AddRing: ar}, fd); unix.Close(fd) }
	}
	for _, c := range []struct {
		name  string
		steps []func(rawClient)
		want  string
	}{
		{"connect first", []func(rawClient){func(r rawClient) { r.send(Msg{Type: MsgConnect}, -1) }}, "CONNECT while expecting INIT"},
		{"bad version", []func(rawClient){func(r rawClient) { m := initMsg; m.Init.Version = 0x100; r.send(m, -1) }}, "version"},
		{"region before init", []func(rawClient){okRegion}, "ADD_REGION while expecting INIT"},
		{"region without fd", []func(rawClient){func(r rawClient) { r.send(initMsg, -1) }, expectAck,
			func(r rawClient) { r.send(Msg{Type: MsgAddRegion, AddRegion: AddRegion{Size: 4096}}, -1) }}, "without a file descriptor"},
		{"region bigger than file", []func(rawClient){func(r rawClient) { r.send(initMsg, -1) }, expectAck, region(1<<20, 4096)}, "the peer says"},
		{"region index 1 first", []func(rawClient){func(r rawClient) { r.send(initMsg, -1) }, expectAck,
			func(r rawClient) {
				fd := memfd(4096)
				r.send(Msg{Type: MsgAddRegion, AddRegion: AddRegion{Index: 1, Size: 4096}}, fd)
				unix.Close(fd)
			}}, "ADD_REGION index 1"},
		{"ring before region", []func(rawClient){func(r rawClient) { r.send(initMsg, -1) }, expectAck, ring(AddRing{}, efd())}, "ADD_RING while expecting ADD_REGION"},
		{"ring outside region", []func(rawClient){func(r rawClient) { r.send(initMsg, -1) }, expectAck, okRegion, expectAck,
			ring(AddRing{Offset: 4000, Log2RingSize: 4}, efd())}, "past the region's end"},
		{"ring fd not eventfd", []func(rawClient){func(r rawClient) { r.send(initMsg, -1) }, expectAck, okRegion, expectAck,
			ring(AddRing{Log2RingSize: 4}, memfd(10))}, "not an eventfd"},
		{"ring too big", []func(rawClient){func(r rawClient) { r.send(initMsg, -1) }, expectAck, okRegion, expectAck,
			ring(AddRing{Log2RingSize: 11}, efd())}, "over the limit"},
		{"connect without rings", []func(rawClient){func(r rawClient) { r.send(initMsg, -1) }, expectAck, okRegion, expectAck,
			func(r rawClient) { r.send(Msg{Type: MsgConnect}, -1) }}, "CONNECT while expecting ADD_REGION"},
		{"connect without cookie", []func(rawClient){func(r rawClient) { r.send(initMsg, -1) }, expectAck, okRegion, expectAck,
			ring(AddRing{Flags: AddRingFlagC2S, Log2RingSize: 4}, efd()), expectAck,
			ring(AddRing{Offset: 512, Log2RingSize: 4}, efd()), expectAck,
			func(r rawClient) { r.send(Msg{Type: MsgConnect}, -1) }}, "cookie"},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn, done := serveOnce(t, serverCfg(1))
			defer conn.Close()
			r := rawClient{t, conn}
			if m := r.recv(); m.Type != MsgHello {
				t.Fatalf("first message %v", m.Type)
			}
			for _, s := range c.steps {
				s(r)
			}
			serr := <-done
			if serr == nil || !strings.Contains(serr.Error(), c.want) {
				t.Fatalf("server: %v; want an error with %q", serr, c.want)
			}
			// The client is told why.
			m := r.recv()
			if m.Type != MsgDisconnect || !strings.Contains(m.Disconnect.Reason, c.want[:min(len(c.want), 20)]) {
				t.Errorf("client got %v %q", m.Type, m.Disconnect.Reason)
			}
		})
	}
}

// FuzzHostileRing: a peer that writes anything into the shared rings
// (indices, descriptors, flags) never makes a queue read or write outside
// the regions, nor panic: every buffer a queue hands out lies inside a
// region (server) or inside the client's own buffer for that slot.
func FuzzHostileRing(f *testing.F) {
	f.Add([]byte{0, 4, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0})
	f.Add(bytes.Repeat([]byte{0xff}, 64))
	f.Fuzz(func(t *testing.T, data []byte) {
		const log2 = 3
		l := Layout{NumC2S: 1, NumS2C: 1, Log2RingSize: log2, BufSize: 64}
		size, _ := l.RegionSize()
		region := make([]byte, size)
		regions := Regions{region}
		c2s, _ := RingAt(region, l.RingOffset(true, 0), log2)
		s2c, _ := RingAt(region, l.RingOffset(false, 0), log2)
		c2s.Init()
		s2c.Init()
		s := &Session{mem: regions, Layout: l, Regions: []*Region{{Mem: region, Fd: -1}},
			C2S: []RingInfo{{Ring: c2s, Eventfd: -1}}, S2C: []RingInfo{{Ring: s2c, Eventfd: -1}}}
		queues := []*Queue{s.ServerRxQueue(0), s.ServerTxQueue(0), s.ClientRxQueue(0), s.ClientTxQueue(0)}
		inRegion := func(b []byte) bool {
			if len(b) == 0 {
				return true
			}
			base := uintptr(unsafe.Pointer(&region[0]))
			p := uintptr(unsafe.Pointer(&b[0]))
			return p >= base && p+uintptr(len(b)) <= base+uintptr(len(region))
		}
		// The fuzzer's bytes are the peer's writes: 16-byte records of
		// (which ring, head, tail, flags, a descriptor), each followed by
		// a round of every queue's operations.
		for len(data) >= 16 {
			rec := data[:16]
			data = data[16:]
			r := c2s
			if rec[0]&1 != 0 {
				r = s2c
			}
			if rec[0]&2 != 0 {
				r.SetHead(le.Uint16(rec[1:]))
			}
			if rec[0]&4 != 0 {
				r.SetTail(le.Uint16(rec[3:]))
			}
			r.SetDesc(uint16(rec[5]), Desc{Flags: uint16(rec[6]), Region: uint16(rec[7] & 3), Length: le.Uint32(rec[8:]), Offset: le.Uint32(rec[12:])})
			for qi, q := range queues {
				n, err := q.Ready()
				if err != nil {
					continue
				}
				if n > q.Size() {
					t.Fatalf("queue %d: %d ready on a ring of %d", qi, n, q.Size())
				}
				for i := range n {
					b, _, ok := q.Buf(i)
					if ok && !inRegion(b) {
						t.Fatalf("queue %d: buffer outside the region", qi)
					}
					if ok && (q.role == clientRx || q.role == clientTx) && len(b) > int(l.BufSize) {
						t.Fatalf("queue %d: client buffer of %d bytes", qi, len(b))
					}
					if ok && (q.role == serverTx || q.role == clientTx) {
						for j := range b {
							b[j] = 0xee // a producer writes all of it
						}
						q.Set(i, uint32(len(b)), false)
					}
				}
				if rec[15]&1 != 0 {
					q.Done(n / 2)
				}
			}
		}
	})
}

package afpacket

import (
	"encoding/binary"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// nlLink builds an rtnetlink message of type typ for ifindex.
func nlLink(typ uint16, ifindex int32) []byte {
	b := make([]byte, unix.SizeofNlMsghdr+unix.SizeofIfInfomsg)
	binary.NativeEndian.PutUint32(b[0:], uint32(len(b)))
	binary.NativeEndian.PutUint16(b[4:], typ)
	binary.NativeEndian.PutUint32(b[unix.SizeofNlMsghdr+4:], uint32(ifindex))
	return b
}

func TestLinkEvent(t *testing.T) {
	two := append(nlLink(unix.RTM_NEWADDR, 7), nlLink(unix.RTM_NEWLINK, 7)...)
	for _, c := range []struct {
		b    []byte
		want bool
	}{
		{nlLink(unix.RTM_NEWLINK, 7), true},
		{nlLink(unix.RTM_DELLINK, 7), true},
		{nlLink(unix.RTM_NEWLINK, 8), false},
		{nlLink(unix.RTM_NEWADDR, 7), false},
		{two, true},
		{two[:10], false},
		{nil, false},
	} {
		if got := LinkEvent(c.b, 7); got != c.want {
			t.Errorf("LinkEvent(% x) = %v, want %v", c.b, got, c.want)
		}
	}
}

func FuzzLinkEvent(f *testing.F) {
	f.Add(nlLink(unix.RTM_NEWLINK, 7), 7)
	f.Add(append(nlLink(unix.RTM_NEWADDR, 7), nlLink(unix.RTM_NEWLINK, 7)...), 7)
	f.Fuzz(func(t *testing.T, b []byte, ifindex int) {
		LinkEvent(b, ifindex) // no panic, no out-of-range read
	})
}

func TestWatchLink(t *testing.T) {
	p := newPair(t)
	s := open(t, p.a, Config{Iface: p.va})
	events := make(chan struct{}, 64)
	var stop func()
	err := p.a.Do(func() (err error) {
		stop, err = WatchLink(s.Ifindex(), func() { events <- struct{}{} })
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	p.b.Run(t, "ip", "link", "set", p.vb, "down") // our end loses its carrier
	deadline := time.After(3 * time.Second)
	for up := true; up; up, _ = s.LinkUp() {
		select {
		case <-events:
		case <-deadline:
			t.Fatal("no link event, or the link still up, 3 s after the peer went down")
		}
	}
	stop()
}

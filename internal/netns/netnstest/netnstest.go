// Package netnstest creates throw-away network namespaces and veth pairs for
// tests that need the Linux kernel as a peer (af_packet, tap, AF_XDP,
// testpmd over a veth). Everything it creates is removed by t.Cleanup.
//
//	netnstest.Require(t)                  // skips loudly unless root with iproute2
//	a, b := netnstest.New(t), netnstest.New(t)
//	va, vb := netnstest.NewVeth(t, a, b)  // va in a, vb in b, both up, IPv6 off
//	err := a.Do(func() error {        // sockets opened here live in a
//		s, err := afpacket.Open(afpacket.Config{Iface: va})
//		...
//	})
//	out := b.Run(t, "ip", "link", "show", vb) // a command inside b
//
// IPv6 is turned off in every namespace this package creates, so that the
// kernel sends nothing by itself (router solicitations, MLD, DAD) and tests
// can count packets exactly.
package netnstest

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dpkit/dpkit/internal/netns"
)

// Require skips t, saying why, unless the test runs as root with the ip
// command (iproute2) installed.
func Require(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("SKIP: needs root to create network namespaces and veth pairs (run as root; CI does)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("SKIP: needs the ip command (Debian package iproute2)")
	}
}

// NS is a named network namespace (ip netns add).
type NS struct {
	name string
}

var seq atomic.Uint32

// uniq returns a short name, unique in this machine at this time.
func uniq() string {
	return fmt.Sprintf("%d%c%d", os.Getpid()%100000, 'x', seq.Add(1))
}

// New creates a network namespace with IPv6 off and loopback up; it is
// deleted when t ends.
func New(t testing.TB) *NS {
	t.Helper()
	n := &NS{name: "dpkit-" + uniq()}
	if out, err := exec.Command("ip", "netns", "add", n.name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", n.name, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", n.name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", n.name, err, out)
		}
	})
	n.Run(t, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
	n.Run(t, "ip", "link", "set", "lo", "up")
	return n
}

// Name is the namespace's name, as ip netns knows it.
func (n *NS) Name() string { return n.name }

// Path is the namespace's file, for setns(2).
func (n *NS) Path() string { return "/run/netns/" + n.name }

// Do runs f on an OS thread that has entered the namespace (see
// netns.Handle.Do).
func (n *NS) Do(f func() error) error {
	h, err := netns.Open(n.Path())
	if err != nil {
		return err
	}
	defer h.Close()
	return h.Do(f)
}

// Command is a command run inside the namespace (ip netns exec), for
// long-running peers such as dpdk-testpmd; the caller starts and reaps it.
func (n *NS) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", n.name, name}, args...)...)
}

// Run runs a command inside the namespace and returns its combined
// output; it fails t if the command fails.
func (n *NS) Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := n.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("in netns %s: %s %s: %v: %s", n.name, name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// NewVeth creates a veth pair with one end in a and the other in b (a and
// b may be the same namespace), turns IPv6 off on both, brings them up and
// waits until both have carrier.
// It returns the names of the ends. The pair goes away with its namespaces.
func NewVeth(t testing.TB, a, b *NS) (aName, bName string) {
	t.Helper()
	return NewVethQueues(t, a, b, 1)
}

// NewVethQueues is NewVeth with queues rx and tx queues on each end.
func NewVethQueues(t testing.TB, a, b *NS, queues int) (aName, bName string) {
	t.Helper()
	u := uniq()
	aName, bName = "dkv"+u+"a", "dkv"+u+"b"
	q := strconv.Itoa(queues)
	if out, err := exec.Command("ip", "link", "add", aName, "netns", a.name, "numtxqueues", q, "numrxqueues", q,
		"type", "veth", "peer", "name", bName, "netns", b.name, "numtxqueues", q, "numrxqueues", q).CombinedOutput(); err != nil {
		t.Fatalf("ip link add veth %s/%s: %v: %s", aName, bName, err, out)
	}
	for _, e := range []struct {
		ns   *NS
		name string
	}{{a, aName}, {b, bName}} {
		e.ns.Run(t, "sysctl", "-qw", "net.ipv6.conf."+e.name+".disable_ipv6=1")
		e.ns.Run(t, "ip", "link", "set", e.name, "up")
	}
	// The kernel reports the carrier (operstate UP, IFF_RUNNING) a moment
	// later, from its link watch work: wait for it on both ends.
	deadline := time.Now().Add(3 * time.Second)
	for _, e := range []struct {
		ns   *NS
		name string
	}{{a, aName}, {b, bName}} {
		for !strings.Contains(e.ns.Run(t, "ip", "-o", "link", "show", e.name), "state UP") {
			if time.Now().After(deadline) {
				t.Fatalf("veth %s in %s not operationally up after 3 s", e.name, e.ns.name)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return aName, bName
}

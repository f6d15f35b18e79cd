package lpm_test

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/dpkit/dpkit/lpm"
)

func Example() {
	t, err := lpm.New(lpm.Config{MaxRules: 1024, NumGroups: 64})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer t.Close()
	routes, err := lpm.ReadRoutes(strings.NewReader("0.0.0.0/0 1\n10.0.0.0/8 2\n10.1.2.128/25 3\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := t.LoadRoutes(routes); err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range []string{"192.0.2.1", "10.9.9.9", "10.1.2.200"} {
		nh, ok := t.Lookup(netip.MustParseAddr(a))
		fmt.Println(a, nh, ok)
	}
	t.Delete(netip.MustParsePrefix("10.0.0.0/8"))
	nh, _ := t.Lookup(netip.MustParseAddr("10.9.9.9"))
	fmt.Println("after deleting 10.0.0.0/8:", nh)

	_, err = lpm.ReadRoutes(strings.NewReader("10.0.0.0/8 2\n10.0.0.0/40 3\n"))
	fmt.Println(err)
	// Output:
	// 192.0.2.1 1 true
	// 10.9.9.9 2 true
	// 10.1.2.200 3 true
	// after deleting 10.0.0.0/8: 1
	// line 2, column 1: bad prefix "10.0.0.0/40": netip.ParsePrefix("10.0.0.0/40"): prefix length out of range
}

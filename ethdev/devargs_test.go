package ethdev

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseDevargs(t *testing.T) {
	for _, c := range []struct {
		in   string
		name string
		args []KV
	}{
		{"net_null0", "net_null0", nil},
		{"  net_null0  ", "net_null0", nil},
		{"net_af_packet0,iface=veth0,qpairs=2", "net_af_packet0", []KV{{"iface", "veth0", false}, {"qpairs", "2", false}}},
		{"net_null0,no-rx", "net_null0", []KV{{"no-rx", "", true}}},
		{"net_x,list=[1,2,3],b=", "net_x", []KV{{"list", "[1,2,3]", false}, {"b", "", false}}},
		{"net_ring0,nodeaction=r1:0:CREATE,nodeaction=r2:0:ATTACH", "net_ring0", []KV{{"nodeaction", "r1:0:CREATE", false}, {"nodeaction", "r2:0:ATTACH", false}}},
		{"net_pcap0,rx_pcap=/tmp/a b.pcap", "net_pcap0", []KV{{"rx_pcap", "/tmp/a b.pcap", false}}},
	} {
		d, err := ParseDevargs(c.in)
		if err != nil {
			t.Errorf("ParseDevargs(%q): %v", c.in, err)
			continue
		}
		if d.Name != c.name || !reflect.DeepEqual(d.Args, c.args) {
			t.Errorf("ParseDevargs(%q) = %q %v, want %q %v", c.in, d.Name, d.Args, c.name, c.args)
		}
	}
	for _, c := range []struct{ in, want string }{
		{"", "empty device name"},
		{",a=1", "empty device name"},
		{"net null", `character ' ' not allowed`},
		{"net_null0,", "trailing comma"},
		{"net_null0,a=1,", "trailing comma"},
		{"net_null0,,a=1", "empty item"},
		{"net_null0,=1", "empty key"},
		{"net_null0,a b=1", `not allowed in key`},
		{"net_null0,l=[1,2", "unbalanced '['"},
		{"net_null0,l=1]", "unbalanced ']'"},
	} {
		_, err := ParseDevargs(c.in)
		if !errors.Is(err, ErrDevargs) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseDevargs(%q): %v, want ErrDevargs with %q", c.in, err, c.want)
		}
	}
}

var testParams = []Param{
	{Key: "iface", Type: String},
	{Key: "qpairs", Type: Int, Default: "1", Min: 1, Max: 16},
	{Key: "blocksz", Type: Int, Default: "4096"},
	{Key: "copy", Type: Bool, Default: "0"},
	{Key: "role", Type: String, Default: "client", Choices: []string{"client", "server"}},
	{Key: "node", Type: String, Repeat: true},
}

func TestDevargsValidate(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"net_x0,ifcae=a", `unknown key "ifcae" for driver net_x (valid keys: iface, qpairs, blocksz, copy, role, node)`},
		{"net_x0,qpairs=0", `key "qpairs": value 0 out of range (want an integer 1..16)`},
		{"net_x0,qpairs=two", `key "qpairs": value "two" is not an integer 1..16`},
		{"net_x0,qpairs", `key "qpairs" needs a value`},
		{"net_x0,blocksz=1e3", `key "blocksz": value "1e3" is not an integer`},
		{"net_x0,copy=2", `key "copy": value "2" is not a boolean`},
		{"net_x0,role=peer", `key "role": value "peer" is not one of client, server`},
		{"net_x0,iface=a,iface=b", `key "iface" given more than once`},
	} {
		d, err := ParseDevargs(c.in)
		if err != nil {
			t.Fatal(err)
		}
		err = d.validate("net_x", testParams)
		if !errors.Is(err, ErrDevargs) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want ErrDevargs with %q", c.in, err, c.want)
		}
	}
	d, err := ParseDevargs("net_x0,iface=eth1,qpairs=0x4,copy,node=a,node=b")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.validate("net_x", testParams); err != nil {
		t.Fatal(err)
	}
	if d.Str("iface") != "eth1" || d.Int("qpairs") != 4 || d.Int("blocksz") != 4096 || !d.Bool("copy") ||
		d.Str("role") != "client" || !reflect.DeepEqual(d.All("node"), []string{"a", "b"}) || d.Has("role") {
		t.Errorf("getters: %q %d %d %v %q %v", d.Str("iface"), d.Int("qpairs"), d.Int("blocksz"), d.Bool("copy"), d.Str("role"), d.All("node"))
	}
	defer func() {
		if recover() == nil {
			t.Error("getter of an undeclared key did not panic")
		}
	}()
	d.Str("nope")
}

func TestLookupDriver(t *testing.T) {
	probe := func(*Devargs) (Device, error) { return nil, errors.New("unused") }
	Register(Driver{Name: "net_lk", Probe: probe})
	Register(Driver{Name: "net_lk_long", Aliases: []string{"eth_lk_long"}, Probe: probe})
	for in, want := range map[string]string{"net_lk0": "net_lk", "net_lk_long0": "net_lk_long", "net_lk_longer": "net_lk_long", "eth_lk_long1": "net_lk_long"} {
		d, err := lookupDriver(in)
		if err != nil || d.Name != want {
			t.Errorf("lookupDriver(%q) = %v, %v; want %s", in, d, err, want)
		}
	}
	if _, err := Open("net_nothing0"); !errors.Is(err, ErrNoDriver) || !strings.Contains(err.Error(), "net_lk") {
		t.Errorf("Open of an unknown driver: %v", err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("duplicate Register did not panic")
			}
		}()
		Register(Driver{Name: "net_lk", Probe: probe})
	}()
}

// FuzzParseDevargs: any input gives a devargs or an ErrDevargs, never a
// panic; what parses formats back to a string that parses to the same.
func FuzzParseDevargs(f *testing.F) {
	for _, s := range []string{
		"net_null0", "net_af_packet0,iface=veth0,qpairs=2", "net_null0,no-rx", "a,l=[1,[2,3]],b=",
		"net_ring0,nodeaction=r1:0:CREATE", ",", "x,,", "x,=", "x,[", "x,]", "x,a=]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDevargs(s)
		if err != nil {
			if !errors.Is(err, ErrDevargs) {
				t.Fatalf("%q: error %v is not ErrDevargs", s, err)
			}
			return
		}
		d2, err := ParseDevargs(d.String())
		if err != nil {
			t.Fatalf("%q -> %q does not parse again: %v", s, d.String(), err)
		}
		if d2.Name != d.Name || len(d2.Args) != len(d.Args) {
			t.Fatalf("%q -> %q: %v != %v", s, d.String(), d2, d)
		}
		for i := range d.Args {
			if d.Args[i] != d2.Args[i] {
				t.Fatalf("%q -> %q: arg %d %v != %v", s, d.String(), i, d.Args[i], d2.Args[i])
			}
		}
		_ = d.validate("net_fuzz", testParams) // must not panic either
	})
}

package eal

import (
	"errors"
	"testing"
)

func TestMemzone(t *testing.T) {
	z, err := MemzoneReserve("t-zone", 1000, 0, MemzoneNoHuge)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Free()
	if z.Name() != "t-zone" || z.Len() != 1000 || len(z.Bytes()) != 1000 || cap(z.Bytes()) != 1000 ||
		z.Addr()%64 != 0 || !z.Arena().Contains(z.Addr()) || z.Flags() != MemzoneNoHuge {
		t.Errorf("zone: name %q len %d addr %#x", z.Name(), z.Len(), z.Addr())
	}
	got, err := MemzoneLookup("t-zone")
	if err != nil || got != z {
		t.Fatalf("lookup: %v, %v", got, err)
	}
	if _, err := MemzoneReserve("t-zone", 10, 0, 0); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate name: %v, want ErrExists", err)
	}
	if _, err := MemzoneLookup("t-none"); !errors.Is(err, ErrNotFound) {
		t.Errorf("lookup of a missing zone: %v, want ErrNotFound", err)
	}

	big, err := MemzoneReserve("t-aligned", 100, 1<<16, MemzoneNoHuge|MemzoneShared)
	if err != nil {
		t.Fatal(err)
	}
	if big.Addr()%(1<<16) != 0 || big.Arena().Fd() < 0 {
		t.Errorf("aligned shared zone at %#x fd %d", big.Addr(), big.Arena().Fd())
	}
	var names []string
	MemzoneWalk(func(z *Memzone) { names = append(names, z.Name()) })
	if len(names) != 2 || names[0] != "t-zone" || names[1] != "t-aligned" {
		t.Errorf("walk = %q", names)
	}
	before := MemoryStats().TotalBytes
	if err := big.Free(); err != nil {
		t.Fatal(err)
	}
	if MemoryStats().TotalBytes >= before {
		t.Error("Free did not release the memory")
	}
	if err := big.Free(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Free: %v, want ErrClosed", err)
	}
	if big.Bytes() != nil || big.Addr() != 0 || big.Len() != 100 {
		t.Error("freed zone still exposes memory")
	}
	if _, err := MemzoneLookup("t-aligned"); !errors.Is(err, ErrNotFound) {
		t.Errorf("lookup after Free: %v, want ErrNotFound", err)
	}
	again, err := MemzoneReserve("t-aligned", 10, 0, MemzoneNoHuge)
	if err != nil {
		t.Fatalf("reserve a freed name again: %v", err)
	}
	again.Free()
}

func TestMemzoneErrors(t *testing.T) {
	long := string(make([]byte, MaxMemzoneName+1))
	for _, tc := range []struct {
		name        string
		size, align int
		flags       MemzoneFlags
	}{
		{"", 10, 0, 0},
		{long, 10, 0, 0},
		{"t", 0, 0, 0},
		{"t", -1, 0, 0},
		{"t", 10, 3, 0},
		{"t", 10, -8, 0},
		{"t", 10, 0, Memzone2MB | Memzone1GB},
		{"t", 10, 0, MemzoneNoHuge | Memzone2MB},
	} {
		if z, err := MemzoneReserve(tc.name, tc.size, tc.align, tc.flags); err == nil {
			z.Free()
			t.Errorf("MemzoneReserve(%q, %d, %d, %#x) succeeded", tc.name, tc.size, tc.align, tc.flags)
		}
	}
	SetMemoryLimit(MemoryStats().TotalBytes + 4096)
	defer SetMemoryLimit(0)
	if z, err := MemzoneReserve("t-big", 1<<20, 0, MemzoneNoHuge); !errors.Is(err, ErrNoMemory) {
		if z != nil {
			z.Free()
		}
		t.Errorf("zone over the memory limit: %v, want ErrNoMemory", err)
	}
	if _, err := MemzoneLookup("t-big"); err == nil {
		t.Error("a failed reservation is registered")
	}
}

func TestMemzoneHuge(t *testing.T) {
	requireHuge(t, 2)
	z, err := MemzoneReserve("t-huge", 3000, 0, Memzone2MB|MemzoneShared)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Free()
	if !z.Arena().Huge() || z.Arena().PageSize() != PageSize2M || z.Arena().Fd() < 0 {
		t.Errorf("huge zone: huge %v page %d fd %d", z.Arena().Huge(), z.Arena().PageSize(), z.Arena().Fd())
	}
	d, err := MemzoneReserve("t-default", 3000, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Free()
	if !d.Arena().Huge() {
		t.Error("default zone not on hugepages though some are free")
	}
}

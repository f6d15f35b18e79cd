package bench

import (
	"bytes"
	"testing"
)

func TestCPUs(t *testing.T) {
	cpus, err := Options{Lcores: "0-1023"}.CPUs()
	if err != nil || len(cpus) == 0 {
		t.Fatalf("CPUs() = %v, %v; want at least one cpu", cpus, err)
	}
	if _, err := (Options{Lcores: "1023"}).CPUs(); err == nil && len(cpus) < 1024 {
		t.Errorf("CPUs() with an unavailable cpu: want error")
	}
}

func TestValidateAndWant(t *testing.T) {
	if err := (Options{}).Validate(); err != nil {
		t.Errorf("zero Options: %v", err)
	}
	if err := (Options{Filter: "("}).Validate(); err == nil {
		t.Errorf("bad filter: want error")
	}
	if err := (Options{Lcores: "x"}).Validate(); err == nil {
		t.Errorf("bad lcores: want error")
	}
	o := Options{Filter: "^ring_legacy_.*_2core_"}
	if !o.Want("ring_legacy_spsc_bulk8_2core_cycles_per_elem") || o.Want("ring_elem16_spsc_bulk8_2core_cycles_per_elem") {
		t.Errorf("Want does not follow Filter %q", o.Filter)
	}
	if !(Options{}).Want("anything") {
		t.Errorf("empty Filter must select everything")
	}
}

func TestReport(t *testing.T) {
	var b bytes.Buffer
	Report(&b, "ring_legacy_spsc_single_cycles_per_elem", 8.304, "cycles")
	Notice(&b, "skipped %d cases", 2)
	want := "ring_legacy_spsc_single_cycles_per_elem 8.30 cycles\n# skipped 2 cases\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

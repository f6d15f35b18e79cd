package eal

import (
	"math"
	"testing"
	"time"
)

func TestRdtscMonotonic(t *testing.T) {
	prev := Rdtsc()
	for i := 0; i < 100000; i++ {
		now := Rdtsc()
		if now < prev {
			t.Fatalf("Rdtsc went back: %d after %d", now, prev)
		}
		prev = now
	}
	a, b := RdtscP(), RdtscP()
	if b < a {
		t.Fatalf("RdtscP went back: %d after %d", b, a)
	}
}

func TestNanotimeMonotonic(t *testing.T) {
	prev := Nanotime()
	for i := 0; i < 10000; i++ {
		now := Nanotime()
		if now < prev {
			t.Fatalf("Nanotime went back: %d after %d", now, prev)
		}
		prev = now
	}
}

func TestTSCHz(t *testing.T) {
	hz := TSCHz()
	t.Logf("TSC %.3f MHz", float64(hz)/1e6)
	if hz < 100e6 || hz > 10e9 {
		t.Fatalf("TSCHz() = %d, want 100 MHz..10 GHz", hz)
	}
	if TSCHz() != hz {
		t.Fatal("TSCHz() changed between calls")
	}
	// Over a 50 ms sleep the counter and the clock agree within 5%. A
	// preemption can stretch one of the brackets, so allow a few tries.
	var dev float64
	for try := 0; try < 3; try++ {
		t0, n0 := RdtscP(), Nanotime()
		time.Sleep(50 * time.Millisecond)
		t1, n1 := RdtscP(), Nanotime()
		ns := CyclesToNs(t1 - t0)
		dev = math.Abs(ns-float64(n1-n0)) / float64(n1-n0)
		if dev < 0.05 {
			return
		}
	}
	t.Fatalf("TSC and clock disagree by %.1f%%", dev*100)
}

func TestCalibrateTSC(t *testing.T) {
	hz := calibrateTSC(20 * time.Millisecond)
	if d := math.Abs(float64(hz)-float64(TSCHz())) / float64(TSCHz()); d > 0.05 {
		t.Errorf("calibration %d Hz vs TSCHz %d Hz: %.1f%% apart", hz, TSCHz(), d*100)
	}
}

func TestCyclesConversions(t *testing.T) {
	hz := TSCHz()
	if ns := CyclesToNs(hz); math.Abs(ns-1e9) > 1 {
		t.Errorf("CyclesToNs(TSCHz) = %f, want 1e9", ns)
	}
	if c := NsToCycles(1e9); c < hz-1 || c > hz+1 {
		t.Errorf("NsToCycles(1e9) = %d, want %d", c, hz)
	}
}

func TestCyclesNoAllocs(t *testing.T) {
	TSCHz()
	var sink uint64
	for name, fn := range map[string]func(){
		"Rdtsc":      func() { sink += Rdtsc() },
		"RdtscP":     func() { sink += RdtscP() },
		"Pause":      Pause,
		"Nanotime":   func() { sink += uint64(Nanotime()) },
		"TSCHz":      func() { sink += TSCHz() },
		"CyclesToNs": func() { sink += uint64(CyclesToNs(1000)) },
	} {
		if n := testing.AllocsPerRun(1000, fn); n != 0 {
			t.Errorf("%s: %v allocs per run, want 0", name, n)
		}
	}
	_ = sink
}

func BenchmarkRdtsc(b *testing.B) {
	for b.Loop() {
		Rdtsc()
	}
}

func BenchmarkRdtscP(b *testing.B) {
	for b.Loop() {
		RdtscP()
	}
}

func BenchmarkNanotime(b *testing.B) {
	for b.Loop() {
		Nanotime()
	}
}

func BenchmarkPause(b *testing.B) {
	for b.Loop() {
		Pause()
	}
}

package ring

import (
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

func TestNewErrors(t *testing.T) {
	cases := []struct {
		count int
		flags Flags
		want  error
	}{
		{0, 0, ErrSize},
		{-4, 0, ErrSize},
		{1, 0, ErrSize},
		{3, 0, ErrSize},
		{1000, 0, ErrSize},
		{MaxSize * 2, 0, ErrSize},
		{MaxSize, ExactSize, ErrSize},
		{0, ExactSize, ErrSize},
		{16, 1 << 10, ErrFlags},
	}
	for _, c := range cases {
		if _, err := New[int]("x", c.count, c.flags); !errors.Is(err, c.want) {
			t.Errorf("New(%d, %#x) = %v, want %v", c.count, c.flags, err, c.want)
		}
	}
}

func TestFlagsDistinct(t *testing.T) {
	all := []Flags{SingleProducer, SingleConsumer, ExactSize, OffHeap}
	var seen Flags
	for _, f := range all {
		if f == 0 || f&(f-1) != 0 || seen&f != 0 {
			t.Fatalf("flag %#x is not a distinct single bit (seen %#x)", f, seen)
		}
		seen |= f
	}
	// ExactSize must not be mistaken for OffHeap: a pointer ring with only
	// ExactSize is refused, a 1000-slot ring without ExactSize too.
	if _, err := New[*int]("x", 1000, ExactSize); !errors.Is(err, ErrElem) {
		t.Errorf("ExactSize accepted GC pointers: %v", err)
	}
	if _, err := New[int]("x", 1000, OffHeap); !errors.Is(err, ErrSize) {
		t.Errorf("OffHeap acted as ExactSize: %v", err)
	}
}

func TestElemTypes(t *testing.T) {
	if _, err := New[*int]("p", 16, 0); !errors.Is(err, ErrElem) {
		t.Errorf("pointer elements without OffHeap: %v, want ErrElem", err)
	}
	if _, err := New[struct {
		a uint64
		s string
	}]("s", 16, 0); !errors.Is(err, ErrElem) {
		t.Errorf("struct holding a string without OffHeap: %v, want ErrElem", err)
	}
	for _, err := range []error{
		func() error { _, err := New[uint8]("b", 16, 0); return err }(),
		func() error { _, err := New[[3]uint16]("b", 16, 0); return err }(),
		func() error { _, err := New[struct{}]("b", 16, 0); return err }(),
	} {
		if !errors.Is(err, ErrElem) {
			t.Errorf("element size not a multiple of 4: %v, want ErrElem", err)
		}
	}
	if _, err := New[*int]("p", 16, OffHeap); err != nil {
		t.Errorf("OffHeap pointer ring: %v", err)
	}
	// 4-, 12- and 20-byte elements move intact across wraps.
	testElems(t, func(i uint32) uint32 { return i })
	testElems(t, func(i uint32) [3]uint32 { return [3]uint32{i, ^i, i * 7} })
	testElems(t, func(i uint32) [5]uint32 { return [5]uint32{i, 1, 2, 3, ^i} })
}

func testElems[T comparable](t *testing.T, mk func(uint32) T) {
	t.Helper()
	for _, f := range allModes {
		r, err := New[T]("e", 16, f)
		if err != nil {
			t.Fatal(err)
		}
		var next, want uint32
		in, out := make([]T, 11), make([]T, 11)
		for round := 0; round < 50; round++ {
			for i := range in {
				in[i] = mk(next)
				next++
			}
			if r.EnqueueBulk(in) != len(in) {
				t.Fatal("enqueue")
			}
			if !r.Enqueue(mk(next)) {
				t.Fatal("enqueue one")
			}
			next++
			n := r.DequeueBurst(out)
			for _, v := range out[:n] {
				if v != mk(want) {
					t.Fatalf("flags %#x: got %v, want %v", f, v, mk(want))
				}
				want++
			}
			v, ok := r.Dequeue()
			if !ok || v != mk(want) {
				t.Fatalf("flags %#x: Dequeue got %v %v, want %v", f, v, ok, mk(want))
			}
			want++
		}
	}
}

func TestCapacity(t *testing.T) {
	cases := []struct {
		count      int
		flags      Flags
		size, capa int
	}{
		{2, 0, 2, 1},
		{1024, 0, 1024, 1023},
		{1, ExactSize, 2, 1},
		{1000, ExactSize, 1024, 1000},
		{1024, ExactSize, 2048, 1024},
	}
	for _, c := range cases {
		r, err := New[int]("x", c.count, c.flags)
		if err != nil {
			t.Fatal(err)
		}
		if r.Size() != c.size || r.Capacity() != c.capa {
			t.Errorf("count %d flags %#x: size %d capacity %d, want %d %d", c.count, c.flags, r.Size(), r.Capacity(), c.size, c.capa)
		}
		// Fill it exactly to capacity, one at a time.
		for i := 0; i < c.capa; i++ {
			if !r.Enqueue(i) {
				t.Fatalf("count %d: enqueue %d failed below capacity", c.count, i)
			}
		}
		if r.Enqueue(-1) || !r.Full() || r.FreeCount() != 0 || r.Count() != c.capa {
			t.Fatalf("count %d: not full at capacity: %v", c.count, r)
		}
	}
}

var allModes = []Flags{0, SingleProducer, SingleConsumer, SingleProducer | SingleConsumer}

func TestBulkBurstSemantics(t *testing.T) {
	for _, f := range allModes {
		r, _ := New[int]("x", 8, f) // capacity 7
		in := []int{1, 2, 3, 4, 5}
		if n := r.EnqueueBulk(in); n != 5 {
			t.Fatalf("flags %#x: bulk 5 into empty = %d", f, n)
		}
		if n := r.EnqueueBulk(in[:3]); n != 0 {
			t.Fatalf("flags %#x: bulk 3 into 2 free = %d, want 0 (all or nothing)", f, n)
		}
		if r.Count() != 5 {
			t.Fatalf("failed bulk changed count: %d", r.Count())
		}
		if n := r.EnqueueBurst([]int{6, 7, 8}); n != 2 {
			t.Fatalf("flags %#x: burst 3 into 2 free = %d", f, n)
		}
		if n := r.EnqueueBurst([]int{9}); n != 0 {
			t.Fatalf("burst into full = %d", n)
		}
		out := make([]int, 10)
		if n := r.DequeueBulk(out[:8]); n != 0 {
			t.Fatalf("bulk 8 from 7 = %d", n)
		}
		if n := r.DequeueBurst(out); n != 7 {
			t.Fatalf("burst from 7 = %d", n)
		}
		for i, v := range out[:7] {
			if v != i+1 {
				t.Fatalf("flags %#x: out[%d] = %d, want %d", f, i, v, i+1)
			}
		}
		if n := r.DequeueBurst(out); n != 0 || !r.Empty() {
			t.Fatalf("burst from empty = %d", n)
		}
		if _, ok := r.Dequeue(); ok {
			t.Fatal("dequeue from empty succeeded")
		}
		// Empty slices are no-ops.
		if r.EnqueueBulk(nil) != 0 || r.DequeueBulk(nil) != 0 || r.EnqueueBurst(nil) != 0 {
			t.Fatal("empty calls moved elements")
		}
	}
}

func TestPeekDiscard(t *testing.T) {
	r, _ := New[int]("x", 16, SingleProducer|SingleConsumer)
	r.EnqueueBulk([]int{10, 11, 12, 13})
	buf := make([]int, 3)
	if n := r.Peek(buf); n != 3 || buf[0] != 10 || buf[2] != 12 {
		t.Fatalf("peek = %d %v", n, buf)
	}
	if r.Count() != 4 {
		t.Fatal("peek consumed")
	}
	if n := r.Discard(2); n != 2 {
		t.Fatalf("discard = %d", n)
	}
	if v, ok := r.Dequeue(); !ok || v != 12 {
		t.Fatalf("after discard got %d %v", v, ok)
	}
	if n := r.Discard(5); n != 1 {
		t.Fatalf("discard past count = %d, want 1", n)
	}
	mc, _ := New[int]("mc", 16, 0)
	mc.Enqueue(1)
	if mc.Peek(buf) != 0 || mc.Discard(1) != 0 {
		t.Fatal("peek on a multi-consumer ring must do nothing")
	}
}

// TestModel drives every mode with random operations across many wraps and
// checks each against a plain slice.
func TestModel(t *testing.T) {
	for _, f := range allModes {
		for _, exact := range []bool{false, true} {
			flags := f
			count := 16
			if exact {
				flags |= ExactSize
				count = 13
			}
			runModel(t, flags, count, rand.New(rand.NewPCG(uint64(flags), 7)), 20000)
		}
	}
}

func runModel(t *testing.T, flags Flags, count int, rng *rand.Rand, ops int) {
	t.Helper()
	r, err := New[uint64]("m", count, flags)
	if err != nil {
		t.Fatal(err)
	}
	var model []uint64
	var next uint64
	buf := make([]uint64, 40)
	for op := 0; op < ops; op++ {
		n := rng.IntN(len(buf))
		free := r.Capacity() - len(model)
		switch rng.IntN(7) {
		case 0, 1: // bulk enqueue
			for i := range buf[:n] {
				buf[i] = next + uint64(i)
			}
			got := r.EnqueueBulk(buf[:n])
			want := n
			if n > free {
				want = 0
			}
			if got != want {
				t.Fatalf("flags %#x op %d: EnqueueBulk(%d) free %d = %d", flags, op, n, free, got)
			}
			model = append(model, buf[:got]...)
			next += uint64(got)
		case 2: // burst enqueue
			for i := range buf[:n] {
				buf[i] = next + uint64(i)
			}
			got := r.EnqueueBurst(buf[:n])
			if got != min(n, free) {
				t.Fatalf("flags %#x op %d: EnqueueBurst(%d) free %d = %d", flags, op, n, free, got)
			}
			model = append(model, buf[:got]...)
			next += uint64(got)
		case 3: // bulk dequeue
			got := r.DequeueBulk(buf[:n])
			want := n
			if n > len(model) {
				want = 0
			}
			if got != want {
				t.Fatalf("flags %#x op %d: DequeueBulk(%d) have %d = %d", flags, op, n, len(model), got)
			}
			checkPrefix(t, buf[:got], &model)
		case 4: // burst dequeue
			got := r.DequeueBurst(buf[:n])
			if got != min(n, len(model)) {
				t.Fatalf("flags %#x op %d: DequeueBurst(%d) have %d = %d", flags, op, n, len(model), got)
			}
			checkPrefix(t, buf[:got], &model)
		case 5:
			ok := r.Enqueue(next)
			if ok != (free > 0) {
				t.Fatalf("Enqueue with free %d = %v", free, ok)
			}
			if ok {
				model = append(model, next)
				next++
			}
		case 6:
			v, ok := r.Dequeue()
			if ok != (len(model) > 0) {
				t.Fatalf("Dequeue with %d = %v", len(model), ok)
			}
			if ok {
				checkPrefix(t, []uint64{v}, &model)
			}
		}
		if r.Count() != len(model) || r.FreeCount() != r.Capacity()-len(model) ||
			r.Empty() != (len(model) == 0) || r.Full() != (len(model) == r.Capacity()) {
			t.Fatalf("flags %#x op %d: count %d, model %d", flags, op, r.Count(), len(model))
		}
	}
}

func checkPrefix(t *testing.T, got []uint64, model *[]uint64) {
	t.Helper()
	for i, v := range got {
		if (*model)[i] != v {
			t.Fatalf("dequeued %d at %d, want %d", v, i, (*model)[i])
		}
	}
	*model = (*model)[len(got):]
}

func FuzzModel(f *testing.F) {
	f.Add(uint8(0), uint8(16), uint64(1))
	f.Add(uint8(7), uint8(5), uint64(2))
	f.Fuzz(func(t *testing.T, flags uint8, count uint8, seed uint64) {
		fl := Flags(flags) & (SingleProducer | SingleConsumer | ExactSize)
		c := int(count)
		if fl&ExactSize == 0 {
			c = 1 << (c % 12)
		}
		if _, err := New[uint64]("f", c, fl); err != nil {
			return // invalid sizes are covered by TestNewErrors
		}
		runModel(t, fl, c, rand.New(rand.NewPCG(seed, seed>>7)), 2000)
	})
}

func TestElem16(t *testing.T) {
	type elem [2]uint64
	r, _ := New[elem]("e16", 64, SingleProducer|SingleConsumer)
	in := make([]elem, 50)
	for round := uint64(0); round < 10; round++ { // wraps several times
		for i := range in {
			in[i] = elem{round, uint64(i)}
		}
		if r.EnqueueBulk(in) != 50 {
			t.Fatal("enqueue")
		}
		out := make([]elem, 50)
		if r.DequeueBulk(out) != 50 {
			t.Fatal("dequeue")
		}
		for i := range out {
			if out[i] != in[i] {
				t.Fatalf("round %d: out[%d] = %v", round, i, out[i])
			}
		}
	}
}

// TestStressMPMC: P producers and C consumers move every value exactly
// once; each consumer sees each producer's values in increasing order.
func TestStressMPMC(t *testing.T) {
	for _, f := range allModes {
		producers, consumers := 4, 4
		if f&SingleProducer != 0 {
			producers = 1
		}
		if f&SingleConsumer != 0 {
			consumers = 1
		}
		total := 200000
		if raceEnabled {
			total = 20000
		}
		start := time.Now()
		stress(t, f, producers, consumers, total/producers)
		t.Logf("flags %#x: %d producers, %d consumers, %d values in %v", f, producers, consumers, total, time.Since(start))
	}
}

func stress(t *testing.T, flags Flags, producers, consumers, perProducer int) {
	r, _ := New[uint64]("s", 256, flags)
	var wg sync.WaitGroup
	seen := make([][]int32, consumers) // per consumer: count of each value
	done := make(chan struct{})
	var prodWG sync.WaitGroup
	produced := make([]int, producers)
	for p := 0; p < producers; p++ {
		prodWG.Add(1)
		go func(p int) {
			defer prodWG.Done()
			rng := rand.New(rand.NewPCG(uint64(p), 1))
			buf := make([]uint64, 32)
			// Bounded in time as well as count: on an overloaded machine a
			// preempted MP producer stalls the others (see Spinning).
			deadline := time.Now().Add(3 * time.Second)
			for seq := 0; seq < perProducer && (seq&1023 != 0 || time.Now().Before(deadline)); {
				n := min(1+rng.IntN(32), perProducer-seq)
				for i := range buf[:n] {
					buf[i] = uint64(p)<<32 | uint64(seq+i)
				}
				var k int
				switch rng.IntN(4) {
				case 3:
					// Empty operations must not disturb the others.
					if r.EnqueueBulk(buf[:0])+r.EnqueueBurst(nil) != 0 {
						t.Error("empty enqueue moved elements")
						return
					}
				case 0:
					k = r.EnqueueBulk(buf[:n])
				case 1:
					k = r.EnqueueBurst(buf[:n])
				default:
					if r.Enqueue(buf[0]) {
						k = 1
					}
				}
				seq += k
				produced[p] = seq
			}
		}(p)
	}
	counts := make([][]int32, consumers)
	for c := 0; c < consumers; c++ {
		counts[c] = make([]int32, producers*perProducer)
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			last := make([]int64, producers)
			for i := range last {
				last[i] = -1
			}
			rng := rand.New(rand.NewPCG(uint64(c), 2))
			buf := make([]uint64, 32)
			for {
				var n int
				switch rng.IntN(4) {
				case 3:
					if r.DequeueBulk(buf[:0])+r.DequeueBurst(nil) != 0 {
						t.Error("empty dequeue moved elements")
						return
					}
				case 0:
					n = r.DequeueBulk(buf[:1+rng.IntN(32)])
				case 1:
					n = r.DequeueBurst(buf[:1+rng.IntN(32)])
				default:
					if v, ok := r.Dequeue(); ok {
						buf[0], n = v, 1
					}
				}
				for _, v := range buf[:n] {
					p, seq := int(v>>32), int64(uint32(v))
					if p >= producers || seq >= int64(perProducer) {
						t.Errorf("invented value %#x", v)
						return
					}
					if seq <= last[p] {
						t.Errorf("consumer %d: producer %d seq %d after %d", c, p, seq, last[p])
						return
					}
					last[p] = seq
					counts[c][p*perProducer+int(seq)]++
				}
				if n == 0 {
					select {
					case <-done:
						if r.Empty() {
							return
						}
					default:
					}
				}
			}
		}(c)
	}
	prodWG.Wait()
	close(done)
	wg.Wait()
	_ = seen
	for v := 0; v < producers*perProducer; v++ {
		var total int32
		for c := range counts {
			total += counts[c][v]
		}
		want := int32(0)
		if v%perProducer < produced[v/perProducer] {
			want = 1
		}
		if total != want {
			t.Fatalf("flags %#x: value %d (producer %d seq %d) delivered %d times, want %d", flags, v, v/perProducer, v%perProducer, total, want)
		}
	}
}

func TestNoAllocs(t *testing.T) {
	for _, f := range allModes {
		r, _ := New[*int]("a", 64, f|OffHeap)
		x := new(int)
		buf := []*int{x, x, x, x, x, x, x, x}
		allocs := testing.AllocsPerRun(1000, func() {
			r.EnqueueBulk(buf)
			r.DequeueBulk(buf)
			r.EnqueueBurst(buf)
			r.DequeueBurst(buf)
			r.Enqueue(x)
			r.Dequeue()
			_ = r.Count()
		})
		if allocs != 0 {
			t.Errorf("flags %#x: %v allocs per run", f, allocs)
		}
	}
}

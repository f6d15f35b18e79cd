package eal

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
)

// MaxLcore is the number of lcore ids (0..MaxLcore-1); per-lcore tables
// can be arrays of this size indexed by lcore id.
const MaxLcore = 128

// LcoreFunc is the function an lcore runs. It receives its lcore id, which
// per-lcore state (caches, queues) is indexed by: Go has no thread-local
// storage.
type LcoreFunc func(lcore uint) error

// LcoreState is the launch state of an lcore.
type LcoreState int

const (
	StateWait     LcoreState = iota // idle, ready for RemoteLaunch
	StateRunning                    // running a function
	StateFinished                   // function returned; Wait collects its error
)

const stateStopped LcoreState = -1 // internal: worker stopped by Cleanup

func (s LcoreState) String() string {
	switch s {
	case StateWait:
		return "WAIT"
	case StateRunning:
		return "RUNNING"
	case StateFinished:
		return "FINISHED"
	}
	return fmt.Sprintf("LcoreState(%d)", int(s))
}

// lcore is one logical core. For workers, a goroutine locked to its own
// OS thread and pinned to cpus receives functions on launch.
type lcore struct {
	id     uint
	index  int
	cpus   []int
	main   bool
	state  atomic.Int32 // LcoreState
	launch chan LcoreFunc
	exited chan struct{}

	mu  sync.Mutex // guards cur and state transitions
	cur *launchRun
}

// launchRun is one launch: done is closed when fn returned.
type launchRun struct {
	done chan struct{}
	err  error
}

type system struct {
	main      *lcore
	byID      [MaxLcore]*lcore
	all       []*lcore // sorted by id, main included
	ids       []uint
	workers   []uint
	prevProcs int // GOMAXPROCS before Init; 0 if unchanged
	setProcs  int
	prevMem   memSettings
}

var (
	initMu sync.Mutex // serializes Init and Cleanup
	cur    atomic.Pointer[system]
)

func (s *system) lookup(id uint) *lcore {
	if id >= MaxLcore {
		return nil
	}
	return s.byID[id]
}

// Init sets the EAL up as cfg says: it checks that every lcore's CPUs are
// in the set the process may run on, starts one worker per non-main lcore
// (a goroutine that locks its OS thread and pins it with
// sched_setaffinity), raises GOMAXPROCS to at least LcoreCount()+1 (busy
// lcores hold a P each; the garbage collector needs one more), and applies
// the memory options. Calling it again before Cleanup fails with
// ErrInitialized.
func Init(cfg Config) error {
	initMu.Lock()
	defer initMu.Unlock()
	if cur.Load() != nil {
		return ErrInitialized
	}
	maps, mainID, err := resolveLcores(cfg)
	if err != nil {
		return err
	}
	switch cfg.ProcType {
	case "", "primary", "auto":
	case "secondary":
		return fmt.Errorf("eal: --proc-type=secondary: %w (share memory with Shared arenas instead)", ErrNotSupported)
	default:
		return fmt.Errorf("eal: bad proc type %q", cfg.ProcType)
	}
	if cfg.MemoryMB < 0 {
		return fmt.Errorf("eal: memory %d MB must be >= 0", cfg.MemoryMB)
	}
	for _, n := range cfg.Notices {
		notice("%s", n)
	}

	s := &system{}
	for i, m := range maps {
		l := &lcore{id: m.Lcore, index: i, cpus: m.CPUs, main: m.Lcore == mainID}
		s.byID[l.id] = l
		s.all = append(s.all, l)
		s.ids = append(s.ids, l.id)
		if l.main {
			s.main = l
		} else {
			s.workers = append(s.workers, l.id)
		}
	}

	// Start the workers; each reports whether it could pin itself.
	ready := make(chan error)
	started := 0
	for _, l := range s.all {
		if l.main {
			continue
		}
		l.launch = make(chan LcoreFunc, 1)
		l.exited = make(chan struct{})
		go l.run(ready)
		started++
	}
	var errs []error
	for range started {
		if err := <-ready; err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		for _, l := range s.all {
			if !l.main {
				close(l.launch)
				<-l.exited
			}
		}
		return errors.Join(errs...)
	}

	want := len(s.all) + 1
	if prev := runtime.GOMAXPROCS(0); prev < want {
		runtime.GOMAXPROCS(want)
		s.prevProcs, s.setProcs = prev, want
	}
	s.prevMem = applyMemSettings(memSettings{
		limit:    int64(cfg.MemoryMB) << 20,
		setLimit: cfg.MemoryMB > 0,
		noHuge:   cfg.NoHuge,
		prefix:   cfg.FilePrefix,
	})
	cur.Store(s)
	return nil
}

// resolveLcores turns cfg into sorted lcore mappings, checked against the
// allowed CPU set, and picks the main lcore.
func resolveLcores(cfg Config) ([]LcoreMapping, uint, error) {
	var maps []LcoreMapping
	switch {
	case len(cfg.Lcores) > 0 && len(cfg.LcoreMap) > 0:
		return nil, 0, fmt.Errorf("eal: Lcores (-l/-c) and LcoreMap (--lcores) are exclusive")
	case len(cfg.LcoreMap) > 0:
		for _, m := range cfg.LcoreMap {
			if m.Lcore >= MaxLcore {
				return nil, 0, fmt.Errorf("eal: lcore %d out of range (max %d)", m.Lcore, MaxLcore-1)
			}
			if len(m.CPUs) == 0 {
				return nil, 0, fmt.Errorf("eal: lcore %d has no cpu", m.Lcore)
			}
			cpus := slices.Clone(m.CPUs)
			slices.Sort(cpus)
			maps = append(maps, LcoreMapping{Lcore: m.Lcore, CPUs: slices.Compact(cpus)})
		}
	case len(cfg.Lcores) > 0:
		for _, c := range cfg.Lcores {
			if c < 0 || c >= MaxCPU {
				return nil, 0, fmt.Errorf("eal: cpu %d out of range (max %d)", c, MaxCPU-1)
			}
			if c >= MaxLcore {
				return nil, 0, fmt.Errorf("eal: cpu %d cannot be lcore %d (lcore ids stop at %d): map it with --lcores, e.g. 1@%d", c, c, MaxLcore-1, c)
			}
			maps = append(maps, LcoreMapping{Lcore: uint(c), CPUs: []int{c}})
		}
	default: // like DPDK: every CPU the process may use
		for _, c := range AllowedCPUs() {
			if c < MaxLcore {
				maps = append(maps, LcoreMapping{Lcore: uint(c), CPUs: []int{c}})
			}
		}
		if len(maps) == 0 {
			return nil, 0, fmt.Errorf("eal: no allowed cpu below %d", MaxLcore)
		}
	}
	slices.SortFunc(maps, func(a, b LcoreMapping) int { return int(a.Lcore) - int(b.Lcore) })
	for i := 1; i < len(maps); i++ {
		if maps[i].Lcore == maps[i-1].Lcore {
			return nil, 0, fmt.Errorf("eal: lcore %d given twice", maps[i].Lcore)
		}
	}
	allowed := allowedSet()
	for _, m := range maps {
		for _, c := range m.CPUs {
			if c < 0 || c >= MaxCPU {
				return nil, 0, fmt.Errorf("eal: lcore %d: cpu %d out of range (max %d)", m.Lcore, c, MaxCPU-1)
			}
			if !allowed.IsSet(c) {
				return nil, 0, fmt.Errorf("eal: lcore %d: cpu %d is not in the allowed cpu set %s", m.Lcore, c, formatCPUs(AllowedCPUs()))
			}
		}
	}
	mainID := maps[0].Lcore
	if cfg.MainLcore >= 0 {
		mainID = uint(cfg.MainLcore)
		if !slices.ContainsFunc(maps, func(m LcoreMapping) bool { return m.Lcore == mainID }) {
			return nil, 0, fmt.Errorf("eal: main lcore %d is not one of the lcores %s (MainLcore -1 picks the first)", cfg.MainLcore, formatLcores(maps))
		}
	} else if cfg.MainLcore != -1 {
		return nil, 0, fmt.Errorf("eal: main lcore %d: want -1 or an lcore id", cfg.MainLcore)
	}
	return maps, mainID, nil
}

func formatLcores(maps []LcoreMapping) string {
	ids := make([]int, len(maps))
	for i, m := range maps {
		ids[i] = int(m.Lcore)
	}
	return formatCPUs(ids)
}

// run is the worker goroutine. Its OS thread is never unlocked: when the
// goroutine returns, the runtime ends the thread, so no pinned thread goes
// back to the pool.
func (l *lcore) run(ready chan<- error) {
	runtime.LockOSThread()
	err := setAffinity(l.cpus)
	if err != nil {
		err = fmt.Errorf("eal: lcore %d: pinning to cpu %s: %w", l.id, formatCPUs(l.cpus), err)
	}
	if ready != nil {
		ready <- err
		if err != nil {
			close(l.exited)
			return
		}
	} else if err != nil {
		notice("%v", err)
	}
	for fn := range l.launch {
		l.exec(fn)
	}
	close(l.exited)
}

// exec runs one function and publishes its result. A panic becomes a
// *PanicError; a runtime.Goexit (t.FailNow in a test) an error, and a new
// worker goroutine takes over the lcore since this one is ending.
func (l *lcore) exec(fn LcoreFunc) {
	r := l.cur
	returned := false
	defer func() {
		if returned {
			return
		}
		if v := recover(); v != nil {
			r.err = &PanicError{Lcore: l.id, Value: v, Stack: debug.Stack()}
			l.finish(r)
			return
		}
		r.err = fmt.Errorf("eal: lcore %d: function called runtime.Goexit", l.id)
		l.finish(r)
		go l.run(nil)
	}()
	r.err = fn(l.id)
	returned = true
	l.finish(r)
}

func (l *lcore) finish(r *launchRun) {
	l.mu.Lock()
	l.state.Store(int32(StateFinished))
	close(r.done)
	l.mu.Unlock()
}

func lookup(id uint) (*system, *lcore, error) {
	s := cur.Load()
	if s == nil {
		return nil, nil, ErrNotInitialized
	}
	l := s.lookup(id)
	if l == nil {
		return nil, nil, fmt.Errorf("eal: lcore %d: %w", id, ErrNotFound)
	}
	return s, l, nil
}

// RemoteLaunch starts fn on worker lcore id and returns at once. It fails
// if the EAL is not initialized, id is unknown or the main lcore, or the
// lcore is not in StateWait (ErrBusy: Wait for it first).
func RemoteLaunch(id uint, fn LcoreFunc) error {
	if fn == nil {
		return fmt.Errorf("eal: lcore %d: nil function", id)
	}
	_, l, err := lookup(id)
	if err != nil {
		return err
	}
	if l.main {
		return fmt.Errorf("eal: lcore %d: %w", id, ErrMainLcore)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.launchLocked(fn)
}

func (l *lcore) launchLocked(fn LcoreFunc) error {
	switch st := LcoreState(l.state.Load()); st {
	case StateWait:
	case stateStopped:
		return ErrNotInitialized
	default:
		return fmt.Errorf("eal: lcore %d is %v: %w", l.id, st, ErrBusy)
	}
	l.cur = &launchRun{done: make(chan struct{})}
	l.state.Store(int32(StateRunning))
	l.launch <- fn // buffered, and empty since the worker is idle
	return nil
}

// Wait blocks until the function launched on lcore id returns, puts the
// lcore back in StateWait and returns the function's error (a *PanicError
// if it panicked). It returns nil at once for an idle lcore and for the
// main lcore.
func Wait(id uint) error {
	_, l, err := lookup(id)
	if err != nil {
		return err
	}
	if l.main {
		return nil
	}
	l.mu.Lock()
	r, st := l.cur, LcoreState(l.state.Load())
	l.mu.Unlock()
	if st != StateRunning && st != StateFinished {
		return nil
	}
	<-r.done
	l.mu.Lock()
	if l.cur == r && LcoreState(l.state.Load()) == StateFinished {
		l.state.Store(int32(StateWait))
	}
	l.mu.Unlock()
	return r.err
}

// WaitAll waits for every worker lcore and returns the first error in
// lcore order.
func WaitAll() error {
	s := cur.Load()
	if s == nil {
		return ErrNotInitialized
	}
	var first error
	for _, id := range s.workers {
		if err := Wait(id); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// LaunchOnAll launches fn on every worker lcore, like
// rte_eal_mp_remote_launch. Every worker must be in StateWait, or nothing
// is launched. With includeMain, fn then runs for the main lcore on the
// calling goroutine, pinned to the main lcore's CPUs for the call, and its
// error is returned (a panic propagates to the caller). Collect the
// workers' results with WaitAll.
func LaunchOnAll(fn LcoreFunc, includeMain bool) error {
	if fn == nil {
		return fmt.Errorf("eal: nil function")
	}
	s := cur.Load()
	if s == nil {
		return ErrNotInitialized
	}
	var workers []*lcore
	for _, l := range s.all {
		if !l.main {
			workers = append(workers, l)
		}
	}
	for _, l := range workers {
		l.mu.Lock()
	}
	var err error
	for _, l := range workers {
		if st := LcoreState(l.state.Load()); st == stateStopped {
			err = ErrNotInitialized
			break
		} else if st != StateWait {
			err = fmt.Errorf("eal: lcore %d is %v: %w", l.id, st, ErrBusy)
			break
		}
	}
	if err == nil {
		for _, l := range workers {
			if err = l.launchLocked(fn); err != nil {
				break // unreachable: states were checked under the locks
			}
		}
	}
	for _, l := range workers {
		l.mu.Unlock()
	}
	if err != nil || !includeMain {
		return err
	}
	return s.runMain(fn)
}

func (s *system) runMain(fn LcoreFunc) error {
	m := s.main
	if !m.state.CompareAndSwap(int32(StateWait), int32(StateRunning)) {
		return fmt.Errorf("eal: main lcore %d: %w", m.id, ErrBusy)
	}
	defer m.state.CompareAndSwap(int32(StateRunning), int32(StateWait))
	unpin, err := pinTemporarily(m.cpus)
	if err != nil {
		return fmt.Errorf("eal: main lcore %d: %w", m.id, err)
	}
	defer unpin()
	return fn(m.id)
}

// Cleanup stops the workers and undoes Init (GOMAXPROCS, memory options),
// so Init may be called again. No lcore may be running (ErrBusy): call
// WaitAll first; results not yet collected are discarded. Arenas and
// memzones stay mapped.
func Cleanup() error {
	initMu.Lock()
	defer initMu.Unlock()
	s := cur.Load()
	if s == nil {
		return ErrNotInitialized
	}
	for _, l := range s.all {
		l.mu.Lock()
	}
	var busy error
	for _, l := range s.all {
		if LcoreState(l.state.Load()) == StateRunning {
			busy = fmt.Errorf("eal: cleanup: lcore %d is running: %w", l.id, ErrBusy)
			break
		}
	}
	if busy == nil {
		for _, l := range s.all {
			l.state.Store(int32(stateStopped))
			if !l.main {
				close(l.launch)
			}
		}
	}
	for _, l := range s.all {
		l.mu.Unlock()
	}
	if busy != nil {
		return busy
	}
	cur.Store(nil)
	for _, l := range s.all {
		if !l.main {
			<-l.exited
		}
	}
	if s.setProcs != 0 && runtime.GOMAXPROCS(0) == s.setProcs {
		runtime.GOMAXPROCS(s.prevProcs)
	}
	applyMemSettings(s.prevMem)
	return nil
}

// Initialized reports whether Init succeeded and Cleanup has not run since.
func Initialized() bool { return cur.Load() != nil }

// MainLcore returns the id of the main lcore (0 before Init).
func MainLcore() uint {
	if s := cur.Load(); s != nil {
		return s.main.id
	}
	return 0
}

// LcoreCount returns the number of lcores, main included (0 before Init).
func LcoreCount() int {
	if s := cur.Load(); s != nil {
		return len(s.all)
	}
	return 0
}

// Lcores returns the lcore ids in increasing order, main included.
func Lcores() []uint {
	if s := cur.Load(); s != nil {
		return slices.Clone(s.ids)
	}
	return nil
}

// WorkerLcores returns the ids of the lcores other than the main one.
func WorkerLcores() []uint {
	if s := cur.Load(); s != nil {
		return slices.Clone(s.workers)
	}
	return nil
}

// LcoreIndex returns the position of lcore id in Lcores() (0..LcoreCount-1,
// like rte_lcore_index), or -1 if it is not an lcore.
func LcoreIndex(id uint) int {
	if s := cur.Load(); s != nil {
		if l := s.lookup(id); l != nil {
			return l.index
		}
	}
	return -1
}

// LcoreCPU returns the CPU lcore id is pinned to (the lowest one when it
// floats over several), or -1 if it is not an lcore.
func LcoreCPU(id uint) int {
	if s := cur.Load(); s != nil {
		if l := s.lookup(id); l != nil {
			return l.cpus[0]
		}
	}
	return -1
}

// LcoreCPUs returns the CPUs lcore id may run on, or nil.
func LcoreCPUs(id uint) []int {
	if s := cur.Load(); s != nil {
		if l := s.lookup(id); l != nil {
			return slices.Clone(l.cpus)
		}
	}
	return nil
}

// State returns the state of lcore id (StateWait if there is no such
// lcore).
func State(id uint) LcoreState {
	if s := cur.Load(); s != nil {
		if l := s.lookup(id); l != nil {
			if st := LcoreState(l.state.Load()); st != stateStopped {
				return st
			}
		}
	}
	return StateWait
}

// PinCurrent locks the calling goroutine to its OS thread and pins the
// thread to lcore id's CPUs, so code run on the main lcore (a benchmark,
// a forwarding loop) is pinned like a worker. Undo it with Unpin from the
// same goroutine.
func PinCurrent(id uint) error {
	_, l, err := lookup(id)
	if err != nil {
		return err
	}
	runtime.LockOSThread()
	if err := setAffinity(l.cpus); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("eal: pinning to lcore %d (cpu %s): %w", id, formatCPUs(l.cpus), err)
	}
	return nil
}

// Unpin undoes PinCurrent: the thread may run on every allowed CPU again
// and the goroutine is unlocked from it.
func Unpin() error {
	err := setAffinity(AllowedCPUs())
	runtime.UnlockOSThread()
	if err != nil {
		return fmt.Errorf("eal: unpin: %w", err)
	}
	return nil
}

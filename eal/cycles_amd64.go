package eal

// Rdtsc returns the time-stamp counter (RDTSC). It is not ordered with
// respect to surrounding instructions; use RdtscP to measure code that must
// have finished first. On hosts with constant_tsc/nonstop_tsc the counter
// ticks at TSCHz on every core.
func Rdtsc() uint64

// RdtscP returns the time-stamp counter read with RDTSCP, which waits until
// all previous instructions have executed: the variant to close a
// measurement interval.
func RdtscP() uint64

// Pause executes the PAUSE instruction. Call it in every spin-wait loop: it
// saves power and frees resources for the sibling hyper-thread.
func Pause()

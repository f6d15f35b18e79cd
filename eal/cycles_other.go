//go:build !amd64

package eal

// Rdtsc returns a cycle counter. Without a TSC (non-amd64 builds) it is the
// monotonic clock in nanoseconds, so TSCHz reports about 1 GHz.
func Rdtsc() uint64 { return uint64(Nanotime()) }

// RdtscP is Rdtsc; there is no ordered variant on this architecture.
func RdtscP() uint64 { return uint64(Nanotime()) }

// Pause is a no-op on this architecture.
func Pause() {}

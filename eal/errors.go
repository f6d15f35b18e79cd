package eal

import (
	"errors"
	"fmt"
)

// Sentinel errors. Functions wrap them with context; test with errors.Is.
var (
	// ErrNoMemory: the request does not fit (arena full, memory limit
	// reached, or the kernel refused the mapping).
	ErrNoMemory = errors.New("eal: out of memory")
	// ErrNoHugepages: hugepages were required but none could be mapped.
	ErrNoHugepages = errors.New("eal: no hugepages available")
	// ErrClosed: the arena or memzone was closed or freed.
	ErrClosed = errors.New("eal: closed")
	// ErrExists: a memzone with that name exists.
	ErrExists = errors.New("eal: already exists")
	// ErrNotFound: no memzone or lcore of that name or id.
	ErrNotFound = errors.New("eal: not found")
	// ErrNotInitialized: the call needs Init first.
	ErrNotInitialized = errors.New("eal: not initialized")
	// ErrInitialized: Init was called twice without Cleanup.
	ErrInitialized = errors.New("eal: already initialized")
	// ErrBusy: the lcore is running a function (not in StateWait).
	ErrBusy = errors.New("eal: lcore busy")
	// ErrMainLcore: the operation is not valid on the main lcore.
	ErrMainLcore = errors.New("eal: not allowed on the main lcore")
	// ErrNotSupported: a feature the host or dpkit lacks.
	ErrNotSupported = errors.New("eal: not supported")
)

// PanicError is returned by Wait when the lcore function panicked. The
// worker recovered the panic and is ready for the next launch.
type PanicError struct {
	Lcore uint
	Value any    // the value passed to panic
	Stack []byte // the goroutine's stack at the panic
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("eal: lcore %d: panic: %v\n\n%s", e.Lcore, e.Value, e.Stack)
}

// Unwrap returns the panic value when it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// Package netns runs code inside a Linux network namespace, for drivers
// whose kernel objects (AF_PACKET sockets, TAP queues) must be created in
// the namespace of their interface even when the control call that creates
// them (Configure, a queue setup) comes from a thread elsewhere.
//
//	h, err := netns.Current() // at probe: remember where the interface is
//	...
//	err = h.Do(func() error { fd, err = unix.Socket(...); return err })
//
// Test helpers that create namespaces and veth pairs are in netnstest.
package netns

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// Handle is an open reference to a network namespace (a file descriptor
// of its nsfs file); it keeps the namespace alive until Close.
type Handle struct {
	fd int
}

// Current returns a handle to the calling thread's network namespace.
func Current() (*Handle, error) {
	return Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
}

// Open returns a handle to the namespace file at path (/run/netns/NAME,
// /proc/PID/ns/net).
func Open(path string) (*Handle, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("netns: %w", err)
	}
	return &Handle{fd: fd}, nil
}

// Close releases the handle.
func (h *Handle) Close() error { return unix.Close(h.fd) }

// Do runs f on an OS thread that has entered the namespace. Sockets, TAP
// devices and interfaces f creates belong to the namespace and stay in it
// after Do returns. Goroutines f starts do not run in the namespace.
func (h *Handle) Do(f func() error) error {
	runtime.LockOSThread()
	self, err := Current()
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer self.Close()
	if err := unix.Setns(h.fd, unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("netns: setns: %w", err)
	}
	ferr := f()
	if err := unix.Setns(self.fd, unix.CLONE_NEWNET); err != nil {
		// The thread is in the wrong namespace: keep it locked so that
		// it dies with this goroutine instead of serving others.
		return fmt.Errorf("netns: back to own namespace: %w", err)
	}
	runtime.UnlockOSThread()
	return ferr
}

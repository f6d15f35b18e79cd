//go:build dpkit_debug

package mbuf

// debug turns on the fast-path checks (build with -tags dpkit_debug).
const debug = true

// inPoolRefcnt is the reference count of an mbuf sitting in its pool.
const inPoolRefcnt = 0

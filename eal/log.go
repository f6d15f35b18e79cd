package eal

import (
	"fmt"
	"io"
	"os"
	"sync"
)

var (
	logMu  sync.Mutex
	logOut io.Writer = os.Stderr
)

// SetLogOutput sets where the EAL writes its one-line notices (hugepage
// fallback, ignored options). The default is os.Stderr; nil discards.
func SetLogOutput(w io.Writer) {
	logMu.Lock()
	defer logMu.Unlock()
	if w == nil {
		w = io.Discard
	}
	logOut = w
}

// notice writes one line prefixed "eal: ".
func notice(format string, args ...any) {
	logMu.Lock()
	defer logMu.Unlock()
	fmt.Fprintf(logOut, "eal: "+format+"\n", args...)
}

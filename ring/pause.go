package ring

import "github.com/dpkit/dpkit/eal"

// pause is the spin-loop hint (PAUSE) used while waiting for a tail.
func pause() { eal.Pause() }

package ring

// pause is a spin-loop hint. TODO(eal): use eal.Pause once eal lands.
func pause() {}

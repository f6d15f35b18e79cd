package testpmd

// ioEngine forwards packets untouched: the fastest engine, the one to
// measure a port's raw rate with.
var ioEngine = Engine{Name: "io", Fwd: ioFwd}

func ioFwd(s *Stream) {
	s.send(s.rx())
}

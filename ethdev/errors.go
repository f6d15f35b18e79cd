package ethdev

import "errors"

// Sentinel errors; test with errors.Is. Wrapping adds the port and the
// detail ("net_null0: rx queue 3: queue id out of range (have 2)").
var (
	// ErrInvalid: an argument is out of range; the message says which.
	ErrInvalid = errors.New("ethdev: invalid argument")
	// ErrNotSupported: the driver (and ethdev in software) cannot do it.
	ErrNotSupported = errors.New("ethdev: not supported")
	// ErrState: the call is out of order for the port's state (configure
	// while started, start before every queue is set up, close while
	// started, ...); the message names the state and what is needed.
	ErrState = errors.New("ethdev: wrong port state")
	// ErrNoDriver: no registered driver matches the devargs name.
	ErrNoDriver = errors.New("ethdev: no such driver")
	// ErrDevargs: the devargs string is malformed, or names an unknown key
	// or a bad value; the message names the key and lists the valid ones.
	ErrDevargs = errors.New("ethdev: bad devargs")
	// ErrExists: a port with that name is already open.
	ErrExists = errors.New("ethdev: port exists")
	// ErrNoPort: no port has that id or name.
	ErrNoPort = errors.New("ethdev: no such port")
	// ErrTimeout: RxIntrWait timed out with the queue still empty.
	ErrTimeout = errors.New("ethdev: timeout")
)

package ethdev

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

var (
	driversMu sync.RWMutex
	drivers   = map[string]*Driver{} // by Name and by each alias
)

// Register adds a driver. It panics on an empty or duplicate name or a nil
// Probe: a programming error, caught at init.
func Register(d Driver) {
	driversMu.Lock()
	defer driversMu.Unlock()
	if d.Name == "" || d.Probe == nil {
		panic("ethdev.Register: empty name or nil Probe")
	}
	seen := map[string]bool{}
	for _, p := range d.Params {
		if p.Key == "" || seen[p.Key] || strings.IndexFunc(p.Key, badKeyRune) >= 0 {
			panic(fmt.Sprintf("ethdev.Register(%s): bad or duplicate param key %q", d.Name, p.Key))
		}
		seen[p.Key] = true
	}
	dp := &d
	for _, n := range append([]string{d.Name}, d.Aliases...) {
		if _, dup := drivers[n]; dup {
			panic("ethdev.Register: duplicate driver " + n)
		}
		drivers[n] = dp
	}
}

// Drivers returns every registered driver, sorted by name.
func Drivers() []Driver {
	driversMu.RLock()
	defer driversMu.RUnlock()
	var out []Driver
	for n, d := range drivers {
		if n == d.Name {
			out = append(out, *d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// lookupDriver returns the driver whose name or alias is the longest
// prefix of the device name.
func lookupDriver(dev string) (*Driver, error) {
	driversMu.RLock()
	defer driversMu.RUnlock()
	var best *Driver
	bestLen := 0
	for n, d := range drivers {
		if strings.HasPrefix(dev, n) && len(n) > bestLen {
			best, bestLen = d, len(n)
		}
	}
	if best == nil {
		var names []string
		for n, d := range drivers {
			if n == d.Name {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		list := strings.Join(names, ", ")
		if list == "" {
			list = "none registered; import github.com/dpkit/dpkit/driver/net/all"
		}
		return nil, fmt.Errorf("%w: device %q (drivers: %s)", ErrNoDriver, dev, list)
	}
	return best, nil
}

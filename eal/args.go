package eal

import (
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Config is what Init sets up; ParseArgs builds one from DPDK-style EAL
// options. It is a plain value.
type Config struct {
	// Lcores lists CPU ids (-l, -c); as in DPDK each becomes the lcore of
	// the same id, pinned to that CPU: -l 0-3 gives lcores 0..3 on CPUs
	// 0..3. Ids must be below MaxLcore (map bigger CPUs with LcoreMap).
	// With Lcores and LcoreMap both empty, every allowed CPU below MaxLcore
	// becomes an lcore.
	Lcores []int
	// LcoreMap maps lcore ids to CPU sets (--lcores); exclusive with Lcores.
	// Several lcores may share a CPU.
	LcoreMap []LcoreMapping
	// MainLcore is the id of the lcore that stays with the caller
	// (--main-lcore); -1 picks the lowest lcore id. Note that the zero
	// value 0 asks for lcore 0.
	MainLcore int
	// MemoryMB caps the memory of all arenas, in MiB (-m); 0 = no cap.
	MemoryMB int
	// NoHuge makes HugeAuto arenas use ordinary pages (--no-huge).
	NoHuge bool
	// HugeDir is kept for compatibility (--huge-dir); dpkit maps
	// hugepages with MAP_HUGETLB / memfd and does not use hugetlbfs.
	HugeDir string
	// FilePrefix names this process's memfds (--file-prefix).
	FilePrefix string
	NoPCI      bool     // --no-pci; dpkit drives no PCI devices anyway
	Vdevs      []string // --vdev, in order: devargs for ethdev
	LogLevels  []string // --log-level, in order, uninterpreted
	ProcType   string   // --proc-type: "", "primary" or "auto" (secondary is not supported)
	// Notices are one-line messages about options accepted but ignored;
	// Init prints them (see SetLogOutput).
	Notices []string
}

// ErrHelp is returned by ParseArgs for -h/--help; the message holds Usage.
var ErrHelp = flag.ErrHelp

// Usage returns the list of EAL options.
func Usage() string {
	return `EAL options (before "--"):
  -l CORELIST          lcores = CPUs, e.g. 0-3 or 1,3-5 (lcore id = cpu id)
  -c COREMASK          the same as a hex mask, e.g. 0xf
  --lcores MAP         lcore to cpu map, e.g. 0@2,1@3 or (0-1)@2,2-3
  --main-lcore ID      main lcore (default: the first)
  -m MB                memory limit for all arenas
  --socket-mem MB,...  treated as -m with the sum (no NUMA placement)
  --no-huge            ordinary pages instead of hugepages
  --huge-dir DIR       accepted, unused (hugepages come from memfd/MAP_HUGETLB)
  --file-prefix NAME   prefix of memfd names
  --vdev DEVARGS       virtual device, repeatable
  --no-pci             accepted (no PCI devices)
  --log-level LEVEL    repeatable
  --proc-type TYPE     primary or auto (secondary is not supported)
  -n, -r, --single-file-segments, --in-memory, --iova-mode, ...
                       accepted and ignored with a notice
  -h, --help           this text`
}

type argOpt struct {
	hasArg bool
	apply  func(c *Config, p *argParser, name, v string) error
}

type argParser struct {
	cores   string // which of -l/-c/--lcores set the lcores
	memFrom string // -m or --socket-mem
	seen    map[string]bool
}

func ignored(why string) func(*Config, *argParser, string, string) error {
	return func(c *Config, _ *argParser, name, _ string) error {
		c.Notices = append(c.Notices, fmt.Sprintf("%s ignored: %s", name, why))
		return nil
	}
}

func accepted(*Config, *argParser, string, string) error { return nil }

var argOpts map[string]argOpt

func init() {
	setCores := func(c *Config, p *argParser, name, v string) error {
		if p.cores != "" {
			return fmt.Errorf("lcores already given by %s", p.cores)
		}
		p.cores = name
		var err error
		switch name {
		case "-l":
			c.Lcores, err = parseCoreList(v, MaxCPU, "cpu")
		case "-c":
			c.Lcores, err = parseCoreMask(v)
		default:
			c.LcoreMap, err = parseLcores(v)
		}
		if err != nil {
			return err
		}
		for _, id := range c.Lcores {
			if id >= MaxLcore {
				return fmt.Errorf("cpu %d cannot be lcore %d (lcore ids stop at %d): use --lcores, e.g. 1@%d", id, id, MaxLcore-1, id)
			}
		}
		return nil
	}
	positive := func(v string) (int, error) {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n <= 0 || n > 1<<30 {
			return 0, fmt.Errorf("want a positive number")
		}
		return n, nil
	}
	setMem := func(c *Config, p *argParser, name, v string) error {
		if p.memFrom != "" {
			return fmt.Errorf("memory already given by %s", p.memFrom)
		}
		p.memFrom = name
		if name == "-m" {
			n, err := positive(v)
			c.MemoryMB = n
			return err
		}
		total := 0
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 0 || n > 1<<30 {
				return fmt.Errorf("bad size %q", f)
			}
			total += n
		}
		if total == 0 {
			return fmt.Errorf("total size is 0")
		}
		c.MemoryMB = total
		c.Notices = append(c.Notices, fmt.Sprintf("%s: no NUMA placement; treated as -m %d", name, total))
		return nil
	}
	mainLcore := func(c *Config, _ *argParser, name, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 || n >= MaxLcore {
			return fmt.Errorf("want an lcore id 0..%d", MaxLcore-1)
		}
		c.MainLcore = n
		return nil
	}
	countArg := func(why string) func(*Config, *argParser, string, string) error {
		return func(c *Config, p *argParser, name, v string) error {
			if _, err := positive(v); err != nil {
				return err
			}
			return ignored(why)(c, p, name, v)
		}
	}
	noPCI := ignored("dpkit drives no PCI devices; use --vdev")
	argOpts = map[string]argOpt{
		"-l":             {true, setCores},
		"-c":             {true, setCores},
		"--lcores":       {true, setCores},
		"--main-lcore":   {true, mainLcore},
		"--master-lcore": {true, mainLcore},
		"-m":             {true, setMem},
		"--socket-mem":   {true, setMem},
		"--no-huge": {false, func(c *Config, _ *argParser, _, _ string) error {
			c.NoHuge = true
			return nil
		}},
		"--huge-dir": {true, func(c *Config, _ *argParser, name, v string) error {
			if v == "" {
				return fmt.Errorf("empty directory")
			}
			c.HugeDir = v
			c.Notices = append(c.Notices, name+" ignored: hugepages come from memfd/MAP_HUGETLB, not hugetlbfs files")
			return nil
		}},
		"--file-prefix": {true, func(c *Config, _ *argParser, name, v string) error {
			if v == "" || strings.ContainsAny(v, "/\x00") {
				return fmt.Errorf("bad prefix")
			}
			c.FilePrefix = v
			return nil
		}},
		"--no-pci": {false, func(c *Config, _ *argParser, _, _ string) error {
			c.NoPCI = true
			return nil
		}},
		"-a":      {true, noPCI},
		"--allow": {true, noPCI},
		"-b":      {true, noPCI},
		"--block": {true, noPCI},
		"--vdev": {true, func(c *Config, _ *argParser, name, v string) error {
			if strings.TrimSpace(v) == "" {
				return fmt.Errorf("empty devargs")
			}
			c.Vdevs = append(c.Vdevs, v)
			return nil
		}},
		"--log-level": {true, func(c *Config, _ *argParser, name, v string) error {
			if strings.TrimSpace(v) == "" {
				return fmt.Errorf("empty level")
			}
			c.LogLevels = append(c.LogLevels, v)
			return nil
		}},
		"--proc-type": {true, func(c *Config, _ *argParser, name, v string) error {
			switch v {
			case "primary", "auto":
			case "secondary":
				return fmt.Errorf("secondary processes: %w", ErrNotSupported)
			default:
				return fmt.Errorf("want primary or auto")
			}
			c.ProcType = v
			return nil
		}},
		"-n":                     {true, countArg("memory channels do not apply")},
		"-r":                     {true, countArg("memory ranks do not apply")},
		"--single-file-segments": {false, ignored("memory is one mapping per arena")},
		"--legacy-mem":           {false, ignored("memory is one mapping per arena")},
		"--match-allocations":    {false, ignored("memory is one mapping per arena")},
		"--iova-mode":            {true, ignored("no IOVA: dpkit does no device DMA")},
		"--base-virtaddr":        {true, ignored("arenas go where the kernel maps them")},
		"--in-memory":            {false, accepted},
		"--no-shconf":            {false, accepted},
		"--huge-unlink":          {false, accepted},
		"--no-hpet":              {false, accepted},
		"--no-telemetry":         {false, ignored("telemetry is started by the application")},
		"-v":                     {false, ignored("no version banner")},
	}
}

// ParseArgs parses DPDK-style EAL options up to "--" and returns the
// Config and the arguments after "--" (the application's). args excludes
// the program name. Options take their value as the next argument, glued
// ("-l0-3") or, for long ones, after '=' ("--lcores=0@1"). An unknown
// option, a missing or malformed value, an option given twice where that
// makes no sense, or a non-option before "--" is an error naming it.
func ParseArgs(args []string) (Config, []string, error) {
	cfg := Config{MainLcore: -1}
	p := &argParser{seen: make(map[string]bool)}
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = slices.Clone(args[i+1:])
			break
		}
		if a == "-h" || a == "--help" {
			return Config{}, nil, fmt.Errorf("%w\n%s", ErrHelp, Usage())
		}
		name, val, hasVal := a, "", false
		switch {
		case strings.HasPrefix(a, "--"):
			name, val, hasVal = strings.Cut(a, "=")
		case len(a) > 2 && a[0] == '-':
			name, val, hasVal = a[:2], a[2:], true
		case len(a) == 2 && a[0] == '-' && a[1] != '-':
		default:
			return Config{}, nil, fmt.Errorf("eal: unexpected argument %q (EAL options end at \"--\")", a)
		}
		opt, ok := argOpts[name]
		if !ok {
			return Config{}, nil, fmt.Errorf("eal: unknown option %q", name)
		}
		if !opt.hasArg && hasVal {
			return Config{}, nil, fmt.Errorf("eal: option %s takes no value", name)
		}
		if opt.hasArg && !hasVal {
			if i+1 >= len(args) || args[i+1] == "--" {
				return Config{}, nil, fmt.Errorf("eal: option %s needs a value", name)
			}
			i++
			val = args[i]
		}
		if p.seen[name] && name != "--vdev" && name != "--log-level" {
			return Config{}, nil, fmt.Errorf("eal: option %s given twice", name)
		}
		p.seen[name] = true
		if err := opt.apply(&cfg, p, name, val); err != nil {
			if opt.hasArg {
				return Config{}, nil, fmt.Errorf("eal: %s %q: %w", name, val, err)
			}
			return Config{}, nil, fmt.Errorf("eal: %s: %w", name, err)
		}
	}
	if p.seen["--main-lcore"] && p.seen["--master-lcore"] {
		return Config{}, nil, fmt.Errorf("eal: --main-lcore and --master-lcore given together")
	}
	return cfg, rest, nil
}

// InitArgs is ParseArgs followed by Init; it returns the application's
// arguments (those after "--").
func InitArgs(args []string) ([]string, error) {
	cfg, rest, err := ParseArgs(args)
	if err != nil {
		return nil, err
	}
	if err := Init(cfg); err != nil {
		return nil, err
	}
	return rest, nil
}

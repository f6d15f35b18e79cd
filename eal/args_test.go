package eal

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	cfg, rest, err := ParseArgs([]string{
		"-l", "0-3", "--main-lcore=1", "-m", "512", "--no-huge", "--huge-dir", "/dev/hugepages",
		"--file-prefix=pg", "--no-pci", "--vdev", "net_memif0,role=server", "--vdev=net_null0",
		"--log-level", "8", "--log-level=lib.eal:debug", "--single-file-segments",
		"--proc-type", "primary", "-n", "4", "--in-memory",
		"--", "--forward-mode=io", "-i",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Lcores, []int{0, 1, 2, 3}) || cfg.MainLcore != 1 || cfg.MemoryMB != 512 ||
		!cfg.NoHuge || cfg.HugeDir != "/dev/hugepages" || cfg.FilePrefix != "pg" || !cfg.NoPCI ||
		!slices.Equal(cfg.Vdevs, []string{"net_memif0,role=server", "net_null0"}) ||
		!slices.Equal(cfg.LogLevels, []string{"8", "lib.eal:debug"}) || cfg.ProcType != "primary" {
		t.Errorf("cfg = %+v", cfg)
	}
	if !slices.Equal(rest, []string{"--forward-mode=io", "-i"}) {
		t.Errorf("rest = %q", rest)
	}
	// One notice each for --huge-dir, --single-file-segments and -n.
	if len(cfg.Notices) != 3 {
		t.Errorf("notices = %q, want 3", cfg.Notices)
	}
	for _, n := range cfg.Notices {
		if strings.Contains(n, "\n") {
			t.Errorf("notice %q is not one line", n)
		}
	}

	cases := []struct {
		args []string
		chk  func(Config) bool
	}{
		{nil, func(c Config) bool { return c.MainLcore == -1 && c.Lcores == nil && c.LcoreMap == nil }},
		{[]string{"-l0-1"}, func(c Config) bool { return slices.Equal(c.Lcores, []int{0, 1}) }},
		{[]string{"-c", "0x5"}, func(c Config) bool { return slices.Equal(c.Lcores, []int{0, 2}) }},
		{[]string{"-cf"}, func(c Config) bool { return slices.Equal(c.Lcores, []int{0, 1, 2, 3}) }},
		{[]string{"--lcores", "0@1,1@1"}, func(c Config) bool { return len(c.LcoreMap) == 2 && c.LcoreMap[1].CPUs[0] == 1 }},
		{[]string{"--lcores=(0-1)@0"}, func(c Config) bool { return len(c.LcoreMap) == 2 }},
		{[]string{"--socket-mem", "256,256"}, func(c Config) bool { return c.MemoryMB == 512 && len(c.Notices) == 1 }},
		{[]string{"--master-lcore", "2"}, func(c Config) bool { return c.MainLcore == 2 }},
		{[]string{"-a", "0000:01:00.0", "-b", "0000:02:00.0"}, func(c Config) bool { return len(c.Notices) == 2 }},
		{[]string{"--"}, func(c Config) bool { return true }},
	}
	for _, tc := range cases {
		c, _, err := ParseArgs(tc.args)
		if err != nil || !tc.chk(c) {
			t.Errorf("ParseArgs(%q) = %+v, %v", tc.args, c, err)
		}
	}
	if _, rest, _ := ParseArgs([]string{"-l", "0", "--"}); rest == nil || len(rest) != 0 {
		t.Errorf("rest after a final -- = %#v, want empty", rest)
	}
}

func TestParseArgsErrors(t *testing.T) {
	bad := []struct {
		args   []string
		errHas string
	}{
		{[]string{"--bogus"}, `unknown option "--bogus"`},
		{[]string{"-x"}, `unknown option "-x"`},
		{[]string{"-x1"}, `unknown option "-x"`},
		{[]string{"--bogus=1"}, `unknown option "--bogus"`},
		{[]string{"prog", "-l", "0"}, `unexpected argument "prog"`},
		{[]string{""}, `unexpected argument ""`},
		{[]string{"-"}, `unexpected argument "-"`},
		{[]string{"-l"}, "-l needs a value"},
		{[]string{"-l", "--"}, "-l needs a value"},
		{[]string{"--lcores"}, "--lcores needs a value"},
		{[]string{"-l", "3-1"}, "descending"},
		{[]string{"-l", "0,a"}, `"a"`},
		{[]string{"-l", "200"}, "cpu 200 cannot be lcore 200"},
		{[]string{"-l", "0", "-l", "1"}, "-l given twice"},
		{[]string{"-l", "0", "-c", "1"}, "lcores already given by -l"},
		{[]string{"-c", "1", "--lcores", "0@0"}, "lcores already given by -c"},
		{[]string{"-c", "0"}, "no cpu set"},
		{[]string{"--lcores", "0@"}, "missing cpu set"},
		{[]string{"--main-lcore", "x"}, "want an lcore id"},
		{[]string{"--main-lcore", "128"}, "want an lcore id"},
		{[]string{"--main-lcore", "1", "--master-lcore", "1"}, "together"},
		{[]string{"-m", "0"}, "positive"},
		{[]string{"-m", "-5"}, "positive"},
		{[]string{"-m", "lots"}, "positive"},
		{[]string{"-m", "1", "--socket-mem", "1"}, "memory already given by -m"},
		{[]string{"--socket-mem", "1,x"}, "bad size"},
		{[]string{"--no-huge=1"}, "--no-huge takes no value"},
		{[]string{"--file-prefix", "a/b"}, "bad prefix"},
		{[]string{"--vdev", ""}, "empty devargs"},
		{[]string{"--proc-type", "secondary"}, "not supported"},
		{[]string{"--proc-type", "tertiary"}, "primary or auto"},
		{[]string{"-n", "zero"}, "positive"},
		{[]string{"--huge-dir="}, "empty directory"},
	}
	for _, tc := range bad {
		c, rest, err := ParseArgs(tc.args)
		if err == nil {
			t.Errorf("ParseArgs(%q) = %+v, %q; want error", tc.args, c, rest)
			continue
		}
		if !strings.Contains(err.Error(), tc.errHas) {
			t.Errorf("ParseArgs(%q) error %q does not mention %q", tc.args, err, tc.errHas)
		}
	}
	if _, _, err := ParseArgs([]string{"--proc-type", "secondary"}); !errors.Is(err, ErrNotSupported) {
		t.Errorf("secondary: %v, want ErrNotSupported", err)
	}
	if _, _, err := ParseArgs([]string{"-h"}); !errors.Is(err, ErrHelp) || !strings.Contains(err.Error(), "--lcores") {
		t.Errorf("-h: %v, want ErrHelp with the usage", err)
	}
}

func FuzzParseArgs(f *testing.F) {
	for _, s := range []string{
		"-l 0-3 -- -i", "--lcores=(0-1)@0 -m 64", "-c 0xf --main-lcore 2", "--vdev net_null0 --vdev net_null1",
		"-l", "--no-huge=1", "-m -1 --", "--socket-mem 1,2,3", "-n4 --proc-type auto --", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Fields(s)
		cfg, rest, err := ParseArgs(args)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "eal: ") && !errors.Is(err, ErrHelp) {
				t.Fatalf("ParseArgs(%q): error %q lacks the eal prefix", args, err)
			}
			return
		}
		if len(cfg.Lcores) > 0 && len(cfg.LcoreMap) > 0 {
			t.Fatalf("ParseArgs(%q): both Lcores and LcoreMap", args)
		}
		for _, c := range cfg.Lcores {
			if c < 0 || c >= MaxLcore {
				t.Fatalf("ParseArgs(%q): lcore %d out of range", args, c)
			}
		}
		if cfg.MainLcore < -1 || cfg.MainLcore >= MaxLcore || cfg.MemoryMB < 0 {
			t.Fatalf("ParseArgs(%q): bad cfg %+v", args, cfg)
		}
		if i := slices.Index(args, "--"); i >= 0 && !slices.Equal(rest, args[i+1:]) {
			t.Fatalf("ParseArgs(%q): rest %q", args, rest)
		}
	})
}

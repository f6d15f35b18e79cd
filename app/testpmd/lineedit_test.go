package testpmd

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

func editorLines(t *testing.T, input string, complete func(string) []string) ([]string, *lineEditor, string) {
	t.Helper()
	var out bytes.Buffer
	e := newLineEditor(strings.NewReader(input), &out, complete)
	var lines []string
	for {
		l, err := e.ReadLine("testpmd> ")
		if errors.Is(err, errInterrupt) {
			lines = append(lines, "<^C>")
			continue
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	return lines, e, out.String()
}

func TestLineEditorKeys(t *testing.T) {
	for _, c := range []struct {
		name, in, want string
	}{
		{"plain", "start\r", "start"},
		{"backspace", "stop\x7f\x7fart\r", "start"},
		{"left insert", "sart\x1b[D\x1b[D\x1b[Dt\r", "start"},
		{"home end", "tart\x01s\x05 x\r", "start x"},
		{"ctrl-b ctrl-f", "ac\x02b\x06d\r", "abcd"},
		{"delete key", "abxc\x1b[D\x1b[D\x1b[3~\r", "abc"},
		{"ctrl-d deletes", "abxc\x02\x02\x04\r", "abc"},
		{"kill to end", "show port\x01\x06\x06\x06\x06\x0b\r", "show"},
		{"kill to start", "xxx show\x1b[D\x1b[D\x1b[D\x1b[D\x15\r", "show"},
		{"ctrl-w", "show port stats\x17info\r", "show port info"},
		{"home end keys", "bc\x1b[Ha\x1b[Fd\r", "abcd"},
		{"home end ~", "bc\x1b[1~a\x1b[4~d\r", "abcd"},
		{"modified arrows", "ac\x1b[1;5Db\x1b[1;5Cd\r", "abcd"},
		{"unknown sequence", "ab\x1b[2;3Xc\r", "abc"},
		{"control chars dropped", "st\x00\x07art\r", "start"},
		{"utf-8", "set peer é\r", "set peer é"},
		{"last line without newline", "quit", "quit"},
	} {
		lines, _, _ := editorLines(t, c.in, nil)
		if len(lines) != 1 || lines[0] != c.want {
			t.Errorf("%s: got %q, want %q", c.name, lines, c.want)
		}
	}
}

func TestLineEditorHistory(t *testing.T) {
	in := "first\rsecond\rsecond\r\x1b[A\x1b[A\r\x1b[A\x1b[B\r\x10\x10\x10\x0e\r"
	lines, e, _ := editorLines(t, in, nil)
	// Up twice: "first"; up then down: back to the empty line; Ctrl-P x3
	// then Ctrl-N: the oldest stops, then one newer.
	want := []string{"first", "second", "second", "first", "", "second"}
	if !slices.Equal(lines, want) {
		t.Errorf("got %q, want %q", lines, want)
	}
	if !slices.Equal(e.history, []string{"first", "second", "first", "second"}) {
		t.Errorf("history %q", e.history)
	}
}

func TestLineEditorCtrlCAndEOF(t *testing.T) {
	lines, _, out := editorLines(t, "sta\x03stop\r\x04", nil)
	if !slices.Equal(lines, []string{"<^C>", "stop"}) {
		t.Errorf("got %q", lines)
	}
	if !strings.Contains(out, "^C") {
		t.Errorf("no ^C echo in %q", out)
	}
}

// Completion on the real command table.
func TestCompletion(t *testing.T) {
	a := &App{ports: []*port{{id: 0}, {id: 1}}}
	for _, c := range []struct {
		line string
		want []string
	}{
		{"", nil}, // every first word; checked below
		{"sh", []string{"show"}},
		{"show ", []string{"config", "fwd", "port"}},
		{"show port ", []string{"info", "stats", "summary", "xstats"}},
		{"show port stats ", []string{"0", "1", "all"}},
		{"set fwd ", EngineNames()},
		{"set fwd mac", []string{"mac", "macswap"}},
		{"set promisc all o", []string{"off", "on"}},
		{"start ", []string{"tx_first"}},
		{"nosuch ", nil},
	} {
		got := a.completions(c.line)
		if c.line == "" {
			for _, w := range []string{"start", "stop", "show", "set", "port", "quit", "help", "clear", "csum"} {
				if !slices.Contains(got, w) {
					t.Errorf("first words %q lack %q", got, w)
				}
			}
			continue
		}
		want := slices.Clone(c.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%q: got %q, want %q", c.line, got, want)
		}
	}
	// The editor: one candidate completes with a space, several their
	// common prefix, and a second Tab lists them.
	lines, _, _ := editorLines(t, "sh\tpo\tst\t\t\r", a.completions)
	if !slices.Equal(lines, []string{"show port stats "}) {
		t.Errorf("tab completion gave %q", lines)
	}
	lines, _, out := editorLines(t, "show port \t\t\r", a.completions)
	if !strings.Contains(out, "info  stats  summary  xstats") || !slices.Equal(lines, []string{"show port "}) {
		t.Errorf("second tab: %q, output %q", lines, out)
	}
}

func TestPipeReaderEchoes(t *testing.T) {
	var out bytes.Buffer
	r := newPipeReader(strings.NewReader("start\r\nstop"), &out)
	for _, want := range []string{"start", "stop"} {
		l, err := r.ReadLine("testpmd> ")
		if err != nil || l != want {
			t.Fatalf("got %q, %v; want %q", l, err, want)
		}
	}
	if _, err := r.ReadLine("testpmd> "); err != io.EOF {
		t.Errorf("end: %v", err)
	}
	if out.String() != "testpmd> start\r\ntestpmd> stop\r\ntestpmd> \n" {
		t.Errorf("transcript %q", out.String())
	}
}

package testpmd

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// LineReader reads the shell's command lines.
type LineReader interface {
	// ReadLine shows prompt and returns the next line without its end;
	// io.EOF at the end of the input.
	ReadLine(prompt string) (string, error)
}

// pipeReader reads lines from a pipe or a file. Like DPDK's testpmd on a
// pipe it writes the prompt and then the line it read, so that a
// transcript reads as a session ("testpmd> show port stats all\r\n", the
// line end DPDK's echo has).
type pipeReader struct {
	r *bufio.Reader
	w io.Writer
}

func newPipeReader(r io.Reader, w io.Writer) *pipeReader {
	return &pipeReader{r: bufio.NewReader(r), w: w}
}

func (p *pipeReader) ReadLine(prompt string) (string, error) {
	fmt.Fprint(p.w, prompt)
	line, err := p.r.ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		if err == io.EOF {
			fmt.Fprintln(p.w)
		}
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	fmt.Fprint(p.w, line, "\r\n") // DPDK's cmdline echoes "\r\n" too
	return line, nil
}

// lineEditor is a small line editor for a terminal in raw mode: cursor
// movement (arrows, Home/End, Ctrl-A/E/B/F), deletion (Backspace, Delete,
// Ctrl-D/K/U/W), history (Up/Down, Ctrl-P/N) and Tab completion (one match
// completes, several complete their common prefix and a second Tab lists
// them). It reads bytes from in and writes the display to out; raw mode
// itself is set by rawTerminal.
type lineEditor struct {
	in       *bufio.Reader
	out      io.Writer
	complete func(line string) []string // candidates for the last word
	history  []string
	maxHist  int
}

func newLineEditor(in io.Reader, out io.Writer, complete func(string) []string) *lineEditor {
	return &lineEditor{in: bufio.NewReader(in), out: out, complete: complete, maxHist: 500}
}

// errInterrupt is returned when the user types Ctrl-C with the terminal's
// signals off; the shell treats it as a cleared line.
var errInterrupt = errors.New("interrupt")

func (e *lineEditor) ReadLine(prompt string) (string, error) {
	var buf []rune
	pos := 0
	hidx := len(e.history)
	saved := ""
	lastTab := false
	redraw := func() {
		tail := len(buf) - pos
		s := "\r" + prompt + string(buf) + "\x1b[K"
		if tail > 0 {
			s += fmt.Sprintf("\x1b[%dD", tail)
		}
		io.WriteString(e.out, s)
	}
	setLine := func(s string) {
		buf = []rune(s)
		pos = len(buf)
		redraw()
	}
	io.WriteString(e.out, prompt)
	for {
		r, _, err := e.in.ReadRune()
		if err != nil {
			if err == io.EOF && len(buf) > 0 {
				io.WriteString(e.out, "\n")
				return e.accept(string(buf)), nil
			}
			return "", err
		}
		tab := false
		switch r {
		case '\r', '\n':
			io.WriteString(e.out, "\n")
			return e.accept(string(buf)), nil
		case 1: // Ctrl-A
			pos = 0
			redraw()
		case 5: // Ctrl-E
			pos = len(buf)
			redraw()
		case 2: // Ctrl-B
			if pos > 0 {
				pos--
				redraw()
			}
		case 6: // Ctrl-F
			if pos < len(buf) {
				pos++
				redraw()
			}
		case 3: // Ctrl-C
			io.WriteString(e.out, "^C\n")
			return "", errInterrupt
		case 4: // Ctrl-D: EOF on an empty line, else delete under the cursor
			if len(buf) == 0 {
				io.WriteString(e.out, "\n")
				return "", io.EOF
			}
			if pos < len(buf) {
				buf = append(buf[:pos], buf[pos+1:]...)
				redraw()
			}
		case 0x7f, 8: // Backspace
			if pos > 0 {
				buf = append(buf[:pos-1], buf[pos:]...)
				pos--
				redraw()
			}
		case 11: // Ctrl-K
			buf = buf[:pos]
			redraw()
		case 21: // Ctrl-U
			buf = append(buf[:0], buf[pos:]...)
			pos = 0
			redraw()
		case 23: // Ctrl-W
			i := pos
			for i > 0 && buf[i-1] == ' ' {
				i--
			}
			for i > 0 && buf[i-1] != ' ' {
				i--
			}
			buf = append(buf[:i], buf[pos:]...)
			pos = i
			redraw()
		case 12: // Ctrl-L
			io.WriteString(e.out, "\x1b[2J\x1b[H")
			redraw()
		case 16, 14: // Ctrl-P, Ctrl-N
			hidx, saved = e.histMove(r == 16, hidx, saved, string(buf), setLine)
		case '\t':
			tab = true
			buf, pos = e.tab(prompt, buf, pos, lastTab)
			redraw()
		case 0x1b:
			key := e.escape()
			switch key {
			case 'A', 'B':
				hidx, saved = e.histMove(key == 'A', hidx, saved, string(buf), setLine)
			case 'C':
				if pos < len(buf) {
					pos++
					redraw()
				}
			case 'D':
				if pos > 0 {
					pos--
					redraw()
				}
			case 'H':
				pos = 0
				redraw()
			case 'F':
				pos = len(buf)
				redraw()
			case '3': // Delete
				if pos < len(buf) {
					buf = append(buf[:pos], buf[pos+1:]...)
					redraw()
				}
			}
		default:
			if r < 0x20 || r == utf8.RuneError {
				break
			}
			buf = append(buf[:pos], append([]rune{r}, buf[pos:]...)...)
			pos++
			redraw()
		}
		lastTab = tab
	}
}

// escape reads the rest of an escape sequence and names its key: A B C D
// (arrows), H F (Home, End), '3' (Delete), 0 for anything else.
func (e *lineEditor) escape() byte {
	b, err := e.in.ReadByte()
	if err != nil || (b != '[' && b != 'O') {
		return 0
	}
	c, err := e.in.ReadByte()
	if err != nil {
		return 0
	}
	switch {
	case c >= '0' && c <= '9':
		// "ESC [ n ~" (Home, End, Delete) or "ESC [ 1 ; mod X" (a
		// modified arrow: taken as the plain one).
		num := c
		for {
			d, err := e.in.ReadByte()
			if err != nil || d == '~' {
				break
			}
			if (d >= 'A' && d <= 'D') || d == 'H' || d == 'F' {
				return d
			}
			if (d < '0' || d > '9') && d != ';' {
				return 0
			}
		}
		switch num {
		case '1', '7':
			return 'H'
		case '4', '8':
			return 'F'
		case '3':
			return '3'
		}
		return 0
	default:
		return c
	}
}

func (e *lineEditor) histMove(up bool, hidx int, saved, cur string, set func(string)) (int, string) {
	if len(e.history) == 0 {
		return hidx, saved
	}
	if hidx == len(e.history) {
		saved = cur
	}
	if up && hidx > 0 {
		hidx--
	} else if !up && hidx < len(e.history) {
		hidx++
	} else {
		return hidx, saved
	}
	if hidx == len(e.history) {
		set(saved)
	} else {
		set(e.history[hidx])
	}
	return hidx, saved
}

// tab completes the word before the cursor.
func (e *lineEditor) tab(prompt string, buf []rune, pos int, listAll bool) ([]rune, int) {
	if e.complete == nil {
		return buf, pos
	}
	head := string(buf[:pos])
	cands := e.complete(head)
	if len(cands) == 0 {
		return buf, pos
	}
	word := head[strings.LastIndexByte(head, ' ')+1:]
	common := cands[0]
	for _, c := range cands[1:] {
		for !strings.HasPrefix(c, common) {
			common = common[:len(common)-1]
		}
	}
	add := strings.TrimPrefix(common, word)
	if len(cands) == 1 {
		add += " "
	}
	if add == "" && listAll {
		io.WriteString(e.out, "\n"+strings.Join(cands, "  ")+"\n")
	}
	ins := []rune(add)
	buf = append(buf[:pos], append(ins, buf[pos:]...)...)
	return buf, pos + len(ins)
}

// accept adds a non-empty line to the history (not twice in a row).
func (e *lineEditor) accept(line string) string {
	if strings.TrimSpace(line) != "" && (len(e.history) == 0 || e.history[len(e.history)-1] != line) {
		e.history = append(e.history, line)
		if len(e.history) > e.maxHist {
			e.history = e.history[1:]
		}
	}
	return line
}

// rawTerminal puts the terminal f in raw input mode (no line buffering, no
// echo; signals stay on, so Ctrl-C is SIGINT as in DPDK's testpmd) and
// returns the function that restores it. ok is false if f is not a
// terminal.
func rawTerminal(f *os.File) (restore func(), ok bool) {
	fd := int(f.Fd())
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil, false
	}
	raw := *old
	raw.Lflag &^= unix.ICANON | unix.ECHO | unix.IEXTEN
	raw.Iflag &^= unix.ICRNL | unix.IXON
	raw.Cc[unix.VMIN] = 1
	raw.Cc[unix.VTIME] = 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &raw); err != nil {
		return nil, false
	}
	return func() { _ = unix.IoctlSetTermios(fd, unix.TCSETS, old) }, true
}

// isTerminal reports whether r is a terminal.
func isTerminal(r io.Reader) (*os.File, bool) {
	f, ok := r.(*os.File)
	if !ok {
		return nil, false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return f, err == nil
}

package lang

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Error is a positioned diagnostic.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// ErrorList collects several diagnostics of one source text; its Error()
// renders each as `file:line:col: msg`, the source line and a caret.
type ErrorList struct {
	Src    string
	Errors []*Error
}

func (l *ErrorList) add(pos Pos, format string, args ...any) {
	l.Errors = append(l.Errors, &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// Err returns nil when the list is empty, so callers can `return l.Err()`.
func (l *ErrorList) Err() error {
	if l == nil || len(l.Errors) == 0 {
		return nil
	}
	sort.SliceStable(l.Errors, func(i, j int) bool {
		a, b := l.Errors[i].Pos, l.Errors[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return l
}

// maxShown is how many diagnostics Error renders; a huge input can have
// thousands, and one screenful says what is wrong.
const maxShown = 20

func (l *ErrorList) Error() string {
	var b strings.Builder
	lines := strings.Split(l.Src, "\n")
	for i, e := range l.Errors {
		if i == maxShown {
			fmt.Fprintf(&b, "\n(and %d more errors)", len(l.Errors)-i)
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
		if line, col, ok := sourceLine(lines, e.Pos); ok {
			b.WriteString("\n    ")
			b.WriteString(line)
			b.WriteString("\n    ")
			b.WriteString(caretPad(line, col))
			b.WriteByte('^')
		}
	}
	return b.String()
}

// window is how many bytes of a long source line are shown around the
// caret.
const window = 100

// sourceLine is the line of pos to show under a diagnostic and the caret's
// column in it: a long line is cut to a window around the column, and a
// line holding control characters or invalid UTF-8 (a binary file) is not
// shown at all.
func sourceLine(lines []string, pos Pos) (string, int, bool) {
	if pos.Line < 1 || pos.Line > len(lines) {
		return "", 0, false
	}
	line := strings.TrimRight(lines[pos.Line-1], "\r")
	col := pos.Col
	if len(line) > window {
		start := max(0, min(col-1-window/2, len(line)-window))
		for start > 0 && !utf8.RuneStart(line[start]) {
			start--
		}
		end := min(len(line), start+window)
		for end < len(line) && !utf8.RuneStart(line[end]) {
			end++
		}
		cut := line[start:end]
		col -= start
		if start > 0 {
			cut, col = "…"+cut, col+len("…")
		}
		if end < len(line) {
			cut += "…"
		}
		line = cut
	}
	if !printable(line) {
		return "", 0, false
	}
	return line, col, true
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r != '\t' && (unicode.IsControl(r) || r == utf8.RuneError) {
			return false
		}
	}
	return true
}

// caretPad keeps tabs so the caret lines up under the column (a byte
// offset) in a terminal; other characters take one column each.
func caretPad(line string, col int) string {
	var b strings.Builder
	for i, r := range line {
		if i >= col-1 {
			break
		}
		if r == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

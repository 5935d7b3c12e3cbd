package lang

import (
	"fmt"
	"sort"
	"strings"
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

func (l *ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l.Errors {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
		if line, ok := sourceLine(l.Src, e.Pos.Line); ok {
			b.WriteString("\n    ")
			b.WriteString(line)
			b.WriteString("\n    ")
			b.WriteString(caretPad(line, e.Pos.Col))
			b.WriteByte('^')
		}
	}
	return b.String()
}

func sourceLine(src string, line int) (string, bool) {
	if line < 1 {
		return "", false
	}
	lines := strings.Split(src, "\n")
	if line > len(lines) {
		return "", false
	}
	return strings.TrimRight(lines[line-1], "\r"), true
}

// caretPad keeps tabs so the caret lines up under the column in a terminal.
func caretPad(line string, col int) string {
	var b strings.Builder
	for i := 0; i < col-1 && i < len(line); i++ {
		if line[i] == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

package lang

import (
	"strings"
	"unicode/utf8"
)

// Limits on one source text (a script, an expression, a rules file). scan
// checks them in one linear pass before the recursive parser runs, so that
// no input can exhaust the stack of the parser or of the passes that walk
// the tree afterwards (checker, printer, rewriter, compiler, evaluator,
// LaTeX), nor make them run for minutes.
const (
	// MaxDepth is how deeply brackets and unary minus may nest: a bracket,
	// or a run of unary minus together with the bracket it applies to,
	// is one level. Real formulas stay below 20, the search's below 10.
	MaxDepth = 256
	// MaxSourceBytes bounds the length of one source text, comments
	// included; a command can check a file's size against it before
	// reading it.
	MaxSourceBytes = 16 << 20
	// MaxTokens bounds the tokens of one source text. Every syntax node
	// takes at least one token, so it bounds the nodes of what parses.
	MaxTokens = 1 << 18
	// MaxNodes bounds the nodes of one expression however it was built
	// (inlining let bindings can multiply a script's nodes): InlineBounded
	// and interp.Compile refuse larger trees.
	MaxNodes = 1 << 18
)

// bom is the UTF-8 byte-order mark some editors put at the start of a file.
const bom = "\ufeff"

// opener is an open bracket waiting for its closer.
type opener struct {
	char   byte
	pos    Pos
	levels int // the bracket's level plus the unary minus run it closes
}

// scanner mirrors the participle lexer of grammar.go closely enough to
// count tokens, nesting and brackets, and to report what that lexer would
// mistake for something else (1e, 0x10) or reject without a position.
type scanner struct {
	file, src string
	i         int
	line, col int
	tokens    int
	stack     []opener
	depth     int  // levels of the open brackets
	run       int  // unary minus operators waiting for their operand
	operand   bool // the last token ends an operand (so '-' is binary)
	errs      *ErrorList
}

// scan checks src against the limits and its lexical structure; src has
// no byte-order mark. The error is an *ErrorList.
func scan(file, src string) error {
	s := &scanner{file: file, src: src, line: 1, col: 1, errs: &ErrorList{Src: src}}
	if len(src) > MaxSourceBytes {
		s.errs.add(s.pos(), "too large: %d bytes, more than %d (lang.MaxSourceBytes)", len(src), MaxSourceBytes)
		return s.errs.Err()
	}
	if s.binary() || s.tokensOK() {
		return s.errs.Err()
	}
	if len(s.stack) > 0 {
		o := s.stack[len(s.stack)-1]
		s.errs.add(o.pos, "syntax error: unclosed %q: no %q before the end of the input", o.char, closerOf(o.char))
	}
	return s.errs.Err()
}

// binary reports a NUL byte or invalid UTF-8: a binary file, whose bytes
// the error must not echo (ErrorList shows no such source line).
func (s *scanner) binary() bool {
	bad, what := len(s.src), ""
	if i := strings.IndexByte(s.src, 0); i >= 0 {
		bad, what = i, "a NUL byte"
	}
	for i, r := range s.src[:bad] {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s.src[i:]); n == 1 {
				bad, what = i, "invalid UTF-8"
				break
			}
		}
	}
	if what == "" {
		return false
	}
	s.advance(bad)
	s.errs.add(s.pos(), "not a text file: %s at byte offset %d (lpz sources are UTF-8 text)", what, bad)
	return true
}

func (s *scanner) pos() Pos { return Pos{File: s.file, Line: s.line, Col: s.col} }

// advance moves to byte offset to, keeping line and column.
func (s *scanner) advance(to int) {
	for ; s.i < to; s.i++ {
		if s.src[s.i] == '\n' {
			s.line, s.col = s.line+1, 1
		} else {
			s.col++
		}
	}
}

// tokensOK runs over the tokens; it reports true when it stopped at an
// error that makes the rest meaningless.
func (s *scanner) tokensOK() bool {
	for s.i < len(s.src) {
		c := s.src[s.i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			s.advance(s.i + 1)
			continue
		case c == '#':
			end := strings.IndexByte(s.src[s.i:], '\n')
			if end < 0 {
				end = len(s.src) - s.i
			}
			s.advance(s.i + end)
			continue
		}
		s.tokens++
		if s.tokens > MaxTokens {
			s.errs.add(s.pos(), "too large: more than %d tokens (lang.MaxTokens)", MaxTokens)
			return true
		}
		if stop := s.token(c); stop {
			return true
		}
	}
	return false
}

// token consumes one token starting with c.
func (s *scanner) token(c byte) (stop bool) {
	switch {
	case isDigit(c) || c == '.' && s.i+1 < len(s.src) && isDigit(s.src[s.i+1]):
		return s.number()
	case isIdentStart(c):
		start := s.i
		s.advance(s.i + identLen(s.src[s.i:]))
		if keywords[s.src[start:s.i]] {
			s.run, s.operand = 0, false
		} else {
			s.operand = true // a call's '(' takes over the minus run
		}
		return false
	case c == '-' && strings.HasPrefix(s.src[s.i:], "->"):
		s.advance(s.i + 2)
		s.run, s.operand = 0, false
		return false
	case c == '-' && !s.operand:
		s.run++
		if s.depth+s.run > MaxDepth {
			s.errs.add(s.pos(), "nested too deeply: more than %d levels of brackets and unary minus (lang.MaxDepth)", MaxDepth)
			return true
		}
		s.advance(s.i + 1)
		return false
	case c == '(' || c == '[':
		return s.open(c)
	case c == ')' || c == ']':
		return s.close(c)
	case strings.IndexByte("+-*/,=;:", c) >= 0:
		s.advance(s.i + 1)
		s.run, s.operand = 0, false
		return false
	}
	r, _ := utf8.DecodeRuneInString(s.src[s.i:])
	s.errs.add(s.pos(), "syntax error: unexpected character %q", r)
	return true
}

func (s *scanner) open(c byte) bool {
	levels := max(s.run, 1)
	if s.depth+levels > MaxDepth {
		s.errs.add(s.pos(), "nested too deeply: more than %d levels of brackets and unary minus (lang.MaxDepth)", MaxDepth)
		return true
	}
	s.stack = append(s.stack, opener{char: c, pos: s.pos(), levels: levels})
	s.depth += levels
	s.run, s.operand = 0, false
	s.advance(s.i + 1)
	return false
}

func (s *scanner) close(c byte) bool {
	if len(s.stack) == 0 {
		s.errs.add(s.pos(), "syntax error: unmatched %q", c)
		return true
	}
	o := s.stack[len(s.stack)-1]
	if closerOf(o.char) != c {
		s.errs.add(s.pos(), "syntax error: %q does not close the %q at %d:%d", c, o.char, o.pos.Line, o.pos.Col)
		return true
	}
	s.stack = s.stack[:len(s.stack)-1]
	s.depth -= o.levels
	s.run, s.operand = 0, true
	s.advance(s.i + 1)
	return false
}

// number consumes a number as grammar.go's Number pattern does and rejects
// one run together with letters, digits or dots (1e, 0x10, 1..2), which
// that lexer would split into two tokens and the parser then misreport.
func (s *scanner) number() bool {
	rest := s.src[s.i:]
	n := numberLen(rest)
	if n < len(rest) && (isIdentStart(rest[n]) || isDigit(rest[n]) || rest[n] == '.') {
		bad := n
		for bad < len(rest) && (isIdentStart(rest[bad]) || isDigit(rest[bad]) || rest[bad] == '.') {
			bad++
		}
		if bad < len(rest) && (rest[bad] == '+' || rest[bad] == '-') && (rest[bad-1] == 'e' || rest[bad-1] == 'E') {
			bad++
		}
		s.errs.add(s.pos(), "syntax error: malformed number %q%s", rest[:bad], numberHint(rest[:bad]))
		return true
	}
	s.advance(s.i + n)
	s.run, s.operand = 0, true
	return false
}

func numberHint(text string) string {
	switch last := text[len(text)-1]; {
	case len(text) > 1 && text[0] == '0' && strings.ContainsRune("xXbBoO", rune(text[1])):
		return ": numbers are decimal"
	case last == 'e' || last == 'E' || last == '+' || last == '-':
		return ": the exponent needs digits, as in 1e-3"
	}
	return ""
}

// numberLen is the length of the match of (?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?
// at the start of s.
func numberLen(s string) int {
	n := digits(s, 0)
	if n > 0 {
		if n < len(s) && s[n] == '.' {
			n = digits(s, n+1)
		}
	} else {
		n = digits(s, 1) // s starts with '.' and a digit
	}
	if n < len(s) && (s[n] == 'e' || s[n] == 'E') {
		m := n + 1
		if m < len(s) && (s[m] == '+' || s[m] == '-') {
			m++
		}
		if e := digits(s, m); e > m {
			n = e
		}
	}
	return n
}

func digits(s string, from int) int {
	for from < len(s) && isDigit(s[from]) {
		from++
	}
	return from
}

// identLen is the length of the match of
// [A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)* at the start of s.
func identLen(s string) int {
	n := 0
	for {
		n++
		for n < len(s) && (isIdentStart(s[n]) || isDigit(s[n])) {
			n++
		}
		if n+1 < len(s) && s[n] == '.' && isIdentStart(s[n+1]) {
			n++
			continue
		}
		return n
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func closerOf(c byte) byte {
	if c == '(' {
		return ')'
	}
	return ']'
}

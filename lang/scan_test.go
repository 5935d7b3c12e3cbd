package lang_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"lpz/lang"
	"lpz/stdlib"
)

// nested wraps inner in n levels of open ... close.
func nested(n int, open, inner, close string) string {
	return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
}

// TestScanErrors: input the recursive parser must never see, or that its
// lexer would misreport, gets a positioned error of its own.
func TestScanErrors(t *testing.T) {
	deep := lang.MaxDepth + 1
	cases := []struct {
		name, src, want string
	}{
		{"200k parens", nested(200000, "(", "1", ")"), "f:1:257: nested too deeply: more than 256 levels"},
		{"250k sq(", nested(250000, "sq(", "A", ")"), "f:1:771: nested too deeply"},
		{"1M unclosed", strings.Repeat("(", 1000000), "f:1:257: nested too deeply"},
		{"brackets one over", nested(deep, "[", "1", "]"), "f:1:257: nested too deeply"},
		{"unary minus run", strings.Repeat("-", deep) + "a", "f:1:257: nested too deeply"},
		{"minus and parens", nested(deep, "-(", "a", ")"), "f:1:513: nested too deeply"},
		{"deep on line 3", "let a = 1\n\nprint " + nested(deep, "(", "a", ")"), "f:3:263: nested too deeply"},
		{"1e", "1e", "f:1:1: syntax error: malformed number \"1e\": the exponent needs digits, as in 1e-3"},
		{"1e+", "2 * 1e+ 3", "f:1:5: syntax error: malformed number \"1e+\": the exponent needs digits"},
		{"0x10", "0x10", "f:1:1: syntax error: malformed number \"0x10\": numbers are decimal"},
		{"1..2", "1..2", "f:1:1: syntax error: malformed number \"1..2\""},
		{"2x", "a + 2x", "f:1:5: syntax error: malformed number \"2x\""},
		{"unclosed on line 6", "let a = 1\n\n\n\n\nprint (a + 2\n", "f:6:7: syntax error: unclosed '(': no ')' before the end of the input"},
		{"innermost unclosed", "sum(fro(A) + [1, 2", "f:1:14: syntax error: unclosed '['"},
		{"unmatched", "sum(A))", "f:1:7: syntax error: unmatched ')'"},
		{"mismatched", "sum(A]", "f:1:6: syntax error: ']' does not close the '(' at 1:4"},
		{"character", "a $ b", "f:1:3: syntax error: unexpected character '$'"},
		{"lone dot", "a . b", "f:1:3: syntax error: unexpected character '.'"},
		{"BOM inside", "a + \ufeffb", "f:1:5: syntax error: unexpected character '\\ufeff'"},
		{"NUL", "print 1\nprint\x00 2", "f:2:6: not a text file: a NUL byte at byte offset 13"},
		{"invalid UTF-8", "\x7fELF\xff\xfe", "f:1:5: not a text file: invalid UTF-8 at byte offset 4"},
		{"tokens", strings.Repeat("1+", lang.MaxTokens/2) + "1", "f:1:262145: too large: more than 262144 tokens (lang.MaxTokens)"},
	}
	for _, c := range cases {
		_, err := lang.Parse("f", c.src)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: got %.300v, want prefix %q", c.name, err, c.want)
		}
	}
}

// TestParseExprScans: the single-expression entry point refuses the same
// input with the same positions.
func TestParseExprScans(t *testing.T) {
	for src, want := range map[string]string{
		"1e":                           "g:1:1: syntax error: malformed number",
		nested(300, "(", "1", ")"):     "g:1:257: nested too deeply",
		"sum(\n\n":                     "g:1:4: syntax error: unclosed '('",
		"\ufeffsum(A":                  "g:1:4: syntax error: unclosed '('",
		"fro(A) +\x01":                 "g:1:9: syntax error: unexpected character '\\x01'",
		strings.Repeat("-", 300) + "a": "g:1:257: nested too deeply",
	} {
		_, err := lang.ParseExprFile("g", src)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%.40q: got %.200v, want prefix %q", src, err, want)
		}
	}
}

// TestErrorDisplay: the source line under a diagnostic is cut around the
// caret when long, left out when it is not text, and a flood of errors is
// cut short.
func TestErrorDisplay(t *testing.T) {
	_, err := lang.Parse("f", "\x7fELF\x00\x01\x02 binary")
	if got := err.Error(); strings.Contains(got, "ELF") || strings.Contains(got, "\n") {
		t.Errorf("a binary file's bytes are echoed:\n%q", got)
	}
	long := strings.Repeat("a + ", 500) + "$"
	_, err = lang.Parse("f", long)
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 3 || utf8.RuneCountInString(lines[1]) > 110 || utf8.RuneCountInString(lines[1][:strings.Index(lines[1], "$")]) != strings.Index(lines[2], "^") {
		t.Errorf("long line not cut around the caret:\n%s", err)
	}
	src := strings.Repeat("nosuch + ", 100) + "nosuch"
	e, err := lang.ParseExpr(src)
	if err != nil {
		t.Fatal(err)
	}
	_, err = checker().CheckExpr(e, src)
	if got := err.Error(); strings.Count(got, "unknown input") != 20 || !strings.HasSuffix(got, "(and 81 more errors)") {
		t.Errorf("101 errors rendered as:\n%s", got)
	}
}

// TestBOM: a byte-order mark at the start of a file is not part of the
// program, and positions count from after it.
func TestBOM(t *testing.T) {
	p, err := lang.Parse("f", "\ufeffproxy p = sum(fro(A))\n")
	if err != nil || len(p.Stmts) != 1 || p.Stmts[0].Pos.Col != 1 {
		t.Fatalf("got %v, %v", p, err)
	}
	_, err = lang.Parse("f", "\ufeffproxy p = sum(fro(A)")
	if err == nil || !strings.HasPrefix(err.Error(), "f:1:14: syntax error: unclosed '(': no ')' before the end of the input\n    proxy p = sum(fro(A)\n    "+strings.Repeat(" ", 13)+"^") {
		t.Errorf("got %v", err)
	}
}

// TestAtTheLimits: input just inside the limits goes through every
// recursive pass (parser, checker, printer, LaTeX, clone, rewrite) and the
// printed form parses back to the same tree.
func TestAtTheLimits(t *testing.T) {
	flat := strings.Repeat("sq(W) + ", 1000) + "W"
	cases := []string{
		nested(lang.MaxDepth, "(", "1", ")"),
		nested(lang.MaxDepth-1, "sq(", "sum(W)", ")"),
		nested(lang.MaxDepth-2, "-(", "sum(W)", ")"),
		strings.Repeat("-", lang.MaxDepth-1) + "sum(W)",
		"sum(" + nested(lang.MaxDepth-1, "[", "1", "]") + ")",
		"sum(" + nested(lang.MaxDepth/2, "abs(", flat, ")") + ")",
		strings.Repeat("sum(W) - ", 4000) + "1",
	}
	rules, err := stdlib.Rules()
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range cases {
		e, err := lang.ParseExpr(src)
		if err != nil {
			t.Fatalf("%.40s…: %.300v", src, err)
		}
		text := lang.Print(e)
		back, err := lang.ParseExpr(text)
		if err != nil || !lang.Equal(back, e) {
			t.Fatalf("%.40s… printed as %.80s… does not read back: %.300v", src, text, err)
		}
		c, err := checker().CheckExpr(e, src)
		if err != nil {
			t.Fatalf("%.40s…: %.300v", src, err)
		}
		_ = lang.Latex(c.Expr, stdlib.Default)
		_ = lang.Size(lang.Clone(c.Expr))
		var fp *lang.FixpointError
		if _, _, err := rules.Canonical(c.Expr); err != nil && !errors.As(err, &fp) {
			t.Fatalf("%.40s…: %v", src, err)
		}
		_, _ = rules.Rejected(c.Expr)
	}
}

// TestInlineBounded: a chain of lets that doubles the tree at each step is
// refused, not built; an ordinary script inlines as Inline does.
func TestInlineBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("let a0 = W\n")
	for i := 1; i <= 64; i++ {
		fmt.Fprintf(&b, "let a%d = a%d + a%d\n", i, i-1, i-1)
	}
	b.WriteString("proxy p = sum(fro(a64))\n")
	if _, err := inlineAll(t, b.String()); err == nil || !strings.Contains(err.Error(), "more than 262144 nodes (lang.MaxNodes)") {
		t.Errorf("doubling lets: got %v", err)
	}
	e, err := inlineAll(t, "let W = sq(W)\nlet b = W + W\nproxy p = sum(fro(b))")
	if err != nil || lang.Print(e) != "sum(fro(sq(W) + sq(W)))" {
		t.Errorf("got %v, %v", e, err)
	}
}

// inlineAll inlines the lets of a script into its last statement.
func inlineAll(t *testing.T, src string) (lang.Expr, error) {
	p, err := lang.Parse("f", src)
	if err != nil {
		t.Fatal(err)
	}
	lets := map[string]lang.Expr{}
	var last lang.Expr
	for _, s := range p.Stmts {
		e, err := lang.InlineBounded(s.Expr, lets)
		if err != nil {
			return nil, err
		}
		lets[s.Name], last = e, e
	}
	return last, nil
}

func TestCheckSize(t *testing.T) {
	var e lang.Expr = &lang.Ref{Name: "W"}
	for i := 0; i < lang.MaxNodes/2-1; i++ {
		e = &lang.Call{Op: "add", Args: []lang.Expr{e, &lang.Num{Value: 1}}}
	}
	if err := lang.CheckSize(e); err != nil {
		t.Errorf("%d nodes refused: %v", lang.MaxNodes-1, err)
	}
	e = &lang.Call{Op: "add", Args: []lang.Expr{e, &lang.Num{Value: 1}}}
	e = &lang.Call{Op: "add", Args: []lang.Expr{e, &lang.Num{Value: 1}}}
	if err := lang.CheckSize(e); err == nil {
		t.Errorf("%d nodes accepted", lang.MaxNodes+3)
	} else if !strings.HasPrefix(err.Error(), "<input>:0:0: the formula has more than 262144 nodes") {
		t.Errorf("got %v", err)
	}
}

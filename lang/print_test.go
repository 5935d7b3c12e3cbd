package lang_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lpz/lang"
	"lpz/stdlib"
)

func TestPrintRoundTrip(t *testing.T) {
	cases := []struct{ src, want string }{
		{"a+b*c", "a + b * c"},
		{"(a+b)*c", "(a + b) * c"},
		{"a-(b-c)", "a - (b - c)"},
		{"(a-b)-c", "a - b - c"},
		{"a/(b*c)", "a / (b * c)"},
		{"a+(b+c)", "a + (b + c)"},
		{"-a*b", "-a * b"},
		{"-(a*b)", "-(a * b)"},
		{"- -a", "-(-a)"},
		{"a - -2", "a - -2"},
		{"-2*a", "-2 * a"},
		{"neg(2)", "neg(2)"},
		{"-(2)", "neg(2)"},
		{"1e-9+x", "1e-9 + x"},
		{"1000000.0", "1e6"},
		{"0.5", "0.5"},
		{".25", "0.25"},
		{"[[1,2],[3,4.5]]", "[[1, 2], [3, 4.5]]"},
		{"[-1, 2]", "[-1, 2]"},
		{"sum(softmax([1,2,3])*[1,2,3])", "sum(softmax([1, 2, 3]) * [1, 2, 3])"},
		{"f(a, b, c)", "f(a, b, c)"},
		{"block3.attn.q", "block3.attn.q"},
		{"# comment\nfro(A) # trailing", "fro(A)"},
		{"-[1,2]", "-[1, 2]"},
		{"-0", "-0"},
	}
	for _, c := range cases {
		e, err := lang.ParseExpr(c.src)
		if err != nil {
			t.Fatalf("%q: %v", c.src, err)
		}
		got := lang.Print(e)
		if got != c.want {
			t.Errorf("Print(%q) = %q, want %q", c.src, got, c.want)
		}
		back, err := lang.ParseExpr(got)
		if err != nil || !lang.Equal(back, e) {
			t.Errorf("%q does not round-trip: %q -> %v", c.src, got, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{"sum(", "f:1:4: syntax error: unclosed '('"},
		{"a + * b", "f:1:5: syntax error"},
		{"let = 3", "f:1:5: syntax error"},
		{"[1, [2]]", "f:1:5: ragged literal"},
		{"[]", "f:1:1: empty literal"},
		{"1e999", "f:1:1: number 1e999 is out of range"},
		{"f(a,)", "f:1:5: syntax error"},
		{"let print = 2", "f:1:1: \"print\" is a keyword"},
		{"[1, a]", "f:1:5: a tensor literal holds numbers only"},
		{"a $ b", "f:1:3: syntax error"},
		{"sum(A))", "f:1:7: syntax error"},
	}
	for _, c := range cases {
		_, err := lang.Parse("f", c.src)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q: got %v, want prefix %q", c.src, err, c.want)
		}
	}
}

// randomExpr builds arbitrary (not necessarily well-typed) trees: the
// printer must round-trip every AST, not just checked ones.
func randomExpr(r *rand.Rand, depth int) lang.Expr {
	if depth == 0 || r.IntN(4) == 0 {
		switch r.IntN(4) {
		case 0:
			vals := []float64{0, 1, -1, 2.5, -3e-9, 1e20, 0.1, -0.0}
			return &lang.Num{Value: vals[r.IntN(len(vals))]}
		case 1:
			return &lang.Lit{Shape: []int{2}, Data: []float64{r.Float64() - 0.5, 3}}
		default:
			return &lang.Ref{Name: []string{"A", "H", "W", "x", "block3.attn"}[r.IntN(5)]}
		}
	}
	ops := []string{"add", "sub", "mul", "div", "neg", "fro", "log", "softmax", "sum", "f"}
	op := ops[r.IntN(len(ops))]
	n := 1
	switch op {
	case "add", "sub", "mul", "div":
		n = 2
	case "f":
		n = r.IntN(4)
	}
	args := make([]lang.Expr, n)
	for i := range args {
		args[i] = randomExpr(r, depth-1)
	}
	return &lang.Call{Op: op, Args: args}
}

func TestPrintRoundTripRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 5000; i++ {
		e := randomExpr(r, 5)
		s := lang.Print(e)
		back, err := lang.ParseExpr(s)
		if err != nil {
			t.Fatalf("Print gave unparsable %q: %v", s, err)
		}
		if !lang.Equal(back, e) {
			t.Fatalf("round trip changed the tree: %q -> %q", s, lang.Print(back))
		}
	}
}

func TestLatex(t *testing.T) {
	cases := []struct{ src, want string }{
		{"sum(sq(inv(H)) + log(softmax(fro(A))))", `\sum\left(\left(\frac{1}{H}\right)^{2} + \log\left(\operatorname{softmax}\left(\left\lVert A\right\rVert_F\right)\right)\right)`},
		{"a / b", `\frac{a}{b}`},
		{"-a * 2", `-a \cdot 2`},
	}
	for _, c := range cases {
		e, _ := lang.ParseExpr(c.src)
		if got := lang.Latex(e, stdlib.Default); got != c.want {
			t.Errorf("Latex(%q) = %q, want %q", c.src, got, c.want)
		}
	}
}

// FuzzParse: no input panics or overflows the stack; an error is
// positioned; what parses stays within the limits of scan.go, prints back
// to the same tree (as written and as checked against the channel types),
// and so does its LaTeX without a panic. Seeds: the corpus, and
// testdata/fuzz/FuzzParse for what once crashed or was misreported.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("../corpus/*.lpz")
	more, _ := filepath.Glob("../corpus/*/*.lpz")
	for _, p := range append(files, more...) {
		b, err := os.ReadFile(p)
		if err == nil {
			f.Add(string(b))
		}
	}
	for _, s := range []string{"sum(fro(A))", "let x = [1,2]\nprint x", "rule log(exp(x)) -> x", "-(-a)", "a - -2", "1e-9"} {
		f.Add(s)
	}
	ck := checker()
	f.Fuzz(func(t *testing.T, src string) {
		p, err := lang.Parse("fuzz", src)
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, "fuzz:") {
				t.Fatalf("unpositioned error %q", msg)
			}
			return
		}
		if d := bracketDepth(src); d > lang.MaxDepth {
			t.Fatalf("parsed with brackets %d deep", d)
		}
		for _, s := range p.Stmts {
			if n := lang.Size(s.Expr); n > lang.MaxTokens {
				t.Fatalf("parsed a statement of %d nodes", n)
			}
			roundTrip(t, lang.FormatStmt(s), s.Expr)
		}
		cp, err := ck.CheckProgram(p)
		if err != nil {
			_ = err.Error()
			return
		}
		for _, s := range cp.Stmts {
			if s.Checked != nil {
				roundTrip(t, lang.Print(s.Checked.Expr), s.Checked.Expr)
				_ = lang.Latex(s.Checked.Expr, stdlib.Default)
			}
		}
	})
}

// roundTrip fails unless text parses as one statement whose expression is
// Equal to want.
func roundTrip(t *testing.T, text string, want lang.Expr) {
	t.Helper()
	back, err := lang.Parse("fuzz", text)
	if err != nil || len(back.Stmts) != 1 {
		t.Fatalf("%q does not re-parse as one statement: %v", text, err)
	}
	if !lang.Equal(back.Stmts[0].Expr, want) {
		t.Fatalf("round trip changed the tree: %q", text)
	}
}

// bracketDepth is the deepest bracket nesting of src outside comments.
func bracketDepth(src string) int {
	depth, deepest, comment := 0, 0, false
	for _, c := range []byte(src) {
		switch {
		case comment:
			comment = c != '\n'
		case c == '#':
			comment = true
		case c == '(' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == ')' || c == ']':
			depth--
		}
	}
	return deepest
}

package interp

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"lpz/lang"
	"lpz/stdlib"
)

// flatSum is x + 1 + 1 + … with terms terms, as the parser builds it: a
// left-deep chain as deep as it is long.
func flatSum(terms int) lang.Expr {
	var e lang.Expr = &lang.Ref{Name: "x", Pos: lang.Pos{Line: 1, Col: 1}}
	for i := 1; i < terms; i++ {
		e = &lang.Call{Op: "add", Args: []lang.Expr{e, &lang.Num{Value: 1, Pos: lang.Pos{Line: 1, Col: 4*i + 1}}}, Pos: lang.Pos{Line: 1, Col: 4*i - 1}}
	}
	return e
}

func checkedFlatSum(tb testing.TB, terms int) *lang.Checked {
	ck := &lang.Checker{Ops: stdlib.Default, Inputs: map[string]lang.Type{"x": lang.ScalarType}}
	c, err := ck.CheckExpr(flatSum(terms), "")
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// BenchmarkCompileFlatSum: compiling is linear in the formula's size
// (ns/op grows 4× from one size to the next; it grew 16× when every node
// printed its own subtree).
func BenchmarkCompileFlatSum(b *testing.B) {
	for _, terms := range []int{1 << 10, 1 << 12, 1 << 14, 1 << 16} {
		c := checkedFlatSum(b, terms)
		b.Run(fmt.Sprintf("terms=%d", terms), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Compile(c, stdlib.Default); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSourceFlatSum is the whole path of `lpz eval "1 + 1 + …"`:
// parse, check, compile, evaluate.
func BenchmarkSourceFlatSum(b *testing.B) {
	for _, terms := range []int{1 << 10, 1 << 12, 1 << 14, 1 << 16} {
		src := strings.Repeat("1 + ", terms-1) + "1"
		b.Run(fmt.Sprintf("terms=%d", terms), func(b *testing.B) {
			for b.Loop() {
				p, err := CompileSource(src, nil, stdlib.Default)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := (Host{}).Eval(context.Background(), p, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSourceLiteral: a long vector literal [1, 2, 3, …].
func BenchmarkSourceLiteral(b *testing.B) {
	for _, n := range []int{1 << 10, 1 << 12, 1 << 14, 1 << 16} {
		var sb strings.Builder
		sb.WriteString("sum([")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&sb, "%d, ", i)
		}
		sb.WriteString("0])")
		src := sb.String()
		b.Run(fmt.Sprintf("elems=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := CompileSource(src, nil, stdlib.Default); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestCompileTexts: every node's text (runtime errors quote it) is that
// node printed on its own, as when each node was printed separately.
func TestCompileTexts(t *testing.T) {
	for _, src := range []string{"sum(fro(-(-x) * -2) - (x - x / -(x + 1)))", "neg(-2) + -[1, -2] * -x", "-(-(-x))"} {
		p, err := CompileSource(src, map[string]lang.Type{"x": lang.TensorType}, stdlib.Default)
		if err != nil {
			t.Fatal(err)
		}
		var walk func(n *node, e lang.Expr)
		walk = func(n *node, e lang.Expr) {
			if want := lang.Print(e); n.text != want {
				t.Errorf("%s: node text %q, want %q", src, n.text, want)
			}
			if c, ok := e.(*lang.Call); ok {
				for i, a := range c.Args {
					walk(n.args[i], a)
				}
			}
		}
		walk(p.root, p.Checked().Expr)
	}
}

// TestCompileRefusesHugeTrees: a tree over lang.MaxNodes (only other code
// than the parser can build one) gets an error, not minutes of work.
func TestCompileRefusesHugeTrees(t *testing.T) {
	c := checkedFlatSum(t, lang.MaxNodes/2+1)
	if _, err := Compile(c, stdlib.Default); err == nil || !strings.Contains(err.Error(), "more than 262144 nodes (lang.MaxNodes)") {
		t.Errorf("got %v", err)
	}
	c = checkedFlatSum(t, lang.MaxNodes/2)
	if _, err := Compile(c, stdlib.Default); err != nil {
		t.Errorf("%d nodes: %v", lang.MaxNodes-1, err)
	}
}

// TestScriptErrorsOnePrefix: a runtime error in a script names its place
// once (it read "rt.lpz:1:1: rt.lpz:1:13: …"); an error without a place of
// its own gets the statement's.
func TestScriptErrorsOnePrefix(t *testing.T) {
	cases := []struct{ src, want string }{
		{"print [1,2] + [1,2,3]", "rt.lpz:1:13: shapes [2] and [3] do not broadcast (in [1, 2] + [1, 2, 3])"},
		{"let a = 1\nproxy p = exp(1000) - a", "rt.lpz:2:1: exp(1000) - a evaluates to +Inf"},
	}
	for _, c := range cases {
		var out bytes.Buffer
		_, err := NewSession(nil).Exec(context.Background(), "rt.lpz", c.src, &out)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q: got %v, want prefix %q", c.src, err, c.want)
		}
	}
}

// TestHugeExprInMessages: a message quotes at most the start of a huge
// subtree.
func TestHugeExprInMessages(t *testing.T) {
	src := "[1, 2] + (" + strings.Repeat("[1, 2, 3] + ", 1000) + "[1, 2, 3])"
	p, err := CompileSource(src, nil, stdlib.Default)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Host{}.Eval(context.Background(), p, nil)
	if err == nil || len(err.Error()) > 400 || !strings.HasSuffix(err.Error(), "…)") {
		t.Errorf("got %.500v", err)
	}
}

package lang_test

import (
	"errors"
	"strings"
	"testing"

	"lpz/lang"
)

func ruleSet(t *testing.T, src string) *lang.RuleSet {
	t.Helper()
	p, err := lang.Parse("rules.lpz", src)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := lang.NewRuleSet(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

const testRules = `
rule id(x) -> x
rule neg(neg(x)) -> x
rule log(exp(x)) -> x
rule sqrt(sq(x)) -> abs(x)
rule abs(abs(x)) -> abs(x)
rule mul(x, x) -> sq(x)
rule log(softmax(x)) -> logsoftmax(x)
reject sub(x, x)
reject log(neg(abs(_)))
`

func TestRewriteTable(t *testing.T) {
	rs := ruleSet(t, testRules)
	cases := []struct {
		in, want string
		steps    int
	}{
		{"id(A)", "A", 1},
		{"sum(id(id(A)))", "sum(A)", 2},
		{"-(-W)", "W", 1},
		{"- - - W", "-W", 1},
		{"log(exp(sq(A)))", "sq(A)", 1},
		{"sqrt(sq(H))", "abs(H)", 1},
		{"abs(abs(abs(G)))", "abs(G)", 2},
		{"abs(sqrt(sq(abs(W))))", "abs(W)", 3},
		{"sum(A * A)", "sum(sq(A))", 1},
		{"sum(A * H)", "sum(A * H)", 0},
		{"log(softmax(id(A)))", "logsoftmax(A)", 2},
		// Rewriting a child can enable a rule at the parent.
		{"sqrt(sq(-(-A)))", "abs(A)", 2},
		{"log(exp(id(neg(neg(x1)))))", "x1", 3},
		{"sum(fro(A) + log(exp(fro(W))))", "sum(fro(A) + fro(W))", 1},
	}
	for _, c := range cases {
		e, err := lang.ParseExpr(c.in)
		if err != nil {
			t.Fatal(err)
		}
		before := lang.Print(e)
		got, steps, err := rs.Rewrite(e)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if lang.Print(got) != c.want || len(steps) != c.steps {
			t.Errorf("%s: got %s in %d steps, want %s in %d", c.in, lang.Print(got), len(steps), c.want, c.steps)
		}
		if lang.Print(e) != before {
			t.Errorf("%s: the input was modified", c.in)
		}
		// A fixpoint: rewriting again changes nothing.
		again, steps2, _ := rs.Rewrite(got)
		if !lang.Equal(again, got) || len(steps2) != 0 {
			t.Errorf("%s: not a fixpoint: %s", c.in, lang.Print(again))
		}
		c2, n, _ := rs.Canonical(e)
		if !lang.Equal(c2, got) || n != c.steps {
			t.Errorf("%s: Canonical differs from Rewrite", c.in)
		}
	}
}

func TestReject(t *testing.T) {
	rs := ruleSet(t, testRules)
	cases := map[string]string{
		"sum(A - A)":                 "reject x - x",
		"sum(fro(A) - fro(A))":       "reject x - x",
		"sum(A - H)":                 "",
		"sum(log(-abs(sq(W))))":      "reject log(-abs(_))",
		"sum(log(-sq(W)))":           "",
		"sum(fro(log(-abs(A))) + W)": "reject log(-abs(_))",
	}
	for src, want := range cases {
		e, _ := lang.ParseExpr(src)
		r, _ := rs.Rejected(e)
		got := ""
		if r != nil {
			got = r.String()
		}
		if got != want {
			t.Errorf("%s: rejected by %q, want %q", src, got, want)
		}
	}
}

func TestRewriteCycleTerminates(t *testing.T) {
	rs := ruleSet(t, "rule add(x, y) -> add(y, x)\nrule f(x) -> f(f(x))")
	rs.MaxSteps = 50
	for _, src := range []string{"A + W", "f(A)"} {
		e, _ := lang.ParseExpr(src)
		_, steps, err := rs.Rewrite(e)
		var fe *lang.FixpointError
		if !errors.As(err, &fe) || len(steps) != 50 {
			t.Errorf("%s: want a FixpointError after 50 steps, got %v (%d steps)", src, err, len(steps))
		}
	}
}

// A rule that doubles the tree at each step stops at a size limit, not
// after 2^256 nodes.
func TestRewriteGrowthBounded(t *testing.T) {
	rs := ruleSet(t, "rule sum(x) -> sum(x + x)")
	e, _ := lang.ParseExpr("sum(A)")
	for _, canonical := range []bool{false, true} {
		var err error
		if canonical {
			_, _, err = rs.Canonical(e)
		} else {
			_, _, err = rs.Rewrite(e)
		}
		var fe *lang.FixpointError
		if !errors.As(err, &fe) || fe.Nodes != 1032 || len(err.Error()) > 400 {
			t.Errorf("canonical %v: got %.500v", canonical, err)
		}
	}
}

// A guarded rule applies only where its guard holds, and prints with it.
func TestGuardedRule(t *testing.T) {
	rs := guardedRoundTrip(t, "rule sum(x + y) -> sum(x) + sum(y) if sameshape(x, y)")
	for in, want := range map[string]string{"sum(W + G)": "sum(W) + sum(G)", "sum(W + A)": "sum(W + A)"} {
		e, _ := lang.ParseExpr(in)
		got, _, err := rs.Rewrite(e)
		if err != nil || lang.Print(got) != want {
			t.Errorf("%s: got %s (%v), want %s", in, lang.Print(got), err, want)
		}
	}
}

func TestGuardedReject(t *testing.T) {
	rs := guardedRoundTrip(t, "reject log(-x) if sameshape(x)")
	for in, want := range map[string]bool{"sum(log(-W))": true, "sum(log(-A))": false, "sum(log(W))": false} {
		e, _ := lang.ParseExpr(in)
		if r, _ := rs.Rejected(e); (r != nil) != want {
			t.Errorf("%s: rejected %v, want %v", in, r != nil, want)
		}
	}
	p, _ := lang.Parse("rules.lpz", "reject log(x) if nope(x)")
	if _, err := lang.NewGuardedRuleSet(p, nil, guards); err == nil || !strings.Contains(err.Error(), "rules.lpz:1:18: unknown guard nope") {
		t.Errorf("unknown guard on a reject: %v", err)
	}
}

// guardedRoundTrip loads a one-statement rules file with guards and checks
// that the statement and the loaded rule print back as written.
func guardedRoundTrip(t *testing.T, src string) *lang.RuleSet {
	t.Helper()
	p, err := lang.Parse("rules.lpz", src)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := lang.NewGuardedRuleSet(p, nil, guards)
	if err != nil {
		t.Fatal(err)
	}
	if got := rs.String(); got != src+"\n" {
		t.Errorf("printed %q", got)
	}
	if got := lang.FormatStmt(p.Stmts[0]); got != src {
		t.Errorf("statement printed %q", got)
	}
	return rs
}

// guards is a stand-in for stdlib's: refs named W and G share a shape.
var guards = map[string]lang.Guard{"sameshape": func(args []lang.Expr) bool {
	for _, a := range args {
		if r, ok := a.(*lang.Ref); !ok || (r.Name != "W" && r.Name != "G") {
			return false
		}
	}
	return true
}}

func TestRuleErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{"rule log(exp(x)) -> y", "rules.lpz:1:21: variable y on the right-hand side is not bound"},
		{"rule log(x) -> _", "rules.lpz:1:16: `_` cannot appear on the right-hand side"},
		{"rule x -> x", "rules.lpz:1:6: the pattern x must be an operator call"},
		{"rule log(A) -> A", "rules.lpz:1:10: \"A\" is not a pattern variable"},
		{"reject log(exp(x1))", "\"x1\" is not a pattern variable"},
		{"let a = 1", "rules.lpz:1:1: a rules file holds only"},
		{"\n\nrule frob(x) -> x", "rules.lpz:3:6: unknown operator \"frob\""},
		{"rule sum(add(x, y)) -> add(sum(x), sum(y)) if same(x, y)", "rules.lpz:1:47: unknown guard same (known: sameshape)"},
		{"rule sum(add(x, y)) -> add(sum(x), sum(y)) if sameshape(x, z)", "rules.lpz:1:60: a guard's arguments must be variables bound by the rule's left-hand side, not z"},
		{"rule sum(add(x, y)) -> add(sum(x), sum(y)) if sameshape(x, log(y))", "not log(y)"},
		{"rule sum(add(x, y)) -> add(sum(x), sum(y)) if x", "rules.lpz:1:47: a rule's condition must be a guard call"},
	}
	for _, c := range cases {
		p, err := lang.Parse("rules.lpz", c.src)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		_, err = lang.NewGuardedRuleSet(p, func(op string) (string, bool) { return op, op != "frob" }, guards)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.src, err, c.want)
		}
	}
}

func TestMatchRepeatedVariable(t *testing.T) {
	pat, _ := lang.ParseExpr("add(x, x)")
	for src, want := range map[string]bool{"fro(A) + fro(A)": true, "fro(A) + fro(W)": false, "A + A": true} {
		e, _ := lang.ParseExpr(src)
		if got := lang.Match(pat, e, nil); got != want {
			t.Errorf("%s: match %v, want %v", src, got, want)
		}
	}
}

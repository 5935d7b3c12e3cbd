package stdlib

import (
	"testing"

	"lpz/lang"
)

func TestSimplify(t *testing.T) {
	rules, err := ReadRules("")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ src, result, rejected string }{
		{"sum(log(exp(sqrt(square(-(-A))))) + identity(fro(W)))", "sum(abs(A) + fro(W))", ""},
		{"sum(log(-abs(nsum(H))))", "sum(log(-abs(avg(H))))", "log(-abs(avg(H)))"},
		{"fro(A)", "fro(A)", ""},
	} {
		e, err := lang.ParseExpr(c.src)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Simplify(e, rules)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		at := ""
		if s.Rejected != nil {
			at = lang.Print(s.RejectedAt)
		}
		if got := lang.Print(s.Result); got != c.result || at != c.rejected {
			t.Errorf("%s: %s (rejected at %q), want %s (%q)", c.src, got, at, c.result, c.rejected)
		}
		if (len(s.Steps) == 0) != (c.src == c.result) {
			t.Errorf("%s: %d steps", c.src, len(s.Steps))
		}
	}
	if _, err := ReadRules("/nonexistent/rules.lpz"); err == nil {
		t.Error("a missing rules file read")
	}
}

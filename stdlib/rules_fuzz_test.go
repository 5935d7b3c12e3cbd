package stdlib_test

import (
	"strings"
	"testing"

	"lpz/lang"
	"lpz/stdlib"
)

// FuzzLoadRules: a rules file never panics the loader; an error is
// positioned; a file that loads prints (RuleSet.String) as a file that
// loads to the same rules, and its rules run on a small tree. Seeds: the
// embedded rules file and testdata/fuzz/FuzzLoadRules.
func FuzzLoadRules(f *testing.F) {
	f.Add(stdlib.RulesSource)
	for _, s := range []string{
		"rule sum(x + y) -> sum(x) + sum(y) if sameshape(x, y)",
		"reject sub(x, x)",
		"rule abs(x) -> x if nonneg(x)",
		"rule neg(neg(x)) -> x",
	} {
		f.Add(s)
	}
	probe, err := lang.ParseExpr("sum(abs(-(-fro(W))) + sq(W) - sq(W))")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, src string) {
		rs, err := stdlib.LoadRules("fuzz.lpz", src)
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, "fuzz.lpz:") {
				t.Fatalf("unpositioned error %q", msg)
			}
			return
		}
		text := rs.String()
		back, err := stdlib.LoadRules("printed.lpz", text)
		if err != nil {
			t.Fatalf("printed rules %q do not load: %v", text, err)
		}
		if again := back.String(); again != text {
			t.Fatalf("printed rules %q load as %q", text, again)
		}
		_, _, _ = rs.Rewrite(probe)
		_, _ = rs.Rejected(probe)
	})
}

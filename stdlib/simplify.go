package stdlib

import (
	"os"

	"lpz/lang"
)

// ReadRules reads a rules file in lpz syntax (the form of rules.lpz); ""
// is the embedded rule set (Rules).
func ReadRules(path string) (*lang.RuleSet, error) {
	if path == "" {
		return Rules()
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return LoadRules(path, string(b))
}

// Simplification is a formula rewritten by a rule set to its fixpoint:
// what the search's rule-based pruning (RPS) does to every candidate.
type Simplification struct {
	Steps  []lang.Step // the rewrites, in order
	Result lang.Expr   // the fixpoint
	// Rejected is the reject rule the result matches, at the subtree
	// RejectedAt (nil: the search would evaluate it).
	Rejected   *lang.Rule
	RejectedAt lang.Expr
}

// Simplify resolves e's operator aliases and rewrites it with rules to a
// fixpoint. When the rewriting does not converge, the steps taken so far
// come with the error.
func Simplify(e lang.Expr, rules *lang.RuleSet) (*Simplification, error) {
	out, steps, err := rules.Rewrite(Default.CanonOps(e))
	s := &Simplification{Steps: steps, Result: out}
	if err != nil {
		return s, err
	}
	s.Rejected, s.RejectedAt = rules.Rejected(out)
	return s, nil
}

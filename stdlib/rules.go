package stdlib

import (
	_ "embed"
	"sync"

	"lpz/lang"
)

// RulesSource is the rules file of the search's rule-based pruning (RPS):
// rewrite rules to a canonical form and reject rules (see rules.lpz).
//
//go:embed rules.lpz
var RulesSource string

var (
	rulesOnce sync.Once
	rules     *lang.RuleSet
	rulesErr  error
)

// Rules returns the embedded rule set, loaded once. The rule set is
// read-only and safe to share.
func Rules() (*lang.RuleSet, error) {
	rulesOnce.Do(func() { rules, rulesErr = LoadRules("rules.lpz", RulesSource) })
	return rules, rulesErr
}

// LoadRules parses and validates a rules file against the default op table.
func LoadRules(file, src string) (*lang.RuleSet, error) {
	p, err := lang.Parse(file, src)
	if err != nil {
		return nil, err
	}
	return lang.NewGuardedRuleSet(p, Default.Canonical, Guards)
}

// Guards are the conditions a rule of the rules file may name after `if`.
var Guards = map[string]lang.Guard{
	// sameshape(x, y): x and y are tensors (or lists of tensors) whose
	// entries have the same shapes, so that x + y is entrywise without
	// broadcasting and Σ(x + y) = Σx + Σy.
	"sameshape": func(args []lang.Expr) bool {
		if len(args) == 0 {
			return false
		}
		want := shapeClass(args[0])
		if want == "" {
			return false
		}
		for _, a := range args[1:] {
			if shapeClass(a) != want {
				return false
			}
		}
		return true
	},
	// nonneg(x): x is ≥ 0 wherever it is defined (nonNegative).
	"nonneg": func(args []lang.Expr) bool {
		for _, a := range args {
			if !nonNegative(a) {
				return false
			}
		}
		return len(args) > 0
	},
}

// nonNegative reports an expression whose value is ≥ 0 on every input by
// the op table's signs (Op.Sign): a non-negative number, an op that is
// non-negative by definition, or one that keeps non-negative arguments so.
// Among channels only probabilities and counts are (nonNegativeChannels).
func nonNegative(e lang.Expr) bool {
	switch x := e.(type) {
	case *lang.Ref:
		return nonNegativeChannels[x.Name]
	case *lang.Num:
		return x.Value >= 0
	case *lang.Call:
		op, ok := Default.Lookup(x.Op)
		if !ok {
			return false
		}
		switch op.Sign {
		case NonNegative:
			return true
		case KeepsNonNegative:
			for _, a := range x.Args {
				if !nonNegative(a) {
					return false
				}
			}
			return true
		}
	}
	return false
}

// shapeGroups are the tensor channels whose entries have identical shapes
// (G and the other gradients are taken with respect to W's matrices; GA
// with respect to A's tensors).
var shapeGroups = [][]string{{"W", "G", "HG", "GS"}, {"A", "GA"}, {"Wmix", "Gmix"}, {"Wffn", "Gffn"}}

// shapeClass names the shapes of a tensor-valued expression built from
// channels by shape-preserving ops (elementwise, normalisation, binary ops
// between equal shapes); "" when it cannot tell (a scalar, a reduction, an
// unknown name, a broadcast).
func shapeClass(e lang.Expr) string {
	switch x := e.(type) {
	case *lang.Ref:
		c, ok := LookupChannel(x.Name)
		if !ok || (c.Type.Kind != lang.Tensor && c.Type.Kind != lang.ListTensor) {
			return ""
		}
		for _, g := range shapeGroups {
			for _, n := range g {
				if n == x.Name {
					return g[0]
				}
			}
		}
		return x.Name
	case *lang.Call:
		op, ok := Default.Lookup(x.Op)
		if !ok {
			return ""
		}
		switch {
		case (op.Class == Elementwise || op.Class == Normalization) && len(x.Args) == 1:
			return shapeClass(x.Args[0])
		case op.Class == Binary && len(x.Args) == 2:
			a := shapeClass(x.Args[0])
			if a != "" && a == shapeClass(x.Args[1]) {
				return a
			}
		}
	}
	return ""
}

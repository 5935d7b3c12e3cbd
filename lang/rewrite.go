package lang

import (
	"fmt"
	"sort"
	"strings"
)

// Rewrite rules and reject rules over the AST (DESIGN.md §4: RPS as data).
//
// A pattern is an expression whose references are pattern variables: a
// single lowercase letter (x, y, z, …) matches any subtree and binds it (a
// variable used twice in one pattern matches only equal subtrees); `_`
// matches any subtree without binding. Calls match calls of the same
// (canonical) operator with matching arguments; numbers match equal numbers.
// A rewrite rule `rule LHS -> RHS` replaces a match of LHS by RHS with the
// bindings substituted; its RHS may only use variables bound by its LHS. A
// reject rule `reject PATTERN` marks every expression that contains a match
// anywhere as invalid before any evaluation.
//
// A rewrite rule may end in `if GUARD(x, y, …)`: it then applies only where
// the named guard holds for the bound subtrees. Guards are predicates the
// caller supplies (NewGuardedRuleSet); they carry what a purely syntactic
// pattern cannot know, such as whether two subtrees have the same shape,
// without which sum(x + y) -> sum(x) + sum(y) would turn a broadcast into
// something else.

// Guard is a named predicate over the subtrees bound to a guarded rule's
// variables.
type Guard func(args []Expr) bool

// Rule is one rewrite (Rhs != nil) or reject (Rhs == nil) rule.
type Rule struct {
	Lhs   Expr
	Rhs   Expr
	Guard *Call // nil: unconditional
	Pos   Pos

	guard Guard
}

// String renders the rule in the rules-file syntax.
func (r *Rule) String() string {
	var guard Expr
	if r.Guard != nil { // a nil *Call would be a non-nil Expr
		guard = r.Guard
	}
	return formatRule(r.Lhs, r.Rhs, guard)
}

// holds reports whether the rule's guard (if any) accepts bindings b.
func (r *Rule) holds(b map[string]Expr) bool {
	if r.guard == nil {
		return true
	}
	args := make([]Expr, len(r.Guard.Args))
	for i, a := range r.Guard.Args {
		args[i] = b[a.(*Ref).Name]
	}
	return r.guard(args)
}

// RuleSet is a loaded rules file.
type RuleSet struct {
	Rewrites []*Rule
	Rejects  []*Rule
	// MaxSteps bounds the rule applications of one Rewrite call (a rules
	// file with a cycle would otherwise never reach a fixpoint); 0 means
	// DefaultMaxSteps.
	MaxSteps int
}

// DefaultMaxSteps is the rewrite step limit of a RuleSet without MaxSteps.
const DefaultMaxSteps = 256

// IsPatternVar reports whether name is a pattern variable (or `_`).
func IsPatternVar(name string) bool {
	return name == "_" || (len(name) == 1 && name[0] >= 'a' && name[0] <= 'z')
}

// NewRuleSet builds a rule set from the rule and reject statements of a
// parsed rules file. canon, when not nil, resolves an operator name (or
// alias) to its canonical name and reports unknown ones. Errors are
// positioned: an unknown operator, a reference that is not a pattern
// variable, a rule whose RHS uses a variable its LHS does not bind, `_` on a
// RHS, a bare-variable LHS, or a statement that is not a rule.
func NewRuleSet(p *Program, canon func(op string) (string, bool)) (*RuleSet, error) {
	return NewGuardedRuleSet(p, canon, nil)
}

// NewGuardedRuleSet is NewRuleSet with the guards a rule's `if` may name.
// A guard must be a call of a known guard whose arguments are variables
// bound by the rule's LHS.
func NewGuardedRuleSet(p *Program, canon func(op string) (string, bool), guards map[string]Guard) (*RuleSet, error) {
	errs := &ErrorList{Src: p.Src}
	rs := &RuleSet{}
	for _, s := range p.Stmts {
		switch s.Kind {
		case RuleStmt, RejectStmt:
		default:
			errs.add(s.Pos, "a rules file holds only `rule LHS -> RHS` and `reject PATTERN` statements")
			continue
		}
		lhs := canonPattern(s.Expr, canon, errs)
		bound := map[string]bool{}
		Walk(lhs, func(e Expr) bool {
			if r, ok := e.(*Ref); ok && r.Name != "_" {
				bound[r.Name] = true
			}
			return true
		})
		if _, ok := lhs.(*Call); !ok {
			errs.add(s.Expr.Position(), "the pattern %s must be an operator call: a bare variable or number would match everything or nothing useful", Print(s.Expr))
		}
		rule := &Rule{Lhs: lhs, Pos: s.Pos}
		if s.Kind == RuleStmt {
			rhs := canonPattern(s.Rhs, canon, errs)
			Walk(rhs, func(e Expr) bool {
				if r, ok := e.(*Ref); ok {
					switch {
					case r.Name == "_":
						errs.add(r.Pos, "`_` cannot appear on the right-hand side of a rule: it binds nothing")
					case !bound[r.Name]:
						errs.add(r.Pos, "variable %s on the right-hand side is not bound by the left-hand side %s", r.Name, Print(lhs))
					}
				}
				return true
			})
			rule.Rhs = rhs
		}
		if s.Guard != nil {
			rule.Guard, rule.guard = guardOf(s.Guard, bound, guards, errs)
		}
		if s.Kind == RuleStmt {
			rs.Rewrites = append(rs.Rewrites, rule)
		} else {
			rs.Rejects = append(rs.Rejects, rule)
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return rs, nil
}

// guardOf validates a rule's `if` clause.
func guardOf(e Expr, bound map[string]bool, guards map[string]Guard, errs *ErrorList) (*Call, Guard) {
	c, ok := e.(*Call)
	if !ok {
		errs.add(e.Position(), "a rule's condition must be a guard call such as sameshape(x, y), not %s", Print(e))
		return nil, nil
	}
	g, ok := guards[c.Op]
	if !ok {
		names := make([]string, 0, len(guards))
		for n := range guards {
			names = append(names, n)
		}
		sort.Strings(names)
		errs.add(c.Pos, "unknown guard %s (known: %s)", c.Op, strings.Join(names, ", "))
		return nil, nil
	}
	for _, a := range c.Args {
		r, ok := a.(*Ref)
		if !ok || r.Name == "_" || !bound[r.Name] {
			errs.add(a.Position(), "a guard's arguments must be variables bound by the rule's left-hand side, not %s", Print(a))
			return nil, nil
		}
	}
	return c, g
}

// canonPattern copies a pattern with canonical operator names, reporting
// unknown operators and references that are not pattern variables.
func canonPattern(e Expr, canon func(string) (string, bool), errs *ErrorList) Expr {
	switch x := e.(type) {
	case *Call:
		c := &Call{Op: x.Op, Pos: x.Pos, Args: make([]Expr, len(x.Args))}
		if canon != nil {
			if name, ok := canon(x.Op); ok {
				c.Op = name
			} else {
				errs.add(x.Pos, "unknown operator %q in a rule", x.Op)
			}
		}
		for i, a := range x.Args {
			c.Args[i] = canonPattern(a, canon, errs)
		}
		return c
	case *Ref:
		if !IsPatternVar(x.Name) {
			errs.add(x.Pos, "%q is not a pattern variable: use a single lowercase letter (x, y, z) or _", x.Name)
		}
		return Clone(x)
	case *Lit:
		errs.add(x.Pos, "vector literals are not allowed in rules")
	}
	return Clone(e)
}

// Match reports whether e matches pattern pat, extending bindings b (which
// may be nil when the caller does not need them).
func Match(pat, e Expr, b map[string]Expr) bool {
	if b == nil {
		b = map[string]Expr{}
	}
	return match(pat, e, b)
}

func match(pat, e Expr, b map[string]Expr) bool {
	switch p := pat.(type) {
	case *Ref:
		if p.Name == "_" {
			return true
		}
		if prev, ok := b[p.Name]; ok {
			return Equal(prev, e)
		}
		b[p.Name] = e
		return true
	case *Call:
		c, ok := e.(*Call)
		if !ok || c.Op != p.Op || len(c.Args) != len(p.Args) {
			return false
		}
		for i := range p.Args {
			if !match(p.Args[i], c.Args[i], b) {
				return false
			}
		}
		return true
	}
	return Equal(pat, e)
}

// Subst instantiates a rule's RHS with the bindings (bound subtrees are
// cloned so that the result shares no nodes with the input).
func Subst(rhs Expr, b map[string]Expr) Expr {
	switch x := rhs.(type) {
	case *Ref:
		if v, ok := b[x.Name]; ok {
			return Clone(v)
		}
		return Clone(x)
	case *Call:
		c := &Call{Op: x.Op, Pos: x.Pos, Args: make([]Expr, len(x.Args))}
		for i, a := range x.Args {
			c.Args[i] = Subst(a, b)
		}
		return c
	}
	return Clone(rhs)
}

// Step is one rule application: the rule and the subtree before and after.
type Step struct {
	Rule   *Rule
	Before Expr
	After  Expr
}

func (s Step) String() string {
	return fmt.Sprintf("%s   [%s]", Print(s.Before)+" => "+Print(s.After), s.Rule)
}

// FixpointError reports a rewrite that did not settle within the step
// limit, or (Nodes > 0) that grew the tree past Nodes nodes.
type FixpointError struct {
	Steps int
	Nodes int
	Expr  string
}

func (e *FixpointError) Error() string {
	at := e.Expr
	if len(at) > 200 {
		at = strings.ToValidUTF8(at[:200], "") + "…"
	}
	if e.Nodes > 0 {
		return fmt.Sprintf("rewriting grew the formula past %d nodes after %d steps (a rule that keeps growing it?), at %s", e.Nodes, e.Steps, at)
	}
	return fmt.Sprintf("rewrite did not reach a fixpoint after %d steps (a cycle in the rules?), at %s", e.Steps, at)
}

// Rewrite rewrites e to a fixpoint: children first, then the node itself,
// and again on each result, until no rule applies anywhere. The first
// matching rule (in file order) wins at each node. It returns a new tree
// (e is not modified) and the steps applied, in order. The number of steps
// is bounded by MaxSteps; going over it returns a *FixpointError with the
// partial result.
func (rs *RuleSet) Rewrite(e Expr) (Expr, []Step, error) {
	rw := rs.rewriter(e, true)
	out := rw.node(Clone(e))
	return out, rw.steps, rw.err(out)
}

// Canonical is Rewrite without the trace (the search's hot path).
func (rs *RuleSet) Canonical(e Expr) (Expr, int, error) {
	rw := rs.rewriter(e, false)
	out := rw.node(Clone(e))
	return out, rw.n, rw.err(out)
}

func (rs *RuleSet) rewriter(e Expr, trace bool) *rewriter {
	limit := rs.MaxSteps
	if limit <= 0 {
		limit = DefaultMaxSteps
	}
	size := Size(e)
	// A rule such as sum(x) -> sum(x + x) doubles the tree at each step;
	// rules that simplify seldom grow it at all.
	return &rewriter{rs: rs, limit: limit, trace: trace, size: size, maxSize: min(MaxNodes, 4*size+1024)}
}

type rewriter struct {
	rs            *RuleSet
	limit         int
	n             int
	over          bool
	trace         bool
	steps         []Step
	size, maxSize int
}

func (rw *rewriter) err(out Expr) error {
	switch {
	case rw.size > rw.maxSize:
		return &FixpointError{Steps: rw.n, Nodes: rw.maxSize, Expr: Print(out)}
	case rw.over:
		return &FixpointError{Steps: rw.limit, Expr: Print(out)}
	}
	return nil
}

// node rewrites e in place where possible and returns the result.
func (rw *rewriter) node(e Expr) Expr {
	for {
		if rw.over {
			return e
		}
		if c, ok := e.(*Call); ok {
			for i, a := range c.Args {
				c.Args[i] = rw.node(a)
			}
			if rw.over {
				return e
			}
		}
		next, rule := rw.apply(e)
		if rule == nil {
			return e
		}
		rw.n++
		if rw.trace {
			rw.steps = append(rw.steps, Step{Rule: rule, Before: Clone(e), After: Clone(next)})
		}
		rw.size += Size(next) - Size(e)
		if rw.n >= rw.limit || rw.size > rw.maxSize {
			rw.over = true
			return next
		}
		e = next
	}
}

func (rw *rewriter) apply(e Expr) (Expr, *Rule) {
	if _, ok := e.(*Call); !ok {
		return e, nil
	}
	for _, r := range rw.rs.Rewrites {
		b := map[string]Expr{}
		if match(r.Lhs, e, b) && r.holds(b) {
			out := Subst(r.Rhs, b)
			if p, ok := out.(*Call); ok {
				p.Pos = e.Position()
			}
			return out, r
		}
	}
	return e, nil
}

// Rejected returns the first reject rule matching e or any of its
// subtrees, and the matching subtree; nil when none matches.
func (rs *RuleSet) Rejected(e Expr) (*Rule, Expr) {
	var hit *Rule
	var at Expr
	Walk(e, func(n Expr) bool {
		if hit != nil {
			return false
		}
		for _, r := range rs.Rejects {
			if b := map[string]Expr{}; match(r.Lhs, n, b) && r.holds(b) {
				hit, at = r, n
				return false
			}
		}
		return true
	})
	return hit, at
}

// String lists the rules in file syntax, one per line.
func (rs *RuleSet) String() string {
	var b strings.Builder
	for _, r := range rs.Rewrites {
		b.WriteString(r.String() + "\n")
	}
	for _, r := range rs.Rejects {
		b.WriteString(r.String() + "\n")
	}
	return b.String()
}

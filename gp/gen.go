// Package gp is the proxy search of lpz (DESIGN.md §4, LPZero's Algorithm
// 1): typed random generation of proxy ASTs, crossover and mutation on the
// AST, rule-based pruning (RPS) from stdlib/rules.lpz, and a steady-state
// evolutionary loop whose fitness is Spearman ρ against ground truth over
// in-memory per-architecture inputs. The engine knows nothing about models
// or benchmarks: a Problem holds the inputs and the truth.
package gp

import (
	"fmt"
	"math/rand/v2"

	"lpz/lang"
	"lpz/stdlib"
)

// Shape selects the search space.
type Shape int

const (
	// Paper is LPZero's tree sum(g(f_n(…f_1(x1)), f_2n(…(x2)))) with Unary
	// ops per branch; a pruned branch (the paper's ∅) leaves the other.
	Paper Shape = iota
	// Free is any well-typed tree of depth ≤ Depth from the op table.
	Free
)

// Generator draws well-typed random proxies. It is not safe for concurrent
// use (it holds no random state itself: callers pass the generator).
type Generator struct {
	Table     *stdlib.Table
	Terminals []stdlib.Channel
	Shape     Shape
	Unary     int     // unary ops per branch (Paper); default 2
	Depth     int     // maximum depth (Free); default 4
	PruneProb float64 // probability of the ∅ op pruning one branch; default 1/(#unary ops + 1)

	unary   []*stdlib.Op // elementwise, reduction, normalisation
	elem    []*stdlib.Op
	binary  []*stdlib.Op
	total   *stdlib.Op // closes a proxy (stdlib.Total)
	mean    *stdlib.Op // the other aggregation of a branch (stdlib.Mean); may be nil
	checker *lang.Checker
}

// NewGenerator indexes the op table's classes. Terminals must not be empty.
func NewGenerator(table *stdlib.Table, terminals []stdlib.Channel, shape Shape, unary, depth int) (*Generator, error) {
	if len(terminals) == 0 {
		return nil, fmt.Errorf("gp: no terminals to build proxies from")
	}
	g := &Generator{Table: table, Terminals: terminals, Shape: shape, Unary: unary, Depth: depth}
	if g.Unary <= 0 {
		g.Unary = 2
	}
	if g.Depth <= 0 {
		g.Depth = 4
	}
	for _, op := range table.Ops() {
		switch op.Class {
		case stdlib.Elementwise:
			g.elem = append(g.elem, op)
			g.unary = append(g.unary, op)
		case stdlib.Reduction, stdlib.Normalization:
			g.unary = append(g.unary, op)
		case stdlib.Binary:
			g.binary = append(g.binary, op)
		}
	}
	if len(g.elem) == 0 || len(g.binary) == 0 {
		return nil, fmt.Errorf("gp: the op table needs elementwise and binary ops")
	}
	var ok bool
	if g.total, ok = table.ByRole(stdlib.Total); !ok {
		return nil, fmt.Errorf("gp: the op table needs an aggregation to close a proxy (role stdlib.Total)")
	}
	g.mean, _ = table.ByRole(stdlib.Mean)
	g.PruneProb = 1 / float64(len(g.unary)+1)
	inputs := map[string]lang.Type{}
	for _, t := range terminals {
		inputs[t.Name] = t.Type
	}
	g.checker = &lang.Checker{Ops: table, Inputs: inputs}
	return g, nil
}

// Check types e against the terminals.
func (g *Generator) Check(e lang.Expr) (*lang.Checked, error) {
	return g.checker.CheckExpr(e, "")
}

// resultType applies op to argument types; ok is false for a type error.
func (g *Generator) resultType(op string, args ...lang.Type) (lang.Type, bool) {
	sig, ok := g.Table.LookupOp(op)
	if !ok {
		return lang.Type{}, false
	}
	t, msg := sig.Result(args)
	return t, msg == "" && t.Kind != lang.Invalid
}

func (g *Generator) terminal(r *rand.Rand) (lang.Expr, lang.Type) {
	c := g.Terminals[r.IntN(len(g.Terminals))]
	return &lang.Ref{Name: c.Name}, c.Type
}

// applyUnary wraps e in a random unary op valid for its type. Elementwise
// ops apply to every type, so this never dead-ends.
func (g *Generator) applyUnary(r *rand.Rand, e lang.Expr, t lang.Type) (lang.Expr, lang.Type) {
	for tries := 0; tries < 8; tries++ {
		op := g.unary[r.IntN(len(g.unary))]
		if nt, ok := g.resultType(op.Name, t); ok {
			return &lang.Call{Op: op.Name, Args: []lang.Expr{e}}, nt
		}
	}
	op := g.elem[r.IntN(len(g.elem))]
	return &lang.Call{Op: op.Name, Args: []lang.Expr{e}}, t
}

// branch is f_n(…f_1(x)) for a random terminal x.
func (g *Generator) branch(r *rand.Rand, n int) (lang.Expr, lang.Type) {
	e, t := g.terminal(r)
	for i := 0; i < n; i++ {
		e, t = g.applyUnary(r, e, t)
	}
	return e, t
}

// toScalar aggregates e: the total (sum), or the mean (avg) where the mean
// gives a scalar (a tensor or a list of scalars). A scalar stays as it is.
func (g *Generator) toScalar(r *rand.Rand, e lang.Expr, t lang.Type) lang.Expr {
	if t.Kind == lang.Scalar {
		return e
	}
	if (t.Kind == lang.ListScalar || t.Kind == lang.Tensor) && r.IntN(2) == 0 && g.mean != nil {
		return &lang.Call{Op: g.mean.Name, Args: []lang.Expr{e}}
	}
	return &lang.Call{Op: g.total.Name, Args: []lang.Expr{e}}
}

// combine builds g(a, b) when the types allow it, else g(agg(a), agg(b)).
func (g *Generator) combine(r *rand.Rand, a lang.Expr, at lang.Type, b lang.Expr, bt lang.Type) (lang.Expr, lang.Type) {
	op := g.binary[r.IntN(len(g.binary))]
	if t, ok := g.resultType(op.Name, at, bt); ok {
		return &lang.Call{Op: op.Name, Args: []lang.Expr{a, b}}, t
	}
	return &lang.Call{Op: op.Name, Args: []lang.Expr{g.toScalar(r, a, at), g.toScalar(r, b, bt)}}, lang.ScalarType
}

// Random draws one well-typed scalar proxy.
func (g *Generator) Random(r *rand.Rand) lang.Expr {
	var e lang.Expr
	var t lang.Type
	switch g.Shape {
	case Free:
		e, t = g.free(r, g.Depth-1)
	default:
		a, at := g.branch(r, g.Unary)
		if r.Float64() < g.PruneProb {
			e, t = a, at
		} else {
			b, bt := g.branch(r, g.Unary)
			e, t = g.combine(r, a, at, b, bt)
		}
	}
	if t.Kind == lang.Scalar {
		return e
	}
	return &lang.Call{Op: g.total.Name, Args: []lang.Expr{e}}
}

// free draws a typed tree of depth ≤ depth+1.
func (g *Generator) free(r *rand.Rand, depth int) (lang.Expr, lang.Type) {
	if depth <= 0 || r.IntN(4) == 0 {
		return g.terminal(r)
	}
	if r.IntN(3) == 0 {
		a, at := g.free(r, depth-1)
		b, bt := g.free(r, depth-1)
		return g.combine(r, a, at, b, bt)
	}
	e, t := g.free(r, depth-1)
	return g.applyUnary(r, e, t)
}

// Subtree draws a random well-typed subtree of the given type (for
// mutation), or nil after a few tries.
func (g *Generator) Subtree(r *rand.Rand, want lang.Type, maxUnary int) lang.Expr {
	for tries := 0; tries < 16; tries++ {
		e, t := g.branch(r, r.IntN(maxUnary+1))
		if t == want {
			return e
		}
	}
	return nil
}

package gp

import (
	"math/rand/v2"

	"lpz/lang"
	"lpz/stdlib"
)

// site is one node of a checked tree: its type and how to replace it.
type site struct {
	e   lang.Expr
	typ lang.Type
	set func(lang.Expr) // replaces the node in its parent; nil for the root
}

// sites lists the nodes of a checked tree in pre-order.
func sites(c *lang.Checked) []site {
	var out []site
	var walk func(e lang.Expr, set func(lang.Expr))
	walk = func(e lang.Expr, set func(lang.Expr)) {
		out = append(out, site{e: e, typ: c.Types[e], set: set})
		if call, ok := e.(*lang.Call); ok {
			for i, a := range call.Args {
				walk(a, func(n lang.Expr) { call.Args[i] = n })
			}
		}
	}
	walk(c.Expr, nil)
	return out
}

// Crossover replaces a random non-root subtree of a by a subtree of b of
// the same type (the paper's branch swap generalised to any subtree). The
// type is preserved, so the child is well typed. The parents are not
// modified. ok is false when no pair of sites has a common type.
func (g *Generator) Crossover(r *rand.Rand, a, b lang.Expr) (lang.Expr, bool) {
	ca, err := g.Check(a) // a fresh copy of a, typed
	if err != nil {
		return nil, false
	}
	cb, err := g.Check(b)
	if err != nil {
		return nil, false
	}
	sa, sb := sites(ca)[1:], sites(cb)[1:]
	byType := map[lang.Type][]site{}
	for _, s := range sb {
		byType[s.typ] = append(byType[s.typ], s)
	}
	var cands []site
	for _, s := range sa {
		if len(byType[s.typ]) > 0 {
			cands = append(cands, s)
		}
	}
	if len(cands) == 0 {
		return nil, false
	}
	// Prefer larger subtrees slightly less: uniform over sites, as in
	// standard subtree crossover.
	at := cands[r.IntN(len(cands))]
	pool := byType[at.typ]
	from := pool[r.IntN(len(pool))]
	at.set(lang.Clone(from.e))
	return ca.Expr, true
}

// Mutate changes a copy of e: replace an op by another of the same class
// that keeps the type, replace a terminal by another of the same type, or
// replace a subtree by a new random one of the same type. It always returns
// a well-typed tree; when a chosen mutation is impossible it wraps a random
// node in an elementwise op (which keeps every type).
func (g *Generator) Mutate(r *rand.Rand, e lang.Expr) lang.Expr {
	c, err := g.Check(e)
	if err != nil {
		return lang.Clone(e)
	}
	ss := sites(c)
	for tries := 0; tries < 8; tries++ {
		s := ss[r.IntN(len(ss))]
		switch r.IntN(3) {
		case 0: // op
			call, ok := s.e.(*lang.Call)
			if !ok {
				continue
			}
			if g.mutateOp(r, call, c) {
				return c.Expr
			}
		case 1: // terminal
			ref, ok := s.e.(*lang.Ref)
			if !ok {
				continue
			}
			var same []stdlib.Channel
			for _, t := range g.Terminals {
				if t.Type == s.typ && t.Name != ref.Name {
					same = append(same, t)
				}
			}
			if len(same) == 0 {
				continue
			}
			ref.Name = same[r.IntN(len(same))].Name
			return c.Expr
		case 2: // subtree
			if s.set == nil {
				continue
			}
			n := g.Subtree(r, s.typ, g.Unary)
			if n == nil {
				continue
			}
			s.set(n)
			return c.Expr
		}
	}
	s := ss[r.IntN(len(ss))]
	op := g.elem[r.IntN(len(g.elem))]
	wrapped := &lang.Call{Op: op.Name, Args: []lang.Expr{s.e}}
	if s.set == nil {
		return wrapped
	}
	s.set(wrapped)
	return c.Expr
}

// mutateOp replaces call's op by another op of the same arity whose result
// type on the same argument types is unchanged.
func (g *Generator) mutateOp(r *rand.Rand, call *lang.Call, c *lang.Checked) bool {
	argTypes := make([]lang.Type, len(call.Args))
	for i, a := range call.Args {
		argTypes[i] = c.Types[a]
	}
	want := c.Types[call]
	var pool []*stdlib.Op
	if len(call.Args) == 2 {
		pool = g.binary
	} else {
		pool = g.unary
	}
	var cands []string
	for _, op := range pool {
		if op.Name == call.Op {
			continue
		}
		if t, ok := g.resultType(op.Name, argTypes...); ok && t == want {
			cands = append(cands, op.Name)
		}
	}
	if len(cands) == 0 {
		return false
	}
	call.Op = cands[r.IntN(len(cands))]
	return true
}

// Package interp evaluates checked lpz expressions. A Program is compiled
// once from a checked expression and is immutable: several goroutines may
// evaluate it at once (on different architectures' inputs).
package interp

import (
	"context"
	"fmt"
	"math"

	"lpz/lang"
	"lpz/stdlib"
	"lpz/tensor"
)

// Engine evaluates programs. The host engine (plain Go over []float32) is
// the CPU default; a GoMLX graph engine can implement the same interface.
type Engine interface {
	Eval(ctx context.Context, p *Program, in Inputs) (Value, error)
	Name() string
}

type nodeKind int

const (
	nodeInput nodeKind = iota
	nodeNum
	nodeLit
	nodeCall
)

type node struct {
	kind nodeKind
	typ  lang.Type
	pos  lang.Pos
	name string         // nodeInput
	num  float64        // nodeNum
	lit  *tensor.Tensor // nodeLit
	op   *stdlib.Op     // nodeCall
	args []*node
	text string // canonical source of this subtree (errors, memo keys)
}

// Program is a compiled, checked expression.
type Program struct {
	checked *lang.Checked
	root    *node
	src     string
	inputs  []string // input names referenced, sorted by first use
}

// Type is the program's result type.
func (p *Program) Type() lang.Type { return p.root.typ }

// String is the canonical source of the program.
func (p *Program) String() string { return p.root.text }

// Checked is the checked expression the program was compiled from (for
// other engines, which lower the same tree).
func (p *Program) Checked() *lang.Checked { return p.checked }

// Inputs lists the input names the program reads.
func (p *Program) Inputs() []string { return append([]string(nil), p.inputs...) }

// Compile turns a checked expression into a program over the op table.
func Compile(c *lang.Checked, table *stdlib.Table) (*Program, error) {
	p := &Program{src: lang.Print(c.Expr), checked: c}
	seen := map[string]bool{}
	var build func(e lang.Expr) (*node, error)
	build = func(e lang.Expr) (*node, error) {
		n := &node{typ: c.Types[e], pos: e.Position(), text: lang.Print(e)}
		switch x := e.(type) {
		case *lang.Num:
			n.kind, n.num = nodeNum, x.Value
		case *lang.Lit:
			t := tensor.New(x.Shape...)
			for i, v := range x.Data {
				t.Data[i] = float32(v)
			}
			n.kind, n.lit = nodeLit, t
		case *lang.Ref:
			n.kind, n.name = nodeInput, x.Name
			if !seen[x.Name] {
				seen[x.Name] = true
				p.inputs = append(p.inputs, x.Name)
			}
		case *lang.Call:
			op, ok := table.Lookup(x.Op)
			if !ok {
				return nil, &lang.Error{Pos: x.Pos, Msg: fmt.Sprintf("unknown operator %q", x.Op)}
			}
			n.kind, n.op = nodeCall, op
			for _, a := range x.Args {
				an, err := build(a)
				if err != nil {
					return nil, err
				}
				n.args = append(n.args, an)
			}
		}
		return n, nil
	}
	root, err := build(c.Expr)
	if err != nil {
		return nil, err
	}
	p.root = root
	return p, nil
}

// CompileSource parses, checks and compiles one expression against the
// given input types — the common path of the CLI and tests.
func CompileSource(src string, inputs map[string]lang.Type, table *stdlib.Table) (*Program, error) {
	e, err := lang.ParseExpr(src)
	if err != nil {
		return nil, err
	}
	ck := &lang.Checker{Ops: table, Inputs: inputs}
	c, err := ck.CheckExpr(e, src)
	if err != nil {
		return nil, err
	}
	return Compile(c, table)
}

// RuntimeError is an evaluation failure at a node: a shape mismatch, a
// missing input, a list length mismatch.
type RuntimeError struct {
	Pos  lang.Pos
	Expr string
	Msg  string
}

func (e *RuntimeError) Error() string { return fmt.Sprintf("%s: %s (in %s)", e.Pos, e.Msg, e.Expr) }

// NonFiniteError reports a NaN or ±Inf result.
type NonFiniteError struct {
	Value float64
	Expr  string
}

func (e *NonFiniteError) Error() string {
	return fmt.Sprintf("%s evaluates to %v (invalid score)", e.Expr, e.Value)
}

// IsFinite reports whether x is neither NaN nor ±Inf.
func IsFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// InputTypes derives the checker's input environment from evaluated inputs.
func InputTypes(in Inputs) map[string]lang.Type {
	m := make(map[string]lang.Type, len(in))
	for k, v := range in {
		m[k] = v.Type
	}
	return m
}

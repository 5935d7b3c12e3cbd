// Package interp evaluates checked lpz expressions. A Program is compiled
// once from a checked expression and is immutable: several goroutines may
// evaluate it at once (on different architectures' inputs).
package interp

import (
	"context"
	"errors"
	"fmt"
	"math"
	"unicode/utf8"

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
// It is linear in the size of the tree: the nodes are built as one
// printing of the whole reports its subtrees (lang.PrintSpans), and each
// node's text is a slice of that printing. A tree of more than
// lang.MaxNodes nodes is refused.
func Compile(c *lang.Checked, table *stdlib.Table) (*Program, error) {
	if err := lang.CheckSize(c.Expr); err != nil {
		return nil, err
	}
	b := &builder{types: c.Types, table: table, seen: map[string]bool{}}
	p := &Program{checked: c}
	p.src = lang.PrintSpans(c.Expr, b.add)
	if b.err != nil {
		return nil, b.err
	}
	for i, n := range b.all {
		n.text = p.src[b.spans[i][0]:b.spans[i][1]]
	}
	p.root, p.inputs = b.stack[0], b.inputs
	return p, nil
}

// builder makes the nodes of a program in the order PrintSpans reports
// subtrees: each after its arguments, so these are the last ones built.
type builder struct {
	types  map[lang.Expr]lang.Type
	table  *stdlib.Table
	stack  []*node // finished subtrees waiting for their parent
	all    []*node
	spans  [][2]int
	seen   map[string]bool
	inputs []string
	err    error
}

func (b *builder) add(e lang.Expr, start, end int) {
	n := &node{typ: b.types[e], pos: e.Position()}
	switch x := e.(type) {
	case *lang.Num:
		n.kind, n.num = nodeNum, x.Value
	case *lang.Lit:
		n.kind, n.lit = nodeLit, LiteralValue(x).Tensor
	case *lang.Ref:
		n.kind, n.name = nodeInput, x.Name
		if !b.seen[x.Name] {
			b.seen[x.Name] = true
			b.inputs = append(b.inputs, x.Name)
		}
	case *lang.Call:
		k := len(b.stack) - len(x.Args)
		n.args = append([]*node(nil), b.stack[k:]...)
		b.stack = b.stack[:k]
		op, ok := b.table.Lookup(x.Op)
		if !ok && b.err == nil {
			b.err = &lang.Error{Pos: x.Pos, Msg: fmt.Sprintf("unknown operator %q", x.Op)}
		}
		n.kind, n.op = nodeCall, op
	}
	b.stack = append(b.stack, n)
	b.all = append(b.all, n)
	b.spans = append(b.spans, [2]int{start, end})
}

// LiteralValue is the value of a tensor literal: its numbers as float32,
// as every tensor is.
func LiteralValue(x *lang.Lit) Value {
	t := tensor.New(x.Shape...)
	for i, v := range x.Data {
		t.Data[i] = float32(v)
	}
	return TensorValue(t)
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

func (e *RuntimeError) Error() string {
	return fmt.Sprintf("%s: %s (in %s)", e.Pos, e.Msg, shortExpr(e.Expr))
}

// shortExpr cuts the text of a huge subtree in a message to its start.
func shortExpr(s string) string {
	const limit = 200
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// atStatement places an evaluation error of the statement at pos, unless
// it carries its own position already (a runtime error names the very
// node, and a second prefix would read "f:1:1: f:1:7: …").
func atStatement(pos lang.Pos, err error) error {
	var rt *RuntimeError
	var ie *InternalError
	var le *lang.Error
	if errors.As(err, &rt) || errors.As(err, &ie) || errors.As(err, &le) {
		return err
	}
	return fmt.Errorf("%s: %w", pos, err)
}

// NonFiniteError reports a NaN or ±Inf result.
type NonFiniteError struct {
	Value float64
	Expr  string
}

func (e *NonFiniteError) Error() string {
	return fmt.Sprintf("%s evaluates to %v (invalid score)", shortExpr(e.Expr), e.Value)
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

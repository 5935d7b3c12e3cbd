package stdlib

// Node is a value in a graph under construction. It is opaque here: only
// the Graph that made it reads it.
type Node any

// Graph is what a graph engine offers the lowerings of the table: the
// primitive operations of its graph builder. A lowering composes them, so
// the table holds every op's graph form without depending on an engine
// (runtime implements Graph over GoMLX). Binary operations take two nodes
// of one shape, or a rank-0 node with any node; tensors are float32,
// values reduced from them float64 (the engine converts before reducing).
type Graph interface {
	Abs(x Node) Node
	Square(x Node) Node
	Exp(x Node) Node
	Log(x Node) Node
	Sqrt(x Node) Node
	Reciprocal(x Node) Node
	Neg(x Node) Node
	Logistic(x Node) Node

	Add(a, b Node) Node
	Sub(a, b Node) Node
	Mul(a, b Node) Node
	Div(a, b Node) Node
	Max(a, b Node) Node
	GreaterThan(a, b Node) Node // a boolean node
	Where(cond, a, b Node) Node

	Zeros(x Node) Node            // zeros of x's shape and dtype
	Ones(x Node) Node             // ones of x's shape and dtype
	Const(x Node, v float64) Node // v as a rank-0 node of x's dtype
	Size(x Node) int              // x's number of elements

	// Over all elements of x: rank-0 results, and Softmax of x's shape.
	SumAll(x Node) Node
	MeanAll(x Node) Node
	MaxAll(x Node) Node
	MinAll(x Node) Node
	Softmax(x Node) Node
}

// Lowering is an op's form in a graph engine, in the shape of its class.
// Unary serves elementwise ops and normalisations (a node of the same
// shape) and reductions and aggregations (a rank-0 float64 node from all
// the elements of a float64 node; an aggregation's per-entry values are
// combined by the same lowering); Binary serves binary ops. HostOnly marks
// an op the graph engines do not lower, said on purpose so that a test of
// the table tells it from a forgotten lowering: the pairwise, matrix,
// power and axis classes, and sign, step, max and min, which the search
// does not draw; a program using one runs on the host engine.
type Lowering struct {
	Unary    func(g Graph, x Node) Node
	Binary   func(g Graph, a, b Node) Node
	HostOnly bool
}

// where0 is v where cond holds, else 0.
func where0(g Graph, cond, v Node) Node { return g.Where(cond, v, g.Zeros(v)) }

// positive is x > 0.
func positive(g Graph, x Node) Node { return g.GreaterThan(x, g.Zeros(x)) }

// lowerLog is the protected log: the log of 1 where x ≤ 0, so no NaN
// reaches a gradient or the select, then 0 there.
func lowerLog(g Graph, x Node) Node {
	pos := positive(g, x)
	return where0(g, pos, g.Log(g.Where(pos, x, g.Ones(x))))
}

func lowerAbsLog(g Graph, x Node) Node { return lowerLog(g, g.Abs(x)) }

func lowerSqrt(g Graph, x Node) Node     { return g.Sqrt(g.Max(x, g.Zeros(x))) }
func lowerRelu(g Graph, x Node) Node     { return g.Max(x, g.Zeros(x)) }
func lowerInv(g Graph, x Node) Node      { return g.Reciprocal(g.Add(x, g.Const(x, InvEps))) }
func lowerIdentity(_ Graph, x Node) Node { return x }
func lowerFro(g Graph, x Node) Node      { return g.Sqrt(g.SumAll(g.Square(x))) }
func lowerL1(g Graph, x Node) Node       { return g.MeanAll(g.Abs(x)) }

// lowerStd is the two-pass sample standard deviation (see sampleStd).
func lowerStd(g Graph, x Node) Node {
	n := g.Size(x)
	if n < 2 {
		return g.Const(x, 0)
	}
	d := g.Sub(x, g.MeanAll(x))
	return g.Sqrt(g.Div(g.SumAll(g.Square(d)), g.Const(x, float64(n-1))))
}

func lowerLogSoftmax(g Graph, x Node) Node {
	shifted := g.Sub(x, g.MaxAll(x))
	return g.Sub(shifted, g.Log(g.SumAll(g.Exp(shifted))))
}

func lowerMinMax(g Graph, x Node) Node {
	lo, hi := g.MinAll(x), g.MaxAll(x)
	return g.Div(g.Sub(x, lo), g.Add(g.Sub(hi, lo), g.Const(x, MinMaxEps)))
}

func lowerDiv(g Graph, a, b Node) Node {
	return g.Mul(a, g.Reciprocal(g.Add(b, g.Const(b, InvEps))))
}

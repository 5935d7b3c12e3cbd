package runtime

import (
	"context"
	"fmt"
	"sort"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:revive // graph DSL
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"lpz/interp"
	"lpz/lang"
	"lpz/stdlib"
	"lpz/tensor"
)

// GraphEngine is the interpreter's second engine: it lowers a checked
// program to one GoMLX graph and runs it on a backend. On XLA (GPU) the
// graph is fused and compiled; on SimpleGo the host engine is faster, so the
// CLI uses this engine only when the backend is XLA. Tensors are float32;
// reductions convert to float64 first, like the host engine's accumulation.
type GraphEngine struct {
	Backend backends.Backend
}

// Name implements interp.Engine.
func (e *GraphEngine) Name() string { return "gomlx:" + e.Backend.Name() }

// gomlx is stdlib.Graph over GoMLX nodes: the primitives the op table's
// lowerings (stdlib.Op.Graph) are written in.
type gomlx struct{}

func node(x stdlib.Node) *Node { return x.(*Node) }

func (gomlx) Abs(x stdlib.Node) stdlib.Node        { return Abs(node(x)) }
func (gomlx) Square(x stdlib.Node) stdlib.Node     { return Square(node(x)) }
func (gomlx) Exp(x stdlib.Node) stdlib.Node        { return Exp(node(x)) }
func (gomlx) Log(x stdlib.Node) stdlib.Node        { return Log(node(x)) }
func (gomlx) Sqrt(x stdlib.Node) stdlib.Node       { return Sqrt(node(x)) }
func (gomlx) Reciprocal(x stdlib.Node) stdlib.Node { return Reciprocal(node(x)) }
func (gomlx) Neg(x stdlib.Node) stdlib.Node        { return Neg(node(x)) }
func (gomlx) Logistic(x stdlib.Node) stdlib.Node   { return Logistic(node(x)) }

func (gomlx) Add(a, b stdlib.Node) stdlib.Node         { return Add(node(a), node(b)) }
func (gomlx) Sub(a, b stdlib.Node) stdlib.Node         { return Sub(node(a), node(b)) }
func (gomlx) Mul(a, b stdlib.Node) stdlib.Node         { return Mul(node(a), node(b)) }
func (gomlx) Div(a, b stdlib.Node) stdlib.Node         { return Div(node(a), node(b)) }
func (gomlx) Max(a, b stdlib.Node) stdlib.Node         { return Max(node(a), node(b)) }
func (gomlx) GreaterThan(a, b stdlib.Node) stdlib.Node { return GreaterThan(node(a), node(b)) }
func (gomlx) Where(c, a, b stdlib.Node) stdlib.Node    { return Where(node(c), node(a), node(b)) }

func (gomlx) Zeros(x stdlib.Node) stdlib.Node { return ZerosLike(node(x)) }
func (gomlx) Ones(x stdlib.Node) stdlib.Node  { return OnesLike(node(x)) }
func (gomlx) Size(x stdlib.Node) int          { return node(x).Shape().Size() }

func (gomlx) Const(x stdlib.Node, v float64) stdlib.Node {
	n := node(x)
	return ConstAsDType(n.Graph(), n.DType(), v)
}

func (gomlx) SumAll(x stdlib.Node) stdlib.Node  { return ReduceAllSum(node(x)) }
func (gomlx) MeanAll(x stdlib.Node) stdlib.Node { return ReduceAllMean(node(x)) }
func (gomlx) MaxAll(x stdlib.Node) stdlib.Node  { return ReduceAllMax(node(x)) }
func (gomlx) MinAll(x stdlib.Node) stdlib.Node  { return ReduceAllMin(node(x)) }

// Softmax flattens x: the op table's softmax is over all elements.
func (gomlx) Softmax(x stdlib.Node) stdlib.Node {
	n := node(x)
	return Reshape(Softmax(Reshape(n, n.Shape().Size()), 0), n.Shape().Dimensions...)
}

// unary and binary apply an op's lowering to GoMLX nodes.
func unary(op *stdlib.Op) func(*Node) *Node {
	return func(x *Node) *Node { return node(op.Graph.Unary(gomlx{}, x)) }
}

func binary(op *stdlib.Op) func(a, b *Node) *Node {
	return func(a, b *Node) *Node { return node(op.Graph.Binary(gomlx{}, a, b)) }
}

// gval is a language value inside a graph: a rank-0 float64 node for
// scalars, a float32 node for tensors, one node per entry for lists.
type gval struct {
	typ     lang.Type
	one     *Node
	entries []*Node
}

// Eval implements interp.Engine: it builds and runs one graph for the
// program over these inputs (the graph is cached by input shapes).
func (e *GraphEngine) Eval(ctx context.Context, p *interp.Program, in interp.Inputs) (interp.Value, error) {
	if err := ctx.Err(); err != nil {
		return interp.Value{}, err
	}
	c := p.Checked()
	// Parameters: every tensor entry of every referenced input, in a fixed order.
	names := p.Inputs()
	sort.Strings(names)
	var args []any
	type slot struct{ first, n int }
	slots := map[string]slot{}
	for _, name := range names {
		v, ok := in[name]
		if !ok {
			return interp.Value{}, fmt.Errorf("input %s is not loaded", name)
		}
		s := slot{first: len(args)}
		switch v.Type.Kind {
		case lang.Scalar:
			args = append(args, v.Scalar)
		case lang.Tensor:
			args = append(args, hostToDevice(v.Tensor))
		case lang.ListScalar:
			for _, x := range v.Scalars {
				args = append(args, x)
			}
		case lang.ListTensor:
			for _, t := range v.Tensors {
				args = append(args, hostToDevice(t))
			}
		}
		s.n = len(args) - s.first
		slots[name] = s
	}
	var buildErr error
	exec, err := NewExec(e.Backend, func(params []*Node) *Node {
		lw := &lowering{params: params, slots: func(name string) (int, int) { s := slots[name]; return s.first, s.n }, in: in, types: c.Types}
		v, err := lw.lower(c.Expr)
		if err != nil {
			buildErr = err
			return ScalarZero(params[0].Graph(), dtypes.Float64)
		}
		return lw.toScalar(v)
	})
	if err != nil {
		return interp.Value{}, err
	}
	if len(args) == 0 {
		return interp.Value{}, fmt.Errorf("graph engine: a program without inputs is evaluated by the host engine")
	}
	out, err := exec.Exec(args...)
	if buildErr != nil {
		return interp.Value{}, buildErr
	}
	if err != nil {
		return interp.Value{}, err
	}
	x := tensors.MustCopyFlatData[float64](out[0])[0]
	v := interp.ScalarValue(x)
	if !interp.IsFinite(x) {
		return v, &interp.NonFiniteError{Value: x, Expr: p.String()}
	}
	return v, nil
}

func hostToDevice(t *tensor.Tensor) *tensors.Tensor {
	return tensors.FromFlatDataAndDimensions(t.Data, t.Shape...)
}

type lowering struct {
	params []*Node
	slots  func(name string) (first, n int)
	in     interp.Inputs
	types  map[lang.Expr]lang.Type
}

// toScalar reduces the final value (the engine ranks scalar proxies).
func (lw *lowering) toScalar(v gval) *Node {
	if v.typ.Kind == lang.Scalar {
		return v.one
	}
	return ReduceAllSum(ConvertDType(v.one, dtypes.Float64))
}

func (lw *lowering) lower(e lang.Expr) (gval, error) {
	t := lw.types[e]
	switch x := e.(type) {
	case *lang.Num:
		return gval{typ: t, one: Const(lw.params[0].Graph(), x.Value)}, nil
	case *lang.Lit:
		data := make([]float32, len(x.Data))
		for i, v := range x.Data {
			data[i] = float32(v)
		}
		return gval{typ: t, one: Const(lw.params[0].Graph(), tensors.FromFlatDataAndDimensions(data, x.Shape...))}, nil
	case *lang.Ref:
		first, n := lw.slots(x.Name)
		ps := lw.params[first : first+n]
		switch t.Kind {
		case lang.Scalar, lang.Tensor:
			return gval{typ: t, one: ps[0]}, nil
		}
		return gval{typ: t, entries: ps}, nil
	case *lang.Call:
		op, ok := stdlib.Default.Lookup(x.Op)
		if !ok {
			return gval{}, fmt.Errorf("unknown operator %s", x.Op)
		}
		if op.Graph.Unary == nil && op.Graph.Binary == nil {
			return gval{}, fmt.Errorf("%s: operator %s has no GoMLX lowering; use the host engine", x.Pos, op.Name)
		}
		args := make([]gval, len(x.Args))
		for i, a := range x.Args {
			v, err := lw.lower(a)
			if err != nil {
				return gval{}, err
			}
			args[i] = v
		}
		return lw.apply(x, op, args, t)
	}
	return gval{}, fmt.Errorf("unexpected node %T", e)
}

func f64(x *Node) *Node { return ConvertDType(x, dtypes.Float64) }

// stack turns the scalar entries of a list<scalar> into one vector.
func stack(entries []*Node) *Node { return Stack(entries, 0) }

func (lw *lowering) apply(x *lang.Call, op *stdlib.Op, a []gval, t lang.Type) (gval, error) {
	switch op.Class {
	case stdlib.Elementwise:
		return mapEntries(a[0], t, unary(op)), nil
	case stdlib.Normalization:
		norm := unary(op)
		if a[0].typ.Kind == lang.ListScalar {
			vec := norm(stack(a[0].entries))
			out := make([]*Node, len(a[0].entries))
			for i := range out {
				out[i] = Reshape(Slice(vec, AxisElem(i)))
			}
			return gval{typ: t, entries: out}, nil
		}
		return mapEntries(a[0], t, norm), nil
	case stdlib.Reduction, stdlib.Aggregation:
		reduce, v := unary(op), a[0]
		switch v.typ.Kind {
		case lang.Scalar:
			if op.Class == stdlib.Aggregation {
				return v, nil
			}
		case lang.Tensor:
			return gval{typ: t, one: reduce(f64(v.one))}, nil
		case lang.ListScalar:
			return gval{typ: t, one: reduce(stack(v.entries))}, nil
		case lang.ListTensor:
			red := make([]*Node, len(v.entries))
			for i, e := range v.entries {
				red[i] = reduce(f64(e))
			}
			if op.Class == stdlib.Aggregation {
				return gval{typ: t, one: reduce(stack(red))}, nil
			}
			return gval{typ: t, entries: red}, nil
		}
	case stdlib.Binary:
		return lw.binary(x, binary(op), a[0], a[1], t)
	}
	return gval{}, fmt.Errorf("%s: %s of a %s has no lowering", x.Pos, op.Name, a[0].typ)
}

func mapEntries(v gval, t lang.Type, f func(*Node) *Node) gval {
	if v.entries == nil {
		return gval{typ: t, one: f(v.one)}
	}
	out := make([]*Node, len(v.entries))
	for i, e := range v.entries {
		out[i] = f(e)
	}
	return gval{typ: t, entries: out}
}

func (lw *lowering) binary(x *lang.Call, f func(a, b *Node) *Node, a, b gval, t lang.Type) (gval, error) {
	n := max(len(a.entries), len(b.entries))
	if a.entries != nil && b.entries != nil && len(a.entries) != len(b.entries) {
		return gval{}, fmt.Errorf("%s: lists of family %s have %d and %d entries", x.Pos, a.typ.Family, len(a.entries), len(b.entries))
	}
	entry := func(v gval, i int) *Node {
		if v.entries != nil {
			return v.entries[i]
		}
		return v.one
	}
	combine := func(p, q *Node) (*Node, error) {
		// Scalars are float64, tensors float32: a tensor side sets the dtype.
		if p.Rank() == 0 && q.Rank() > 0 {
			p = ConvertDType(p, q.DType())
		} else if q.Rank() == 0 && p.Rank() > 0 {
			q = ConvertDType(q, p.DType())
		} else if p.DType() != q.DType() {
			p, q = f64(p), f64(q)
		}
		p, q, err := broadcastPair(p, q)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", x.Pos, err)
		}
		return f(p, q), nil
	}
	if a.entries == nil && b.entries == nil {
		out, err := combine(a.one, b.one)
		return gval{typ: t, one: out}, err
	}
	out := make([]*Node, n)
	for i := range out {
		r, err := combine(entry(a, i), entry(b, i))
		if err != nil {
			return gval{}, err
		}
		out[i] = r
	}
	return gval{typ: t, entries: out}, nil
}

// broadcastPair applies numpy broadcasting (shapes aligned on the right, 1s
// stretch) explicitly, as GoMLX's binary ops want equal shapes or a scalar.
func broadcastPair(a, b *Node) (*Node, *Node, error) {
	if a.Rank() == 0 || b.Rank() == 0 {
		return a, b, nil
	}
	as, bs := a.Shape().Dimensions, b.Shape().Dimensions
	rank := max(len(as), len(bs))
	pad := func(d []int) []int {
		out := make([]int, rank)
		for i := range out {
			out[i] = 1
		}
		copy(out[rank-len(d):], d)
		return out
	}
	pa, pb := pad(as), pad(bs)
	dims := make([]int, rank)
	for i := range dims {
		switch {
		case pa[i] == pb[i]:
			dims[i] = pa[i]
		case pa[i] == 1:
			dims[i] = pb[i]
		case pb[i] == 1:
			dims[i] = pa[i]
		default:
			return nil, nil, fmt.Errorf("shapes %s and %s do not broadcast", tensor.ShapeString(as), tensor.ShapeString(bs))
		}
	}
	grow := func(x *Node, p []int) *Node {
		x = Reshape(x, p...)
		same := true
		for i := range p {
			same = same && p[i] == dims[i]
		}
		if same {
			return x
		}
		return BroadcastToDims(x, dims...)
	}
	return grow(a, pa), grow(b, pb), nil
}

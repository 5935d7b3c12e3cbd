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

// graphKernel is the GoMLX lowering of one operator of the table.
type graphKernel struct {
	unary  func(x *Node) *Node    // elementwise
	reduce func(x *Node) *Node    // all elements of a float64 node → rank-0
	norm   func(x *Node) *Node    // over all elements, same shape
	binary func(a, b *Node) *Node // same shapes
}

func where0(cond, v *Node) *Node { return Where(cond, v, ZerosLike(v)) }

func scalarLike(x *Node, v float64) *Node { return ConstAsDType(x.Graph(), x.DType(), v) }

// graphKernels attaches a lowering to every operator of the table; the test
// TestGraphKernelsCoverTable fails when an operator has none.
var graphKernels = map[string]graphKernel{
	"log": {unary: func(x *Node) *Node {
		pos := GreaterThan(x, ZerosLike(x))
		return where0(pos, Log(Where(pos, x, OnesLike(x))))
	}},
	"abslog": {unary: func(x *Node) *Node {
		ax := Abs(x)
		pos := GreaterThan(ax, ZerosLike(ax))
		return where0(pos, Log(Where(pos, ax, OnesLike(ax))))
	}},
	"abs":     {unary: Abs},
	"sq":      {unary: Square},
	"exp":     {unary: Exp},
	"sqrt":    {unary: func(x *Node) *Node { return Sqrt(Max(x, ZerosLike(x))) }},
	"relu":    {unary: func(x *Node) *Node { return Max(x, ZerosLike(x)) }},
	"inv":     {unary: func(x *Node) *Node { return Reciprocal(Add(x, scalarLike(x, stdlib.InvEps))) }},
	"neg":     {unary: Neg},
	"sigmoid": {unary: Logistic},
	"id":      {unary: func(x *Node) *Node { return x }},
	"fro":     {reduce: func(x *Node) *Node { return Sqrt(ReduceAllSum(Square(x))) }},
	"nsum":    {reduce: ReduceAllMean},
	"avg":     {reduce: ReduceAllMean},
	"l1":      {reduce: func(x *Node) *Node { return ReduceAllMean(Abs(x)) }},
	"std": {reduce: func(x *Node) *Node {
		n := x.Shape().Size()
		if n < 2 {
			return ScalarZero(x.Graph(), x.DType())
		}
		d := Sub(x, ReduceAllMean(x))
		return Sqrt(Div(ReduceAllSum(Square(d)), scalarLike(x, float64(n-1))))
	}},
	"sum": {reduce: ReduceAllSum},
	"softmax": {norm: func(x *Node) *Node {
		flat := Reshape(x, x.Shape().Size())
		return Reshape(Softmax(flat, 0), x.Shape().Dimensions...)
	}},
	"logsoftmax": {norm: func(x *Node) *Node {
		m := StopGradient(ReduceAllMax(x))
		shifted := Sub(x, m)
		return Sub(shifted, Log(ReduceAllSum(Exp(shifted))))
	}},
	"minmax": {norm: func(x *Node) *Node {
		lo, hi := ReduceAllMin(x), ReduceAllMax(x)
		return Div(Sub(x, lo), Add(Sub(hi, lo), scalarLike(x, stdlib.MinMaxEps)))
	}},
	"add": {binary: Add},
	"sub": {binary: Sub},
	"mul": {binary: Mul},
	"div": {binary: func(a, b *Node) *Node { return Mul(a, Reciprocal(Add(b, scalarLike(b, stdlib.InvEps)))) }},
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
		k, ok := graphKernels[op.Name]
		if !ok {
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
		return lw.apply(x, op, k, args, t)
	}
	return gval{}, fmt.Errorf("unexpected node %T", e)
}

func f64(x *Node) *Node { return ConvertDType(x, dtypes.Float64) }

// stack turns the scalar entries of a list<scalar> into one vector.
func stack(entries []*Node) *Node { return Stack(entries, 0) }

func (lw *lowering) apply(x *lang.Call, op *stdlib.Op, k graphKernel, a []gval, t lang.Type) (gval, error) {
	switch op.Class {
	case stdlib.Elementwise:
		return mapEntries(a[0], t, k.unary), nil
	case stdlib.Normalization:
		if a[0].typ.Kind == lang.ListScalar {
			vec := k.norm(stack(a[0].entries))
			out := make([]*Node, len(a[0].entries))
			for i := range out {
				out[i] = Reshape(Slice(vec, AxisElem(i)))
			}
			return gval{typ: t, entries: out}, nil
		}
		return mapEntries(a[0], t, k.norm), nil
	case stdlib.Reduction, stdlib.Aggregation:
		v := a[0]
		switch v.typ.Kind {
		case lang.Scalar:
			if op.Class == stdlib.Aggregation {
				return v, nil
			}
		case lang.Tensor:
			return gval{typ: t, one: k.reduce(f64(v.one))}, nil
		case lang.ListScalar:
			return gval{typ: t, one: k.reduce(stack(v.entries))}, nil
		case lang.ListTensor:
			red := make([]*Node, len(v.entries))
			for i, e := range v.entries {
				red[i] = k.reduce(f64(e))
			}
			if op.Class == stdlib.Aggregation {
				return gval{typ: t, one: ReduceAllSum(stack(red))}, nil
			}
			return gval{typ: t, entries: red}, nil
		}
	case stdlib.Binary:
		return lw.binary(x, k, a[0], a[1], t)
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

func (lw *lowering) binary(x *lang.Call, k graphKernel, a, b gval, t lang.Type) (gval, error) {
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
		return k.binary(p, q), nil
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

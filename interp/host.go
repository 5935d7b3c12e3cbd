package interp

import (
	"context"
	"fmt"
	"math"
	"runtime"

	"lpz/lang"
	"lpz/parallel"
	"lpz/stdlib"
	"lpz/tensor"
)

// Host is the plain-Go engine: kernels from the op table over []float32,
// list entries split across goroutines. The zero value is ready to use.
type Host struct {
	// Workers bounds the goroutines used for the entries of one list;
	// 0 means GOMAXPROCS.
	Workers int
	// MaxElems bounds the elements of a tensor that an op creates larger
	// than its operands (a broadcast of [n,1] with [1,m], the [B,B] Gram
	// matrix of many rows); 0 means DefaultMaxElems. A larger result is a
	// runtime error at that op instead of an allocation that exhausts
	// memory: gram(W) over a [50257,768] embedding would need 10 GB.
	MaxElems int
}

// DefaultMaxElems is Host.MaxElems when unset: 2²⁷ float32 elements
// (512 MiB; a pairwise op holds a float64 copy besides, 1 GiB). Every
// result no larger than an operand is allowed whatever the limit.
const DefaultMaxElems = 1 << 27

// Name implements Engine.
func (Host) Name() string { return "host" }

// Eval implements Engine. A scalar result that is NaN or ±Inf is returned
// together with a *NonFiniteError.
func (h Host) Eval(ctx context.Context, p *Program, in Inputs) (v Value, err error) {
	ev := h.evaluator(ctx, in, p.root)
	defer ev.caught(&v, &err)
	v, err = ev.eval(p.root)
	if err != nil {
		return Value{}, err
	}
	if v.Type.Kind == lang.Scalar && !IsFinite(v.Scalar) {
		return v, &NonFiniteError{Value: v.Scalar, Expr: p.root.text}
	}
	return v, nil
}

// Apply applies one operator of the table to values already evaluated,
// exactly as a compiled program applies it at a node whose arguments
// have these values: the same kernels, broadcasting, list pairing,
// parallelism, limits and errors, which name the node at pos and expr
// (its source). An evaluator that keeps its own tree (gp's, which
// memoises values by subtree) calls it node by node. An op whose class
// takes a constant argument (Class.ConstArg) gets it as args[1]: a
// program checks at the node that it reads no input, the caller checks
// that in its own tree. A non-finite result is no error here: it is an
// intermediate value (Eval reports one at the root).
func (h Host) Apply(ctx context.Context, op *stdlib.Op, args []Value, pos lang.Pos, expr string) (v Value, err error) {
	n := &node{kind: nodeCall, op: op, pos: pos, text: expr}
	if len(args) != op.Arity {
		return Value{}, &RuntimeError{Pos: pos, Expr: expr, Msg: fmt.Sprintf("%s takes %d arguments, got %d", op.Name, op.Arity, len(args))}
	}
	if err := ctx.Err(); err != nil {
		return Value{}, err
	}
	ev := h.evaluator(ctx, nil, n)
	defer ev.caught(&v, &err)
	return ev.apply(n, args)
}

func (h Host) evaluator(ctx context.Context, in Inputs, at *node) *evaluator {
	ev := &evaluator{ctx: ctx, in: in, workers: h.Workers, maxElems: h.MaxElems, at: at}
	if ev.workers <= 0 {
		ev.workers = runtime.GOMAXPROCS(0)
	}
	if ev.maxElems <= 0 {
		ev.maxElems = DefaultMaxElems
	}
	return ev
}

// caught turns a kernel's panic into an InternalError at the op being
// applied (deferred by Eval and Apply: a bug in a kernel must not end a
// REPL session or a search).
func (ev *evaluator) caught(v *Value, err *error) {
	if r := recover(); r != nil {
		*v, *err = Value{}, &InternalError{Pos: ev.at.pos, Expr: ev.at.text, Panic: fmt.Sprint(r)}
	}
}

type evaluator struct {
	ctx      context.Context
	in       Inputs
	workers  int
	maxElems int
	at       *node // the op being applied, named if a kernel panics
}

func (ev *evaluator) fail(n *node, format string, args ...any) error {
	return &RuntimeError{Pos: n.pos, Expr: n.text, Msg: fmt.Sprintf(format, args...)}
}

func (ev *evaluator) eval(n *node) (Value, error) {
	if err := ev.ctx.Err(); err != nil {
		return Value{}, err
	}
	switch n.kind {
	case nodeNum:
		return ScalarValue(n.num), nil
	case nodeLit:
		return TensorValue(n.lit), nil
	case nodeInput:
		v, ok := ev.in[n.name]
		if !ok {
			return Value{}, ev.fail(n, "input %s is not loaded", n.name)
		}
		if v.Type.Kind != n.typ.Kind {
			return Value{}, ev.fail(n, "input %s is a %s here but was checked as %s", n.name, v.Type, n.typ)
		}
		return v, nil
	}
	args := make([]Value, len(n.args))
	for i, a := range n.args {
		v, err := ev.eval(a)
		if err != nil {
			return Value{}, err
		}
		args[i] = v
	}
	return ev.apply(n, args)
}

// apply applies the op of node n to its evaluated arguments.
func (ev *evaluator) apply(n *node, args []Value) (Value, error) {
	ev.at = n
	switch n.op.Class {
	case stdlib.Elementwise:
		return ev.elementwise(n, args[0])
	case stdlib.Reduction:
		return ev.reduction(n, args[0])
	case stdlib.Normalization:
		return ev.normalization(n, args[0])
	case stdlib.Binary:
		return ev.binary(n, args[0], args[1])
	case stdlib.Aggregation:
		return ev.aggregate(n, args[0])
	case stdlib.Pairwise:
		return ev.pairwise(n, args[0])
	case stdlib.Matrix:
		return ev.matrix(n, args[0])
	case stdlib.Power:
		if err := ev.constArg(n); err != nil {
			return Value{}, err
		}
		return ev.power(n, args[0], args[1].Scalar)
	case stdlib.Axis:
		if err := ev.constArg(n); err != nil {
			return Value{}, err
		}
		return ev.axis(n, args[0], args[1].Scalar)
	}
	return Value{}, ev.fail(n, "operator %s has no host kernel", n.op.Name)
}

// parallel runs f(i) for i in [0, n) on up to ev.workers goroutines when
// the work is large enough to pay for them.
func (ev *evaluator) parallel(n int, elems int, f func(i int)) error {
	if ev.workers <= 1 || n < 2 || elems < 1<<16 {
		// The hot path of a search (small lists, one goroutine) stays a
		// plain loop that looks for a cancellation every 8 entries: it
		// runs for every operator applied.
		for i := 0; i < n; i++ {
			if i&7 == 0 {
				if err := ev.ctx.Err(); err != nil {
					return err
				}
			}
			f(i)
		}
		return nil
	}
	// A panicking kernel comes back here from the workers, for Eval's
	// recover, which names the op.
	return parallel.For(ev.ctx, n, parallel.Options{Workers: ev.workers}, func(i int) error {
		f(i)
		return nil
	})
}

func totalElems(ts []*tensor.Tensor) int {
	n := 0
	for _, t := range ts {
		n += t.Len()
	}
	return n
}

func mapTensor(op *stdlib.Op, t *tensor.Tensor) *tensor.Tensor {
	out := &tensor.Tensor{Shape: t.Shape, Data: make([]float32, len(t.Data))}
	op.F32(out.Data, t.Data)
	return out
}

func (ev *evaluator) elementwise(n *node, x Value) (Value, error) {
	op := n.op
	switch x.Type.Kind {
	case lang.Scalar:
		return ScalarValue(op.F(x.Scalar)), nil
	case lang.Tensor:
		return TensorValue(mapTensor(op, x.Tensor)), nil
	case lang.ListScalar:
		out := make([]float64, len(x.Scalars))
		for i, v := range x.Scalars {
			out[i] = op.F(v)
		}
		return Value{Type: x.Type, Scalars: out, Names: x.Names}, nil
	case lang.ListTensor:
		out := make([]*tensor.Tensor, len(x.Tensors))
		err := ev.parallel(len(out), totalElems(x.Tensors), func(i int) { out[i] = mapTensor(op, x.Tensors[i]) })
		return Value{Type: x.Type, Tensors: out, Names: x.Names}, err
	}
	return Value{}, ev.fail(n, "%s of a %s", op.Name, x.Type)
}

func (ev *evaluator) reduction(n *node, x Value) (Value, error) {
	op := n.op
	switch x.Type.Kind {
	case lang.Tensor:
		return ScalarValue(op.Reduce32(x.Tensor.Data)), nil
	case lang.ListScalar:
		return ScalarValue(op.Reduce64(x.Scalars)), nil
	case lang.ListTensor:
		out := make([]float64, len(x.Tensors))
		err := ev.parallel(len(out), totalElems(x.Tensors), func(i int) { out[i] = op.Reduce32(x.Tensors[i].Data) })
		return Value{Type: lang.ListOf(lang.Scalar, x.Type.Family), Scalars: out, Names: x.Names}, err
	}
	return Value{}, ev.fail(n, "cannot reduce a %s", x.Type)
}

func (ev *evaluator) normalization(n *node, x Value) (Value, error) {
	op := n.op
	norm := func(t *tensor.Tensor) *tensor.Tensor {
		out := &tensor.Tensor{Shape: t.Shape, Data: make([]float32, len(t.Data))}
		op.Norm32(out.Data, t.Data)
		return out
	}
	switch x.Type.Kind {
	case lang.Tensor:
		return TensorValue(norm(x.Tensor)), nil
	case lang.ListScalar:
		out := make([]float64, len(x.Scalars))
		op.Norm64(out, x.Scalars)
		return Value{Type: x.Type, Scalars: out, Names: x.Names}, nil
	case lang.ListTensor:
		out := make([]*tensor.Tensor, len(x.Tensors))
		err := ev.parallel(len(out), totalElems(x.Tensors), func(i int) { out[i] = norm(x.Tensors[i]) })
		return Value{Type: x.Type, Tensors: out, Names: x.Names}, err
	}
	return Value{}, ev.fail(n, "cannot normalise a %s", x.Type)
}

func (ev *evaluator) aggregate(n *node, x Value) (Value, error) {
	op := n.op
	switch x.Type.Kind {
	case lang.Scalar:
		return x, nil
	case lang.Tensor:
		return ScalarValue(op.Reduce32(x.Tensor.Data)), nil
	case lang.ListScalar:
		return ScalarValue(op.Reduce64(x.Scalars)), nil
	case lang.ListTensor:
		parts := make([]float64, len(x.Tensors))
		err := ev.parallel(len(parts), totalElems(x.Tensors), func(i int) { parts[i] = op.Reduce32(x.Tensors[i].Data) })
		return ScalarValue(op.Reduce64(parts)), err
	}
	return Value{}, ev.fail(n, "cannot aggregate a %s", x.Type)
}

// constArg checks that the second argument of a Power/Axis op reads no
// input: the checker types it as a scalar, constness is checked here.
func (ev *evaluator) constArg(n *node) error {
	var reads func(a *node) bool
	reads = func(a *node) bool {
		if a.kind == nodeInput {
			return true
		}
		for _, c := range a.args {
			if reads(c) {
				return true
			}
		}
		return false
	}
	if len(n.args) == 2 && reads(n.args[1]) {
		return ev.fail(n, "the second argument of %s must be a constant number (no inputs or variables), got %s", n.op.Name, n.args[1].text)
	}
	return nil
}

func (ev *evaluator) pairwise(n *node, x Value) (Value, error) {
	op := n.op
	pair := func(t *tensor.Tensor) (*tensor.Tensor, error) {
		if len(t.Shape) == 0 {
			return nil, fmt.Errorf("%s needs a batch axis, got a tensor of rank 0", op.Name)
		}
		b := t.Shape[0]
		if b > max(ev.maxElems, len(t.Data))/max(b, 1) {
			return nil, fmt.Errorf("%s of shape %s would be a [%d,%d] tensor, over the limit of %d elements per result", op.Name, tensor.ShapeString(t.Shape), b, b, ev.maxElems)
		}
		k := op.Pair(t.Data, b)
		out := tensor.New(b, b)
		for i, v := range k {
			out.Data[i] = float32(v)
		}
		return out, nil
	}
	switch x.Type.Kind {
	case lang.Tensor:
		t, err := pair(x.Tensor)
		if err != nil {
			return Value{}, ev.fail(n, "%v", err)
		}
		return TensorValue(t), nil
	case lang.ListTensor:
		out, err := eachEntry(ev, n, x, pair)
		if err != nil {
			return Value{}, err
		}
		return Value{Type: x.Type, Tensors: out, Names: x.Names}, nil
	}
	return Value{}, ev.fail(n, "%s of a %s", op.Name, x.Type)
}

func (ev *evaluator) matrix(n *node, x Value) (Value, error) {
	op := n.op
	one := func(t *tensor.Tensor) (float64, error) {
		r, c := stdlib.MatrixShape(t.Shape)
		v, err := op.Mat(t.Data, r, c)
		if err != nil {
			return 0, fmt.Errorf("%v (shape %s)", err, tensor.ShapeString(t.Shape))
		}
		return v, nil
	}
	switch x.Type.Kind {
	case lang.Tensor:
		v, err := one(x.Tensor)
		if err != nil {
			return Value{}, ev.fail(n, "%v", err)
		}
		return ScalarValue(v), nil
	case lang.ListTensor:
		out, err := eachEntry(ev, n, x, one)
		if err != nil {
			return Value{}, err
		}
		return Value{Type: lang.ListOf(lang.Scalar, x.Type.Family), Scalars: out, Names: x.Names}, nil
	}
	return Value{}, ev.fail(n, "%s of a %s", op.Name, x.Type)
}

func (ev *evaluator) power(n *node, x Value, c float64) (Value, error) {
	f := n.op.F2
	apply := func(t *tensor.Tensor) *tensor.Tensor {
		out := &tensor.Tensor{Shape: t.Shape, Data: make([]float32, len(t.Data))}
		for i, v := range t.Data {
			out.Data[i] = float32(f(float64(v), c))
		}
		return out
	}
	switch x.Type.Kind {
	case lang.Scalar:
		return ScalarValue(f(x.Scalar, c)), nil
	case lang.Tensor:
		return TensorValue(apply(x.Tensor)), nil
	case lang.ListScalar:
		out := make([]float64, len(x.Scalars))
		for i, v := range x.Scalars {
			out[i] = f(v, c)
		}
		return Value{Type: x.Type, Scalars: out, Names: x.Names}, nil
	case lang.ListTensor:
		out := make([]*tensor.Tensor, len(x.Tensors))
		err := ev.parallel(len(out), totalElems(x.Tensors), func(i int) { out[i] = apply(x.Tensors[i]) })
		return Value{Type: x.Type, Tensors: out, Names: x.Names}, err
	}
	return Value{}, ev.fail(n, "%s of a %s", n.op.Name, x.Type)
}

// reduceAxis applies r to every lane of t along axis k.
func reduceAxis(r func([]float32) float64, t *tensor.Tensor, k float64) (*tensor.Tensor, error) {
	rank := len(t.Shape)
	if k != math.Trunc(k) || k < -float64(rank) || k >= float64(rank) {
		return nil, fmt.Errorf("axis %v is not an integer axis of a tensor of shape %s (0 … %d, or −1 … −%d from the end)", k, tensor.ShapeString(t.Shape), rank-1, rank)
	}
	ax := int(k)
	if ax < 0 {
		ax += rank
	}
	outer, inner := 1, 1
	for _, d := range t.Shape[:ax] {
		outer *= d
	}
	for _, d := range t.Shape[ax+1:] {
		inner *= d
	}
	n := t.Shape[ax]
	shape := append(append([]int(nil), t.Shape[:ax]...), t.Shape[ax+1:]...)
	out := tensor.New(shape...)
	lane := make([]float32, n)
	for o := 0; o < outer; o++ {
		base := o * n * inner
		for i := 0; i < inner; i++ {
			for j := 0; j < n; j++ {
				lane[j] = t.Data[base+j*inner+i]
			}
			out.Data[o*inner+i] = float32(r(lane))
		}
	}
	return out, nil
}

func (ev *evaluator) axis(n *node, x Value, k float64) (Value, error) {
	op := n.op
	switch x.Type.Kind {
	case lang.Tensor:
		t, err := reduceAxis(op.Reduce32, x.Tensor, k)
		if err != nil {
			return Value{}, ev.fail(n, "%v", err)
		}
		return TensorValue(t), nil
	case lang.ListTensor:
		out, err := eachEntry(ev, n, x, func(t *tensor.Tensor) (*tensor.Tensor, error) { return reduceAxis(op.Reduce32, t, k) })
		if err != nil {
			return Value{}, err
		}
		return Value{Type: x.Type, Tensors: out, Names: x.Names}, nil
	}
	return Value{}, ev.fail(n, "%s of a %s", op.Name, x.Type)
}

// eachEntry applies f to every tensor entry of x (in parallel when large)
// and reports the first failing entry with its index and name.
func eachEntry[T any](ev *evaluator, n *node, x Value, f func(*tensor.Tensor) (T, error)) ([]T, error) {
	out := make([]T, len(x.Tensors))
	errs := make([]error, len(out))
	if err := ev.parallel(len(out), totalElems(x.Tensors), func(i int) { out[i], errs[i] = f(x.Tensors[i]) }); err != nil {
		return nil, err
	}
	for i, e := range errs {
		if e != nil {
			return nil, ev.fail(n, "entry %d%s: %v", i, entryName(x, x, i), e)
		}
	}
	return out, nil
}

// InternalError is a kernel's panic caught by the host engine: a bug in
// lpz, reported at the op that was being applied instead of ending the
// process (and a REPL session with it).
type InternalError struct {
	Pos   lang.Pos
	Expr  string
	Panic string
}

func (e *InternalError) Error() string {
	return fmt.Sprintf("%s: internal error: %s (in %s); this is a bug in lpz, please report it", e.Pos, e.Panic, e.Expr)
}

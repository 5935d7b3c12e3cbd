package interp

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"lpz/lang"
	"lpz/stdlib"
	"lpz/tensor"
)

// Host is the plain-Go engine: kernels from the op table over []float32,
// list entries split across goroutines. The zero value is ready to use.
type Host struct {
	// Workers bounds the goroutines used for the entries of one list;
	// 0 means GOMAXPROCS.
	Workers int
}

// Name implements Engine.
func (Host) Name() string { return "host" }

// Eval implements Engine. A scalar result that is NaN or ±Inf is returned
// together with a *NonFiniteError.
func (h Host) Eval(ctx context.Context, p *Program, in Inputs) (Value, error) {
	ev := &evaluator{ctx: ctx, in: in, workers: h.Workers}
	if ev.workers <= 0 {
		ev.workers = runtime.GOMAXPROCS(0)
	}
	v, err := ev.eval(p.root)
	if err != nil {
		return Value{}, err
	}
	if v.Type.Kind == lang.Scalar && !IsFinite(v.Scalar) {
		return v, &NonFiniteError{Value: v.Scalar, Expr: p.root.text}
	}
	return v, nil
}

type evaluator struct {
	ctx     context.Context
	in      Inputs
	workers int
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
	}
	return Value{}, ev.fail(n, "operator %s has no host kernel", n.op.Name)
}

// parallel runs f(i) for i in [0, n) on up to ev.workers goroutines when
// the work is large enough to pay for them.
func (ev *evaluator) parallel(n int, elems int, f func(i int)) error {
	if ev.workers <= 1 || n < 2 || elems < 1<<16 {
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
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < min(ev.workers, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	var err error
	for i := 0; i < n; i++ {
		if err = ev.ctx.Err(); err != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return err
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

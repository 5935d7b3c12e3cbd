package interp

import (
	"context"
	"errors"
	"math"
	"slices"
	"sort"
	"testing"

	"lpz/lang"
	"lpz/stdlib"
	"lpz/tensor"
)

// sameValue compares two values bit for bit (NaN equals NaN).
func sameValue(a, b Value) bool {
	f64 := func(x, y []float64) bool {
		return slices.EqualFunc(x, y, func(p, q float64) bool { return math.Float64bits(p) == math.Float64bits(q) })
	}
	t32 := func(x, y *tensor.Tensor) bool {
		if x == nil || y == nil {
			return x == y
		}
		return slices.Equal(x.Shape, y.Shape) &&
			slices.EqualFunc(x.Data, y.Data, func(p, q float32) bool { return math.Float32bits(p) == math.Float32bits(q) })
	}
	return a.Type == b.Type && f64([]float64{a.Scalar}, []float64{b.Scalar}) && f64(a.Scalars, b.Scalars) &&
		t32(a.Tensor, b.Tensor) && slices.EqualFunc(a.Tensors, b.Tensors, t32) && slices.Equal(a.Names, b.Names)
}

// TestApplyIsTheCompiledOp: applying an op to evaluated values gives what
// the compiled program op(a, b) gives on them, bit for bit, errors
// included, for every op on every edge input (gp evaluates node by node
// through Apply, and its scores must not depend on that).
func TestApplyIsTheCompiledOp(t *testing.T) {
	in := edgeInputs()
	var names []string
	for n := range in {
		names = append(names, n)
	}
	sort.Strings(names)
	ctx := context.Background()
	host := Host{Workers: 1}
	compared := 0
	try := func(op *stdlib.Op, src string, args []Value, env Inputs) {
		p, err := CompileSource(src, InputTypes(env), stdlib.Default)
		if err != nil {
			return // does not check: no program to compare with
		}
		want, werr := host.Eval(ctx, p, env)
		var nf *NonFiniteError
		if errors.As(werr, &nf) {
			werr = nil
		}
		got, gerr := host.Apply(ctx, op, args, p.root.pos, p.String())
		compared++
		switch {
		case (werr == nil) != (gerr == nil):
			t.Errorf("%s on %v: program error %v, Apply error %v", src, env, werr, gerr)
		case werr != nil && werr.Error() != gerr.Error():
			t.Errorf("%s: program error %q, Apply error %q", src, werr, gerr)
		case werr == nil && !sameValue(want, got):
			t.Errorf("%s: program %v, Apply %v", src, want, got)
		}
	}
	for _, op := range stdlib.Default.AllOps() {
		for _, a := range names {
			switch {
			case op.Arity == 1:
				try(op, op.Name+"(a)", []Value{in[a]}, Inputs{"a": in[a]})
			case op.Class.ConstArg():
				for _, c := range []float64{-1, 0, 0.5, 1, 2} {
					src := op.Name + "(a, " + lang.FormatNumber(c) + ")"
					try(op, src, []Value{in[a], ScalarValue(c)}, Inputs{"a": in[a]})
				}
			default:
				for _, b := range names {
					try(op, op.Name+"(a, b)", []Value{in[a], in[b]}, Inputs{"a": in[a], "b": in[b]})
				}
			}
		}
	}
	if compared < 2000 {
		t.Fatalf("only %d applications compared", compared)
	}
}

// TestApplyRefusesWrongArity: a wrong number of arguments is an error at
// the node, not a kernel's index panic.
func TestApplyRefusesWrongArity(t *testing.T) {
	add, _ := stdlib.Default.Lookup("add")
	_, err := Host{}.Apply(context.Background(), add, []Value{ScalarValue(1)}, lang.Pos{Line: 2, Col: 3}, "add(x)")
	var rt *RuntimeError
	if !errors.As(err, &rt) || rt.Pos.Line != 2 {
		t.Errorf("got %v", err)
	}
}

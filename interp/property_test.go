package interp

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"

	"lpz/lang"
	"lpz/stdlib"
	"lpz/tensor"
)

// syntheticInputs mimics a capture: ragged lists per family.
func syntheticInputs(r *rand.Rand) Inputs {
	mk := func(shape ...int) *tensor.Tensor {
		t := tensor.New(shape...)
		for i := range t.Data {
			t.Data[i] = float32(r.NormFloat64())
		}
		return t
	}
	return Inputs{
		"A":       TensorList("blocks", nil, []*tensor.Tensor{mk(2, 3, 8), mk(2, 3, 16)}),
		"H":       TensorList("blocks", nil, []*tensor.Tensor{mk(2, 3, 4), mk(2, 3, 4)}),
		"S":       TensorList("softmax", nil, []*tensor.Tensor{mk(2, 2, 3, 3)}),
		"W":       TensorList("weights", nil, []*tensor.Tensor{mk(4, 12), mk(4, 4), mk(4, 8), mk(8, 4)}),
		"G":       TensorList("weights", nil, []*tensor.Tensor{mk(4, 12), mk(4, 4), mk(4, 8), mk(8, 4)}),
		"J":       TensorList("input", nil, []*tensor.Tensor{mk(2, 3, 4)}),
		"params":  ScalarValue(1234),
		"dparams": ScalarValue(567),
	}
}

func randomTree(r *rand.Rand, ops []*stdlib.Op, depth int) lang.Expr {
	if depth == 0 || r.IntN(5) == 0 {
		switch r.IntN(6) {
		case 0:
			return &lang.Num{Value: r.NormFloat64() * 3}
		case 1:
			return &lang.Lit{Shape: []int{2}, Data: []float64{1, -2}}
		default:
			names := []string{"A", "H", "S", "W", "G", "J", "params", "dparams"}
			return &lang.Ref{Name: names[r.IntN(len(names))]}
		}
	}
	op := ops[r.IntN(len(ops))]
	args := make([]lang.Expr, op.Arity)
	for i := range args {
		args[i] = randomTree(r, ops, depth-1)
	}
	return &lang.Call{Op: op.Name, Args: args}
}

// Every tree the checker accepts evaluates without a panic: either a value
// or an error (shape mismatch, non-finite result).
func TestPropertyWellTypedTreesEvaluate(t *testing.T) {
	r := rand.New(rand.NewPCG(42, 1))
	in := syntheticInputs(r)
	// The same inputs with A and H empty (FlexiBERT layers without
	// attention): every accepted tree must still evaluate or fail cleanly.
	empty := Inputs{}
	for k, v := range in {
		empty[k] = v
	}
	empty["A"] = TensorList("blocks", nil, nil)
	empty["H"] = TensorList("blocks", nil, nil)
	ck := &lang.Checker{Ops: stdlib.Default, Inputs: InputTypes(in)}
	accepted := 0
	for i := 0; i < 4000; i++ {
		e := randomTree(r, stdlib.Default.Ops(), 5)
		src := lang.Print(e)
		c, err := ck.CheckExpr(e, src)
		if err != nil {
			continue
		}
		accepted++
		p, err := Compile(c, stdlib.Default)
		if err != nil {
			t.Fatalf("%s: compile: %v", src, err)
		}
		for _, inputs := range []Inputs{in, empty} {
			v, err := Host{}.Eval(context.Background(), p, inputs)
			var rt *RuntimeError
			var nf *NonFiniteError
			if err != nil && !errors.As(err, &rt) && !errors.As(err, &nf) {
				t.Fatalf("%s: unexpected error type %T: %v", src, err, err)
			}
			if err == nil && v.Type != c.Type() {
				t.Fatalf("%s: value type %s, checked type %s", src, v.Type, c.Type())
			}
		}
	}
	if accepted < 500 {
		t.Fatalf("only %d well-typed trees out of 4000: the generator is too weak", accepted)
	}
}

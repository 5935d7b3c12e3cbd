package runtime

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"lpz/interp"
	"lpz/lang"
	"lpz/stdlib"
	"lpz/tensor"
)

// TestGraphLoweringsCoverSearch: every operator the search draws (the
// paper's Table 7, binary ops, sum) lowers to a graph; the others may be
// host-only (stdlib's TestTableComplete checks that each says which).
func TestGraphLoweringsCoverSearch(t *testing.T) {
	for _, op := range stdlib.Default.Ops() {
		if op.Graph.Unary == nil && op.Graph.Binary == nil {
			t.Errorf("operator %s has no GoMLX lowering", op.Name)
		}
	}
}

// TestHostOnlyRefused: a program using a host-only op is refused by name,
// not lowered wrongly.
func TestHostOnlyRefused(t *testing.T) {
	in := engineInputs(rand.New(rand.NewPCG(1, 1)))
	p, err := interp.CompileSource("sum(max(W))", interp.InputTypes(in), stdlib.Default)
	if err != nil {
		t.Fatal(err)
	}
	eng := &GraphEngine{Backend: goBackend(t)}
	if _, err := eng.Eval(context.Background(), p, in); err == nil || !strings.Contains(err.Error(), "max has no GoMLX lowering") {
		t.Errorf("got %v", err)
	}
}

func engineInputs(r *rand.Rand) interp.Inputs {
	mk := func(shape ...int) *tensor.Tensor {
		t := tensor.New(shape...)
		for i := range t.Data {
			t.Data[i] = float32(r.NormFloat64())
		}
		return t
	}
	return interp.Inputs{
		"A":      interp.TensorList("blocks", nil, []*tensor.Tensor{mk(2, 3, 8), mk(2, 3, 5)}),
		"H":      interp.TensorList("blocks", nil, []*tensor.Tensor{mk(2, 3, 4), mk(2, 3, 4)}),
		"W":      interp.TensorList("weights", nil, []*tensor.Tensor{mk(4, 6), mk(4, 4), mk(6, 4)}),
		"G":      interp.TensorList("weights", nil, []*tensor.Tensor{mk(4, 6), mk(4, 4), mk(6, 4)}),
		"params": interp.ScalarValue(1234),
	}
}

func relClose(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	if math.IsInf(a, 0) || math.IsInf(b, 0) {
		return a == b
	}
	return math.Abs(a-b) <= 1e-4*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func TestGraphEngineMatchesHost(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	in := engineInputs(r)
	eng := &GraphEngine{Backend: goBackend(t)}
	formulas := []string{
		"sum(fro(A))", "sum(sq(inv(H)) + log(softmax(fro(A))))", "sum(abs(W * G))", "sum(fro(G))",
		"avg(std(A)) / avg(fro(W))", "sum(minmax(W) - logsoftmax(G))", "sum(l1(sq(W)) + sq(softmax(G)))",
		"sum(sqrt(relu(A)) + abslog(A) * sigmoid(A))", "params / 1000 + nsum(fro(W))", "sum(exp(-sq(H)) + 2)",
		"sum(H * [1, 2, 3, 4])", "fro(fro(A)) - std(l1(W))",
	}
	ctx := context.Background()
	for _, src := range formulas {
		p, err := interp.CompileSource(src, interp.InputTypes(in), stdlib.Default)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		want, err1 := interp.Host{}.Eval(ctx, p, in)
		got, err2 := eng.Eval(ctx, p, in)
		var nf *interp.NonFiniteError
		if (err1 != nil && !errors.As(err1, &nf)) || (err2 != nil && !errors.As(err2, &nf)) {
			t.Fatalf("%s: host %v, graph %v", src, err1, err2)
		}
		t.Logf("%s: graph %.9g, host %.9g", src, got.Scalar, want.Scalar)
		if !relClose(got.Scalar, want.Scalar) {
			t.Errorf("%s: graph %.9g, host %.9g", src, got.Scalar, want.Scalar)
		}
	}
}

// Random well-typed scalar trees: the two engines agree within float32
// tolerance (or both report a non-finite value).
func TestGraphEngineRandomTrees(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	in := engineInputs(r)
	eng := &GraphEngine{Backend: goBackend(t)}
	ck := &lang.Checker{Ops: stdlib.Default, Inputs: interp.InputTypes(in)}
	var core []*stdlib.Op
	for _, op := range stdlib.Default.Ops() {
		if op.Name != "exp" { // exp chains overflow float32 early
			core = append(core, op)
		}
	}
	var tree func(d int) lang.Expr
	tree = func(d int) lang.Expr {
		if d == 0 || r.IntN(4) == 0 {
			return &lang.Ref{Name: []string{"A", "H", "W", "G"}[r.IntN(4)]}
		}
		op := core[r.IntN(len(core))]
		args := make([]lang.Expr, op.Arity)
		for i := range args {
			args[i] = tree(d - 1)
		}
		return &lang.Call{Op: op.Name, Args: args}
	}
	checked := 0
	for i := 0; i < 400 && checked < 40; i++ {
		e := &lang.Call{Op: "sum", Args: []lang.Expr{tree(3)}}
		c, err := ck.CheckExpr(e, lang.Print(e))
		if err != nil {
			continue
		}
		p, err := interp.Compile(c, stdlib.Default)
		if err != nil {
			t.Fatal(err)
		}
		want, err1 := interp.Host{}.Eval(context.Background(), p, in)
		if err1 != nil {
			continue // runtime shape mismatch or non-finite: skip
		}
		got, err2 := eng.Eval(context.Background(), p, in)
		if err2 != nil {
			t.Fatalf("%s: graph engine: %v", p, err2)
		}
		checked++
		if !relClose(got.Scalar, want.Scalar) {
			t.Errorf("%s: graph %.9g, host %.9g", p, got.Scalar, want.Scalar)
		}
	}
	if checked < 20 {
		t.Fatalf("only %d trees compared", checked)
	}
}

package interp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"testing"

	"lpz/lang"
	"lpz/stdlib"
	"lpz/tensor"
)

func edgeTensor(shape []int, data ...float32) *tensor.Tensor {
	t := tensor.New(shape...)
	copy(t.Data, data)
	for i := len(data); i < len(t.Data); i++ {
		t.Data[i] = float32(i%5) - 1.5
	}
	return t
}

// edgeInputs holds every kind of value an op may meet, each in its edge
// cases: empty shapes, one element, rank 0, zero and singular matrices,
// NaN, ±Inf and huge entries; lists with no entries, with an empty entry,
// with non-finite entries. Lists share family F (so that list-list ops
// type-check and meet length mismatches); G is a second family.
func edgeInputs() Inputs {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	sh := func(d ...int) []int { return d }
	tl := func(ts ...*tensor.Tensor) Value { return TensorList("F", nil, ts) }
	sl := func(xs ...float64) Value { return ScalarList("F", nil, xs) }
	return Inputs{
		"E0": TensorValue(edgeTensor(sh(0))), "E03": TensorValue(edgeTensor(sh(0, 3))),
		"E30": TensorValue(edgeTensor(sh(3, 0))), "One": TensorValue(edgeTensor(sh(1), 2)),
		"One11": TensorValue(edgeTensor(sh(1, 1), -3)), "Rank0": TensorValue(edgeTensor(nil, 4)),
		"Z22": TensorValue(tensor.New(2, 2)), "Sing": TensorValue(edgeTensor(sh(2, 2), 1, 2, 2, 4)),
		"Nan": TensorValue(edgeTensor(sh(2, 2), 1, nan)), "PInf": TensorValue(edgeTensor(sh(2, 2), inf)),
		"NInf": TensorValue(edgeTensor(sh(2), -inf, -inf)), "Huge": TensorValue(edgeTensor(sh(2, 2), 1e38, -1e38, 1e38, 1e38)),
		"Vec": TensorValue(edgeTensor(sh(3))), "Cube": TensorValue(edgeTensor(sh(2, 2, 2))),
		"s0": ScalarValue(0), "sNaN": ScalarValue(math.NaN()), "sInf": ScalarValue(math.Inf(1)),
		"sNInf": ScalarValue(math.Inf(-1)), "sHuge": ScalarValue(1e38), "s1": ScalarValue(1),
		"LE":     tl(),
		"LEmpty": tl(edgeTensor(sh(0, 3))),
		"LMix":   tl(edgeTensor(sh(0)), edgeTensor(sh(2, 2), 1, 2, 2, 4)),
		"LNaN":   tl(edgeTensor(sh(2, 2), nan, inf)),
		"LOne":   tl(edgeTensor(sh(1), 5)),
		"LRank0": tl(edgeTensor(nil, 7), edgeTensor(sh(3, 0))),
		"LBig":   tl(edgeTensor(sh(2, 3)), edgeTensor(sh(3, 2)), edgeTensor(sh(2, 2, 2))),
		"QE":     sl(), "QNaN": sl(math.NaN()), "QOne": sl(1), "QInf": sl(math.Inf(1), math.Inf(-1)),
		"QHuge": sl(1e38, 1e38),
		"GL":    TensorList("G", nil, []*tensor.Tensor{edgeTensor(sh(2))}),
		"GQ":    ScalarList("G", nil, []float64{3}),
	}
}

// edgeArgs are the arguments of the edge-case expressions: every input,
// and the constants pow's exponent and amax's axis may be.
func edgeArgs(in Inputs) []lang.Expr {
	names := make([]string, 0, len(in))
	for k := range in {
		names = append(names, k)
	}
	sort.Strings(names)
	var args []lang.Expr
	for _, n := range names {
		args = append(args, &lang.Ref{Name: n})
	}
	for _, c := range []float64{0, 1, -1, 0.5, 2, -2, 1e38, -1e38, 3.5} {
		args = append(args, &lang.Num{Value: c})
	}
	return args
}

// edgeExprs is every op of the table applied to every argument (every pair
// of arguments for binary-arity ops).
func edgeExprs(in Inputs) []string {
	args := edgeArgs(in)
	var out []string
	for _, op := range stdlib.Default.AllOps() {
		switch op.Arity {
		case 1:
			for _, a := range args {
				out = append(out, lang.Print(&lang.Call{Op: op.Name, Args: []lang.Expr{a}}))
			}
		case 2:
			for _, a := range args {
				for _, b := range args {
					out = append(out, lang.Print(&lang.Call{Op: op.Name, Args: []lang.Expr{a, b}}))
				}
			}
		default:
			panic(fmt.Sprintf("edge test: op %s has arity %d", op.Name, op.Arity))
		}
	}
	return out
}

// checkOutcome is the contract of evaluation: a value of the checked type
// whose tensors hold as many elements as their shapes say, or a positioned
// error (a check error, a runtime error at a node, or a non-finite score).
func checkOutcome(src string, typ lang.Type, v Value, err error) error {
	var rt *RuntimeError
	var nf *NonFiniteError
	switch {
	case err == nil:
	case errors.As(err, &rt):
		if rt.Pos.Line < 1 || rt.Pos.Col < 1 {
			return fmt.Errorf("%s: runtime error without a position: %v", src, err)
		}
		return nil
	case errors.As(err, &nf):
		if !math.IsNaN(nf.Value) && !math.IsInf(nf.Value, 0) {
			return fmt.Errorf("%s: non-finite error for %v", src, nf.Value)
		}
	default:
		return fmt.Errorf("%s: unexpected error %T: %v", src, err, err)
	}
	if v.Type != typ {
		return fmt.Errorf("%s: value of type %s, checked %s", src, v.Type, typ)
	}
	ts := v.Tensors
	if v.Type.Kind == lang.Tensor {
		ts = []*tensor.Tensor{v.Tensor}
	}
	for _, t := range ts {
		if t == nil || tensor.NumElements(t.Shape) != len(t.Data) {
			return fmt.Errorf("%s: tensor %v inconsistent with its data", src, t)
		}
	}
	if v.Names != nil && len(v.Names) != v.Len() {
		return fmt.Errorf("%s: %d names for %d entries", src, len(v.Names), v.Len())
	}
	return nil
}

// checkErrorPositioned accepts what CompileSource rejects only as
// positioned diagnostics.
func checkErrorPositioned(src string, err error) error {
	var el *lang.ErrorList
	var e *lang.Error
	switch {
	case errors.As(err, &el):
		for _, d := range el.Errors {
			if d.Pos.Line < 1 || d.Pos.Col < 1 {
				return fmt.Errorf("%s: diagnostic without a position: %v", src, d)
			}
		}
	case errors.As(err, &e):
		if e.Pos.Line < 1 {
			return fmt.Errorf("%s: diagnostic without a position: %v", src, e)
		}
	default:
		return fmt.Errorf("%s: unpositioned check error %T: %v", src, err, err)
	}
	return nil
}

// evalEdge compiles and runs src through the host engine, turning a panic
// into an error so that one bad op does not hide the others.
func evalEdge(src string, in Inputs, eng Engine) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: panic: %v", src, r)
		}
	}()
	p, err := CompileSource(src, InputTypes(in), stdlib.Default)
	if err != nil {
		return checkErrorPositioned(src, err)
	}
	v, err := eng.Eval(context.Background(), p, in)
	return checkOutcome(src, p.Type(), v, err)
}

// TestEveryOpOnEdgeInputs is the property of issue 15: every op of the
// table, on every kind of argument in its edge cases, gives a value or a
// positioned error, through the checker and the host engine, without a
// panic.
func TestEveryOpOnEdgeInputs(t *testing.T) {
	in := edgeInputs()
	exprs := edgeExprs(in)
	values, failures := 0, 0
	for _, src := range exprs {
		if err := evalEdge(src, in, Host{Workers: 2}); err != nil {
			t.Error(err)
			if failures++; failures > 20 {
				t.Fatal("too many failures")
			}
		}
		values++
	}
	t.Logf("%d expressions over %d ops", values, len(stdlib.Default.AllOps()))
}

// posPrefix is how Session.Exec's errors start: file:line:col.
var posPrefix = regexp.MustCompile(`^[a-z]+:[1-9]\d*:[1-9]\d*: `)

// TestSessionSurvivesEdgeInputs runs the same expressions as REPL lines in
// one session: each prints a value or fails with a positioned error, and
// the session still evaluates afterwards.
func TestSessionSurvivesEdgeInputs(t *testing.T) {
	in := edgeInputs()
	s := NewSession(in)
	failures := 0
	fail := func(format string, args ...any) {
		t.Errorf(format, args...)
		if failures++; failures > 20 {
			t.Fatal("too many failures")
		}
	}
	for _, src := range edgeExprs(in) {
		var out bytes.Buffer
		err := func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("panic: %v", r)
				}
			}()
			_, err = s.Exec(context.Background(), "edge", src, &out)
			return err
		}()
		var internal *InternalError
		if err != nil && (!posPrefix.MatchString(err.Error()) || errors.As(err, &internal)) {
			fail("%s: %v", src, err)
		}
		if err == nil && out.Len() == 0 {
			fail("%s: no value shown", src)
		}
	}
	var out bytes.Buffer
	if _, err := s.Exec(context.Background(), "edge", "1 + 1", &out); err != nil || out.String() != "2\n" {
		t.Errorf("session after the edge cases: %q, %v", out.String(), err)
	}
}

// TestEdgeValues pins the documented results on empty and degenerate
// inputs (the ops' Def texts): the value shown by a REPL session.
func TestEdgeValues(t *testing.T) {
	s := NewSession(edgeInputs())
	for _, c := range []struct{ src, want string }{
		{"nuc(E0)", "0"}, {"nuc(E03)", "0"}, {"nuc(E30)", "0"}, {"logdet(E03)", "0"},
		{"logdet(Sing)", "0"}, {"logdet(Nan)", "NaN"}, {"nuc(PInf)", "NaN"},
		{"logdet(LMix)", "list<scalar,F>[2] [0 0]"}, {"nuc(LEmpty)", "list<scalar,F>[1] [0]"},
		{"avg(E0)", "0"}, {"nsum(E03)", "0"}, {"l1(E0)", "0"}, {"fro(E0)", "0"}, {"std(One)", "0"},
		{"max(E0)", "-Inf"}, {"min(E0)", "+Inf"}, {"sum(E0)", "0"}, {"sum(LE)", "0"},
		{"avg(QE)", "0"}, {"sum(fro(LE))", "0"}, {"max(QE)", "-Inf"},
		{"softmax(E0)", "tensor[0] []"}, {"minmax(E03)", "tensor[0,3] []"}, {"softmax(QE)", "list<scalar,F>[0] []"},
		{"softmax(NInf)", "tensor[2] [NaN NaN]"}, {"minmax(Nan)", "tensor[2,2] [NaN NaN NaN NaN]"},
		{"gram(E03)", "tensor[0,0] []"}, {"cos(E03)", "tensor[0,0] []"}, {"gram(E30)", "tensor[3,3] [0 0 0 0 0 0 0 0 …]"},
		{"cos(Z22)", "tensor[2,2] [0 0 0 0]"},
		{"amax(E03, 0)", "tensor[3] [-Inf -Inf -Inf]"}, {"amax(E03, 1)", "tensor[0] []"},
		{"E03 + One", "tensor[0,3] []"}, {"E03 * Vec", "tensor[0,3] []"}, {"E30 - One11", "tensor[3,0] []"},
		{"E0 + 1", "tensor[0] []"}, {"LE * Vec", "list<tensor,F>[0]"}, {"QE + QE", "list<scalar,F>[0] []"},
		{"pow(E0, 0.5)", "tensor[0] []"}, {"logdet(Rank0)", "1.3862944"},
	} {
		var out bytes.Buffer
		if _, err := s.Exec(context.Background(), "edge", c.src, &out); err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		if got := strings.TrimSuffix(out.String(), "\n"); got != c.want {
			t.Errorf("%s = %s, want %s", c.src, got, c.want)
		}
	}
	// Errors that are the documented answer.
	for _, c := range []struct{ src, want string }{
		{"gram(Rank0)", "edge:1:1: gram needs a batch axis, got a tensor of rank 0 (in gram(Rank0))"},
		{"amax(Rank0, 0)", "edge:1:1: axis 0 is not an integer axis of a tensor of shape []"},
		{"E03 + E30", "edge:1:5: shapes [0,3] and [3,0] do not broadcast"},
		{"LMix + LBig", "edge:1:6: lists of family F have 2 and 3 entries"},
		{"gram(LRank0)", "edge:1:1: entry 0: gram needs a batch axis"},
	} {
		_, err := s.Exec(context.Background(), "edge", c.src, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.src, err, c.want)
		}
	}
}

// TestResultSizeLimit: an op that would create a result far larger than
// its operands fails at that op instead of exhausting memory.
func TestResultSizeLimit(t *testing.T) {
	col := make([]string, 12)
	for i := range col {
		col[i] = fmt.Sprintf("[%d]", i)
	}
	src := "sum([" + strings.Join(col, ", ") + "] + [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])"
	p, err := CompileSource(src, nil, stdlib.Default)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := (Host{}).Eval(context.Background(), p, nil); err != nil || v.Scalar != 2*12*66 {
		t.Fatalf("default limit: %v, %v", v.Scalar, err)
	}
	_, err = Host{MaxElems: 100}.Eval(context.Background(), p, nil)
	var rt *RuntimeError
	if !errors.As(err, &rt) || !strings.Contains(err.Error(), "broadcast to [12,12], over the limit of 100 elements per result") || rt.Pos.Col != strings.Index(src, "+")+1 {
		t.Errorf("broadcast over the limit: %v", err)
	}
	in := Inputs{"V": TensorValue(edgeTensor([]int{11})), "M": TensorValue(edgeTensor([]int{11, 20}))}
	for _, c := range []struct{ src, want string }{
		{"sum(gram(V))", "gram of shape [11] would be a [11,11] tensor, over the limit of 100 elements per result"},
		{"sum(cos(M))", ""}, // 121 elements: over the limit but smaller than the 220 of its operand
		{"sum(V + M)", "shapes [11] and [11,20] do not broadcast"},
	} {
		p, err := CompileSource(c.src, InputTypes(in), stdlib.Default)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Host{MaxElems: 100}.Eval(context.Background(), p, in)
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: %v, want %q", c.src, err, c.want)
		}
	}
}

// TestKernelPanicIsPositioned: a kernel that panics (a bug) ends the
// evaluation with an InternalError at its op, also from a worker
// goroutine, and never takes the process with it.
func TestKernelPanicIsPositioned(t *testing.T) {
	boom := &stdlib.Op{Name: "boom", Class: stdlib.Elementwise, Arity: 1, Cost: 1, Doc: "panics", Def: "panics",
		F:   func(float64) float64 { panic("boom") },
		F32: func(dst, src []float32) { panic("boom") }}
	table := stdlib.NewTable(append(append([]*stdlib.Op(nil), stdlib.Default.AllOps()...), boom))
	big := make([]*tensor.Tensor, 8)
	for i := range big {
		big[i] = tensor.New(1 << 14)
	}
	in := Inputs{"X": TensorValue(tensor.New(2)), "L": TensorList("F", nil, big)}
	for _, src := range []string{"sum(boom(X))", "sum(fro(boom(L)))"} {
		p, err := CompileSource(src, InputTypes(in), table)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Host{Workers: 4}.Eval(context.Background(), p, in)
		var ie *InternalError
		if !errors.As(err, &ie) || ie.Pos.Col < 5 || !strings.Contains(err.Error(), "internal error: boom (in boom(") {
			t.Errorf("%s: %v", src, err)
		}
	}
}
